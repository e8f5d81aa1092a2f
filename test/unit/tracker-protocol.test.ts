import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRandom } from '../../bench/seeded-random.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { TrackerCore } from '../../tracker/core.ts';
import {
  MAX_MESSAGE_BYTES,
  encodeAnnounceReply,
  encodeFailure,
  encodeRelayedAnswer,
  encodeRelayedOffer,
  parseRequest,
  type ProtocolErrorCode,
} from '../../tracker/protocol.ts';
import { textFrameHeaderBytes, writeTextFrameHeader } from '../../tracker/socket-connection.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('swarm');
const LIMITS = { maxMessageBytes: MAX_MESSAGE_BYTES, maxOffersPerAnnounce: 10 };
const parse = (message: unknown) =>
  parseRequest(typeof message === 'string' ? message : JSON.stringify(message), LIMITS);

describe('tracker protocol parsing', () => {
  it('accepts an announce with offers, as bittorrent-tracker sends it', () => {
    const result = parse({
      action: 'announce',
      info_hash: HASH,
      peer_id: wireId('p'),
      numwant: 5,
      uploaded: 0,
      downloaded: 0,
      event: 'started',
      offers: [offer(1)],
    });
    assert.deepEqual(result, {
      ok: true,
      request: {
        type: 'announce',
        infoHash: HASH,
        peerId: wireId('p'),
        event: 'started',
        numwant: 5,
        left: null,
        offers: [{ offerId: wireId('offer1'), offer: { type: 'offer', sdp: 'v=0 offer 1', sdpJson: '"v=0 offer 1"' } }],
      },
    });
  });

  it('reads a missing event as an update, and left as given or null', () => {
    const plain = parse({ action: 'announce', info_hash: HASH, peer_id: wireId('p'), left: 0 });
    assert.ok(plain.ok && plain.request.type === 'announce');
    assert.equal(plain.request.event, 'update');
    assert.equal(plain.request.left, 0);
    assert.equal(plain.request.numwant, null);
    // JSON.stringify turns the client's `left: Infinity` into null.
    const infinite = parse(
      JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('p'), left: Infinity }),
    );
    assert.ok(infinite.ok && infinite.request.type === 'announce' && infinite.request.left === null);
  });

  it('accepts 20-character binary (latin-1) ids, as bittorrent-tracker sends them', () => {
    const binary = String.fromCharCode(...Array.from({ length: 20 }, (_, i) => 0x80 + i * 6));
    assert.equal(Buffer.byteLength(binary), 40, 'longer than 20 bytes in UTF-8, still 20 characters');
    assert.equal(parse({ action: 'announce', info_hash: binary, peer_id: binary }).ok, true);
  });

  it('accepts an answer to a peer', () => {
    const answer = parse({
      action: 'announce',
      info_hash: HASH,
      peer_id: wireId('b'),
      to_peer_id: wireId('a'),
      offer_id: wireId('o'),
      answer: { type: 'answer', sdp: 'x' },
    });
    assert.deepEqual(answer, {
      ok: true,
      request: {
        type: 'answer',
        infoHash: HASH,
        peerId: wireId('b'),
        toPeerId: wireId('a'),
        offerId: wireId('o'),
        answer: { type: 'answer', sdp: 'x', sdpJson: '"x"' },
      },
    });
  });

  it('accepts a scrape of one info hash or a list', () => {
    assert.deepEqual(parse({ action: 'scrape', info_hash: HASH }), {
      ok: true,
      request: { type: 'scrape', infoHashes: [HASH] },
    });
    assert.deepEqual(parse({ action: 'scrape', info_hash: [HASH, wireId('x')] }), {
      ok: true,
      request: { type: 'scrape', infoHashes: [HASH, wireId('x')] },
    });
  });

  it('rejects each kind of malformed message with a code naming the field', () => {
    const base = { action: 'announce', info_hash: HASH, peer_id: wireId('p') };
    const answer = { ...base, to_peer_id: wireId('a'), offer_id: wireId('o'), answer: { type: 'answer', sdp: 'x' } };
    const cases: [string, unknown, ProtocolErrorCode, string | null][] = [
      ['not JSON', '{', 'not-json', null],
      ['an array', [], 'not-an-object', null],
      ['null', 'null', 'not-an-object', null],
      ['unknown action', { ...base, action: 'hello' }, 'unknown-action', 'action'],
      ['no action', { info_hash: HASH }, 'unknown-action', 'action'],
      ['short info_hash', { ...base, info_hash: 'abc' }, 'invalid-field', 'info_hash'],
      ['21-character info_hash', { ...base, info_hash: `${HASH}x` }, 'invalid-field', 'info_hash'],
      ['numeric peer_id', { ...base, peer_id: 12345678901234567000 }, 'invalid-field', 'peer_id'],
      ['unknown event', { ...base, event: 'dancing' }, 'invalid-field', 'event'],
      ['an event named like an Object.prototype member', { ...base, event: 'toString' }, 'invalid-field', 'event'],
      ['event __proto__', { ...base, event: '__proto__' }, 'invalid-field', 'event'],
      ['negative numwant', { ...base, numwant: -1 }, 'invalid-field', 'numwant'],
      ['string left', { ...base, left: '0' }, 'invalid-field', 'left'],
      ['offers not an array', { ...base, offers: {} }, 'invalid-field', 'offers'],
      [
        'too many offers',
        { ...base, offers: Array.from({ length: 11 }, (_, i) => offer(i)) },
        'too-many-offers',
        'offers',
      ],
      [
        'short offer_id',
        { ...base, offers: [offer(1), { ...offer(2), offer_id: 'short' }] },
        'invalid-field',
        'offers[1].offer_id',
      ],
      [
        'offer without sdp',
        { ...base, offers: [{ offer_id: wireId('o'), offer: { type: 'offer' } }] },
        'invalid-field',
        'offers[0].offer',
      ],
      [
        'offer of type answer',
        { ...base, offers: [{ offer_id: wireId('o'), offer: { type: 'answer', sdp: 'x' } }] },
        'invalid-field',
        'offers[0].offer',
      ],
      ['answer of type offer', { ...answer, answer: { type: 'offer', sdp: 'x' } }, 'invalid-field', 'answer'],
      ['answer without to_peer_id', { ...answer, to_peer_id: undefined }, 'invalid-field', 'to_peer_id'],
      ['answer with a short offer_id', { ...answer, offer_id: 'o' }, 'invalid-field', 'offer_id'],
      ['scrape of a bad hash', { action: 'scrape', info_hash: ['x'] }, 'invalid-field', 'info_hash'],
      ['scrape of nothing', { action: 'scrape' }, 'invalid-field', 'info_hash'],
      [
        'scrape of 101 hashes',
        { action: 'scrape', info_hash: Array.from({ length: 101 }, () => HASH) },
        'invalid-field',
        'info_hash',
      ],
    ];
    for (const [name, message, code, field] of cases) {
      const result = parse(message);
      assert.ok(!result.ok, name);
      assert.equal(result.error.code, code, name);
      assert.equal(result.error.field, field, name);
      if (field !== null) assert.match(result.error.message, new RegExp(field.replace(/[[\]]/g, '\\$&')), name);
    }
  });

  it('rejects a frame over MAX_MESSAGE_BYTES, counting UTF-8 bytes rather than characters', () => {
    const padding = (text: string) =>
      JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('p'), padding: text });
    const overhead = padding('').length;
    assert.equal(parse(padding('x'.repeat(MAX_MESSAGE_BYTES - overhead))).ok, true);
    const ascii = parse(padding('x'.repeat(MAX_MESSAGE_BYTES - overhead + 1)));
    assert.ok(!ascii.ok && ascii.error.code === 'message-too-large');
    // Half as many characters, each two bytes in UTF-8.
    const wide = parse(padding('é'.repeat((MAX_MESSAGE_BYTES - overhead) / 2 + 1)));
    assert.ok(!wide.ok && wide.error.code === 'message-too-large');
  });

  it('honours the limits it is given', () => {
    const message = JSON.stringify({
      action: 'announce',
      info_hash: HASH,
      peer_id: wireId('p'),
      offers: [offer(1), offer(2)],
    });
    assert.equal(parseRequest(message, { maxMessageBytes: MAX_MESSAGE_BYTES, maxOffersPerAnnounce: 1 }).ok, false);
    assert.equal(parseRequest(message, { maxMessageBytes: 100, maxOffersPerAnnounce: 10 }).ok, false);
  });

  it('encodes a failure the way bittorrent-tracker replies, with the info hash when known', () => {
    assert.deepEqual(JSON.parse(encodeFailure({ message: 'no', action: 'announce', infoHash: HASH })), {
      action: 'announce',
      'failure reason': 'no',
      info_hash: HASH,
    });
    assert.deepEqual(JSON.parse(encodeFailure({ message: 'no', action: 'scrape', infoHash: null })), {
      action: 'scrape',
      'failure reason': 'no',
    });
  });
});

