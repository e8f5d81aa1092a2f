/** Loaders waiting for a swarm's peers to change their availability (have, lost, loading, new peer). */
export class AvailabilityWaiters {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Call `listener` once, on the next availability change in the swarm; returns a function that unsubscribes. */
  onNextChange(swarmId: string, listener: () => void): () => void {
    let waiters = this.#waiters.get(swarmId);
    if (waiters === undefined) {
      waiters = new Set();
      this.#waiters.set(swarmId, waiters);
    }
    waiters.add(listener);
    const set = waiters;
    return () => {
      set.delete(listener);
    };
  }

  /** Wake every loader waiting on this swarm. */
  notify(swarmId: string): void {
    const waiters = this.#waiters.get(swarmId);
    if (waiters === undefined) return;
    this.#waiters.delete(swarmId);
    for (const waiter of waiters) waiter();
  }

  clear(): void {
    this.#waiters.clear();
  }
}
