/**
 * `peercdn`: peer-assisted delivery for hls.js. Create a {@link PeerCDN}, spread its
 * `hlsConfig()` into `new Hls({...})` and `attach(hls)`.
 * @module peercdn
 */
export {
  PeerCDN,
  type AttachableHls,
  type AttachableHlsConfig,
  type FragBufferedListener,
  type PlayerErrorListener,
  type PlayerFragment,
  type LevelLoadingListener,
  type ManifestLoadingListener,
  type PeerCDNDependencies,
  type PeerCDNHlsConfig,
} from './peercdn.ts';
export {
  DEFAULT_CONFIG,
  resolveConfig,
  type PeerCDNConfig,
  type OriginSetting,
  type SegmentInfo,
  type SegmentValidator,
} from './api/config.ts';
export { P2PError, type P2PErrorCode } from './api/errors.ts';
export type {
  PeerCDNEvents,
  PeerCDNStats,
  SegmentLoadedEvent,
  SegmentSource,
  PeerEvent,
  PeerClosedEvent,
  PeerBannedEvent,
  PeerInfo,
  PeerSwarmInfo,
  OriginInfo,
  OriginStateEvent,
} from './api/events.ts';
export { deriveSwarmId, wireIdToHex } from './shared/swarm-id.ts';
export { startBeacons, type BeaconPlayhead, type BeaconTransport } from './engine/beacon-reporter.ts';
export { useOrigins, type OriginRouting } from './hls/origin-routing.ts';
export { spotCheck, type SpotCheck, type SpotCheckStarter } from './hls/spot-check.ts';
