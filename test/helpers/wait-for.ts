// Waiting on events instead of sleeping: a condition re-checked each time something it depends on
// happens; a tracker logger whose every line is such an event; and viewers' peer messages as events.
import { EventEmitter } from 'node:events';
import type { TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { createLogger, type Logger, type LogLevel } from '../../tracker/log.ts';

/** Anything with Node-style `on`/`off` (EventEmitter, ws, simple-peer, bittorrent-tracker's client). */
export interface Emitter {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * Resolves once `condition()` holds: checked now, then again whenever one of `events` fires on
 * `emitter` — no polling. `guardMs` is a liveness guard only: past it the wait rejects, naming `what`.
 */
export function waitFor(
  emitter: Emitter,
  events: readonly string[],
  condition: () => boolean,
  what: string,
  guardMs = 20_000,
): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      clearTimeout(guard);
      for (const event of events) emitter.off(event, check);
    };
    const check = (): void => {
      let holds: boolean;
      try {
        holds = condition();
      } catch (error) {
        stop();
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (!holds) return;
      stop();
      resolve();
    };
    const guard = setTimeout(() => {
      stop();
      reject(new Error(`gave up waiting (${guardMs} ms): ${what}`));
    }, guardMs);
    for (const event of events) emitter.on(event, check);
  });
}

/**
 * `promise`, or a rejection naming `what` if `guardMs` passes first: for a single awaited event (a
 * reply, a connection) that a lost message would otherwise leave pending until mocha's timeout.
 */
export function guarded<T>(promise: Promise<T>, what: string, guardMs = 20_000): Promise<T> {
  let guard: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<never>((_resolve, reject) => {
    guard = setTimeout(() => reject(new Error(`gave up waiting (${guardMs} ms): ${what}`)), guardMs);
  });
  return Promise.race([promise, gaveUp]).finally(() => clearTimeout(guard));
}

/**
 * A tracker logger at `level` (default `debug`) whose lines are `line` events (parsed), for
 * `waitFor(log, ['line'], ...)`.
 */
export function eventLogger(level: LogLevel = 'debug'): { logger: Logger; log: EventEmitter & Emitter } {
  const log = new EventEmitter();
  const logger = createLogger({
    level,
    write: (line) => log.emit('line', JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, log };
}

/**
 * `factory`'s tracker clients, with every message a viewer receives from a peer reported as a
 * `message` event on `wire` once the viewer has handled it (a turn later): what a viewer knows
 * about its peers (availability, bytes received) changes only then. Likewise a `peer` event once
 * the viewer has handled a peer the tracker introduced, its connection, or its close (a refusal of
 * a banned id happens then).
 */
export function observedTrackerClients(factory: TrackerClientFactory): {
  factory: TrackerClientFactory;
  wire: EventEmitter & Emitter;
} {
  const wire = new EventEmitter();
  const observed: TrackerClientFactory = (options) => {
    const { acceptsOffer } = options;
    const client = factory(
      acceptsOffer === undefined
        ? options
        : {
            ...options,
            acceptsOffer: (offererId) => {
              setImmediate(() => wire.emit('peer'));
              return acceptsOffer(offererId);
            },
          },
    );
    client.on('peer', (peer) => {
      const handled = (): void => {
        setImmediate(() => wire.emit('peer'));
      };
      handled();
      peer.once('connect', handled);
      peer.once('close', handled);
      peer.on('data', () => setImmediate(() => wire.emit('message')));
    });
    return client;
  };
  return { factory: observed, wire };
}
