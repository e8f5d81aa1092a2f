// Bundle alias for the `once` package (and its `wrappy`): a function that runs at most once and
// then keeps returning its first result.

/** Wraps `fn` so that only its first call runs. */
export default function once<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  let called = false;
  let value: R;
  return function (this: unknown, ...args: A): R {
    if (!called) {
      called = true;
      value = fn.apply(this, args);
    }
    return value;
  };
}
