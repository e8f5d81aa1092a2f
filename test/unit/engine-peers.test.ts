import assert from 'node:assert/strict';
import { resolveConfig, type PeerCDNConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import type { SignalledPeer, TrackerClient, TrackerClientOptions } from '../../lib/swarm/tracker-client.ts';
import { FakeDataChannel } from '../helpers/fake-data-channel.ts';

const SWARM_180P = 'swarm-180p-20-chars.';
const SWARM_240P = 'swarm-240p-20-chars.';
const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

/** A tracker client that only hands out the peers a test offers it. */
class OfferingTrackerClient implements TrackerClient {
  readonly #listeners: ((peer: SignalledPeer) => void)[] = [];
  on(event: string, listener: (...args: never[]) => void): this {
    if (event === 'peer') this.#listeners.push(listener as (peer: SignalledPeer) => void);
    return this;
  }
  start(): void {}
  destroy(): void {}
  offer(channel: FakeDataChannel): void {
    for (const listener of this.#listeners) listener(channel);
    channel.emit('connect');
  }
}

/** An engine whose tracker clients are kept by swarm id (info hash hex). */
function engineWithTrackers(
  random: number,
  config: Partial<PeerCDNConfig> = {},
): {
  engine: Engine;
  clients: Map<string, OfferingTrackerClient>;
  clock: { nowMs: number };
} {
  const clients = new Map<string, OfferingTrackerClient>();
  const clock = { nowMs: 0 };
  const engine = new Engine(resolveConfig({ trackerUrls: ['ws://tracker.invalid'], uploadEnabled: true, ...config }), {
    createTrackerClient: (options: TrackerClientOptions) => {
      const client = new OfferingTrackerClient();
      clients.set(options.infoHashHex, client);
      return client;
    },
    random: () => random,
    nowMs: () => clock.nowMs,
    webRtcAvailable: true,
  });
  return { engine, clients, clock };
}

/** Connect two engines in one swarm over an in-memory channel pair; returns the pair. */
function connect(
  a: ReturnType<typeof engineWithTrackers>,
  b: ReturnType<typeof engineWithTrackers>,
  swarmId: string,
): FakeDataChannel {
  a.engine.joinSwarm(swarmId);
  b.engine.joinSwarm(swarmId);
  const [atA, atB] = FakeDataChannel.pair();
  atA.id = hex(b.engine.peerId);
  atB.id = hex(a.engine.peerId);
  a.clients.get(hex(swarmId))?.offer(atA);
  b.clients.get(hex(swarmId))?.offer(atB);
  atA.deliverAll();
  return atA;
}

describe('engine peers: one per remote viewer, not per rendition', () => {
  it('counts a viewer met in two renditions once and sums its bytes over both', async () => {
    const local = engineWithTrackers(0.1);
    const remote = engineWithTrackers(0.9);
    const segment = new Uint8Array(150_000).fill(0x47).buffer;
    remote.engine.segmentLoaded({
      source: 'http',
      swarmId: SWARM_240P,
      sequenceNumber: 3,
      data: segment,
      durationMs: 100,
      peerId: null,
      startSeconds: 6,
    });
    const channel180 = connect(local, remote, SWARM_180P);
    const channel240 = connect(local, remote, SWARM_240P);
    local.clock.nowMs += 1_000;
    remote.clock.nowMs += 1_000;

    const link = local.engine.peerLink(SWARM_240P, remote.engine.peerId);
    assert.ok(link !== null, 'no link to the remote viewer in the 240p swarm');
    const download = link.downloads.start(3, () => undefined);
    channel240.deliverAll();
    assert.equal((await download.promise).byteLength, segment.byteLength);

    assert.equal(local.engine.stats().connectedPeers, 1);
    const [peer, ...others] = local.engine.peers();
    assert.deepEqual(others, []);
    assert.equal(peer?.peerId, remote.engine.peerId);
    assert.equal(peer?.receivedBytes, segment.byteLength);
    assert.equal(peer?.sentBytes, 0);
    assert.equal(peer?.connectedForMs, 1_000);
    assert.deepEqual(
      peer?.swarms.map((swarm) => [swarm.swarmId, swarm.receivedBytes]),
      [
        [SWARM_180P, 0],
        [SWARM_240P, segment.byteLength],
      ],
    );
    const [uploader] = remote.engine.peers();
    assert.equal(uploader?.sentBytes, segment.byteLength);
    assert.equal(remote.engine.stats().connectedPeers, 1);

    // The peer leaves one rendition: still one peer; it leaves the other: none.
    channel180.destroy();
    assert.equal(local.engine.stats().connectedPeers, 1);
    assert.deepEqual(
      local.engine.peers()[0]?.swarms.map((swarm) => swarm.swarmId),
      [SWARM_240P],
    );
    channel240.destroy();
    assert.equal(local.engine.stats().connectedPeers, 0);
    assert.deepEqual(local.engine.peers(), []);
    local.engine.destroy();
    remote.engine.destroy();
  });

  it('counts two viewers in one rendition as two', () => {
    const local = engineWithTrackers(0.1);
    const first = engineWithTrackers(0.5);
    const second = engineWithTrackers(0.9);
    connect(local, first, SWARM_180P);
    connect(local, second, SWARM_180P);
    assert.equal(local.engine.stats().connectedPeers, 2);
    assert.deepEqual(
      local.engine.peers().map((peer) => peer.peerId),
      [first.engine.peerId, second.engine.peerId],
    );
    for (const viewer of [local, first, second]) viewer.engine.destroy();
  });
});

describe('engine: the uplink class it tells its peers', () => {
  for (const uploadEnabled of [true, false]) {
    it(
      uploadEnabled
        ? 'tells the class of its upload cap (no uplink measured yet) once it knows the bitrate'
        : 'tells class 0 while it does not upload, whatever its cap',
      () => {
        // 100 kB segments of 2 s: 50 B/ms; a cap of 8 MB/s is 160× that (class 2).
        const capped = engineWithTrackers(0.1, { uploadEnabled, uploadMaxBytesPerSecond: 8_000_000 });
        const other = engineWithTrackers(0.9);
        capped.engine.segmentLoaded({
          source: 'http',
          swarmId: SWARM_180P,
          sequenceNumber: 3,
          data: new Uint8Array(100_000).fill(0x47).buffer,
          durationMs: 100,
          peerId: null,
          startSeconds: 6,
          durationSeconds: 2,
        });
        connect(other, capped, SWARM_180P);
        assert.equal(other.engine.peerLink(SWARM_180P, capped.engine.peerId)?.uplinkClass, uploadEnabled ? 2 : 0);
        capped.engine.destroy();
        other.engine.destroy();
      },
    );
  }
});
