import assert from 'node:assert/strict';
import {
  decideSource,
  seederRank,
  type DecisionSettings,
  type PeerView,
  type Situation,
  type SourceDecision,
} from '../../lib/policy/source-decision.ts';

const peer = (peerId: string, overrides: Partial<PeerView> = {}): PeerView => ({
  peerId,
  has: false,
  loading: false,
  nearby: false,
  activeDownloads: 0,
  ...overrides,
});

// The playhead unknown; nothing measured; nothing waited yet.
const BASE: Situation = {
  secondsUntilNeeded: null,
  waitedMs: 0,
  startingUp: false,
  warmingUp: false,
  httpDeliveryMs: null,
  expectedSegmentBytes: null,
};
const situation = (overrides: Partial<Situation> = {}): Situation => ({ ...BASE, ...overrides });
// The defaults of the settings, unless a case says otherwise.
const SETTINGS: DecisionSettings = { httpWindowSeconds: 12, seederWaitMs: 1500, startupPeerWaitMs: 0 };

// Find a sequence number for which `winner` ranks lowest among the ids given.
function sequenceWhereLowest(winner: string, ids: string[]): number {
  for (let sn = 0; sn < 10_000; sn++) {
    if (ids.every((id) => id === winner || seederRank(winner, sn) < seederRank(id, sn))) return sn;
  }
  throw new Error('no such sequence number');
}

interface Case {
  readonly name: string;
  readonly peers: readonly PeerView[];
  readonly sn?: number;
  readonly situation?: Partial<Situation>;
  readonly settings?: Partial<DecisionSettings>;
  readonly expected: SourceDecision;
}

function runTable(cases: readonly Case[]): void {
  for (const { name, peers, sn = 10, situation: overrides, settings, expected } of cases) {
    it(name, () =>
      assert.deepEqual(decideSource('self', sn, peers, situation(overrides), { ...SETTINGS, ...settings }), expected),
    );
  }
}

const seederWait = (waitMs: number): SourceDecision => ({ kind: 'wait', reason: 'seeder', waitMs });
const firstPeersWait = (waitMs: number): SourceDecision => ({ kind: 'wait', reason: 'first-peers', waitMs });
const prefetchWait = (waitMs: number): SourceDecision => ({ kind: 'wait', reason: 'prefetch', waitMs });
const HTTP: SourceDecision = { kind: 'http' };

