type Listener<A> = (payload: A) => void;

/** Told of a listener that threw: the error and the event it was handling. */
export type ListenerErrorHandler<EventMap> = (error: unknown, event: keyof EventMap) => void;

/**
 * A minimal typed event emitter: event names are the keys of `EventMap`.
 * A listener that throws is reported through `onListenerError` and never breaks the emitter.
 */
export class TypedEmitter<EventMap extends object> {
  readonly #listeners = new Map<keyof EventMap, Set<Listener<never>>>();
  readonly #onListenerError: ListenerErrorHandler<EventMap>;

  constructor(onListenerError: ListenerErrorHandler<EventMap>) {
    this.#onListenerError = onListenerError;
  }

  on<K extends keyof EventMap>(event: K, listener: Listener<EventMap[K]>): this {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  off<K extends keyof EventMap>(event: K, listener: Listener<EventMap[K]>): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  emit<K extends keyof EventMap>(event: K, payload: EventMap[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<EventMap[K]>)(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
