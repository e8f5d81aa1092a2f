// Virtual time for the swarm simulator: one event queue (ordered by virtual milliseconds, then by
// insertion order, so equal times run in a fixed order) drives every timer the library sets. `install()` replaces the process's setTimeout/setInterval/clear*, Date.now and
// performance.now with virtual ones: the library reads time and sets timers through those globals,
// so its real code runs unchanged on simulated time. Microtasks (promises) stay real and are drained
// after each virtual millisecond, before time moves on.

type Callback = () => void;

/** What orders events: virtual time, then insertion order. */
export interface Timed {
  readonly atMs: number;
  readonly sequence: number;
}

interface QueuedEvent extends Timed {
  /** Released (NOTHING) once the event ran or was cancelled: see clearTimer. */
  callback: Callback;
  cancelled: boolean;
}

const NOTHING: Callback = () => undefined;

/** What setTimeout/setInterval return under the virtual clock (enough of Node's Timeout for the library). */
export class VirtualTimer {
  /** The timer's next queued event (an interval re-queues itself). */
  event: QueuedEvent | null = null;
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

const earlier = (a: Timed, b: Timed): boolean => a.atMs < b.atMs || (a.atMs === b.atMs && a.sequence < b.sequence);

// Runs of this many events are insertion-sorted before they are merged.
const SORT_RUN = 16;

/**
 * Sort `items` by time and insertion order without allocating (Array.prototype.sort copies the
 * array, and a comparator returning a fractional time difference boxes a number per comparison:
 * together 7.5% of the simulator's and the library's heap allocation in an N=1000 run). `scratch` is reused between calls. Times and sequence numbers
 * are a strict total order, so the result is the one any correct sort gives.
 */
export function sortEvents<T extends Timed>(items: T[], scratch: T[]): void {
  const before = earlier;
  const length = items.length;
  for (let low = 0; low < length; low += SORT_RUN) {
    const high = Math.min(low + SORT_RUN, length);
    for (let i = low + 1; i < high; i++) {
      const item = items[i] as T;
      let j = i - 1;
      for (; j >= low && before(item, items[j] as T); j--) items[j + 1] = items[j] as T;
      items[j + 1] = item;
    }
  }
  let from = items;
  let to = scratch;
  for (let width = SORT_RUN; width < length; width *= 2) {
    for (let low = 0; low < length; low += 2 * width) {
      const middle = Math.min(low + width, length);
      const high = Math.min(low + 2 * width, length);
      let i = low;
      let j = middle;
      let k = low;
      while (i < middle && j < high) to[k++] = before(from[j] as T, from[i] as T) ? (from[j++] as T) : (from[i++] as T);
      while (i < middle) to[k++] = from[i++] as T;
      while (j < high) to[k++] = from[j++] as T;
    }
    const swapped = from;
    from = to;
    to = swapped;
  }
  if (from !== items) for (let i = 0; i < length; i++) items[i] = from[i] as T;
}

// setTimeout's extra arguments, bound in a closure of their own: a closure inside the installed
// setTimeout would allocate its context on every call, arguments or not.
const withArguments =
  (callback: Callback, args: unknown[]): Callback =>
  () =>
    // tsc needs the assertion to spread the arguments (typescript-eslint's type view disagrees).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    (callback as (...a: unknown[]) => void)(...args);

/** Binary min-heap operations on `T[]` ordered by `before`. */
function heapPush<T>(heap: T[], item: T, before: (a: T, b: T) => boolean): void {
  let index = heap.push(item) - 1;
  while (index > 0) {
    const parentIndex = (index - 1) >> 1;
    const parent = heap[parentIndex] as T;
    if (!before(item, parent)) break;
    heap[index] = parent;
    index = parentIndex;
  }
  heap[index] = item;
}

function heapPop<T>(heap: T[], before: (a: T, b: T) => boolean): void {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return;
  let index = 0;
  const length = heap.length;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= length) break;
    const right = left + 1;
    const child = right < length && before(heap[right] as T, heap[left] as T) ? right : left;
    if (!before(heap[child] as T, last)) break;
    heap[index] = heap[child] as T;
    index = child;
  }
  heap[index] = last;
}

// Milliseconds of buckets in the ring; events further ahead wait in a heap until they come closer.
const RING_MS = 1 << 17;

/**
 * A deterministic discrete-event clock. Events wait in a ring of one bucket per whole virtual
 * millisecond (arrays reused as time goes round; events more than RING_MS ahead in a small heap
 * until they come within it); a bucket is sorted by time and insertion order when its millisecond
 * comes, and events added to that millisecond meanwhile go to a small heap merged with it. The
 * order is the one a single heap of all events gives, at a fraction of its cost: with thousands of
 * viewers millions of events wait, and each step through one heap of them was a cache miss.
 */
export class VirtualClock {
  #nowMs = 0;
  #sequence = 0;
  #nextTimerId = 1;
  #pending = 0;
  readonly #ring: QueuedEvent[][] = [];
  #inRing = 0;
  readonly #far: QueuedEvent[] = [];
  // The millisecond being run (never after the current time's): its bucket is sorted from
  // #currentIndex on once #sorted, and events added to it since then wait in #late.
  #currentMs = 0;
  #sorted = false;
  #currentIndex = 0;
  readonly #late: QueuedEvent[] = [];
  readonly #sortScratch: QueuedEvent[] = [];
  #restore: (() => void) | null = null;
  #eventsRun = 0;

