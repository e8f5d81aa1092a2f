import { fileURLToPath } from 'node:url';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import type { Logger } from '../../tracker/log.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Static routes a test page needs: the built bundles, hls.js and the test pages. */
export const PAGE_ROUTES: Record<string, string> = {
  '/dist/': `${REPO}dist`,
  '/vendor/hls.js/': `${REPO}node_modules/hls.js/dist`,
  '/pages/': `${REPO}test/browser/pages`,
};

export interface Stack {
  readonly origin: OriginServer;
  readonly trackerUrl: string;
  readonly tracker: RunningTracker;
  close(): Promise<void>;
}

/**
 * A local origin (with the sample stream and the test pages) and a tracker, both on 127.0.0.1 port 0;
 * the tracker logs to `trackerLogger` when given (a test waits on its lines).
 */
export async function startStack(
  trackerLogger?: Logger,
  staticRoutes: Readonly<Record<string, string>> = {},
): Promise<Stack> {
  const origin = await startOriginServer({ staticRoutes: { ...PAGE_ROUTES, ...staticRoutes } });
  const tracker = await startTracker(
    { host: '127.0.0.1', port: 0 },
    trackerLogger === undefined ? {} : { logger: trackerLogger },
  );
  return {
    origin,
    trackerUrl: tracker.url,
    tracker,
    close: async () => {
      await Promise.all([origin.close(), tracker.close()]);
    },
  };
}
