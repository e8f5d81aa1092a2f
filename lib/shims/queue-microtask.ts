// Bundle alias for the `queue-microtask` package: every browser the library supports has it.

/** Runs `callback` in a microtask. */
export default function queueMicrotaskShim(callback: () => void): void {
  queueMicrotask(callback);
}
