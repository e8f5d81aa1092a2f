// The README's npm example as a player project writes it, for `npm run size`: each bundler
// builds this file for production with `peercdn` resolved to dist/peercdn.mjs and hls.js left
// out (an import), so the size measured is what peercdn adds to a player.
import Hls from 'hls.js';
import { PeerCDN } from 'peercdn';

const peercdn = new PeerCDN({ trackerUrls: ['wss://tracker.example.com'] });
const hls = new Hls({ ...peercdn.hlsConfig() });
peercdn.attach(hls);
hls.loadSource('https://cdn.example.com/stream/master.m3u8');
hls.attachMedia(document.querySelector('video'));
peercdn.on('segment-loaded', (event) => console.log(event.source, event.byteLength));
console.log(peercdn.stats());
