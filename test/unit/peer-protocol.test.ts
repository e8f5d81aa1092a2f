import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeControl,
  encodeData,
  MAX_CHUNK_BYTES,
  MAX_MESSAGE_BYTES,
  parseFrame,
  type PeerMessage,
} from '../../lib/peer-protocol.ts';

const sequenceNumber = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const sequenceList = fc.array(sequenceNumber, { maxLength: 50 });

const message: fc.Arbitrary<PeerMessage> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), version: uint32, have: sequenceList }),
  fc.record({ type: fc.constant('have' as const), sequenceNumbers: sequenceList }),
  fc.record({ type: fc.constant('lost' as const), sequenceNumbers: sequenceList }),
  fc.record({ type: fc.constant('loading' as const), sequenceNumbers: sequenceList }),
  fc.record({ type: fc.constant('request' as const), requestId: uint32, sequenceNumber }),
  fc.record({ type: fc.constant('absent' as const), requestId: uint32, sequenceNumber }),
  fc.record({
    type: fc.constant('response' as const),
    requestId: uint32,
    sequenceNumber,
    byteLength: fc.integer({ min: 0, max: 64 * 1024 * 1024 }),
  }),
  fc.record({ type: fc.constant('cancel' as const), requestId: uint32 }),
);

const encodeJson = (value: unknown): Uint8Array => {
  const json = new TextEncoder().encode(JSON.stringify(value));
  return Uint8Array.of(1, ...json);
};

describe('peer protocol', () => {
  it('parses back every control message it encodes', () => {
    fc.assert(
      fc.property(message, (m) => {
        // fast-check records have a null prototype; compare as plain objects.
        assert.deepEqual(parseFrame(encodeControl(m)), { kind: 'control', message: { ...m } });
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('parses back every data frame it encodes', () => {
    fc.assert(
      fc.property(uint32, uint32, fc.uint8Array({ maxLength: 2048 }), (requestId, byteOffset, payload) => {
        const parsed = parseFrame(encodeData(requestId, byteOffset, payload));
        assert.equal(parsed.kind, 'data');
        if (parsed.kind !== 'data') return;
        assert.equal(parsed.frame.requestId, requestId);
        assert.equal(parsed.frame.byteOffset, byteOffset);
        assert.deepEqual([...parsed.frame.payload], [...payload]);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('keeps a full chunk within the message size limit', () => {
    assert.equal(encodeData(1, 0, new Uint8Array(MAX_CHUNK_BYTES)).byteLength, MAX_MESSAGE_BYTES);
  });

  it('never throws and never accepts arbitrary bytes as a control message of unknown shape', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const parsed = parseFrame(bytes);
        assert.ok(['control', 'data', 'invalid'].includes(parsed.kind));
      }),
      { numRuns: 5000, seed: 1 },
    );
  });

  it('rejects malformed control messages with a reason', () => {
    const cases: unknown[] = [
      [],
      'hello',
      { type: 'nope' },
      { type: 'hello', version: 1 },
      { type: 'hello', version: '1', have: [] },
      { type: 'have', sequenceNumbers: [-1] },
      { type: 'have', sequenceNumbers: [1.5] },
      { type: 'lost', sequenceNumbers: 'x' },
      { type: 'request', requestId: -1, sequenceNumber: 1 },
      { type: 'request', requestId: 2 ** 32, sequenceNumber: 1 },
      { type: 'response', requestId: 1, sequenceNumber: 1, byteLength: 64 * 1024 * 1024 + 1 },
      { type: 'cancel' },
      { type: 'have', sequenceNumbers: Array.from({ length: 5000 }, (_, i) => i) },
    ];
    for (const value of cases) {
      const parsed = parseFrame(encodeJson(value));
      assert.equal(parsed.kind, 'invalid', JSON.stringify(value).slice(0, 80));
    }
  });

  it('rejects empty, oversized, short, unknown-kind and non-UTF-8 frames', () => {
    assert.equal(parseFrame(new Uint8Array(0)).kind, 'invalid');
    assert.equal(parseFrame(new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(2)).kind, 'invalid');
    assert.equal(parseFrame(Uint8Array.of(2, 0, 0)).kind, 'invalid');
    assert.equal(parseFrame(Uint8Array.of(9, 1, 2)).kind, 'invalid');
    assert.equal(parseFrame(Uint8Array.of(1, 0xff, 0xfe)).kind, 'invalid');
    assert.equal(parseFrame(Uint8Array.of(1, 0x7b)).kind, 'invalid');
  });
});
