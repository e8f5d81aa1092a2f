// What a broken promise costs a peer: a timeout, a `have` or `loading` claim it did not keep, a
// transfer too slow for the playhead, relayed bytes that failed a check before it vouched for them.
// Pure, so the schedule is tested as a table.

/** Which promise a peer broke. */
export type StrikeKind = 'timeout' | 'too-slow' | 'unkept-claim' | 'bad-relay';

/** A peer's strike history as the session keeps it. */
export interface StrikeState {
  readonly strikes: number;
  readonly lastStrikeAtMs: number;
  /** Until then the peer is not downloaded from (0: not ignored). */
  readonly ignoredUntilMs: number;
}

/** From this many strikes on, each strike ignores the peer for downloads for a while. */
export const IGNORE_AFTER_STRIKES = 3;
/** At this many strikes the peer is dropped and banned for the session. */
export const BAN_AFTER_STRIKES = 6;
/** The first back-off; each further strike doubles it (10 s, 20 s, 40 s). */
export const IGNORE_BASE_MS = 10_000;
/**
 * One strike is forgiven per this long without a new one (counted from the end of a back-off), so
 * an honest peer's rare timeout never adds up to a ban over a long session. Longer than the
 * longest back-off: a peer that breaks its promise as soon as it is trusted again is not forgiven.
 */
export const STRIKE_FORGIVE_MS = 60_000;

export const NO_STRIKES: StrikeState = { strikes: 0, lastStrikeAtMs: 0, ignoredUntilMs: 0 };

/** The state after one more strike at `nowMs`, and whether the peer is now to be banned. */
export function addStrike(state: StrikeState, nowMs: number): StrikeState & { readonly ban: boolean } {
  const quietMs = nowMs - Math.max(state.lastStrikeAtMs, state.ignoredUntilMs);
  const forgiven = state.strikes === 0 ? 0 : Math.max(0, Math.floor(quietMs / STRIKE_FORGIVE_MS));
  const strikes = Math.max(0, state.strikes - forgiven) + 1;
  const ignoredUntilMs =
    strikes >= IGNORE_AFTER_STRIKES
      ? nowMs + IGNORE_BASE_MS * 2 ** Math.min(strikes - IGNORE_AFTER_STRIKES, 8)
      : state.ignoredUntilMs;
  return { strikes, lastStrikeAtMs: nowMs, ignoredUntilMs, ban: strikes >= BAN_AFTER_STRIKES };
}

/** Whether the peer is in a back-off and must not be chosen (or waited for) for downloads. */
export function isIgnored(state: StrikeState, nowMs: number): boolean {
  return nowMs < state.ignoredUntilMs;
}
