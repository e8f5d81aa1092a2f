// Virtual time for the swarm simulator: one event queue (a binary heap keyed by virtual
// milliseconds, then by insertion order, so equal times run in a fixed order) drives every timer the
// library sets. `install()` replaces the process's setTimeout/setInterval/clear*, Date.now and
// performance.now with virtual ones: the library reads time and sets timers through those globals,
// so its real code runs unchanged on simulated time. Microtasks (promises) stay real and are drained
// after each virtual millisecond, before time moves on.

type Callback = () => void;

interface QueuedEvent {
  readonly atMs: number;
  readonly sequence: number;
  readonly callback: Callback;
  cancelled: boolean;
  /** The setTimeout id it fires for (forgotten when it runs); 0 for other events. */
  timerId: number;
}

/** What setTimeout/setInterval return under the virtual clock (enough of Node's Timeout for the library). */
export class VirtualTimer {
  constructor(readonly id: number) {}
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

// As Node: a delay below 1 ms (or not a number, or beyond 2^31 − 1) is 1 ms, so a timer loop
// always lets time move on.
const nodeDelayMs = (delayMs: unknown): number => {
  const value = Number(delayMs);
  return value >= 1 && value <= 2 ** 31 - 1 ? value : 1;
};

const earlier = (a: QueuedEvent, b: QueuedEvent): boolean =>
  a.atMs < b.atMs || (a.atMs === b.atMs && a.sequence < b.sequence);

/** A deterministic discrete-event clock. */
export class VirtualClock {
  #nowMs = 0;
  #sequence = 0;
  #nextTimerId = 1;
  readonly #heap: QueuedEvent[] = [];
  // Timer id → its next queued event (an interval re-queues itself under the same id).
  readonly #timers = new Map<number, QueuedEvent>();
  #restore: (() => void) | null = null;
  #eventsRun = 0;

  get nowMs(): number {
    return this.#nowMs;
  }

  get eventsRun(): number {
    return this.#eventsRun;
  }

  get pending(): number {
    return this.#heap.length;
  }

  /** Run `callback` at virtual time `atMs` (not before now). */
  at(atMs: number, callback: Callback): void {
    this.#push(Math.max(atMs, this.#nowMs), callback);
  }

  /** Run `callback` after `delayMs` of virtual time. */
  after(delayMs: number, callback: Callback): void {
    this.#push(this.#nowMs + Math.max(0, delayMs), callback);
  }

  setTimeout(callback: Callback, delayMs = 0): VirtualTimer {
    const id = this.#nextTimerId++;
    const event = this.#push(this.#nowMs + nodeDelayMs(delayMs), callback);
    event.timerId = id;
    this.#timers.set(id, event);
    return new VirtualTimer(id);
  }

  setInterval(callback: Callback, periodMs = 0): VirtualTimer {
    const id = this.#nextTimerId++;
    const period = nodeDelayMs(periodMs);
    const tick = (): void => {
      this.#timers.set(id, this.#push(this.#nowMs + period, tick));
      callback();
    };
    this.#timers.set(id, this.#push(this.#nowMs + period, tick));
    return new VirtualTimer(id);
  }

  clearTimer(timer: unknown): void {
    if (timer === null || timer === undefined) return;
    const id = timer instanceof VirtualTimer ? timer.id : Number(timer);
    const event = this.#timers.get(id);
    if (event === undefined) return;
    event.cancelled = true;
    this.#timers.delete(id);
  }

  /**
   * Run events in time order until `untilMs` or until none are left, draining microtasks after
   * each virtual millisecond; `onProgress` is called about every `progressEveryMs` of virtual time.
   */
  async run(untilMs: number, drain: () => Promise<void>): Promise<void> {
    const heap = this.#heap;
    while (heap.length > 0) {
      const head = heap[0];
      if (head === undefined || head.atMs > untilMs) break;
      // Every event of this virtual millisecond (times are fractional: transfer times), in time
      // order and including ones they add within it, then the microtasks once: a real macrotask
      // turn per distinct fractional time cost most of a run.
      const endMs = Math.floor(head.atMs) + 1;
      for (let next = heap[0]; next !== undefined && next.atMs < endMs && next.atMs <= untilMs; next = heap[0]) {
        this.#pop();
        if (next.cancelled) continue;
        this.#nowMs = next.atMs;
        this.#eventsRun++;
        if (next.timerId !== 0) this.#timers.delete(next.timerId);
        next.callback();
      }
      await drain();
    }
    this.#nowMs = Math.max(this.#nowMs, untilMs);
  }

  /** Replace the process's timer and time globals with this clock's; `uninstall()` puts them back. */
  install(epochMs: number): void {
    if (this.#restore !== null) throw new Error('virtual clock already installed');
    const saved = {
      setTimeout: globalThis.setTimeout,
      clearTimeout: globalThis.clearTimeout,
      setInterval: globalThis.setInterval,
      clearInterval: globalThis.clearInterval,
      dateNow: Date.now,
      // performance.now lives on the prototype: an own property shadows it and deleting it restores it.
      performanceNow: Object.getOwnPropertyDescriptor(performance, 'now'),
    };
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = (callback: Callback, delayMs?: number, ...args: unknown[]) =>
      // tsc needs the assertion to spread the arguments (typescript-eslint's type view disagrees).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      this.setTimeout(args.length === 0 ? callback : () => (callback as (...a: unknown[]) => void)(...args), delayMs);
    g.setInterval = (callback: Callback, periodMs?: number) => this.setInterval(callback, periodMs);
    g.clearTimeout = (timer: unknown) => this.clearTimer(timer);
    g.clearInterval = (timer: unknown) => this.clearTimer(timer);
    Date.now = () => epochMs + this.#nowMs;
    performance.now = () => this.#nowMs;
    this.#restore = () => {
      g.setTimeout = saved.setTimeout;
      g.clearTimeout = saved.clearTimeout;
      g.setInterval = saved.setInterval;
      g.clearInterval = saved.clearInterval;
      Date.now = saved.dateNow;
      if (saved.performanceNow === undefined) Reflect.deleteProperty(performance, 'now');
      else Object.defineProperty(performance, 'now', saved.performanceNow);
    };
  }

  uninstall(): void {
    this.#restore?.();
    this.#restore = null;
  }

  #push(atMs: number, callback: Callback): QueuedEvent {
    const event: QueuedEvent = { atMs, sequence: this.#sequence++, callback, cancelled: false, timerId: 0 };
    const heap = this.#heap;
    let index = heap.push(event) - 1;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as QueuedEvent;
      if (!earlier(event, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
    return event;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let index = 0;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && earlier(heap[right] as QueuedEvent, heap[left] as QueuedEvent) ? right : left;
      if (!earlier(heap[child] as QueuedEvent, last)) break;
      heap[index] = heap[child] as QueuedEvent;
      index = child;
    }
    heap[index] = last;
  }
}

/** Drains pending microtasks (promise callbacks) with one real macrotask turn. */
export function realDrain(): () => Promise<void> {
  const immediate = globalThis.setImmediate;
  return () => new Promise<void>((resolve) => immediate(resolve));
}