describe('tracker frame encoding', () => {
  // What the encoders wrote before they spliced the received SDP literal in: every relayed frame
  // must stay byte for byte the same, however the sender wrote its JSON.
  const reference = {
    offer: (infoHash: string, peerId: string, offerId: string, sdp: string) =>
      JSON.stringify({
        action: 'announce',
        offer: { type: 'offer', sdp },
        offer_id: offerId,
        peer_id: peerId,
        info_hash: infoHash,
      }),
    answer: (infoHash: string, peerId: string, offerId: string, sdp: string) =>
      JSON.stringify({
        action: 'announce',
        answer: { type: 'answer', sdp },
        offer_id: offerId,
        peer_id: peerId,
        info_hash: infoHash,
      }),
  };
  // Strings rich in what JSON escapes: quotes, backslashes, controls, lone and paired surrogates.
  const tricky = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '"',
          '\\',
          '\r\n',
          '\u0000',
          '\u001f',
          '\u007f',
          '\u2028',
          '\ud800',
          '\udc00',
          '\ud83d\ude00',
          '/',
          'é',
          '"sdp":"',
        ),
        fc.string({ maxLength: 4 }),
      ),
      { minLength: 1, maxLength: 12 },
    )
    .map((parts) => parts.join(''))
    .filter((text) => text.length > 0);
  // How a sender may write a string: as JSON.stringify does, or with every character or only
  // some escaped as \uXXXX (upper or lower case), or with \/ for a slash.
  const writeString = (text: string, style: number): string => {
    if (style === 0) return JSON.stringify(text);
    let out = '"';
    for (const [i, char] of Array.from(text).entries()) {
      const escapeIt = style === 1 || (style === 2 && i % 2 === 0) || char === '"' || char === '\\' || char < ' ';
      if (char === '/' && style === 3) out += '\\/';
      else if (!escapeIt) out += char;
      else
        for (let k = 0; k < char.length; k++) {
          const hex = char.charCodeAt(k).toString(16).padStart(4, '0');
          out += `\\u${style === 2 ? hex.toUpperCase() : hex}`;
        }
    }
    return `${out}"`;
  };
  const ids = fc.string({ minLength: 20, maxLength: 20 });

  it('relays offers and answers exactly as JSON.stringify of the parsed values would, over 2,000 generated frames', () => {
    fc.assert(
      fc.property(
        ids,
        ids,
        ids,
        fc.array(fc.tuple(tricky, fc.nat(3)), { minLength: 1, maxLength: 3 }),
        fc.nat(3),
        fc.boolean(),
        (infoHash, peerId, offerId, sdps, answerStyle, decoy) => {
          // A decoy "sdp" key earlier in the frame, with another value, must not be picked.
          const offers = sdps.map(
            ([sdp, style]) =>
              `{"offer_id":${JSON.stringify(offerId)},"offer":{"type":"offer","sdp":${writeString(sdp, style)}}}`,
          );
          const head = `{"action":"announce",${decoy ? '"x":{"sdp":"decoy"},' : ''}"info_hash":${JSON.stringify(infoHash)},"peer_id":${JSON.stringify(peerId)}`;
          const announce = parseRequest(`${head},"offers":[${offers.join(',')}]}`);
          assert.ok(announce.ok && announce.request.type === 'announce');
          announce.request.offers.forEach((offer, i) =>
            assert.equal(
              encodeRelayedOffer(infoHash, peerId, offer).join(''),
              reference.offer(infoHash, peerId, offerId, (sdps[i] as [string, number])[0]),
            ),
          );
          const [sdp] = sdps[0] as [string, number];
          const answer = parseRequest(
            `${head},"to_peer_id":${JSON.stringify(offerId)},"offer_id":${JSON.stringify(offerId)},"answer":{"sdp":${writeString(sdp, answerStyle)},"type":"answer"}}`,
          );
          assert.ok(answer.ok && answer.request.type === 'answer');
          assert.equal(encodeRelayedAnswer(answer.request).join(''), reference.answer(infoHash, peerId, offerId, sdp));
        },
      ),
      { numRuns: 2000, seed: 2026 },
    );
  });

  it('writes the announce reply as JSON.stringify would', () => {
    const counts = { complete: 3, incomplete: 10_000, downloaded: 1 };
    assert.equal(
      encodeAnnounceReply(HASH, 120, counts),
      JSON.stringify({ action: 'announce', interval: 120, info_hash: HASH, complete: 3, incomplete: 10_000 }),
    );
  });
});

