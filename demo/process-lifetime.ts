// How the demo's one process starts and stops: a failed listen is one line, not a stack trace;
// SIGINT, SIGTERM, SIGHUP and the death of the process that launched it (npm, a shell) all stop it.

/** The one line a startup error deserves, or null for errors that are bugs (keep their stack). */
export function listenProblem(error: unknown, what: string, host: string, port: number): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    return `demo: ${what === 'tracker' ? 'tracker port' : 'port'} ${port} on ${host} is already in use (another demo running?); choose another with ${what === 'tracker' ? '--tracker-port' : '--port'} <n> (0 = any free port)`;
  }
  if (code === 'EACCES')
    return `demo: not allowed to listen on ${host}:${port} for the ${what}; choose a port above 1023`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return `demo: cannot listen on ${host}: no such local address (--host)`;
  return null;
}

// How often the process checks that the one that launched it is still there.
const PARENT_CHECK_MS = 500;

/**
 * Run `stop` once on SIGINT, SIGTERM or SIGHUP, or when the launching process is gone. npm runs a
 * script through `sh -c`; a SIGTERM to npm reaches that shell, which dies without passing it on,
 * so this process would live on as an orphan holding both ports: it notices its new parent instead.
 */
export function stopOnSignalsAndOrphaning(stop: (reason: string) => void): () => void {
  let stopped = false;
  const once = (reason: string): void => {
    if (stopped) return;
    stopped = true;
    dispose();
    stop(reason);
  };
  const onSignal = (signal: NodeJS.Signals): void => once(signal);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  const parentPid = process.ppid;
  const watchdog = setInterval(() => {
    if (process.ppid !== parentPid) once('launcher exited');
  }, PARENT_CHECK_MS);
  watchdog.unref();
  const dispose = (): void => {
    clearInterval(watchdog);
    for (const signal of signals) process.off(signal, onSignal);
  };
  return dispose;
}
