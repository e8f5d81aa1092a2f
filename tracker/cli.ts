#!/usr/bin/env node
// `peercdn-tracker`: the WebSocket tracker as a process. Logs one JSON object per line
// (bench/tracker-load.ts reads the `url` of the first).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_TRACKER_CONFIG, TrackerConfigError, resolveTrackerConfig } from './config.ts';
import { startTracker } from './server.ts';

const HELP = `Usage: peercdn-tracker [options]

A WebTorrent-protocol WebSocket tracker for peercdn. GET /health and GET /stats.json on the same port.

Options (flag > environment variable > --config file > default):
  --host HOST                  listen address        PEERCDN_TRACKER_HOST      (${DEFAULT_TRACKER_CONFIG.host})
  --port PORT                  listen port, 0 = any  PEERCDN_TRACKER_PORT      (${DEFAULT_TRACKER_CONFIG.port})
  --announce-interval SECONDS  told to clients       PEERCDN_TRACKER_ANNOUNCE_INTERVAL (${DEFAULT_TRACKER_CONFIG.announceIntervalSeconds})
  --peer-timeout MS            drop silent peers     PEERCDN_TRACKER_PEER_TIMEOUT_MS   (${DEFAULT_TRACKER_CONFIG.peerTimeoutMs})
  --config FILE                JSON file with any of: ${Object.keys(DEFAULT_TRACKER_CONFIG).join(', ')}
  --help                       this text`;

function numberOrUndefined(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new TrackerConfigError(name, `${name} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'announce-interval': { type: 'string' },
      'peer-timeout': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = process.env;
  let fromFile: Record<string, unknown> = {};
  if (values.config !== undefined) {
    const parsed: unknown = JSON.parse(readFileSync(values.config, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TrackerConfigError('config', `${values.config} must hold a JSON object`);
    fromFile = parsed as Record<string, unknown>;
  }
  const settings = {
    ...fromFile,
    ...defined({
      host: values.host ?? nonEmpty(env['PEERCDN_TRACKER_HOST']),
      port: numberOrUndefined(values.port ?? env['PEERCDN_TRACKER_PORT'], 'port'),
      announceIntervalSeconds: numberOrUndefined(values['announce-interval'] ?? env['PEERCDN_TRACKER_ANNOUNCE_INTERVAL'], 'announceIntervalSeconds'),
      peerTimeoutMs: numberOrUndefined(values['peer-timeout'] ?? env['PEERCDN_TRACKER_PEER_TIMEOUT_MS'], 'peerTimeoutMs'),
    }),
  };
  const tracker = await startTracker(resolveTrackerConfig(settings));
  const stop = (signal: string): void => {
    console.log(JSON.stringify({ level: 'info', message: 'stopping', signal, time: new Date().toISOString() }));
    void tracker.close().then(() => process.exit(0));
  };
  // Handlers first: whoever reads the URL below may signal at once. A second signal kills.
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  console.log(JSON.stringify({ level: 'info', message: 'listening', url: tracker.url, time: new Date().toISOString() }));
}

/** An empty environment variable counts as unset (`PEERCDN_TRACKER_HOST= peercdn-tracker`). */
function nonEmpty(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}

function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

main().catch((error: unknown) => {
  console.error(`peercdn-tracker: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