describe('decideSource: where from', () => {
  runTable([
    { name: 'goes to HTTP with no peers', peers: [], expected: HTTP },
    {
      name: 'picks the least busy peer that has the segment',
      peers: [peer('a', { has: true, activeDownloads: 2 }), peer('b', { has: true }), peer('c')],
      expected: { kind: 'peer', peerId: 'b' },
    },
    {
      name: 'waits for a peer that is fetching the segment over HTTP',
      peers: [peer('a', { loading: true }), peer('b')],
      expected: seederWait(1500),
    },
    {
      name: 'waits for a holder whose uplink was full moments ago (`busy`) when nobody else has it',
      peers: [peer('a', { busy: true }), peer('b')],
      expected: seederWait(1500),
    },
    {
      name: 'asks another holder rather than wait for a busy one',
      peers: [peer('a', { busy: true }), peer('b', { has: true })],
      expected: { kind: 'peer', peerId: 'b' },
    },
    {
      name: 'goes to HTTP when waiting for a busy holder would leave HTTP too little time',
      peers: [peer('a', { busy: true })],
      situation: { secondsUntilNeeded: 1.2, httpDeliveryMs: 500 },
      expected: HTTP,
    },
    {
      name: 'asks a peer that relays the segment while it arrives, rather than wait or go to HTTP',
      peers: [
        peer('a', { loading: true }),
        peer('b', { relaying: true }),
        peer('c', { relaying: true, activeDownloads: 1 }),
      ],
      expected: { kind: 'peer', peerId: 'b', relay: true },
    },
    {
      name: 'asks a relay rather than a whole holder expected to deliver later (busy with our downloads)',
      peers: [
        peer('a', { has: true, activeDownloads: 2, throughputBytesPerSecond: 1e6, rttMs: 20 }),
        peer('b', { relaying: true, throughputBytesPerSecond: 1e6, rttMs: 20 }),
      ],
      expected: { kind: 'peer', peerId: 'b', relay: true },
    },
    {
      name: 'asks the whole holder when it is expected to deliver as soon as the relay',
      peers: [
        peer('b', { relaying: true, throughputBytesPerSecond: 1e6, rttMs: 20 }),
        peer('a', { has: true, throughputBytesPerSecond: 1e6, rttMs: 20 }),
      ],
      expected: { kind: 'peer', peerId: 'a' },
    },
    {
      name: 'does not ask a relay for a segment beyond the HTTP window (a whole copy is worth the wait)',
      peers: [peer('a', { relaying: true }), peer('b', { has: true, activeDownloads: 3 })],
      situation: { secondsUntilNeeded: 20 },
      expected: { kind: 'peer', peerId: 'b' },
    },
    {
      name: 'waits for a whole copy of a segment beyond the HTTP window that only a relay has',
      peers: [peer('a', { relaying: true })],
      situation: { secondsUntilNeeded: 20 },
      expected: prefetchWait(1000),
    },
    {
      name: 'does not ask a relay of another region (one copy per region crosses)',
      peers: [peer('a', { relaying: true, farRegion: true })],
      expected: HTTP,
    },
    {
      name: 'asks a relay measured too slow for the playhead all the same (what it brings is kept for a Range resume)',
      peers: [peer('a', { relaying: true, throughputBytesPerSecond: 10_000, rttMs: 50 })],
      situation: { secondsUntilNeeded: 3, httpDeliveryMs: 300, expectedSegmentBytes: 1_000_000 },
      expected: { kind: 'peer', peerId: 'a', relay: true },
    },
    {
      name: 'leaves a whole holder measured too slow for the playhead for HTTP',
      peers: [peer('a', { has: true, throughputBytesPerSecond: 10_000, rttMs: 50 })],
      situation: { secondsUntilNeeded: 3, httpDeliveryMs: 300, expectedSegmentBytes: 1_000_000 },
      expected: HTTP,
    },
    { name: 'goes to HTTP when no peer is at this part of the stream', peers: [peer('a'), peer('b')], expected: HTTP },
    {
      name: 'fetches over HTTP when this viewer is the designated seeder among nearby peers',
      peers: [peer('a', { nearby: true }), peer('b', { nearby: true })],
      sn: sequenceWhereLowest('self', ['self', 'a', 'b']),
      expected: HTTP,
    },
    {
      name: 'waits when a nearby peer is the designated seeder',
      peers: [peer('a', { nearby: true }), peer('b', { nearby: true })],
      sn: sequenceWhereLowest('a', ['self', 'a', 'b']),
      expected: seederWait(1500),
    },
    {
      name: 'ignores a better-ranked peer that is elsewhere in the stream',
      peers: [peer('a', { nearby: false })],
      sn: sequenceWhereLowest('a', ['self', 'a']),
      expected: HTTP,
    },
  ]);

  it('weighs the uplink classes told: a peer of a higher class may rank before us where its id alone would not, and ours counts too', () => {
    // A segment for which we rank before 'a' by id, by a margin that one class (÷4) may or may not undo.
    let sn = 0;
    while (!(seederRank('self', sn) < seederRank('a', sn) && seederRank('a', sn, 2) < seederRank('self', sn))) sn++;
    const near = (uplinkClass: number): PeerView => peer('a', { nearby: true, uplinkClass });
    assert.deepEqual(decideSource('self', sn, [near(0)], situation(), SETTINGS), HTTP);
    assert.deepEqual(decideSource('self', sn, [near(2)], situation(), SETTINGS), seederWait(1500));
    assert.deepEqual(decideSource('self', sn, [near(2)], situation({ uplinkClass: 2 }), SETTINGS), HTTP);
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

describe('decideSource with a known playhead (HTTP window 12 s)', () => {
  runTable([
    {
      name: 'takes a far-ahead segment from a peer that has it',
      peers: [peer('a', { has: true })],
      situation: { secondsUntilNeeded: 40 },
      expected: { kind: 'peer', peerId: 'a' },
    },
    {
      name: 'never sends a far-ahead segment to the origin, even alone',
      peers: [],
      situation: { secondsUntilNeeded: 12.5 },
      expected: prefetchWait(500),
    },
    {
      name: 'never sends a far-ahead segment to the origin while a nearby peer could seed it',
      peers: [peer('a', { nearby: true })],
      situation: { secondsUntilNeeded: 30 },
      expected: prefetchWait(1000),
    },
    {
      name: 'uses HTTP for a segment inside the window when nobody can seed it',
      peers: [],
      situation: { secondsUntilNeeded: 11.9 },
      expected: HTTP,
    },
  ]);
});

describe('decideSource while the swarm warms up', () => {
  runTable([
    {
      name: 'waits for the first peers instead of going to the origin',
      peers: [],
      situation: { secondsUntilNeeded: 6, warmingUp: true },
      expected: firstPeersWait(4500),
    },
    {
      name: 'stops waiting once a peer is connected and nobody near can seed',
      peers: [peer('a')],
      situation: { secondsUntilNeeded: 6, warmingUp: true },
      expected: HTTP,
    },
  ]);
});

// The wait length, by reason: a seeder at least `seederWaitMs` and until 4 s before the segment
// plays; the first peers while HTTP would still be in time; before playback starts, at least
// `startupPeerWaitMs`;
// a prefetch re-checks every second or when the segment enters the HTTP window (at least 50 ms).
describe('decideSource: how long to wait', () => {
  const loadingPeer = [peer('a', { loading: true })];
  runTable([
    { name: 'a seeder: seederWaitMs when the playhead is unknown', peers: loadingPeer, expected: seederWait(1500) },
    {
      name: 'a seeder: what is left of seederWaitMs',
      peers: loadingPeer,
      situation: { waitedMs: 1000 },
      expected: seederWait(500),
    },
    {
      name: 'a seeder: HTTP once seederWaitMs is used up',
      peers: loadingPeer,
      situation: { waitedMs: 1500 },
      expected: HTTP,
    },
    {
      name: 'a seeder: until 2 s before the segment plays, when that is longer',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 10, waitedMs: 5000 },
      expected: seederWait(8000),
    },
    {
      name: 'a seeder: seederWaitMs when that is longer than the time to 2 s before it plays',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 3 },
      expected: seederWait(1500),
    },
    {
      // At a live edge the designated seeder's player may ask up to a playlist refresh later than
      // ours; cutting the wait at 4 s before play sent both to the origin (simulator, live N=4).
      name: 'a seeder: with 2.5 s left after seederWaitMs, still until 2 s before it plays',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 2.5, waitedMs: 1500 },
      expected: seederWait(500),
    },
    {
      name: 'a seeder: HTTP when both bounds have passed',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 2, waitedMs: 2000 },
      expected: HTTP,
    },
    {
      name: 'a seeder before playback starts: at least what is left of startupPeerWaitMs',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 2, waitedMs: 2000, startingUp: true },
      settings: { startupPeerWaitMs: 3000 },
      expected: seederWait(1000),
    },
    {
      name: 'a seeder once playback runs: startupPeerWaitMs no longer counts',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 2, waitedMs: 2000 },
      settings: { startupPeerWaitMs: 3000 },
      expected: HTTP,
    },
    {
      name: 'the wait rule: seederWaitMs is cut short so that HTTP, at its measured pace, plus 1 s margin still fits',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 2.5, httpDeliveryMs: 800 },
      expected: seederWait(700),
    },
    {
      name: 'the wait rule: HTTP at once when HTTP delivery and the margin need all the time left',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 1.5, httpDeliveryMs: 600 },
      expected: HTTP,
    },
    {
      name: 'the wait rule: HTTP not measured yet counts as 500 ms',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 2 },
      expected: seederWait(500),
    },
    {
      name: 'the wait rule: a slow origin also shortens the wait until 4 s before the segment plays',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 10, httpDeliveryMs: 4000 },
      expected: seederWait(5000),
    },
    {
      name: 'the wait rule: the first peers are waited for only while HTTP would still be in time',
      peers: [],
      situation: { warmingUp: true, secondsUntilNeeded: 6, httpDeliveryMs: 2000 },
      expected: firstPeersWait(3000),
    },
    {
      name: 'the wait rule does not cut startupPeerWaitMs (startup time traded for peers on purpose)',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 1, startingUp: true, httpDeliveryMs: 2000 },
      settings: { startupPeerWaitMs: 3000 },
      expected: seederWait(3000),
    },
    {
      name: 'the first peers: until 1.5 s before the segment plays while HTTP is unmeasured (500 ms + the 1-s margin)',
      peers: [],
      situation: { warmingUp: true, secondsUntilNeeded: 6, waitedMs: 3000 },
      expected: firstPeersWait(4500),
    },
    {
      name: 'the first peers: seederWaitMs does not apply',
      peers: [],
      situation: { warmingUp: true, secondsUntilNeeded: 2 },
      expected: firstPeersWait(500),
    },
    {
      name: 'the first peers: as long as HTTP at the measured pace (+ the 1-s margin) would still be in time',
      peers: [],
      situation: { warmingUp: true, secondsUntilNeeded: 2, httpDeliveryMs: 100 },
      expected: firstPeersWait(900),
    },
    {
      name: 'the first peers: HTTP when the segment is needed within 1.5 s',
      peers: [],
      situation: { warmingUp: true, secondsUntilNeeded: 1.5 },
      expected: HTTP,
    },
    {
      name: 'the first peers: HTTP when the playhead is unknown',
      peers: [],
      situation: { warmingUp: true },
      expected: HTTP,
    },
    {
      name: 'the first peers before playback starts: what is left of startupPeerWaitMs',
      peers: [],
      situation: { warmingUp: true, secondsUntilNeeded: 0, startingUp: true, waitedMs: 500 },
      settings: { startupPeerWaitMs: 2000 },
      expected: firstPeersWait(1500),
    },
    {
      name: 'the first peers before playback starts: no wait by default (startupPeerWaitMs 0)',
      peers: [],
      situation: { warmingUp: true, secondsUntilNeeded: 0, startingUp: true },
      expected: HTTP,
    },
    {
      name: 'the first peers before playback starts: no wait once the tracker said nobody else is here',
      peers: [],
      situation: { warmingUp: false, secondsUntilNeeded: 0, startingUp: true },
      expected: HTTP,
    },
    {
      name: 'a seeder before playback starts: no wait by default, even when needed at once',
      peers: loadingPeer,
      situation: { secondsUntilNeeded: 0, startingUp: true },
      expected: HTTP,
    },
    {
      name: 'a prefetch: re-checks the playhead every second',
      peers: [],
      situation: { secondsUntilNeeded: 30, waitedMs: 60_000 },
      expected: prefetchWait(1000),
    },
    {
      name: 'a prefetch: wakes when the segment enters the HTTP window',
      peers: [],
      situation: { secondsUntilNeeded: 12.25 },
      expected: prefetchWait(250),
    },
    {
      name: 'a prefetch: waits at least 50 ms',
      peers: [],
      situation: { secondsUntilNeeded: 12.01 },
      expected: prefetchWait(50),
    },
  ]);
});

