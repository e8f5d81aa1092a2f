import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRandom } from '../../bench/seeded-random.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { TrackerCore } from '../../tracker/core.ts';
import { RELAYED_OFFER_TTL_MS } from '../../tracker/relayed-offers.ts';
import { FakeConnection, wireId } from '../helpers/fake-connection.ts';

// Generated runs of announces, real answers (to offers a connection was actually sent), forged
// and replayed answers, disconnects and clock jumps, checked against a model of the two rules:
// a peer id is served only on the connection that holds it, and an answer reaches an offerer only
// for an offer relayed to the answering connection, once, within the TTL.
const CONNECTIONS = 4;
const PEER_IDS = ['a', 'b', 'c', 'd', 'e'].map(wireId);
const HASHES = [wireId('fuzz-one'), wireId('fuzz-two')];
const OFFER_IDS = [1, 2, 3].map((n) => wireId(`offer${n}`));
const TIMEOUT_MS = DEFAULT_TRACKER_CONFIG.peerTimeoutMs;

type Step =
  | { kind: 'announce'; conn: number; peer: number; hash: number; offers: number[]; event: string }
  | { kind: 'answer-received'; conn: number; pick: number; as: number }
  | { kind: 'forged-answer'; conn: number; from: number; to: number; hash: number; offer: number }
  | { kind: 'replay'; pick: number }
  | { kind: 'disconnect'; conn: number }
  | { kind: 'clock'; advanceMs: number };

const conn = fc.nat(CONNECTIONS - 1);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('announce' as const),
      conn,
      peer: fc.nat(PEER_IDS.length - 1),
      hash: fc.nat(1),
      offers: fc.array(fc.nat(2), { maxLength: 3 }),
      event: fc.constantFrom('started', 'update', 'update', 'stopped'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('answer-received' as const), conn, pick: fc.nat(), as: fc.nat(1) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forged-answer' as const),
      conn,
      from: fc.nat(PEER_IDS.length - 1),
      to: fc.nat(PEER_IDS.length - 1),
      hash: fc.nat(1),
      offer: fc.nat(2),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), conn }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('clock' as const),
      advanceMs: fc.constantFrom(1000, RELAYED_OFFER_TTL_MS + 1, TIMEOUT_MS + 1),
    }),
  },
);

interface RelayedOffer {
  readonly to: FakeConnection;
  readonly hash: string;
  readonly from: string;
  readonly offerId: string;
  readonly atMs: number;
  answered: boolean;
}

