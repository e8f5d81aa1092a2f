#!/usr/bin/env node
// `peercdn-tracker`: the WebSocket tracker as a process. Logs one JSON object per line
// (bench/tracker-load.ts reads the `url` of the `listening` line).
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { settingFlags, settingsFromSources, settingsHelp } from './cli-settings.ts';
import { ClusterError } from './cluster/redis-link.ts';
import { TrackerConfigError, isClusterMode, resolveTrackerConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startTracker } from './server.ts';
import { EXIT_CODE, reportListening, runWorkers } from './workers.ts';

const HELP = `Usage: peercdn-tracker [options]

A WebTorrent-protocol WebSocket tracker for peercdn. On the same port: GET /health,
GET /stats.json and GET /metrics (Prometheus text format).

Each setting comes from its flag, else its environment variable, else the --config file
(a JSON object keyed by the setting names below), else its default.

${settingsHelp()}
  --config FILE                        JSON file with any of the settings above
  --help                               this text

Swarm tokens (with PEERCDN_TRACKER_SWARM_TOKEN_SECRET): the page connects to
wss://tracker/?token=<token>[&token=<token>...], one token per swarm, minted by the site's
backend with mintSwarmToken() from tracker/token.ts:
  v1.<info hash, 40 hex>.<expiry, Unix seconds>.<base64url HMAC-SHA256(secret, "v1.<hex>.<expiry>")>
An expired token no longer lets a peer join; peers already in the swarm stay.

Node flags: for a live event (hundreds of announces per second) give V8 a larger young
generation, NODE_OPTIONS=--max-semi-space-size=32 peercdn-tracker: about half as many
scavenges and fewer slow replies, for 10-30 MB more RSS (measured: bench/README.md).

TLS: --tls-cert and --tls-key (PEM files) serve https:// and wss:// on the port; SIGHUP re-reads
them (a renewed certificate; open connections keep theirs, a bad file keeps the one in use).

Exit codes: 0 stopped by SIGTERM/SIGINT, 2 bad settings or start-up failure, 3 cluster mode:
Redis did not answer within --redis-connect-timeout (nothing was served).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...settingFlags(),
      config: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  let fromFile: Record<string, unknown> = {};
  if (typeof values.config === 'string') {
    const parsed = parseConfigFile(values.config, readConfigFile(values.config));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new TrackerConfigError('config', `${values.config} must hold a JSON object`);
    fromFile = parsed as Record<string, unknown>;
  }
  const config = resolveTrackerConfig(settingsFromSources(values, process.env, fromFile));
  const logger = createLogger({ level: config.logLevel });
  const fields = {
    allowedOrigins: config.allowedOrigins.length,
    allowedInfoHashes: config.allowedInfoHashes.length,
    swarmTokens: config.swarmTokenSecret !== '',
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    cluster: isClusterMode(config),
  };
  if (config.workers > 1 && cluster.isPrimary) {
    process.exitCode = await runWorkers(config.workers, logger, fields, config.tlsCertFile !== '');
    return;
  }
  const tracker = await startTracker(config, { logger });
  const stop = (signal: string): void => {
    logger.info('stopping', { signal });
    void tracker.close().then(() => process.exit(0));
  };
  // Handlers first: whoever reads the URL below may signal at once. A second signal kills.
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // A renewed certificate: new connections get it, open ones keep theirs; a bad file keeps the old one.
  if (config.tlsCertFile !== '')
    process.on('SIGHUP', () => {
      try {
        tracker.reloadTls();
        logger.info('tls certificate reloaded', { cert: config.tlsCertFile });
      } catch (error) {
        logger.error('tls certificate not reloaded; keeping the one in use', { error });
      }
    });
  // The cluster node id (random, shown in /stats.json) with the host and process it names, for operators.
  const node = tracker.stats().cluster?.nodeId ?? null;
  if (cluster.isWorker) reportListening(tracker.url, node);
  else logger.info('listening', { url: tracker.url, ...fields, node, host: hostname(), pid: process.pid });
}

/** The file's text; an error names the file (Node's own does not always: EISDIR for a directory). */
function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    // "EISDIR: illegal operation on a directory, read" → "EISDIR: illegal operation on a directory".
    const reason = (error instanceof Error ? error.message : String(error)).split(',')[0];
    throw new TrackerConfigError('config', `cannot read config file ${path}: ${reason}`);
  }
}

/** The file's JSON; a syntax error names the file and the position, never the text around it (a secret may be there). */
function parseConfigFile(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new TrackerConfigError(
      'config',
      `${path} is not valid JSON${position === undefined ? '' : ` (at character ${position})`}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(`peercdn-tracker: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof ClusterError ? EXIT_CODE.redisUnreachable : EXIT_CODE.startFailed;
  // A worker's IPC channel to the primary would keep it alive: the primary waits for this exit.
  if (cluster.isWorker) process.exit();
});
