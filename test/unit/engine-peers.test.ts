import assert from 'node:assert/strict';
import { resolveConfig, type PeerCDNConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { seederRank } from '../../lib/policy/source-decision.ts';
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

/**
 * A viewer under an upload cap (class 2) holding one segment, connected to a class-0 viewer; the
 * segments near it for which its class ranks it before the other while its id alone would not.
 */
function cappedAndOther(segmentsWanted: number): {
  capped: ReturnType<typeof engineWithTrackers>;
  other: ReturnType<typeof engineWithTrackers>;
  channel: FakeDataChannel;
  held: number;
  segments: number[];
} {
  const capped = engineWithTrackers(0.1, { uploadMaxBytesPerSecond: 8_000_000 });
  const other = engineWithTrackers(0.9);
  const [cappedId, otherId] = [capped.engine.peerId, other.engine.peerId];
  const classDecides = (sn: number): boolean =>
    seederRank(otherId, sn) < seederRank(cappedId, sn) && seederRank(cappedId, sn, 2) < seederRank(otherId, sn);
  const near = (at: number): number[] =>
    [at - 3, at - 2, at - 1, at + 1, at + 2, at + 3].filter((sn) => sn >= 0 && classDecides(sn));
  let held = 3;
  while (near(held).length < segmentsWanted) held++;
  capped.engine.segmentLoaded({
    source: 'http',
    swarmId: SWARM_180P,
    sequenceNumber: held,
    data: new Uint8Array(100_000).fill(0x47).buffer,
    durationMs: 100,
    peerId: null,
    startSeconds: held * 2,
    durationSeconds: 2,
  });
  const channel = connect(other, capped, SWARM_180P);
  return { capped, other, channel, held, segments: near(held) };
}

describe('engine: a peer that tells a fast uplink and does not seed', () => {
  const SEEDER_WAIT = { kind: 'wait', reason: 'seeder', waitMs: 1500 };
  const WAITED_OUT_MS = 5000;

  it('ranks it by its id alone after it missed two designations in a row, and by its class again once it fetches', () => {
    const { capped, other, channel, held, segments } = cappedAndOther(3);
    const [first, second, third] = segments as [number, number, number];
    assert.equal(other.engine.peerLink(SWARM_180P, capped.engine.peerId)?.uplinkClass, 2);
    // Two designations the capped viewer does not take up: we wait for it, then fetch ourselves.
    for (const sn of [first, second]) {
      assert.deepEqual(other.engine.decide(SWARM_180P, sn, sn * 2, 0), SEEDER_WAIT, `segment ${sn}`);
      assert.deepEqual(other.engine.decide(SWARM_180P, sn, sn * 2, WAITED_OUT_MS, true), { kind: 'http' });
    }
    // Its class no longer counts: by ids we are the seeder of the third, at once.
    assert.deepEqual(other.engine.decide(SWARM_180P, third, third * 2, 0), { kind: 'http' });
    // It fetches a segment over HTTP (tells it is loading one): its class counts again.
    capped.engine.announceLoading(SWARM_180P, held);
    channel.deliverAll();
    assert.deepEqual(other.engine.decide(SWARM_180P, third, third * 2, 0), SEEDER_WAIT);
    capped.engine.destroy();
    other.engine.destroy();
  });

  it('keeps its class after one missed designation', () => {
    const { capped, other, segments } = cappedAndOther(2);
    const [first, second] = segments as [number, number];
    assert.deepEqual(other.engine.decide(SWARM_180P, first, first * 2, WAITED_OUT_MS, true), { kind: 'http' });
    assert.deepEqual(other.engine.decide(SWARM_180P, second, second * 2, 0), SEEDER_WAIT);
    capped.engine.destroy();
    other.engine.destroy();
  });
});
