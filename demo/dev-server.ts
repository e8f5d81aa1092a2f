// `npm run demo`: the sample stream on a local origin, a tracker, and the demo page.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTracker } from '../tracker/server.ts';
import { startOriginServer } from './origin-server.ts';

const HELP = `Usage: npm run demo -- [--host 127.0.0.1] [--port 8080] [--tracker-port 8081]

Serves the embedded sample stream (VOD and simulated live) and the demo page on --port,
and runs a peercdn tracker on --tracker-port. Open the printed URL in two or more tabs or
browsers: the later viewers get segments from the earlier ones over WebRTC.`;

const REPO = fileURLToPath(new URL('../', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      'tracker-port': { type: 'string', default: '8081' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port);
  const trackerPort = Number(values['tracker-port']);
  for (const [name, value] of [['--port', port], ['--tracker-port', trackerPort]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      console.error(`demo: ${name} must be a port number (0-65535)`);
      process.exitCode = 2;
      return;
    }
  }
  const origin = await startOriginServer({
    host: values.host,
    port,
    staticRoutes: {
      '/demo/': `${REPO}demo`,
      '/dist/': `${REPO}dist`,
      '/vendor/hls.js/': `${REPO}node_modules/hls.js/dist`,
    },
  });
  const tracker = await startTracker({ host: values.host, port: trackerPort });
  const page = new URL('/demo/index.html', origin.url);
  page.searchParams.set('tracker', tracker.url);
  const fleet = new URL('/demo/fleet.html', origin.url);
  fleet.searchParams.set('stats', `${tracker.url.replace(/^ws/, 'http')}/stats.json`);
  console.log(`peercdn demo\n  page:    ${page.href}\n  fleet:   ${fleet.href}\n  origin:  ${origin.url} (byte counts at ${origin.url}/counts)\n  tracker: ${tracker.url}\nOpen the page in several tabs; Ctrl-C stops.`);
  const stop = (): void => {
    void Promise.all([origin.close(), tracker.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
