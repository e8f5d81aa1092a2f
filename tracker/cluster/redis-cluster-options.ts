// The settings of a tracker node in cluster mode (RedisSwarmCluster) and what it reports about
// itself (`/stats.json` `cluster`, the `peercdn_tracker_cluster_*` series).
import type { Logger } from '../log.ts';
import type { RedisEndpoint } from './redis-connections.ts';
import type { RedisLinkState } from './redis-link.ts';

export interface RedisClusterOptions {
  /** One Redis by URL, or the master a Sentinel group names. */
  readonly endpoint: RedisEndpoint;
  /** Start-up fails (ClusterError `redis-unreachable`) when Redis is not up within this long. */
  readonly connectTimeoutMs: number;
  /** A PING unanswered this long marks the Redis link down (default 2 s). */
  readonly commandTimeoutMs?: number;
  /** Commands for announces, leaves and relays waiting on Redis at most; more are shed (default 10,000). */
  readonly maxPendingCommands?: number;
  /** A peer not refreshed for this long leaves the swarm in Redis too. */
  readonly peerTimeoutMs: number;
  /** Longest SDP accepted from another node. */
  readonly maxSdpChars: number;
  /** How often the node renews its lease; a node silent for 3 leases is dead. */
  readonly nodeHeartbeatMs: number;
  readonly nowUnixMs: () => number;
  readonly logger: Logger;
  /**
   * Default: 16 random hex digits. /stats.json shows it to any origin, so it holds no host name or
   * process id; the `listening` log line of `peercdn-tracker` pairs them with it.
   */
  readonly nodeId?: string;
}

export interface ClusterStats {
  readonly nodeId: string;
  readonly redisConnected: boolean;
  readonly redisLinkState: RedisLinkState;
  /** Times the Redis link went down while running. */
  readonly redisConnectionLosses: number;
  readonly redisReconnectAttempts: number;
  readonly redisUnansweredProbes: number;
  /** Commands for announces, leaves and relays sent to Redis and not yet answered. */
  readonly redisPendingCommands: number;
  /** Such commands not sent because `maxPendingCommands` were waiting (a slow or hung Redis). */
  readonly redisCommandsShed: number;
  readonly liveNodes: number;
  readonly relayedOut: number;
  /** Offers sent to other nodes in their announce's own turn, to peers an earlier script picked (remote-picks.ts). */
  readonly offersSentEarly: number;
  readonly relayedIn: number;
  readonly undeliverable: number;
  readonly invalidNodeMessages: number;
  readonly redisErrors: number;
  readonly reapedPeers: number;
  /** Scraped swarms answered with local counts because this node's Redis reads for scrapes per second were spent. */
  readonly scrapeReadsCapped: number;
  /** Cluster-wide sizes of the largest swarms this node serves. */
  readonly topSwarms: readonly { readonly infoHash: string; readonly peers: number; readonly seeders: number }[];
}
