// The tracker core as a running tracker builds it from its settings: one place, so the server,
// the flood test and the benchmark all run the same defences with the same defaults.
import type { SwarmGate } from './access.ts';
import type { SwarmCluster } from './cluster/swarm-cluster.ts';
import type { TrackerConfig } from './config.ts';
import { TrackerCore } from './core.ts';
import type { Logger } from './log.ts';
import { ConnectionRateLimiter } from './rate-limit.ts';

export interface CoreDependencies {
  readonly nowMs: () => number;
  readonly random: () => number;
  /** Omit when every swarm is open. */
  readonly swarmGate?: SwarmGate;
  readonly logger?: Logger;
  /** Cluster mode: swarms shared with other nodes. */
  readonly cluster?: SwarmCluster;
}

export function createTrackerCore(config: TrackerConfig, dependencies: CoreDependencies): TrackerCore {
  const { nowMs } = dependencies;
  return new TrackerCore({
    announceIntervalSeconds: config.announceIntervalSeconds,
    peerTimeoutMs: config.peerTimeoutMs,
    maxMessageBytes: config.maxMessageBytes,
    maxOffersPerAnnounce: config.maxOffersPerAnnounce,
    maxPeersPerConnection: config.maxPeersPerConnection,
    maxNumwant: config.maxNumwant,
    nowMs,
    random: dependencies.random,
    ...(dependencies.swarmGate === undefined ? {} : { swarmGate: dependencies.swarmGate }),
    rateLimiter: new ConnectionRateLimiter({
      ratePerSecond: config.announceRatePerSecond,
      burst: config.announceBurst,
      nowMs,
    }),
    newPeerProbationMs: config.newPeerProbationMs,
    rateBenchMs: config.rateBenchMs,
    ...(dependencies.logger === undefined ? {} : { logger: dependencies.logger }),
    ...(dependencies.cluster === undefined ? {} : { cluster: dependencies.cluster }),
  });
}
