/**
 * `peercdn-tracker`: for site backends, swarm tokens ({@link mintSwarmToken}) and the swarm ids
 * the browser library announces ({@link deriveSwarmId}, {@link wireIdToHex}); and the tracker
 * server itself ({@link startTracker}), which the `peercdn-tracker` command runs.
 * @module peercdn-tracker
 */
export {
  mintSwarmToken,
  verifySwarmToken,
  type MintSwarmTokenOptions,
  type SwarmTokenCheck,
  type SwarmTokenClaims,
} from './token.ts';
export { deriveSwarmId, wireIdToHex, WIRE_ID_LENGTH } from '../lib/shared/swarm-id.ts';
export { startTracker, type RunningTracker, type TrackerDependencies, type TrackerServerStats } from './server.ts';
export { DEFAULT_TRACKER_CONFIG, TrackerConfigError, resolveTrackerConfig, type TrackerConfig } from './config.ts';
export { ClusterError } from './cluster/redis-link.ts';
