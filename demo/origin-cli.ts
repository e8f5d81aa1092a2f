// `npx tsx demo/origin-cli.ts`: the sample-stream origin on its own (the demo runs it for you).
import { parseArgs } from 'node:util';
import { startOriginServer } from './origin-server.ts';

const HELP = `Usage: npx tsx demo/origin-cli.ts [--host 127.0.0.1] [--port 8080] [--live-window 6]

Serves the embedded sample stream (fixtures/sample): /vod/master.m3u8, and a simulated live
stream at /live/master.m3u8 whose window of --live-window 2-s segments advances in real time.
CORS and Range on everything; byte counts at GET /counts, reset with POST /counts/reset;
GET /health answers "ok". Ctrl-C (SIGINT) or SIGTERM stops it.

  --host         address to listen on (default 127.0.0.1)
  --port         port, 0 for any free one (default 8080)
  --live-window  segments in the live window, 3-30 (default 6)
  --help         this text`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        'live-window': { type: 'string', default: '6' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`origin: ${(error as Error).message}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port);
  const windowSegments = Number(values['live-window']);
  const problem =
    !Number.isInteger(port) || port < 0 || port > 65535
      ? '--port must be a port number (0-65535)'
      : !Number.isInteger(windowSegments) || windowSegments < 3 || windowSegments > 30
        ? '--live-window must be 3-30 segments'
        : null;
  if (problem !== null) {
    console.error(`origin: ${problem}`);
    process.exitCode = 2;
    return;
  }
  const origin = await startOriginServer({ host: values.host, port, liveWindowSegments: windowSegments });
  console.log(`origin: ${origin.url}\n  vod:  ${origin.url}/vod/master.m3u8\n  live: ${origin.url}/live/master.m3u8`);
  const stop = (): void => {
    void origin.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
