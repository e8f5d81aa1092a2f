/**
 * The script-tag file `dist/peercdn.umd.js` (global `PeerCDN`): everything of `peercdn` but the
 * optional parts `startBeacons`, `useOrigins` and `spotCheck`, which most sites do not use (2.7 KiB gzip).
 * `dist/peercdn.full.umd.js` (built from lib/index.ts) has them too.
 * @module peercdn/script-tag
 */
export { PeerCDN } from './peercdn.ts';
export { DEFAULT_CONFIG, resolveConfig } from './api/config.ts';
export { P2PError } from './api/errors.ts';
export { deriveSwarmId, wireIdToHex } from './shared/swarm-id.ts';
