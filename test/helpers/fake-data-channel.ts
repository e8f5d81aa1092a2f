import type { SignalledPeer } from '../../lib/swarm/tracker-client.ts';

type Listener = (...args: never[]) => void;

/**
 * An in-memory data channel: what one side sends waits in the other side's inbox until the test
 * delivers it, so a test decides what arrives when (with a fake clock in between).
 */
export class FakeDataChannel implements SignalledPeer {
  id?: string;
  connected = true;
  destroyed = false;
  bufferSize = 0;
  remote: FakeDataChannel | null = null;
  readonly inbox: Uint8Array[] = [];
  readonly #listeners = new Map<string, { listener: Listener; once: boolean }[]>();

  /** Two channels wired to each other. */
  static pair(): [FakeDataChannel, FakeDataChannel] {
    const a = new FakeDataChannel();
    const b = new FakeDataChannel();
    a.remote = b;
    b.remote = a;
    return [a, b];
  }

  send(data: Uint8Array): void {
    if (!this.connected) throw new Error('not connected');
    this.remote?.inbox.push(Uint8Array.from(data));
  }

  /** Deliver the oldest message in the inbox; false when there is none. */
  deliverOne(): boolean {
    const message = this.inbox.shift();
    if (message === undefined) return false;
    this.emit('data', message);
    return true;
  }

  /** Deliver until both sides' inboxes stay empty. */
  deliverAll(): void {
    while (this.deliverOne() || (this.remote?.deliverOne() ?? false));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.connected = false;
    this.emit('close');
  }

  emit(event: string, ...args: unknown[]): void {
    const entries = this.#listeners.get(event) ?? [];
    this.#listeners.set(
      event,
      entries.filter((entry) => !entry.once),
    );
    for (const { listener } of entries) (listener as (...values: unknown[]) => void)(...args);
  }

  on(event: string, listener: Listener): this {
    this.#add(event, listener, false);
    return this;
  }

  once(event: string, listener: Listener): this {
    this.#add(event, listener, true);
    return this;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event: string): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  #add(event: string, listener: Listener, once: boolean): void {
    const entries = this.#listeners.get(event) ?? [];
    entries.push({ listener, once });
    this.#listeners.set(event, entries);
  }
}
