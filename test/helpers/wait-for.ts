// Waiting on events instead of sleeping: a condition re-checked each time something it depends on
// happens, and a tracker logger whose every line is such an event.
import { EventEmitter } from 'node:events';
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
