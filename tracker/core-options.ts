// The tracker core's settings and the parts injected into it (clock, randomness, gates, cluster).
import type { SwarmGate } from './access.ts';
import type { SwarmCluster } from './cluster/swarm-cluster.ts';
import type { Logger } from './log.ts';
import type { ParseLimits } from './protocol.ts';
import type { TrackerConnection } from './swarm.ts';

/** Default of `newPeerProbationMs`: long enough that a flooding connection is benched before it is introduced. */
export const NEW_PEER_PROBATION_MS = 10_000;

export interface TrackerCoreOptions extends ParseLimits {
  /** Told to clients: seconds between their announces. */
  readonly announceIntervalSeconds: number;
  /** A peer that has not announced for this long is dropped by sweep(). */
  readonly peerTimeoutMs: number;
  /** Most peer ids one connection may hold over all swarms. */
  readonly maxPeersPerConnection: number;
  /** Most offers relayed per announce, whatever numwant asks for. */
  readonly maxNumwant: number;
  readonly nowMs: () => number;
  readonly random: () => number;
  /** Which swarms a connection may join; none means all. */
  readonly swarmGate?: SwarmGate;
  /** Per-connection budget of announces and scrapes; none means unlimited. */
  readonly rateLimiter?: { take(connection: TrackerConnection): boolean };
  /**
   * A new peer gets no offers for this long unless too few others can take them (it makes its own
   * offers at once); default NEW_PEER_PROBATION_MS, 0 turns it off.
   */
  readonly newPeerProbationMs?: number;
  /** A connection refused for its announce rate is benched this long after its last refusal; default RATE_BENCH_MS, 0 turns it off. */
  readonly rateBenchMs?: number;
  /** Rejections are logged at debug only (they are per message). */
  readonly logger?: Logger;
  /** Swarms shared with other tracker nodes; none means this process holds every swarm alone. */
  readonly cluster?: SwarmCluster;
}
