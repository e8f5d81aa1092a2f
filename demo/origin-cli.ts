// `npx tsx demo/origin-cli.ts`: the sample-stream origin on its own (the demo runs it for you).
import { parseCommandLine, portOption } from './command-line.ts';
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
  const options = parseCommandLine({
    port: portOption('--port', 8080),
    'live-window': { default: 6, min: 3, max: 30, problem: '--live-window must be 3-30 segments' },
  });
  if (options === 'help') {
    console.log(HELP);
    return;
  }
  if ('problem' in options) {
    console.error(`origin: ${options.problem}${options.unparsable ? `\n\n${HELP}` : ''}`);
    process.exitCode = 2;
    return;
  }
  const { port, 'live-window': liveWindowSegments } = options.numbers;
  const origin = await startOriginServer({ host: options.host, port, liveWindowSegments });
  console.log(`origin: ${origin.url}\n  vod:  ${origin.url}/vod/master.m3u8\n  live: ${origin.url}/live/master.m3u8`);
  const stop = (): void => {
    void origin.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
