// The one bounded re-read for state that tells us nothing when it changes. Use `waitFor`
// (wait-for.ts) wherever an event exists; this is only for state outside this process with no
// event to subscribe to: another process's /proc entry (not our child: no exit event), a
// Prometheus scrape (it scrapes on its own schedule and has no "scraped" notification), counts a
// tracker keeps in Redis for other nodes.

/** How often and how many times `pollExternal` reads; `attempts × intervalMs` is a liveness guard, not a speed bound. */
export interface PollBounds {
  readonly intervalMs: number;
  readonly attempts: number;
}

const DEFAULT_BOUNDS: PollBounds = { intervalMs: 100, attempts: 600 };

/**
 * Reads `read()` until `done(value)` holds and returns that value; between reads it waits
 * `intervalMs`, and after `attempts` reads it rejects naming `what` and the last value.
 */
export async function pollExternal<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  { intervalMs, attempts }: PollBounds = DEFAULT_BOUNDS,
): Promise<T> {
  let value = await read();
  for (let attempt = 1; !done(value); attempt++) {
    if (attempt >= attempts)
      throw new Error(`gave up after ${attempts} reads: ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await read();
  }
  return value;
}
