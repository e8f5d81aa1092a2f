// Bundle alias for the `events` package (Node's EventEmitter) as bittorrent-tracker's client and
// @thaunknown/simple-peer use it: on/once/removeListener, emit, listenerCount, removeAllListeners. An `error`
// event without a listener throws, as Node's does, so no failure passes silently.
type Listener = (...args: unknown[]) => void;
type OnceWrapper = Listener & { listener: Listener };

/** The part of Node's `EventEmitter` that the bundled tracker client and peers use. */
export class EventEmitter {
  #listeners = new Map<string | symbol, Listener[]>();

  on(event: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list === undefined) this.#listeners.set(event, [listener]);
    else list.push(listener);
    return this;
  }

  once(event: string | symbol, listener: Listener): this {
    const wrapper = ((...args: unknown[]) => {
      this.removeListener(event, wrapper);
      listener.apply(this, args);
    }) as OnceWrapper;
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  removeListener(event: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list === undefined) return this;
    // The last one added goes first, as in Node.
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i];
      if (entry === listener || (entry as Partial<OnceWrapper>).listener === listener) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event: string | symbol): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (list === undefined) {
      if (event === 'error')
        throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`);
      return false;
    }
    // A copy: listeners may remove themselves (once) or others while being called.
    for (const listener of [...list]) listener.apply(this, args);
    return true;
  }
}

export default EventEmitter;