  get nowMs(): number {
    return this.#nowMs;
  }

  get eventsRun(): number {
    return this.#eventsRun;
  }

  get pending(): number {
    return this.#pending;
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
    const timer = new VirtualTimer(this.#nextTimerId++);
    timer.event = this.#push(this.#nowMs + nodeDelayMs(delayMs), callback);
    return timer;
  }

  setInterval(callback: Callback, periodMs = 0): VirtualTimer {
    const timer = new VirtualTimer(this.#nextTimerId++);
    const period = nodeDelayMs(periodMs);
    const tick = (): void => {
      timer.event = this.#push(this.#nowMs + period, tick);
      callback();
    };
    timer.event = this.#push(this.#nowMs + period, tick);
    return timer;
  }

  clearTimer(timer: unknown): void {
    if (!(timer instanceof VirtualTimer) || timer.event === null) return;
    // A cancelled event keeps its place in the queue until its time; its callback (and all the
    // callback holds) can go now, instead of living on through garbage collections into the old
    // generation for as long as the timeout was.
    timer.event.cancelled = true;
    timer.event.callback = NOTHING;
    timer.event = null;
  }

  /**
   * Run events in time order until `untilMs` or until none are left, draining microtasks after
   * each virtual millisecond; `onProgress` is called about every `progressEveryMs` of virtual time.
   */
  async run(untilMs: number, drain: () => Promise<void>): Promise<void> {
    for (;;) {
      const head = this.#head() ?? this.#advance(untilMs);
      if (head === undefined || head.atMs > untilMs) break;
      // Every event of this virtual millisecond (times are fractional: transfer times), in time
      // order and including ones they add within it, then the microtasks once: a real macrotask
      // turn per distinct fractional time cost most of a run.
      for (let next = this.#head(); next !== undefined && next.atMs <= untilMs; next = this.#head()) {
        this.#take(next);
        if (next.cancelled) continue;
        this.#nowMs = next.atMs;
        this.#eventsRun++;
        const callback = next.callback;
        // The library may keep a fired timer's handle (and so this event) for long: not its callback.
        next.callback = NOTHING;
        callback();
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
      this.setTimeout(args.length === 0 ? callback : withArguments(callback, args), delayMs);
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
    const event: QueuedEvent = { atMs, sequence: this.#sequence++, callback, cancelled: false };
    this.#pending++;
    const ms = Math.floor(atMs);
    if (ms === this.#currentMs && this.#sorted) heapPush(this.#late, event, earlier);
    else if (ms - this.#currentMs < RING_MS) {
      this.#inRing++;
      const slot = ms & (RING_MS - 1);
      const bucket = this.#ring[slot];
      if (bucket === undefined) this.#ring[slot] = [event];
      else bucket.push(event);
    } else heapPush(this.#far, event, earlier);
    return event;
  }

  // The earliest event of the millisecond being run, if its bucket is sorted and has one left.
  #head(): QueuedEvent | undefined {
    if (!this.#sorted) return undefined;
    const fromBucket = this.#ring[this.#currentMs & (RING_MS - 1)]?.[this.#currentIndex];
    const late = this.#late[0];
    if (fromBucket === undefined) return late;
    return late !== undefined && earlier(late, fromBucket) ? late : fromBucket;
  }

  #take(event: QueuedEvent): void {
    this.#pending--;
    const bucket = this.#ring[this.#currentMs & (RING_MS - 1)];
    if (bucket !== undefined && event === bucket[this.#currentIndex]) {
      this.#currentIndex++;
      this.#inRing--;
    } else heapPop(this.#late, earlier);
  }

  // Move on to the next millisecond with events, not past `untilMs`'s, and sort its bucket; its first event.
  #advance(untilMs: number): QueuedEvent | undefined {
    const lastMs = Math.floor(untilMs);
    for (;;) {
      if (this.#sorted) {
        // The millisecond is done: empty its bucket for reuse and step on.
        const done = this.#ring[this.#currentMs & (RING_MS - 1)];
        if (done !== undefined) done.length = 0;
        this.#sorted = false;
        this.#currentIndex = 0;
        if (this.#currentMs >= lastMs) return undefined;
        this.#currentMs++;
      }
      // Nothing within the ring: jump to the first far event.
      const far = this.#far[0];
      if (this.#inRing === 0) {
        if (far === undefined) return undefined;
        const farMs = Math.floor(far.atMs);
        if (farMs > lastMs) return undefined;
        this.#currentMs = Math.max(this.#currentMs, farMs);
      }
      const slot = this.#currentMs & (RING_MS - 1);
      for (
        let next = this.#far[0];
        next !== undefined && Math.floor(next.atMs) <= this.#currentMs;
        next = this.#far[0]
      ) {
        heapPop(this.#far, earlier);
        this.#inRing++;
        const bucket = this.#ring[slot];
        if (bucket === undefined) this.#ring[slot] = [next];
        else bucket.push(next);
      }
      const bucket = this.#ring[slot];
      if (bucket !== undefined && bucket.length > 0) {
        sortEvents(bucket, this.#sortScratch);
        this.#sorted = true;
        return bucket[0];
      }
      this.#sorted = true; // an empty millisecond: done at once
    }
  }
}

/** Drains pending microtasks (promise callbacks) with one real macrotask turn. */
export function realDrain(): () => Promise<void> {
  const immediate = globalThis.setImmediate;
  return () => new Promise<void>((resolve) => immediate(resolve));
}
