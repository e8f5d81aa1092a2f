import assert from 'node:assert/strict';
import {
  choosePeer,
  choosePeerToReplace,
  ewma,
  EXPECTED_SEGMENT_BYTES,
  FAR_REGION_PRIOR_MS,
  expectedDeliveryMs,
  isUseless,
  peerPrior,
  USELESS_AFTER_MS,
  type PeerCandidate,
  type PeerUsefulness,
} from '../../lib/policy/peer-choice.ts';

const MB = 1_000_000;
const candidate = (peerId: string, overrides: Partial<PeerCandidate> = {}): PeerCandidate => ({
  peerId,
  activeDownloads: 0,
  rttMs: null,
  throughputBytesPerSecond: null,
  ...overrides,
});

describe('choosePeer', () => {
  const cases: { name: string; candidates: PeerCandidate[]; expected: string | undefined }[] = [
    { name: 'chooses nobody among no candidates', candidates: [], expected: undefined },
    {
      name: 'prefers the peer with the higher measured throughput',
      candidates: [
        candidate('slow', { throughputBytesPerSecond: 1 * MB }),
        candidate('fast', { throughputBytesPerSecond: 5 * MB }),
      ],
      expected: 'fast',
    },
    {
      name: 'prefers the lower RTT when throughput is equal',
      candidates: [
        candidate('far', { rttMs: 200, throughputBytesPerSecond: 2 * MB }),
        candidate('near', { rttMs: 20, throughputBytesPerSecond: 2 * MB }),
      ],
      expected: 'near',
    },
    {
      name: 'lets throughput outweigh a small RTT difference for a whole segment',
      candidates: [
        candidate('near-slow', { rttMs: 10, throughputBytesPerSecond: 0.5 * MB }),
        candidate('far-fast', { rttMs: 80, throughputBytesPerSecond: 5 * MB }),
      ],
      expected: 'far-fast',
    },
    {
      name: 'penalises active downloads: a fast peer busy with three loses to one half as fast and idle',
      candidates: [
        candidate('fast-busy', { throughputBytesPerSecond: 4 * MB, activeDownloads: 3 }),
        candidate('idle', { throughputBytesPerSecond: 2 * MB }),
      ],
      expected: 'idle',
    },
    {
      name: 'keeps the fast peer when it is busy with one download only',
      candidates: [
        candidate('fast-busy', { throughputBytesPerSecond: 6 * MB, activeDownloads: 1 }),
        candidate('idle', { throughputBytesPerSecond: 2 * MB }),
      ],
      expected: 'fast-busy',
    },
    {
      name: 'picks the least busy peer when nothing is measured',
      candidates: [candidate('a', { activeDownloads: 2 }), candidate('b'), candidate('c', { activeDownloads: 1 })],
      expected: 'b',
    },
    {
      name: 'tries an unmeasured peer: it is assumed a hair better than the best measured one',
      candidates: [
        candidate('slow', { throughputBytesPerSecond: 1 * MB, rttMs: 50 }),
        candidate('new'),
        candidate('fast', { throughputBytesPerSecond: 3 * MB, rttMs: 50, activeDownloads: 1 }),
      ],
      expected: 'new',
    },
    {
      name: 'tries an unmeasured peer once even beside a faster measured one, so it gets measured',
      candidates: [
        candidate('fast', { throughputBytesPerSecond: 8 * MB, rttMs: 30 }),
        candidate('new'),
        candidate('slow', { throughputBytesPerSecond: 1 * MB, rttMs: 30 }),
      ],
      expected: 'new',
    },
    {
      name: 'tries an unmeasured near peer before far ones whose bursty transfers measured fast (issue 15 bench trace)',
      candidates: [
        candidate('far-1', { rttMs: 213, throughputBytesPerSecond: 2.8 * MB, farRegion: true }),
        candidate('far-2', { rttMs: 206, throughputBytesPerSecond: 7 * MB, farRegion: true }),
        candidate('near'),
        candidate('far-new', { farRegion: true }),
      ],
      expected: 'near',
    },
    {
      name: 'does not try an unmeasured peer of another region while a measured near one delivers',
      candidates: [
        candidate('far-new', { farRegion: true }),
        candidate('near', { rttMs: 20, throughputBytesPerSecond: 3 * MB }),
      ],
      expected: 'near',
    },
    {
      name: 'prefers a near peer among unmeasured ones',
      candidates: [candidate('far', { farRegion: true }), candidate('near')],
      expected: 'near',
    },
    {
      name: 'still tries a far peer when the near one is busy enough to be slower than a cross-region round trip',
      candidates: [
        candidate('near-busy', { rttMs: 20, throughputBytesPerSecond: 1 * MB, activeDownloads: 3 }),
        candidate('far-new', { farRegion: true }),
      ],
      expected: 'far-new',
    },
    {
      name: 'takes a measured far peer that delivers sooner: the region is only a prior',
      candidates: [
        candidate('near-slow', { rttMs: 40, throughputBytesPerSecond: 0.5 * MB }),
        candidate('far-fast', { rttMs: 60, throughputBytesPerSecond: 8 * MB, farRegion: true }),
      ],
      expected: 'far-fast',
    },
    {
      name: 'breaks ties in favour of the earlier candidate',
      candidates: [candidate('first'), candidate('second')],
      expected: 'first',
    },
    {
      name: 'tries an unmeasured peer once when the only measured one sets the prior (a tie): a faster newcomer gets measured',
      candidates: [candidate('measured', { rttMs: 40, throughputBytesPerSecond: 2 * MB }), candidate('new')],
      expected: 'new',
    },
    {
      name: 'treats a measured throughput of zero as very slow, not as a division by zero',
      candidates: [
        candidate('stalled', { throughputBytesPerSecond: 0 }),
        candidate('other', { throughputBytesPerSecond: 1000 }),
      ],
      expected: 'other',
    },
  ];
  for (const { name, candidates, expected } of cases) {
    it(name, () => assert.equal(choosePeer(candidates)?.peerId, expected));
  }

  it('returns the candidate object itself, with its own fields', () => {
    const views = [{ ...candidate('a'), has: true }];
    assert.equal(choosePeer(views), views[0]);
  });
});

