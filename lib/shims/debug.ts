// Bundle alias for the `debug` package: bittorrent-tracker's and simple-peer's logs, off unless a
// page enables them, cost ~2 KiB gzip; the bundles carry a logger that is always off.
interface Debugger {
  (...args: unknown[]): void;
  enabled: boolean;
  extend(namespace: string): Debugger;
}

/** Returns a logger that logs nothing. */
export default function debug(): Debugger {
  return Object.assign(() => undefined, { enabled: false, extend: debug });
}
