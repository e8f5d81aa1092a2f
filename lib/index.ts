export { PeerCDN, type PeerCDNDependencies } from './peercdn.ts';
export { DEFAULT_CONFIG, resolveConfig, type PeerCDNConfig } from './config.ts';
export { P2PError, type P2PErrorCode } from './errors.ts';
export type { PeerCDNEvents, PeerCDNStats, SegmentLoadedEvent, SegmentSource, PeerEvent, PeerClosedEvent, PeerInfo } from './events.ts';
export { deriveSwarmId } from './shared/swarm-id.ts';
