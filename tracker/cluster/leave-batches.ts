// Peers that leave a swarm in one turn go to Redis as one leave script per swarm, in chunks of
// LEAVE_CHUNK peers: a mass expiry (a network cut: up to 10,000 peers in one sweep turn) sent one
// script per peer, which filled the pending-command bound and shed the announces behind it.

/** Peer ids in one leave script at most (one Lua `unpack` each). */
export const LEAVE_CHUNK = 500;

interface LeaveBatch {
  readonly peerIds: Set<string>;
  /** This node has no peer left in the swarm: its registration goes too (after the leaves). */
  unregister: boolean;
}

/** Leaves collected per swarm key during a turn, sent together once the turn's synchronous work is done. */
export class LeaveBatches {
  readonly #leave: (key: string, peerIds: readonly string[]) => void;
  readonly #unregister: (key: string) => void;
  readonly #batches = new Map<string, LeaveBatch>();
  #scheduled = false;

  /** `leave` gets a swarm's leaving peers, LEAVE_CHUNK at most per call; `unregister` the swarms this node left. */
  constructor(leave: (key: string, peerIds: readonly string[]) => void, unregister: (key: string) => void) {
    this.#leave = leave;
    this.#unregister = unregister;
  }

  /** `peerId` left swarm `key`; `unregister`: this node has no peer left there. */
  add(key: string, peerId: string, unregister: boolean): void {
    let batch = this.#batches.get(key);
    if (batch === undefined) this.#batches.set(key, (batch = { peerIds: new Set(), unregister: false }));
    batch.peerIds.add(peerId);
    batch.unregister ||= unregister;
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /**
   * A peer announced in swarm `key` before the leaves went out (it is back, or the swarm has a
   * peer here again): its leave and the swarm's unregistration are dropped.
   */
  cancel(key: string, peerId: string): void {
    const batch = this.#batches.get(key);
    if (batch === undefined) return;
    batch.peerIds.delete(peerId);
    batch.unregister = false;
  }

  /** Send what was collected now (the scheduled flush; also before the node reaps itself on close). */
  flush(): void {
    this.#scheduled = false;
    const batches = [...this.#batches];
    this.#batches.clear();
    for (const [key, { peerIds, unregister }] of batches) {
      const ids = [...peerIds];
      for (let i = 0; i < ids.length; i += LEAVE_CHUNK) this.#leave(key, ids.slice(i, i + LEAVE_CHUNK));
      if (unregister) this.#unregister(key);
    }
  }
}
