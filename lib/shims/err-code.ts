// Bundle alias for `err-code`, as simple-peer calls it: `errCode(error, 'ERR_CODE')` gives the
// error its own `code` and returns it. Defined, not assigned: simple-peer passes DOMExceptions
// from RTCPeerConnection, whose inherited `code` is a getter that an assignment would throw on.

/** Gives `error` an own `code` property and returns it. */
export default function errCode<E extends Error>(error: E, code: string): E & { code: string } {
  return Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true }) as E & {
    code: string;
  };
}
