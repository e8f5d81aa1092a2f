// Waiting on events instead of sleeping: a condition re-checked each time something it depends on
// happens; a tracker logger whose every line is such an event; and viewers' peer messages as events.
import { EventEmitter } from 'node:events';
import type { TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { createLogger, type Logger } from '../../tracker/log.ts';

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

/** A tracker logger at `debug` whose lines are `line` events (parsed), for `waitFor(log, ['line'], ...)`. */
export function eventLogger(): { logger: Logger; log: EventEmitter & Emitter } {
  const log = new EventEmitter();
  const logger = createLogger({
    level: 'debug',
    write: (line) => log.emit('line', JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, log };
}

/**
 * `factory`'s tracker clients, with every message a viewer receives from a peer reported as a
 * `message` event on `wire` once the viewer has handled it (a turn later): what a viewer knows
 * about its peers (availability, bytes received) changes only then.
 */
export function observedTrackerClients(factory: TrackerClientFactory): {
  factory: TrackerClientFactory;
  wire: EventEmitter & Emitter;
} {
  const wire = new EventEmitter();
  const observed: TrackerClientFactory = (options) => {
    const client = factory(options);
    client.on('peer', (peer) => peer.on('data', () => setImmediate(() => wire.emit('message'))));
    return client;
  };
  return { factory: observed, wire };
}
