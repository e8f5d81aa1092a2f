// `npm run demo`: the sample stream on a local origin, a tracker, and the demo page.
import { fileURLToPath } from 'node:url';
import { startTracker, type RunningTracker } from '../tracker/server.ts';
import { parseCommandLine, portOption } from './command-line.ts';
import { startOriginServer, type OriginServer } from './origin-server.ts';
import { buildPageBundle, type PageBundle } from './page-bundle.ts';
import { listenProblem, stopOnSignalsAndOrphaning } from './process-lifetime.ts';

const HELP = `Usage: npm run demo -- [--host 127.0.0.1] [--port 8080] [--tracker-port 8081]

Serves the embedded sample stream (VOD and simulated live) and the demo page on --port,
and runs a peercdn tracker on --tracker-port (0 = any free port). Open the printed URL, then
"Open another viewer": the later viewers get segments from the earlier ones over WebRTC.
Ctrl-C (SIGINT), SIGTERM or SIGHUP stops everything.`;

const REPO = fileURLToPath(new URL('../', import.meta.url));

interface Options {
  readonly host: string;
  readonly port: number;
  readonly trackerPort: number;
}

/** The options, `help`, or the one-line problem with the command line. */
function parseOptions(): Options | 'help' | { problem: string } {
  const options = parseCommandLine({
    port: portOption('--port', 8080),
    'tracker-port': portOption('--tracker-port', 8081),
  });
  if (options === 'help') return 'help';
  if ('problem' in options) return { problem: `demo: ${options.problem}${options.unparsable ? ' (see --help)' : ''}` };
  return { host: options.host, port: options.numbers.port, trackerPort: options.numbers['tracker-port'] };
}

interface Running {
  bundle?: PageBundle;
  origin?: OriginServer;
  tracker?: RunningTracker;
}

// Each part is recorded in `running` as soon as it exists, so a stop at any moment closes it.
async function start(
  { host, port, trackerPort }: Options,
  running: Running,
): Promise<{ page: URL; origin: OriginServer; tracker: RunningTracker }> {
  const bundle = await buildPageBundle();
  running.bundle = bundle;
  const origin = await startOriginServer({
    host,
    port,
    staticRoutes: {
      '/app/': bundle.dir,
      '/demo/': `${REPO}demo`,
      '/dist/': `${REPO}dist`,
      '/vendor/hls.js/': `${REPO}node_modules/hls.js/dist`,
    },
  }).catch((error: unknown) => Promise.reject(oneLine(error, 'origin', host, port)));
  running.origin = origin;
  const tracker = await startTracker({ host, port: trackerPort, logLevel: 'warn' }).catch((error: unknown) =>
    Promise.reject(oneLine(error, 'tracker', host, trackerPort)),
  );
  running.tracker = tracker;
  const page = new URL('/demo/index.html', origin.url);
  page.searchParams.set('tracker', tracker.url);
  return { page, origin, tracker };
}

async function stopAll(running: Running): Promise<void> {
  await Promise.all([running.origin?.close(), running.tracker?.close()]);
  running.bundle?.remove();
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options === 'help') {
    console.log(HELP);
    return;
  }
  if ('problem' in options) {
    console.error(options.problem);
    process.exitCode = 2;
    return;
  }
  const running: Running = {};
  // From here on a signal (or npm going away) stops everything, even while still starting.
  stopOnSignalsAndOrphaning(() => {
    void stopAll(running).then(() => process.exit(0));
  });
  let started;
  try {
    started = await start(options, running);
  } catch (error) {
    await stopAll(running);
    if (!(error instanceof StartupProblem)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const { page, origin, tracker } = started;
  const scriptTagPage = new URL(`script-tag.html${page.search}`, page);
  const fleetPage = new URL('/demo/fleet.html', origin.url);
  fleetPage.searchParams.set('stats', `${tracker.url.replace(/^ws/, 'http')}/stats.json`);
  console.log(
    [
      'peercdn demo',
      `  page:       ${page.href}`,
      `  script tag: ${scriptTagPage.href} (the README's lines alone)`,
      `  fleet:      ${fleetPage.href} (what viewers' beacons report to the tracker)`,
      `  origin:     ${origin.url} (byte counts at ${origin.url}/counts)`,
      `  tracker:    ${tracker.url}`,
      'Open the page, then "Open another viewer"; Ctrl-C stops.',
    ].join('\n'),
  );
}

/** A startup failure the user can fix, said in one line. */
class StartupProblem extends Error {}

function oneLine(error: unknown, what: string, host: string, port: number): Error {
  const problem = listenProblem(error, what, host, port);
  if (problem !== null) return new StartupProblem(problem);
  return error instanceof Error ? error : new Error(String(error));
}

await main();
