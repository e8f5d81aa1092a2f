// Bundle alias for `err-code`, as simple-peer calls it: `errCode(error, 'ERR_CODE')`. The bundles
// return the error as it is: nothing in them reads the codes (neither bittorrent-tracker, which
// wraps a peer's error in a new one with its message, nor lib/, whose P2PError has its own code
// and keeps simple-peer's message; test/integration/stream-shims.test.ts checks that no `.code` is
// read there). So terser drops the call and each `'ERR_…'` string: 0.2 KiB gzip.

/** Returns `error` unchanged (its code unread in the bundles). */
export default function errCode<E extends Error>(error: E, _code: string): E {
  return error;
}
