// Bundle alias for `run-parallel`, as bittorrent-tracker's client calls it when destroyed: an
// array of tasks, each given a callback; `callback` runs once all are done (or at the first
// error), never in the same turn as the call.
type Done = (error?: Error | null) => void;

/** Runs every task at once; calls `callback` when all finished or one failed. */
export default function runParallel(tasks: readonly ((done: Done) => void)[], callback?: Done): void {
  let pending = tasks.length;
  let finished = false;
  const finish = (error: Error | null): void => {
    if (finished) return;
    finished = true;
    queueMicrotask(() => callback?.(error));
  };
  if (pending === 0) finish(null);
  for (const task of tasks) {
    task((error) => {
      if (error || --pending === 0) finish(error ?? null);
    });
  }
}
