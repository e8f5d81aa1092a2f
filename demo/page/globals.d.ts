// The demo page loads hls.js and peercdn through their script-tag files; these are their globals.
declare const Hls: typeof import('hls.js').default;
declare const PeerCDN: typeof import('../../lib/index.ts');