describe('expectedDeliveryMs and the prior', () => {
  it('adds RTT to the transfer time shared with running downloads', () => {
    const prior = { rttMs: 0, throughputBytesPerSecond: 1 };
    assert.equal(
      expectedDeliveryMs(candidate('a', { rttMs: 30, throughputBytesPerSecond: 1 * MB }), prior, 1 * MB),
      1030,
    );
    assert.equal(
      expectedDeliveryMs(
        candidate('a', { rttMs: 30, throughputBytesPerSecond: 1 * MB, activeDownloads: 1 }),
        prior,
        1 * MB,
      ),
      2030,
    );
    assert.ok(EXPECTED_SEGMENT_BYTES > 0);
  });

  it('takes the best RTT and the best throughput measured among the candidates, ignoring unmeasured ones', () => {
    const prior = peerPrior([
      candidate('a', { rttMs: 10, throughputBytesPerSecond: 1 * MB }),
      candidate('b'),
      candidate('c', { rttMs: 30, throughputBytesPerSecond: 3 * MB }),
      candidate('d', { rttMs: 100, throughputBytesPerSecond: 2 * MB }),
    ]);
    assert.deepEqual(prior, { rttMs: 10, throughputBytesPerSecond: 3 * MB });
    assert.deepEqual(peerPrior([candidate('a'), candidate('b')]), peerPrior([]));
  });

  it('assumes an unmeasured peer of another region a cross-region round trip further than a near one', () => {
    const prior = { rttMs: 20, throughputBytesPerSecond: 1 * MB };
    assert.equal(
      expectedDeliveryMs(candidate('far', { farRegion: true }), prior, 1 * MB) -
        expectedDeliveryMs(candidate('near'), prior, 1 * MB),
      FAR_REGION_PRIOR_MS,
    );
    // Once measured, the measurement alone counts.
    assert.equal(
      expectedDeliveryMs(candidate('far', { farRegion: true, rttMs: 20 }), prior, 1 * MB),
      expectedDeliveryMs(candidate('near', { rttMs: 20 }), prior, 1 * MB),
    );
  });
});

