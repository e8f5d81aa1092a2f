// Settings of a tracker process: frozen defaults, partial overrides, validation naming the key.
import { MAX_MESSAGE_BYTES, MAX_OFFERS_PER_ANNOUNCE } from './protocol.ts';

/** Settings of a tracker; each can come from a flag, the environment or a JSON file (see cli.ts). */
export interface TrackerConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Seconds between a peer's announces, told to clients (bittorrent-tracker's WebSocket default: 120). */
  readonly announceIntervalSeconds: number;
  /** A peer that has not announced for this long leaves its swarms. */
  readonly peerTimeoutMs: number;
  /** How often silent peers are looked for. */
  readonly sweepIntervalMs: number;
  /** WebSocket ping interval; a socket that has not answered the previous ping is terminated. */
  readonly heartbeatMs: number;
  /** Largest frame accepted; bigger ones close the socket with 1009. */
  readonly maxMessageBytes: number;
  readonly maxOffersPerAnnounce: number;
  /** Most peer ids one socket may hold over all swarms (a page with many players shares one socket). */
  readonly maxPeersPerConnection: number;
}

export const DEFAULT_TRACKER_CONFIG: TrackerConfig = Object.freeze({
  host: '127.0.0.1',
  port: 8000,
  announceIntervalSeconds: 120,
  peerTimeoutMs: 300_000,
  sweepIntervalMs: 30_000,
  heartbeatMs: 30_000,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxOffersPerAnnounce: MAX_OFFERS_PER_ANNOUNCE,
  maxPeersPerConnection: 100,
});

const integerIn =
  (min: number, max: number) =>
  (value: unknown): string | null =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? null : `must be an integer from ${min} to ${max}`;

const CHECKS: { readonly [K in keyof TrackerConfig]: (value: unknown) => string | null } = {
  host: (value) => (typeof value === 'string' && value.length > 0 ? null : 'must be a non-empty host name or address'),
  port: integerIn(0, 65_535),
  announceIntervalSeconds: integerIn(5, 3600),
  peerTimeoutMs: integerIn(10_000, 24 * 3_600_000),
  sweepIntervalMs: integerIn(100, 3_600_000),
  heartbeatMs: integerIn(100, 600_000),
  maxMessageBytes: integerIn(1024, 1024 * 1024),
  maxOffersPerAnnounce: integerIn(1, 50),
  maxPeersPerConnection: integerIn(1, 10_000),
};

/** Thrown for a bad setting; the message names the key. */
export class TrackerConfigError extends Error {
  readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.name = 'TrackerConfigError';
    this.key = key;
  }
}

/** Merge settings over the defaults; rejects unknown keys and bad values, naming the key. Undefined values keep the default. */
export function resolveTrackerConfig(partial: Readonly<Record<string, unknown>> = {}): TrackerConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_TRACKER_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(CHECKS, key)) {
      throw new TrackerConfigError(key, `unknown setting "${key}" (known: ${Object.keys(CHECKS).join(', ')})`);
    }
    const problem = CHECKS[key as keyof TrackerConfig](value);
    if (problem !== null) throw new TrackerConfigError(key, `setting "${key}" ${problem}, got ${JSON.stringify(value)}`);
    merged[key] = value;
  }
  const config = merged as unknown as TrackerConfig;
  // A peer announcing on time must never look silent.
  if (config.peerTimeoutMs <= config.announceIntervalSeconds * 1000) {
    throw new TrackerConfigError('peerTimeoutMs', `setting "peerTimeoutMs" (${config.peerTimeoutMs}) must be longer than announceIntervalSeconds (${config.announceIntervalSeconds} s)`);
  }
  return Object.freeze(config);
}
