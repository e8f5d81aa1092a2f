// The `peercdn-tracker` package's import entry, for site backends and programmatic use:
// swarm tokens, the swarm ids the browser library announces, and the tracker server itself.
export { mintSwarmToken, verifySwarmToken, type MintSwarmTokenOptions, type SwarmTokenCheck, type SwarmTokenClaims } from './token.ts';
export { deriveSwarmId, wireIdToHex, WIRE_ID_LENGTH } from '../lib/shared/swarm-id.ts';
export { startTracker, type RunningTracker, type TrackerDependencies, type TrackerServerStats } from './server.ts';
export { DEFAULT_TRACKER_CONFIG, TrackerConfigError, resolveTrackerConfig, type TrackerConfig } from './config.ts';
