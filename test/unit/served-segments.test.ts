import assert from 'node:assert/strict';
import { SegmentCache } from '../../lib/engine/segment-cache.ts';
import { ServedSegments, type LoadedSegment } from '../../lib/engine/served-segments.ts';

const SWARM = 'swarm';

function setup(): { cache: SegmentCache; served: ServedSegments } {
  const cache = new SegmentCache(1_000_000, () => undefined);
  return { cache, served: new ServedSegments(cache, () => 0) };
}

// A 10-byte segment handed to hls.js and cached, as the engine's segmentLoaded reports it.
function load(
  cache: SegmentCache,
  served: ServedSegments,
  sequenceNumber: number,
  from: Partial<LoadedSegment>,
): boolean {
  const isNew = !cache.has(SWARM, sequenceNumber);
  const stored = cache.put({
    swarmId: SWARM,
    sequenceNumber,
    data: new ArrayBuffer(10),
    downloadMs: 1,
    startSeconds: 0,
  });
  return served.loaded({
    swarmId: SWARM,
    sequenceNumber,
    stored,
    isNew,
    fromPeer: false,
    verified: false,
    sender: null,
    ...from,
  });
}

describe('ServedSegments: what peers may get from this viewer, and when', () => {
  it('serves an HTTP segment at once, and announces it only the first time', () => {
    const { cache, served } = setup();
    assert.equal(load(cache, served, 1, {}), true);
    assert.deepEqual(served.held(SWARM), [1]);
    assert.equal(served.whole(SWARM, 1)?.byteLength, 10);
    assert.equal(load(cache, served, 1, {}), false, 'already announced');
  });

  it('never serves an unconfirmed peer segment it stops tracking: beyond the bound it leaves the cache', () => {
    const { cache, served } = setup();
    // 513 peer segments hls.js has not appended yet (one more than are tracked).
    for (let sn = 0; sn <= 512; sn++) load(cache, served, sn, { fromPeer: true, sender: 'p' });
    assert.equal(served.whole(SWARM, 0), undefined, 'the oldest is not served unchecked');
    assert.ok(!served.held(SWARM).includes(0), 'nor announced');
    assert.equal(cache.has(SWARM, 0), false, 'it left the cache');
    assert.equal(served.isUnconfirmed(SWARM, 512), true);
  });

  it('holds back an unverified peer segment until hls.js appended it, relay included', () => {
    const { cache, served } = setup();
    const relay = served.beginRelay(SWARM, 2, 10);
    relay.append(new Uint8Array(10));
    assert.equal(load(cache, served, 2, { fromPeer: true, sender: 'p' }), false);
    assert.equal(served.isUnconfirmed(SWARM, 2), true);
    assert.deepEqual(served.held(SWARM), []);
    assert.equal(served.whole(SWARM, 2), undefined);
    assert.equal(relay.sendableBytes, 9, 'the last byte waits for the append');
    assert.equal(served.buffered(SWARM, 2), true, 'announce now');
    assert.equal(relay.sendableBytes, 10);
    assert.deepEqual(served.held(SWARM), [2]);
    assert.equal(served.buffered(SWARM, 2), false, 'confirmed once');
  });

  it('serves a verified peer segment and completes its relay at once', () => {
    const { cache, served } = setup();
    const relay = served.beginRelay(SWARM, 3, 10);
    relay.append(new Uint8Array(10));
    assert.equal(load(cache, served, 3, { fromPeer: true, sender: 'p', verified: true }), true);
    assert.equal(relay.sendableBytes, 10);
    assert.equal(served.relay(SWARM, 3), undefined, 'the cache serves it whole now');
  });

  it('fails the relay of a segment that came over HTTP after all', () => {
    const { cache, served } = setup();
    const relay = served.beginRelay(SWARM, 4, 10);
    assert.equal(load(cache, served, 4, {}), true);
    assert.equal(relay.failed, true);
  });

  it('drops a segment hls.js failed on, blames its sender and sends its next load to HTTP', () => {
    const { cache, served } = setup();
    const relay = served.beginRelay(SWARM, 5, 10);
    load(cache, served, 5, { fromPeer: true, sender: 'liar' });
    assert.equal(served.failedInPlayer(SWARM, 5), 'liar');
    assert.equal(relay.failed, true);
    assert.equal(cache.has(SWARM, 5), false);
    assert.equal(served.takeHttpOnly(SWARM, 5), true);
    assert.equal(served.takeHttpOnly(SWARM, 5), false, 'asked once');
    load(cache, served, 6, {});
    assert.equal(served.failedInPlayer(SWARM, 6), null, 'an HTTP segment blames nobody');
    assert.equal(cache.has(SWARM, 6), true, 'and stays');
  });

  it('holds back a peer segment nobody answers for (a relay cut before vouching) like any unverified one, and blames nobody for it', () => {
    const { cache, served } = setup();
    assert.equal(load(cache, served, 7, { fromPeer: true, sender: null }), false, 'not announced before the append');
    assert.equal(served.whole(SWARM, 7), undefined, 'not uploaded before the append');
    assert.equal(served.failedInPlayer(SWARM, 7), null, 'nobody is blamed');
    assert.equal(cache.has(SWARM, 7), false, 'dropped');
    assert.equal(served.takeHttpOnly(SWARM, 7), true, 'its next load uses HTTP');
  });
});