describe('tracker core under generated input', () => {
  const PEER_IDS = ['a', 'b', 'c', 'd'].map(wireId);
  const HASHES = [HASH, wireId('other')];
  const OFFER_IDS = [wireId('offer-1'), wireId('offer-2')];
  const sdp = fc.string({ minLength: 1, maxLength: 8 });
  const validOffer = fc.record({
    offer_id: fc.constantFrom(...OFFER_IDS),
    offer: fc.record({ type: fc.constant('offer'), sdp }),
  });
  const validAnnounce = fc.record(
    {
      action: fc.constant('announce'),
      info_hash: fc.constantFrom(...HASHES),
      peer_id: fc.constantFrom(...PEER_IDS),
      numwant: fc.integer({ min: 0, max: 6 }),
      left: fc.constantFrom(0, 1, null),
      event: fc.constantFrom('started', 'stopped', 'completed', 'update', 'paused'),
      offers: fc.array(validOffer, { maxLength: 6 }),
    },
    { requiredKeys: ['action', 'info_hash', 'peer_id'] },
  );
  const validAnswer = fc.record({
    action: fc.constant('announce'),
    info_hash: fc.constantFrom(...HASHES),
    peer_id: fc.constantFrom(...PEER_IDS),
    to_peer_id: fc.constantFrom(...PEER_IDS),
    offer_id: fc.constantFrom(...OFFER_IDS),
    answer: fc.record({ type: fc.constant('answer'), sdp }),
  });
  const validScrape = fc.record({
    action: fc.constant('scrape'),
    info_hash: fc.oneof(fc.constantFrom(...HASHES), fc.array(fc.constantFrom(...HASHES), { maxLength: 3 })),
  });
  // Near-valid: a valid message with one field replaced (or removed) by something arbitrary.
  const FIELDS = [
    'action',
    'info_hash',
    'peer_id',
    'to_peer_id',
    'offer_id',
    'numwant',
    'left',
    'event',
    'offers',
    'answer',
  ];
  const corruption = fc.record({
    field: fc.constantFrom(...FIELDS),
    value: fc.oneof(fc.anything(), fc.string({ minLength: 19, maxLength: 21 }), fc.constant(undefined)),
  });
  const nearValid = fc
    .tuple(
      fc.oneof(
        { weight: 6, arbitrary: validAnnounce },
        { weight: 3, arbitrary: validAnswer },
        { weight: 1, arbitrary: validScrape },
      ),
      fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: corruption }),
    )
    .map(([message, change]) =>
      JSON.stringify(change === null ? message : { ...message, [change.field]: change.value }),
    );
  const frame = fc.oneof(
    { weight: 10, arbitrary: nearValid },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
  // A step: which of four connections sends the frame (often the one that usually speaks for the
  // frame's peer id, so answers can be relayed), and how far the clock moves first.
  const steps = fc.array(
    fc.tuple(
      fc.oneof({ weight: 1, arbitrary: fc.nat(3) }, { weight: 3, arbitrary: fc.constant('owner' as const) }),
      fc.constantFrom(0, 0, 0, 90_000),
      frame,
    ),
    { minLength: 10, maxLength: 40 },
  );
  const ownerOf = (text: string): number => {
    try {
      return Math.max(0, PEER_IDS.indexOf((JSON.parse(text) as { peer_id?: string }).peer_id ?? '')) % 4;
    } catch {
      return 0;
    }
  };

  it('never throws, keeps counts consistent, and leaks no peers or swarms over 10^4 generated frames', () => {
    let frames = 0;
    const seen = {
      peers: 0,
      offersRelayed: 0,
      answersRelayed: 0,
      answersUnrelayed: 0,
      expiredPeers: 0,
      rejectedMessages: 0,
    };
    fc.assert(
      fc.property(steps, fc.boolean(), (run, endByExpiry) => {
        const clock = { nowMs: 0 };
        // Two peers per connection at most: never more than 8 swarms, so topSwarms lists them all.
        const core = new TrackerCore({
          ...DEFAULT_TRACKER_CONFIG,
          maxPeersPerConnection: 2,
          nowMs: () => clock.nowMs,
          random: seededRandom(9),
        });
        const connections = [0, 1, 2, 3].map(() => new FakeConnection());
        for (const [who, advanceMs, text] of run) {
          clock.nowMs += advanceMs;
          if (advanceMs > 0) core.sweep();
          core.handle(text, connections[who === 'owner' ? ownerOf(text) : who] as FakeConnection);
          frames += 1;
          const stats = core.stats();
          seen.peers += stats.peers;
          assert.equal(
            stats.topSwarms.reduce((sum, swarm) => sum + swarm.peers, 0),
            stats.peers,
            'every peer is in exactly one swarm',
          );
          assert.ok(
            stats.topSwarms.every((swarm) => swarm.peers > 0 && swarm.seeders <= swarm.peers),
            'no empty swarm is kept',
          );
          assert.ok(stats.connections <= 4);
        }
        if (endByExpiry) {
          clock.nowMs += DEFAULT_TRACKER_CONFIG.peerTimeoutMs + 1;
          core.sweep();
        } else {
          for (const connection of connections) core.disconnect(connection);
        }
        const stats = core.stats();
        assert.deepEqual([stats.peers, stats.swarms, stats.connections], [0, 0, 0]);
        seen.offersRelayed += stats.offersRelayed;
        seen.answersRelayed += stats.answersRelayed;
        seen.answersUnrelayed += stats.answersUnrelayed;
        seen.expiredPeers += stats.expiredPeers;
        seen.rejectedMessages += stats.rejectedMessages;
        // Every frame a connection received is JSON the client can parse, with a known action.
        for (const connection of connections)
          for (const sent of connection.take()) assert.ok(sent['action'] === 'announce' || sent['action'] === 'scrape');
      }),
      { numRuns: 700, seed: 2026 },
    );
    assert.ok(frames >= 10_000, `only ${frames} frames generated`);
    // The generated frames really exercise the core, not only its parser.
    assert.ok(seen.peers > frames, 'peers joined swarms');
    for (const key of ['offersRelayed', 'answersUnrelayed', 'expiredPeers', 'rejectedMessages'] as const)
      assert.ok(seen[key] > 50, key);
    // Blind answers rarely match an offer the tracker relayed (tracker-trust.test.ts generates matching ones).
    assert.ok(seen.answersRelayed > 5, 'answersRelayed');
  });
});

describe('tracker text frame header', () => {
  it('writes the same header bytes as ws does for a server text frame, at every length class', async () => {
    const { Sender } = (await import('ws')) as unknown as {
      Sender: { frame(data: Buffer, options: object): Buffer[] };
    };
    for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const [header] = Sender.frame(Buffer.alloc(length), {
        fin: true,
        opcode: 1,
        mask: false,
        readOnly: false,
        rsv1: false,
      });
      const written = Buffer.alloc(textFrameHeaderBytes(length) + 1, 0xee);
      const end = writeTextFrameHeader(written, 1, length);
      assert.equal(end, written.length, `${length} bytes: the returned offset is just past the header`);
      assert.deepEqual(written.subarray(1), header, `${length} bytes`);
    }
  });
});