describe('decideSource for a segment needed soon', () => {
  // HTTP measured at 100 ms for a segment of 100 000 bytes; the segment plays in 2 s.
  const soon = { secondsUntilNeeded: 2, httpDeliveryMs: 100, expectedSegmentBytes: 100_000 };
  // 20 000 bytes/s: 5 s for the segment, after it plays.
  const slow = peer('slow', { has: true, rttMs: 20, throughputBytesPerSecond: 20_000 });
  // 1 000 000 bytes/s: 120 ms for the segment.
  const fast = peer('fast', { has: true, rttMs: 20, throughputBytesPerSecond: 1_000_000 });
  runTable([
    {
      name: 'uses HTTP when the only peer that has it would deliver it late and HTTP in time',
      peers: [slow],
      situation: soon,
      expected: HTTP,
    },
    {
      name: 'uses a peer that delivers in time even when HTTP would be faster still',
      peers: [fast],
      situation: { ...soon, httpDeliveryMs: 10 },
      expected: { kind: 'peer', peerId: 'fast' },
    },
    {
      name: 'prefers the peer in time over the late one',
      peers: [slow, fast],
      situation: soon,
      expected: { kind: 'peer', peerId: 'fast' },
    },
    {
      name: 'keeps a late peer when HTTP, as measured, would be later still',
      peers: [slow],
      situation: { ...soon, httpDeliveryMs: 60_000 },
      expected: { kind: 'peer', peerId: 'slow' },
    },
    {
      name: 'gives a peer whose pace is not measured its chance',
      peers: [peer('new', { has: true })],
      situation: soon,
      expected: { kind: 'peer', peerId: 'new' },
    },
    {
      name: 'takes a slow peer for a segment not needed soon',
      peers: [slow],
      situation: { ...soon, secondsUntilNeeded: 10 },
      expected: { kind: 'peer', peerId: 'slow' },
    },
    {
      name: 'takes the peer when HTTP was never measured',
      peers: [slow],
      situation: { ...soon, httpDeliveryMs: null },
      expected: { kind: 'peer', peerId: 'slow' },
    },
    // 5 000 bytes/s: 20 s for the segment, late even 14 s ahead.
    {
      name: 'uses HTTP for a peer too slow for a segment within the HTTP window',
      peers: [peer('crawling', { has: true, rttMs: 20, throughputBytesPerSecond: 5_000 })],
      situation: { ...soon, secondsUntilNeeded: 11 },
      expected: HTTP,
    },
    {
      name: 'waits beyond the HTTP window instead of leaving a peer too slow to HTTP',
      peers: [peer('crawling', { has: true, rttMs: 20, throughputBytesPerSecond: 5_000 })],
      situation: { ...soon, secondsUntilNeeded: 14 },
      expected: prefetchWait(1000),
    },
  ]);
});

