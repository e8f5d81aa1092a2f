/** Settings of a tracker process; every one can come from a flag, the environment or a JSON file. */
export interface TrackerConfig {
  readonly host: string;
  readonly port: number;
  /** Seconds between a peer's announces, told to clients. */
  readonly announceIntervalSeconds: number;
  /** A peer that has not announced for this long leaves its swarms. */
  readonly peerTimeoutMs: number;
  /** WebSocket ping interval; a socket that misses one pong is closed. */
  readonly heartbeatMs: number;
  readonly maxMessageBytes: number;
  readonly maxOffersPerAnnounce: number;
}

export const DEFAULT_TRACKER_CONFIG: TrackerConfig = Object.freeze({
  host: '127.0.0.1',
  port: 8000,
  announceIntervalSeconds: 120,
  peerTimeoutMs: 300_000,
  heartbeatMs: 30_000,
  maxMessageBytes: 64 * 1024,
  maxOffersPerAnnounce: 10,
});

const integerIn =
  (min: number, max: number) =>
  (value: unknown): string | null =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? null : `must be an integer from ${min} to ${max}`;

const CHECKS: { readonly [K in keyof TrackerConfig]: (value: unknown) => string | null } = {
  host: (value) => (typeof value === 'string' && value.length > 0 ? null : 'must be a host name or address'),
  port: integerIn(0, 65535),
  announceIntervalSeconds: integerIn(5, 3600),
  peerTimeoutMs: integerIn(10_000, 24 * 3600_000),
  heartbeatMs: integerIn(1000, 600_000),
  maxMessageBytes: integerIn(1024, 1024 * 1024),
  maxOffersPerAnnounce: integerIn(1, 50),
};

/** Thrown for a bad setting; the message names the key. */
export class TrackerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrackerConfigError';
  }
}

/** Merge settings over the defaults; rejects unknown keys and bad values, naming the key. */
export function resolveTrackerConfig(partial: Readonly<Record<string, unknown>>): TrackerConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_TRACKER_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(CHECKS, key)) {
      throw new TrackerConfigError(`unknown setting "${key}" (known: ${Object.keys(CHECKS).join(', ')})`);
    }
    const problem = CHECKS[key as keyof TrackerConfig](value);
    if (problem !== null) throw new TrackerConfigError(`setting "${key}" ${problem}, got ${JSON.stringify(value)}`);
    merged[key] = value;
  }
  if ((merged['peerTimeoutMs'] as number) <= (merged['announceIntervalSeconds'] as number) * 1000) {
    throw new TrackerConfigError('setting "peerTimeoutMs" must be longer than announceIntervalSeconds');
  }
  return Object.freeze(merged) as unknown as TrackerConfig;
}