describe('tracker core under generated input: peer id ownership and answer relay', () => {
  it('serves a peer id only on its holder and relays only answers to offers relayed to their sender, once', () => {
    const seen = { refusedTakeovers: 0, answersRelayed: 0, answersDropped: 0 };
    fc.assert(
      fc.property(fc.array(step, { minLength: 20, maxLength: 60 }), (steps) => {
        const clock = { nowMs: 0 };
        const core = new TrackerCore({
          ...DEFAULT_TRACKER_CONFIG,
          maxPeersPerConnection: 3,
          nowMs: () => clock.nowMs,
          random: seededRandom(4),
        });
        const connections = Array.from({ length: CONNECTIONS }, () => new FakeConnection());
        // Model: who holds each (hash, peer id), and when it last announced.
        const owners = new Map<string, { connection: FakeConnection; lastMs: number }>();
        const relayed: RelayedOffer[] = [];
        const answersSent: [FakeConnection, string][] = [];
        const ownerOf = (hash: string, peerId: string) => owners.get(hash + peerId)?.connection;

        /** Read every frame the core sent since the last step and check it against the model. */
        const observe = (
          sender: FakeConnection,
          answer: { hash: string; from: string; to: string; offerId: string } | null,
        ): void => {
          for (const receiver of connections) {
            for (const message of receiver.take()) {
              if (message['offer'] !== undefined) {
                const from = String(message['peer_id']);
                const hash = String(message['info_hash']);
                assert.equal(ownerOf(hash, from), sender, 'an offer comes from the holder of its peer id');
                relayed.push({
                  to: receiver,
                  hash,
                  from,
                  offerId: String(message['offer_id']),
                  atMs: clock.nowMs,
                  answered: false,
                });
              } else if (message['answer'] !== undefined) {
                assert.ok(
                  answer !== null && message['peer_id'] === answer.from && message['offer_id'] === answer.offerId,
                );
                assert.equal(
                  ownerOf(answer.hash, answer.to),
                  receiver,
                  'the answer reaches the holder of the offering peer id',
                );
                const offer = relayed.find(
                  (o) =>
                    !o.answered &&
                    o.to === sender &&
                    o.hash === answer.hash &&
                    o.from === answer.to &&
                    o.offerId === answer.offerId &&
                    clock.nowMs - o.atMs <= RELAYED_OFFER_TTL_MS,
                );
                assert.ok(
                  offer !== undefined,
                  'an answer is relayed only for an offer relayed to its sender, unanswered and fresh',
                );
                offer.answered = true;
                seen.answersRelayed += 1;
              }
            }
          }
        };

        for (const s of steps) {
          if (s.kind === 'announce') {
            const connection = connections[s.conn] as FakeConnection;
            const [hash, peerId] = [HASHES[s.hash] as string, PEER_IDS[s.peer] as string];
            const offers = s.offers.map((n, i) => ({
              offer_id: OFFER_IDS[n],
              offer: { type: 'offer', sdp: `v=0 ${i}` },
            }));
            const holder = ownerOf(hash, peerId);
            core.handle(
              JSON.stringify({
                action: 'announce',
                info_hash: hash,
                peer_id: peerId,
                event: s.event,
                numwant: 3,
                offers,
              }),
              connection,
            );
            const reply = connection.sent.find((m) => m['interval'] !== undefined || m['failure reason'] !== undefined);
            if (holder !== undefined && holder !== connection && s.event !== 'stopped') {
              assert.equal(reply?.['failure reason'], 'peer_id is in use by another connection');
              seen.refusedTakeovers += 1;
            }
            if (reply?.['failure reason'] === undefined && (holder === undefined || holder === connection)) {
              if (s.event === 'stopped') owners.delete(hash + peerId);
              else owners.set(hash + peerId, { connection, lastMs: clock.nowMs });
            }
            observe(connection, null);
          } else if (s.kind === 'answer-received' || s.kind === 'forged-answer' || s.kind === 'replay') {
            let sender: FakeConnection;
            let frame: string;
            if (s.kind === 'replay') {
              if (answersSent.length === 0) continue;
              [sender, frame] = answersSent[s.pick % answersSent.length] as [FakeConnection, string];
            } else if (s.kind === 'answer-received') {
              sender = connections[s.conn] as FakeConnection;
              const mine = relayed.filter((o) => o.to === sender);
              if (mine.length === 0) continue;
              const offer = mine[s.pick % mine.length] as RelayedOffer;
              // Answer as one of the peer ids this connection holds in that swarm (if any).
              const held = PEER_IDS.filter((p) => ownerOf(offer.hash, p) === sender);
              const as = held[s.as % Math.max(1, held.length)] ?? PEER_IDS[0];
              frame = JSON.stringify({
                action: 'announce',
                info_hash: offer.hash,
                peer_id: as,
                to_peer_id: offer.from,
                offer_id: offer.offerId,
                answer: { type: 'answer', sdp: 'v=0 a' },
              });
            } else {
              sender = connections[s.conn] as FakeConnection;
              frame = JSON.stringify({
                action: 'announce',
                info_hash: HASHES[s.hash],
                peer_id: PEER_IDS[s.from],
                to_peer_id: PEER_IDS[s.to],
                offer_id: OFFER_IDS[s.offer],
                answer: { type: 'answer', sdp: 'v=0 f' },
              });
            }
            const parsed = JSON.parse(frame) as {
              info_hash: string;
              peer_id: string;
              to_peer_id: string;
              offer_id: string;
            };
            const before = core.stats().answersRelayed;
            core.handle(frame, sender);
            answersSent.push([sender, frame]);
            if (core.stats().answersRelayed === before) seen.answersDropped += 1;
            observe(sender, {
              hash: parsed.info_hash,
              from: parsed.peer_id,
              to: parsed.to_peer_id,
              offerId: parsed.offer_id,
            });
          } else if (s.kind === 'disconnect') {
            const gone = connections[s.conn] as FakeConnection;
            core.disconnect(gone);
            for (const [key, owner] of owners) if (owner.connection === gone) owners.delete(key);
            connections[s.conn] = new FakeConnection();
          } else {
            clock.nowMs += s.advanceMs;
            core.sweep();
            for (const [key, owner] of owners) if (owner.lastMs < clock.nowMs - TIMEOUT_MS) owners.delete(key);
          }
        }
        assert.equal(core.stats().peers, owners.size, 'the model and the core agree on who is in the swarms');
      }),
      { numRuns: 400, seed: 11 },
    );
    // The runs really exercise both rules.
    for (const [key, count] of Object.entries(seen)) assert.ok(count > 100, `${key}: ${count}`);
  });
});