describe('decideSource across regions: one copy per region crosses, near peers relay it', () => {
  const nearPeerWait = (waitMs: number): SourceDecision => ({ kind: 'wait', reason: 'near-peer', waitMs });
  const far = peer('far', { has: true, farRegion: true, rttMs: 200, throughputBytesPerSecond: 2_000_000 });
  const mateFirst = sequenceWhereLowest('mate', ['self', 'mate', 'far']);
  const selfFirst = sequenceWhereLowest('self', ['self', 'mate', 'far']);
  const mate = peer('mate', { nearby: true });
  runTable([
    {
      name: 'waits for a peer of our region at this part of the stream that ranks before us to fetch it from afar',
      peers: [far, mate],
      sn: mateFirst,
      situation: { secondsUntilNeeded: 30 },
      expected: nearPeerWait(1000),
    },
    {
      name: 'waits for a peer of our region at this part of the stream even when it ranks first itself (the first to need it relays it)',
      peers: [far, mate],
      sn: selfFirst,
      situation: { secondsUntilNeeded: 30 },
      expected: nearPeerWait(1000),
    },
    {
      name: 'fetches it from afar itself when it ranks first and the segment plays within 10 s',
      peers: [far, mate],
      sn: selfFirst,
      situation: { secondsUntilNeeded: 9 },
      expected: { kind: 'peer', peerId: 'far' },
    },
    {
      name: 'waits at most until 10 s before the segment plays',
      peers: [far, mate],
      sn: mateFirst,
      situation: { secondsUntilNeeded: 10.5 },
      expected: nearPeerWait(500),
    },
    {
      name: 'takes the far peer when the segment plays within 10 s',
      peers: [far, mate],
      sn: mateFirst,
      situation: { secondsUntilNeeded: 9 },
      expected: { kind: 'peer', peerId: 'far' },
    },
    {
      name: 'takes the far peer when no peer of our region is at this part of the stream',
      peers: [far, peer('mate')],
      sn: mateFirst,
      situation: { secondsUntilNeeded: 30 },
      expected: { kind: 'peer', peerId: 'far' },
    },
    {
      name: 'takes a near peer that has it at once',
      peers: [far, peer('mate', { has: true, nearby: true }), peer('other', { nearby: true })],
      situation: { secondsUntilNeeded: 30 },
      expected: { kind: 'peer', peerId: 'mate' },
    },
    {
      name: 'does not wait without region hints (no peer is far)',
      peers: [peer('far', { has: true }), mate],
      sn: mateFirst,
      situation: { secondsUntilNeeded: 30 },
      expected: { kind: 'peer', peerId: 'far' },
    },
  ]);
});
