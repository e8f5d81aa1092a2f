// Bundle alias for `streamx`: the Duplex stream that @thaunknown/simple-peer extends (as does
// @thaunknown/simple-websocket, replaced in the bundles by tracker-socket.ts), reduced to what
// they use (~1 KiB instead of streamx, b4a, fast-fifo and text-decoder: ~30 KiB minified).
// simple-peer's own code (signalling, channels) is unchanged. Behaviour kept
// (test/integration/stream-shims.test.ts runs simple-peer on it):
// - data: `push(chunk)` emits `data`; chunks pushed while nobody listens are kept until a `data`
//   listener is added (a peer's first message can arrive before the library listens).
// - no writable queue: nothing in the bundles calls `write()` (simple-peer's users call `send()`,
//   and watch `bufferSize` for backpressure), so streamx's write/`_write`/`drain` path is left out.
// - end: `push(null)` emits `end` after the kept data; `end()` runs `_final`, then `finish`.
// - destroy: `destroy(err)` runs `_destroy(cb)` once; after cb, `destroyed` is true, `error`
//   (with err) and `close` are emitted. When both sides ended without a destroy() call, the stream
//   closes itself (allowHalfOpen: false, as both libraries ask).
// One deliberate difference: simple-peer's own teardown (`__destroy`: end() and then its
// `_destroy`, e.g. when the remote side closes the channel) never gets a `close` from streamx,
// which waits for a callback simple-peer does not pass; here it ends with `close` too, so a peer
// that leaves is noticed at once.
import { EventEmitter } from './event-emitter.ts';

type Callback = (error?: Error | null) => void;

/** Options of `streamx`'s Duplex that the bundled libraries pass. */
export interface DuplexOptions {
  readonly allowHalfOpen?: boolean;
}

/** The part of `streamx`'s Duplex that simple-peer and simple-websocket use. */
export class Duplex extends EventEmitter {
  readonly _readableState = { ended: false };
  readonly _writableState = { ended: false };
  readonly #allowHalfOpen: boolean;
  #kept: unknown[] = [];
  #endEmitted = false;
  #finished = false;
  #closing = false;
  #destroyed = false;

  constructor(options: DuplexOptions = {}) {
    super();
    this.#allowHalfOpen = options.allowHalfOpen ?? true;
  }

  /** True once the stream has closed (after `_destroy` completed). */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** True from the `destroy()` call on. */
  get destroying(): boolean {
    return this.#closing;
  }

  override on(event: string | symbol, listener: (...args: unknown[]) => void): this {
    super.on(event, listener);
    if (event === 'data' && (this.#kept.length > 0 || this._readableState.ended)) queueMicrotask(() => this.#flush());
    return this;
  }

  /** Readable side: a chunk for `data` listeners, or null for the end. */
  push(chunk: unknown): boolean {
    if (this.#closing || this._readableState.ended) return false;
    if (chunk === null) {
      this._readableState.ended = true;
      queueMicrotask(() => this.#flush());
      return false;
    }
    if (this.#kept.length === 0 && this.listenerCount('data') > 0) this.emit('data', chunk);
    else this.#kept.push(chunk);
    return true;
  }

  /** Ends the writable side: `_final`, then `finish`. */
  end(): this {
    if (this._writableState.ended || this.#closing) return this;
    this._writableState.ended = true;
    this.#final();
    return this;
  }

  /** Closes the stream once: `_destroy`, then `error` (if given) and `close`. */
  destroy(error?: Error | null): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#kept = [];
    const done = (): void => {
      this.#destroyed = true;
      if (error) this.emit('error', error);
      this.emit('close');
    };
    const ownDestroy = (this as { _destroy?: (callback: () => void) => void })._destroy;
    if (ownDestroy === undefined) queueMicrotask(done);
    else ownDestroy.call(this, done);
  }

  #final(): void {
    const ownFinal = (this as { _final?: (callback: Callback) => void })._final;
    const done: Callback = (error) => {
      if (error) {
        this.destroy(error);
        return;
      }
      queueMicrotask(() => {
        if (this.#closing) return;
        this.#finished = true;
        this.emit('finish');
        this.#closeIfBothEnded();
      });
    };
    if (ownFinal === undefined) done();
    else ownFinal.call(this, done);
  }

  #flush(): void {
    while (this.#kept.length > 0 && this.listenerCount('data') > 0 && !this.#closing)
      this.emit('data', this.#kept.shift());
    if (!this._readableState.ended || this.#kept.length > 0 || this.#endEmitted || this.#closing) return;
    this.#endEmitted = true;
    this.emit('end');
    if (!this.#allowHalfOpen) this.end();
    this.#closeIfBothEnded();
  }

  #closeIfBothEnded(): void {
    if (!this.#endEmitted || !this.#finished || this.#closing) return;
    // simple-peer's own teardown (`_destroying`) already runs on a 0-ms timer: close after it.
    if ((this as { _destroying?: boolean })._destroying === true) {
      this.#closing = true;
      setTimeout(() => {
        this.#destroyed = true;
        this.emit('close');
      }, 0);
    } else {
      this.destroy();
    }
  }
}

export default { Duplex };
