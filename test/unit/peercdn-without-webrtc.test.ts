import assert from 'node:assert/strict';
import { PeerCDN } from '../../lib/peercdn.ts';
import { fakePlayer } from '../helpers/fake-player.ts';

describe('PeerCDN where the runtime has no WebRTC', () => {
  it('joins no swarm and opens no tracker connection, so every segment goes to HTTP', () => {
    assert.equal(typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection, 'undefined');
    const peercdn = new PeerCDN({ trackerUrls: ['ws://127.0.0.1:9'] });
    peercdn.attach(fakePlayer(null, 'http://127.0.0.1:9/vod/180p/index.m3u8'));
    assert.equal(peercdn.stats().swarms, 0);
    assert.deepEqual(peercdn.peers(), []);
    peercdn.destroy();
  });

  it('uses peers when a WebRTC implementation is passed in (as Node tests do)', () => {
    let clients = 0;
    const peercdn = new PeerCDN(
      { trackerUrls: ['ws://127.0.0.1:9'] },
      {
        createTrackerClient: () => {
          clients += 1;
          return { on: () => undefined, start: () => undefined, destroy: () => undefined };
        },
      },
    );
    peercdn.attach(fakePlayer(null, 'http://127.0.0.1:9/vod/180p/index.m3u8'));
    assert.equal(peercdn.stats().swarms, 1);
    assert.equal(clients, 1);
    peercdn.destroy();
  });

  it('leaves the old stream’s swarms when hls.js loads a new stream, and joins the new one’s as its playlists load', () => {
    const destroyed: number[] = [];
    let clients = 0;
    const peercdn = new PeerCDN(
      { trackerUrls: ['ws://127.0.0.1:9'] },
      {
        createTrackerClient: () => {
          const client = (clients += 1);
          return { on: () => undefined, start: () => undefined, destroy: () => destroyed.push(client) };
        },
      },
    );
    const player = fakePlayer(null, 'http://127.0.0.1:9/channel-1/index.m3u8');
    peercdn.attach(player);
    player.emit('hlsLevelLoading', { url: 'http://127.0.0.1:9/channel-1/720p.m3u8' });
    assert.equal(peercdn.stats().swarms, 2);
    player.emit('hlsManifestLoading', { url: 'http://127.0.0.1:9/channel-2/index.m3u8' });
    assert.equal(peercdn.stats().swarms, 0);
    assert.deepEqual(destroyed, [1, 2], 'both tracker clients closed');
    player.emit('hlsLevelLoading', { url: 'http://127.0.0.1:9/channel-2/index.m3u8' });
    assert.equal(peercdn.stats().swarms, 1);
    assert.equal(clients, 3);
    peercdn.destroy();
    assert.equal(player.listenerCount, 0, 'detached');
  });
});
