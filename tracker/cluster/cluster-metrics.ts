// The cluster's series for `GET /metrics`, in Prometheus text format (added after the tracker's own,
// as the fleet's are): this node's Redis link and relays, and cluster-wide sizes of its largest swarms.
import type { ClusterStats } from './redis-cluster-options.ts';

const PREFIX = 'peercdn_tracker_cluster_';

const COUNTERS: readonly (readonly [keyof ClusterStats, string, string])[] = [
  ['relayedOut', 'relayed_out_total', 'offers and answers sent to peers on other nodes'],
  [
    'offersSentEarly',
    'offers_sent_early_total',
    "offers to other nodes sent in their announce's turn, to peers an earlier announce script picked",
  ],
  ['relayedIn', 'relayed_in_total', 'offers and answers other nodes sent to this one'],
  ['undeliverable', 'undeliverable_total', 'relayed messages whose peer was no longer on this node'],
  ['invalidNodeMessages', 'invalid_node_messages_total', 'malformed messages on this node channel'],
  ['redisErrors', 'redis_errors_total', 'failed Redis commands and connection errors'],
  ['redisConnectionLosses', 'redis_connection_losses_total', 'times the Redis link went down while running'],
  ['redisReconnectAttempts', 'redis_reconnect_attempts_total', 'attempts to reconnect to Redis'],
  [
    'redisUnansweredProbes',
    'redis_unanswered_pings_total',
    'PINGs Redis left unanswered for the command timeout (hung server or half-open connection)',
  ],
  [
    'redisCommandsShed',
    'redis_commands_shed_total',
    'Redis commands not sent because redisMaxPendingCommands were waiting (slow or hung Redis)',
  ],
  ['reapedPeers', 'reaped_peers_total', 'peers of dead (or closing) nodes this node removed from Redis'],
  [
    'scrapeReadsCapped',
    'scrape_reads_capped_total',
    'scraped swarms answered with local counts: the Redis reads for scrapes per second were spent',
  ],
];

/** Exposition text of one node's cluster series. */
export function clusterMetricsText(stats: ClusterStats): string {
  const lines: string[] = [];
  const series = (name: string, type: 'gauge' | 'counter', help: string, samples: readonly string[]): void => {
    lines.push(`# HELP ${PREFIX}${name} ${help}`, `# TYPE ${PREFIX}${name} ${type}`, ...samples);
  };
  series('redis_connected', 'gauge', '1 while this node is connected to Redis', [
    `${PREFIX}redis_connected ${stats.redisConnected ? 1 : 0}`,
  ]);
  series('redis_pending_commands', 'gauge', 'Redis commands for announces, leaves and relays awaiting an answer', [
    `${PREFIX}redis_pending_commands ${stats.redisPendingCommands}`,
  ]);
  series('live_nodes', 'gauge', 'tracker nodes holding a lease in Redis (at the last heartbeat)', [
    `${PREFIX}live_nodes ${stats.liveNodes}`,
  ]);
  for (const [key, name, help] of COUNTERS) series(name, 'counter', help, [`${PREFIX}${name} ${Number(stats[key])}`]);
  const swarmSamples = (value: 'peers' | 'seeders'): string[] =>
    stats.topSwarms.map(
      (swarm) =>
        `${PREFIX}swarm_${value}{info_hash="${Buffer.from(swarm.infoHash, 'utf8').toString('hex')}"} ${swarm[value]}`,
    );
  series('swarm_peers', 'gauge', 'peers over every node in the largest swarms this node serves', swarmSamples('peers'));
  series(
    'swarm_seeders',
    'gauge',
    'seeders over every node in the largest swarms this node serves',
    swarmSamples('seeders'),
  );
  return `${lines.join('\n')}\n`;
}
