export { PeerCDN, type PeerCDNDependencies } from './peercdn.ts';
export { DEFAULT_CONFIG, resolveConfig, type PeerCDNConfig } from './api/config.ts';
export { P2PError, type P2PErrorCode } from './api/errors.ts';
export type { PeerCDNEvents, PeerCDNStats, SegmentLoadedEvent, SegmentSource, PeerEvent, PeerClosedEvent, PeerInfo, PeerSwarmInfo } from './api/events.ts';
export { deriveSwarmId } from './shared/swarm-id.ts';
