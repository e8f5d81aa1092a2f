import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import type { P2PError } from '../../lib/api/errors.ts';
import { PeerCDN } from '../../lib/peercdn.ts';
import type { TrackerClient, TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { loadFragment } from '../helpers/node-viewer.ts';
import { fakePlayer } from '../helpers/fake-player.ts';

const SEGMENT_0 = readFileSync(new URL('../../fixtures/sample/180p/seg_000.ts', import.meta.url));
/** Tracker clients that fail where a broken runtime makes bittorrent-tracker's client fail. */
function failingClients(): { name: string; factory: TrackerClientFactory; destroyed: () => number }[] {
  let destroyedCount = 0;
  const client = (failAt: 'on' | 'start'): TrackerClient => ({
    on: () => {
      if (failAt === 'on') throw new ReferenceError('process is not defined');
      return undefined;
    },
    start: () => {
      throw new TypeError('RTCPeerConnection is not a constructor');
    },
    destroy: () => {
      destroyedCount += 1;
    },
  });
  return [
    {
      name: 'the tracker client constructor throws',
      factory: () => {
        throw new ReferenceError('process is not defined');
      },
      destroyed: () => destroyedCount,
    },
    { name: 'adding a listener to the client throws', factory: () => client('on'), destroyed: () => destroyedCount },
    { name: "the client's start() throws", factory: () => client('start'), destroyed: () => destroyedCount },
  ];
}

/** Segment n through the instance's fragment loader, as hls.js loads it (the Node viewers' helper). */
async function loadSegment(peercdn: PeerCDN, origin: OriginServer, sequenceNumber: number): Promise<ArrayBuffer> {
  return (await loadFragment(peercdn.hlsConfig().fLoader, origin.url, sequenceNumber)).data;
}

describe('a runtime that breaks the peer-to-peer path', () => {
  let origin: OriginServer;
  before(async () => {
    origin = await startOriginServer({ host: '127.0.0.1', port: 0 });
  });
  after(() => origin.close());

  for (const { name, factory, destroyed } of failingClients()) {
    it(`${name}: one p2p-unavailable error event, segments over HTTP, nothing thrown to hls.js`, async () => {
      const errors: P2PError[] = [];
      const peercdn = new PeerCDN({ trackerUrls: ['ws://127.0.0.1:9'] }, { createTrackerClient: factory });
      peercdn.on('error', (error) => errors.push(error));
      const destroyedBefore = destroyed();

      const first = await loadSegment(peercdn, origin, 0);
      const second = await loadSegment(peercdn, origin, 1);

      assert.deepEqual(Buffer.from(first), SEGMENT_0);
      assert.ok(second.byteLength > 0);
      assert.deepEqual(
        errors.map((error) => error.code),
        ['p2p-unavailable'],
      );
      assert.match(errors[0]?.message ?? '', /HTTP only/);
      const stats = peercdn.stats();
      assert.equal(stats.swarms, 0);
      assert.equal(stats.httpBytes, first.byteLength + second.byteLength);
      assert.equal(stats.p2pBytes, 0);
      // A client that was built and failed while starting is closed, not left half-open.
      if (!name.includes('constructor')) assert.equal(destroyed(), destroyedBefore + 1);
      peercdn.destroy();
    });
  }

  it('attach(hls) joining a swarm early with a failing client reports the error and does not throw into hls.js', () => {
    const errors: P2PError[] = [];
    const peercdn = new PeerCDN(
      { trackerUrls: ['ws://127.0.0.1:9'] },
      {
        createTrackerClient: () => {
          throw new Error('no WebSocket in this runtime');
        },
      },
    );
    peercdn.on('error', (error) => errors.push(error));
    peercdn.attach(fakePlayer(null, `${origin.url}/vod/180p/index.m3u8`));
    assert.deepEqual(
      errors.map((error) => error.code),
      ['p2p-unavailable'],
    );
    assert.equal(peercdn.stats().swarms, 0);
    peercdn.destroy();
  });
});
