// Pieces of the cluster tests: a tracker logger whose lines can be awaited, and a raw WebSocket
// peer of one swarm on one node that can announce until the cluster-wide count is reached.
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { createLogger, type LogFields, type Logger } from '../../tracker/log.ts';
import type { RunningTracker } from '../../tracker/server.ts';
import { wireId } from './fake-connection.ts';
import { jsonInbox } from './json-inbox.ts';
import { pollExternal } from './poll-external.ts';
import { guarded } from './wait-for.ts';

/**
 * A cluster node for tests: dead after 3 × 200 ms of silence; no probation (the tests re-announce to
 * read cluster-wide counts, which probation would treat as restless). Add `redisUrl` or the like.
 */
export const CLUSTER_TEST_SETTINGS = {
  host: '127.0.0.1',
  port: 0,
  clusterHeartbeatMs: 200,
  announceRatePerSecond: 1000,
  announceBurst: 1000,
  newPeerProbationMs: 0,
  logLevel: 'off',
} as const;

/** Liveness guard for a log line or a relayed message. */
const LINE_GUARD_MS = 30_000;

/** A logger whose lines a test can wait for: `next(message)` resolves with the fields of the next such line. */
export function recordingLogger(): { logger: Logger; next(message: string): Promise<LogFields> } {
  const seen: Record<string, unknown>[] = [];
  const waiters: { message: string; resolve: (fields: LogFields) => void }[] = [];
  const logger = createLogger({
    level: 'info',
    write: (line) => {
      const fields = JSON.parse(line) as Record<string, unknown>;
      const waiter = waiters.find((candidate) => candidate.message === fields['message']);
      if (waiter === undefined) seen.push(fields);
      else {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(fields);
      }
    },
  });
  return {
    logger,
    next: (message) => {
      const index = seen.findIndex((fields) => fields['message'] === message);
      if (index !== -1) return Promise.resolve(seen.splice(index, 1)[0] as LogFields);
      return guarded(
        new Promise((resolve) => waiters.push({ message, resolve })),
        `the log line "${message}"`,
        LINE_GUARD_MS,
      );
    },
  };
}

/**
 * A peer of swarm `infoHash` on `tracker`; its socket is pushed to `sockets` for the test to
 * terminate. `next()` is its next message, `announceUntilCount(n)` re-announces until the reply
 * counts n peers over all nodes.
 */
export async function clusterPeer(
  tracker: Pick<RunningTracker, 'url'>,
  name: string,
  infoHash: string,
  sockets: WebSocket[],
) {
  const socket = new WebSocket(tracker.url, { perMessageDeflate: false });
  sockets.push(socket);
  const inbox = jsonInbox(socket);
  const next = () => guarded(inbox(), `a message to ${name}`, LINE_GUARD_MS);
  await once(socket, 'open');
  const announce = (extra: Record<string, unknown> = {}): void =>
    socket.send(
      JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: wireId(name), numwant: 5, ...extra }),
    );
  /** Announce until the reply counts `peers` over all nodes (cluster counts lag one announce). */
  // Polled: the count includes other nodes' peers, which this process learns only from Redis.
  const announceUntilCount = async (peers: number): Promise<void> => {
    await pollExternal(
      `the swarm to count ${peers} peers`,
      async () => {
        announce();
        const reply = await next();
        return Number(reply['incomplete']) + Number(reply['complete']);
      },
      (counted) => counted === peers,
      { intervalMs: 20, attempts: 500 },
    );
  };
  return { inbox, next, announce, announceUntilCount };
}
