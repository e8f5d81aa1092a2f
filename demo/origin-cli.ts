// `npx tsx demo/origin-cli.ts`: the sample-stream origin on its own (the demo runs it for you).
import { parseArgs } from 'node:util';
import { startOriginServer } from './origin-server.ts';

const HELP = `Usage: tsx demo/origin-cli.ts [--host 127.0.0.1] [--port 8080] [--live-window 6]

Serves the embedded sample stream: /vod/master.m3u8 and a simulated live stream at
/live/master.m3u8, with CORS and Range; byte counts at GET /counts, reset with POST /counts/reset.`;

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    'live-window': { type: 'string', default: '6' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
} else {
  const port = Number(values.port);
  const window = Number(values['live-window']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0-65535');
  if (!Number.isInteger(window) || window < 3 || window > 30) throw new Error('--live-window must be 3-30 segments');
  const origin = await startOriginServer({ host: values.host, port, liveWindowSegments: window });
  console.log(`origin: ${origin.url}/vod/master.m3u8 and ${origin.url}/live/master.m3u8`);
  const stop = (): void => void origin.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