describe('ewma', () => {
  const cases: { name: string; previous: number | null; sample: number; expected: number | null }[] = [
    { name: 'takes the first sample as is', previous: null, sample: 100, expected: 100 },
    { name: 'moves 30% towards a new sample', previous: 100, sample: 200, expected: 130 },
    { name: 'ignores a non-finite sample', previous: 100, sample: Infinity, expected: 100 },
    { name: 'ignores a negative sample', previous: null, sample: -5, expected: null },
  ];
  for (const { name, previous, sample, expected } of cases)
    it(name, () => assert.equal(ewma(previous, sample), expected));
});

describe('choosePeerToReplace', () => {
  const useless = (peerId: string, overrides: Partial<PeerUsefulness> = {}): PeerUsefulness => ({
    peerId,
    connectedForMs: USELESS_AFTER_MS,
    receivedBytes: 0,
    sentBytes: 0,
    activeDownloads: 0,
    offersWanted: false,
    ...overrides,
  });
  const cases: { name: string; peers: PeerUsefulness[]; expected: string | null }[] = [
    { name: 'replaces nobody when there are no peers', peers: [], expected: null },
    {
      name: 'replaces a peer connected a while that never delivered and has nothing we want',
      peers: [useless('a')],
      expected: 'a',
    },
    {
      name: 'gives a new peer time to prove useful',
      peers: [useless('a', { connectedForMs: USELESS_AFTER_MS - 1 })],
      expected: null,
    },
    { name: 'keeps a peer that delivered bytes once', peers: [useless('a', { receivedBytes: 1 })], expected: null },
    {
      name: 'keeps a peer that has or fetches segments we lack',
      peers: [useless('a', { offersWanted: true })],
      expected: null,
    },
    { name: 'keeps a peer we are downloading from', peers: [useless('a', { activeDownloads: 1 })], expected: null },
    {
      name: 'keeps a peer we upload to (useful to the swarm)',
      peers: [useless('a', { sentBytes: 1000 })],
      expected: null,
    },
    {
      name: 'replaces the longest-useless of several',
      peers: [
        useless('a', { connectedForMs: 40_000 }),
        useless('b', { connectedForMs: 90_000 }),
        useless('c', { receivedBytes: 5, connectedForMs: 120_000 }),
      ],
      expected: 'b',
    },
    {
      name: 'replaces a useless peer of another region before a useless one of ours, even a longer-useless one',
      peers: [useless('near', { connectedForMs: 90_000 }), useless('far', { farRegion: true })],
      expected: 'far',
    },
    {
      name: 'replaces the useless peer with the longer measured round trip first',
      peers: [useless('slow', { rttMs: 180 }), useless('quick', { rttMs: 8, connectedForMs: 90_000 })],
      expected: 'slow',
    },
    {
      name: 'keeps a useless peer measured near over an unmeasured one',
      peers: [useless('measured', { rttMs: 8, connectedForMs: 90_000 }), useless('unmeasured')],
      expected: 'unmeasured',
    },
    {
      name: 'trusts a measured round trip over the region hint (a far hint measured near is kept)',
      peers: [useless('hint', { farRegion: true, rttMs: 10 }), useless('slow-near', { rttMs: 200 })],
      expected: 'slow-near',
    },
    {
      name: 'takes the longest-useless among peers equally far',
      peers: [useless('a', { farRegion: true }), useless('b', { farRegion: true, connectedForMs: 60_000 })],
      expected: 'b',
    },
    {
      name: 'never replaces a near useful peer for a far one: only useless peers are replaced',
      peers: [useless('near-useful', { receivedBytes: 10 }), useless('far', { farRegion: true, rttMs: 300 })],
      expected: 'far',
    },
    {
      name: 'replaces a near useless peer when it is the only useless one',
      peers: [useless('near'), useless('far-useful', { farRegion: true, sentBytes: 5 })],
      expected: 'near',
    },
  ];
  for (const { name, peers, expected } of cases) it(name, () => assert.equal(choosePeerToReplace(peers), expected));

  it('honours a custom waiting time', () => {
    assert.equal(isUseless(useless('a', { connectedForMs: 5_000 }), 5_000), true);
    assert.equal(isUseless(useless('a', { connectedForMs: 4_999 }), 5_000), false);
  });
});
