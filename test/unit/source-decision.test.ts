import assert from 'node:assert/strict';
import { decideSource, seederRank, type PeerView } from '../../lib/policy/source-decision.ts';

const peer = (peerId: string, overrides: Partial<PeerView> = {}): PeerView => ({
  peerId,
  has: false,
  loading: false,
  nearby: false,
  activeDownloads: 0,
  ...overrides,
});

// Find a sequence number for which `winner` ranks lowest among the ids given.
function sequenceWhereLowest(winner: string, ids: string[]): number {
  for (let sn = 0; sn < 10_000; sn++) {
    if (ids.every((id) => id === winner || seederRank(winner, sn) < seederRank(id, sn))) return sn;
  }
  throw new Error('no such sequence number');
}

describe('decideSource', () => {
  const cases: { name: string; peers: PeerView[]; sn?: number; expected: ReturnType<typeof decideSource> }[] = [
    { name: 'goes to HTTP with no peers', peers: [], expected: { kind: 'http' } },
    {
      name: 'picks the least busy peer that has the segment',
      peers: [peer('a', { has: true, activeDownloads: 2 }), peer('b', { has: true }), peer('c')],
      expected: { kind: 'peer', peerId: 'b' },
    },
    {
      name: 'waits for a peer that is fetching the segment over HTTP',
      peers: [peer('a', { loading: true }), peer('b')],
      expected: { kind: 'wait' },
    },
    {
      name: 'goes to HTTP when no peer is at this part of the stream',
      peers: [peer('a'), peer('b')],
      expected: { kind: 'http' },
    },
  ];
  for (const { name, peers, expected } of cases) {
    it(name, () => assert.deepEqual(decideSource('self', 10, peers), expected));
  }

  it('fetches over HTTP when this viewer is the designated seeder among nearby peers', () => {
    const sn = sequenceWhereLowest('self', ['self', 'a', 'b']);
    assert.deepEqual(decideSource('self', sn, [peer('a', { nearby: true }), peer('b', { nearby: true })]), {
      kind: 'http',
    });
  });

  it('waits when a nearby peer is the designated seeder', () => {
    const sn = sequenceWhereLowest('a', ['self', 'a', 'b']);
    assert.deepEqual(decideSource('self', sn, [peer('a', { nearby: true }), peer('b', { nearby: true })]), {
      kind: 'wait',
    });
  });

  it('ignores a better-ranked peer that is elsewhere in the stream', () => {
    const sn = sequenceWhereLowest('a', ['self', 'a']);
    assert.deepEqual(decideSource('self', sn, [peer('a', { nearby: false })]), { kind: 'http' });
  });

  it('spreads seeding across viewers: every viewer is designated for some segments', () => {
    const ids = ['-PC0001-aaaaaaaaaaaa', '-PC0001-bbbbbbbbbbbb', '-PC0001-cccccccccccc', '-PC0001-dddddddddddd'];
    const wins = new Map(ids.map((id) => [id, 0]));
    for (let sn = 0; sn < 400; sn++) {
      const winner = ids.reduce((best, id) => (seederRank(id, sn) < seederRank(best, sn) ? id : best));
      wins.set(winner, (wins.get(winner) ?? 0) + 1);
    }
    for (const count of wins.values()) assert.ok(count > 50, `uneven: ${[...wins.values()].join(',')}`);
  });
});

describe('decideSource with a known playhead', () => {
  const window = (secondsUntilNeeded: number | null) => ({ secondsUntilNeeded, httpWindowSeconds: 12 });

  it('takes a far-ahead segment from a peer that has it', () => {
    assert.deepEqual(decideSource('self', 5, [peer('a', { has: true })], window(40)), { kind: 'peer', peerId: 'a' });
  });

  it('never sends a far-ahead segment to the origin, even alone', () => {
    assert.deepEqual(decideSource('self', 5, [], window(12.5)), { kind: 'prefetch-wait' });
    assert.deepEqual(decideSource('self', 5, [peer('a', { nearby: true })], window(30)), { kind: 'prefetch-wait' });
  });

  it('uses HTTP for a segment inside the window when nobody can seed it', () => {
    assert.deepEqual(decideSource('self', 5, [], window(11.9)), { kind: 'http' });
    assert.deepEqual(decideSource('self', 5, [], window(null)), { kind: 'http' });
  });
});

describe('decideSource while the swarm warms up', () => {
  it('waits for the first peers instead of going to the origin', () => {
    assert.deepEqual(decideSource('self', 3, [], { secondsUntilNeeded: 6, httpWindowSeconds: 12, warmingUp: true }), { kind: 'wait-for-peers' });
  });

  it('stops waiting once a peer is connected and nobody near can seed', () => {
    assert.deepEqual(decideSource('self', 3, [peer('a')], { secondsUntilNeeded: 6, httpWindowSeconds: 12, warmingUp: true }), { kind: 'http' });
  });
});

describe('decideSource for a segment needed soon', () => {
  // HTTP measured at 100 ms for a segment of 100 000 bytes; the segment plays in 2 s.
  const soon = { secondsUntilNeeded: 2, httpWindowSeconds: 12, httpDeliveryMs: 100, expectedSegmentBytes: 100_000 };
  // 20 000 bytes/s: 5 s for the segment, after it plays.
  const slow = peer('slow', { has: true, rttMs: 20, throughputBytesPerSecond: 20_000 });
  // 1 000 000 bytes/s: 120 ms for the segment.
  const fast = peer('fast', { has: true, rttMs: 20, throughputBytesPerSecond: 1_000_000 });

  it('uses HTTP when the only peer that has it would deliver it late and HTTP in time', () => {
    assert.deepEqual(decideSource('self', 3, [slow], soon), { kind: 'http' });
  });

  it('uses a peer that delivers in time even when HTTP would be faster still', () => {
    assert.deepEqual(decideSource('self', 3, [fast], { ...soon, httpDeliveryMs: 10 }), { kind: 'peer', peerId: 'fast' });
  });

  it('prefers the peer in time over the late one', () => {
    assert.deepEqual(decideSource('self', 3, [slow, fast], soon), { kind: 'peer', peerId: 'fast' });
  });

  it('keeps a late peer when HTTP, as measured, would be later still', () => {
    assert.deepEqual(decideSource('self', 3, [slow], { ...soon, httpDeliveryMs: 60_000 }), { kind: 'peer', peerId: 'slow' });
  });

  it('gives a peer whose pace is not measured its chance', () => {
    const unmeasured = peer('new', { has: true });
    assert.deepEqual(decideSource('self', 3, [unmeasured], soon), { kind: 'peer', peerId: 'new' });
  });

  it('takes a slow peer for a segment not needed soon', () => {
    assert.deepEqual(decideSource('self', 3, [slow], { ...soon, secondsUntilNeeded: 10 }), { kind: 'peer', peerId: 'slow' });
  });

  it('takes the peer when HTTP was never measured', () => {
    assert.deepEqual(decideSource('self', 3, [slow], { ...soon, httpDeliveryMs: null }), { kind: 'peer', peerId: 'slow' });
  });
});

