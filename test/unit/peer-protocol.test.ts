import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  availabilityMessages,
  encodeControl,
  encodeData,
  MAX_CHUNK_BYTES,
  MAX_LIST_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_SEGMENT_BYTES,
  parseFrame,
  PROTOCOL_VERSION,
  type ParsedFrame,
  type PeerMessage,
} from '../../lib/peer/peer-protocol.ts';
import { MAX_UPLINK_CLASS } from '../../lib/policy/seeder-weight.ts';

const KIND_CONTROL = 0x01;
const KIND_DATA = 0x02;
const MESSAGE_TYPES = ['hello', 'have', 'lost', 'loading', 'request', 'response', 'absent', 'cancel'] as const;

const REGION = /^[0-9A-Za-z_.-]{1,32}$/;
const sequenceNumber = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const sequenceList = fc.array(sequenceNumber, { maxLength: 50 });

// fast-check records have a null prototype; the parser returns plain objects.
const plain = <T extends object>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  arbitrary.map((value) => ({ ...value }));

const messageOf: { [K in PeerMessage['type']]: fc.Arbitrary<Extract<PeerMessage, { type: K }>> } = {
  hello: plain(
    fc.record(
      {
        type: fc.constant('hello' as const),
        version: uint32,
        have: sequenceList,
        region: fc.option(fc.stringMatching(REGION)),
        uplinkClass: fc.integer({ min: 1, max: MAX_UPLINK_CLASS }),
      },
      { requiredKeys: ['type', 'version', 'have', 'region'] },
    ),
  ),
  have: plain(
    fc.record(
      {
        type: fc.constant('have' as const),
        sequenceNumbers: sequenceList,
        uplinkClass: fc.integer({ min: 1, max: MAX_UPLINK_CLASS }),
      },
      { requiredKeys: ['type', 'sequenceNumbers'] },
    ),
  ),
  lost: plain(fc.record({ type: fc.constant('lost' as const), sequenceNumbers: sequenceList })),
  loading: plain(fc.record({ type: fc.constant('loading' as const), sequenceNumbers: sequenceList })),
  request: plain(
    fc.record(
      {
        type: fc.constant('request' as const),
        requestId: uint32,
        sequenceNumber,
        neededInMs: uint32,
        fromByte: fc.integer({ min: 1, max: MAX_SEGMENT_BYTES - 1 }),
      },
      { requiredKeys: ['type', 'requestId', 'sequenceNumber'] },
    ),
  ),
  // `busy: false` is the same message as no `busy`: the parser hands on only `busy: true`.
  absent: plain(
    fc.record(
      { type: fc.constant('absent' as const), requestId: uint32, sequenceNumber, busy: fc.constant(true) },
      { requiredKeys: ['type', 'requestId', 'sequenceNumber'] },
    ),
  ),
  response: plain(
    fc.record({
      type: fc.constant('response' as const),
      requestId: uint32,
      sequenceNumber,
      byteLength: fc.integer({ min: 0, max: MAX_SEGMENT_BYTES }),
    }),
  ),
  cancel: plain(fc.record({ type: fc.constant('cancel' as const), requestId: uint32 })),
};
const message: fc.Arbitrary<PeerMessage> = fc.oneof(
  ...MESSAGE_TYPES.map((type) => messageOf[type] as fc.Arbitrary<PeerMessage>),
);
const chunk = fc.uint8Array({ minLength: 1, maxLength: 2048 });
const dataFrame = fc
  .tuple(uint32, uint32, chunk)
  .map(([requestId, byteOffset, payload]) => encodeData(requestId, byteOffset, payload));
const validFrame = fc.oneof(message.map(encodeControl), dataFrame);

const isUint32 = (value: number): boolean => Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
const isSequenceNumber = (value: number): boolean => Number.isSafeInteger(value) && value >= 0;

/** An oracle written apart from the parser: what a well-formed message is. */
function assertWellFormed(parsed: ParsedFrame): void {
  if (parsed.kind === 'invalid') {
    assert.equal(typeof parsed.reason, 'string');
    assert.ok(parsed.reason.length > 0);
    return;
  }
  if (parsed.kind === 'data') {
    const { requestId, byteOffset, payload } = parsed.frame;
    assert.ok(isUint32(requestId) && isUint32(byteOffset));
    assert.ok(payload.byteLength >= 1 && payload.byteLength <= MAX_CHUNK_BYTES);
    return;
  }
  const m = parsed.message;
  assert.ok((MESSAGE_TYPES as readonly string[]).includes(m.type));
  switch (m.type) {
    case 'hello':
      assert.ok(isUint32(m.version));
      assert.ok(m.have.length <= MAX_LIST_LENGTH && m.have.every(isSequenceNumber));
      assert.ok(m.region === null || (m.region !== undefined && REGION.test(m.region)));
      assert.ok(
        m.uplinkClass === undefined ||
          (Number.isInteger(m.uplinkClass) && m.uplinkClass >= 1 && m.uplinkClass <= MAX_UPLINK_CLASS),
      );
      break;
    case 'have':
      assert.ok(
        m.uplinkClass === undefined ||
          (Number.isInteger(m.uplinkClass) && m.uplinkClass >= 1 && m.uplinkClass <= MAX_UPLINK_CLASS),
      );
      assert.ok(m.sequenceNumbers.length <= MAX_LIST_LENGTH && m.sequenceNumbers.every(isSequenceNumber));
      break;
    case 'lost':
    case 'loading':
      assert.ok(m.sequenceNumbers.length <= MAX_LIST_LENGTH && m.sequenceNumbers.every(isSequenceNumber));
      break;
    case 'request':
      assert.ok(isUint32(m.requestId) && isSequenceNumber(m.sequenceNumber));
      assert.ok(m.neededInMs === undefined || isUint32(m.neededInMs));
      assert.ok(m.fromByte === undefined || (isUint32(m.fromByte) && m.fromByte > 0 && m.fromByte < MAX_SEGMENT_BYTES));
      break;
    case 'absent':
      assert.ok(isUint32(m.requestId) && isSequenceNumber(m.sequenceNumber));
      assert.ok(m.busy === undefined || m.busy);
      break;
    case 'response':
      assert.ok(isUint32(m.requestId) && isSequenceNumber(m.sequenceNumber));
      assert.ok(isUint32(m.byteLength) && m.byteLength <= MAX_SEGMENT_BYTES);
      break;
    case 'cancel':
      assert.ok(isUint32(m.requestId));
      break;
  }
  // What the parser hands on is also exactly what its encoder would send.
  assert.deepEqual(parseFrame(encodeControl(m)), parsed);
}

const controlFrame = (value: unknown): Uint8Array => {
  const json = new TextEncoder().encode(JSON.stringify(value));
  return Uint8Array.of(KIND_CONTROL, ...json);
};

describe('peer protocol', () => {
  for (const type of MESSAGE_TYPES) {
    it(`parses back every ${type} message it encodes, within the message size limit`, () => {
      fc.assert(
        fc.property(messageOf[type], (m) => {
          const bytes = encodeControl(m);
          assert.ok(bytes.byteLength <= MAX_MESSAGE_BYTES);
          assert.equal(bytes[0], KIND_CONTROL);
          assert.deepEqual(parseFrame(bytes), { kind: 'control', message: m });
        }),
        { numRuns: 300, seed: 42 },
      );
    });
  }

  it("reads a request's neededInMs and a busy absent, and refuses them malformed, naming the field", () => {
    assert.deepEqual(parseFrame(controlFrame({ type: 'request', requestId: 1, sequenceNumber: 2, neededInMs: 4000 })), {
      kind: 'control',
      message: { type: 'request', requestId: 1, sequenceNumber: 2, neededInMs: 4000 },
    });
    assert.deepEqual(parseFrame(controlFrame({ type: 'absent', requestId: 1, sequenceNumber: 2, busy: false })), {
      kind: 'control',
      message: { type: 'absent', requestId: 1, sequenceNumber: 2 },
    });
    for (const neededInMs of [-1, 1.5, 2 ** 32, '4000', null]) {
      const parsed = parseFrame(controlFrame({ type: 'request', requestId: 1, sequenceNumber: 2, neededInMs }));
      assert.deepEqual(parsed, { kind: 'invalid', reason: 'request.neededInMs is not a uint32' });
    }
    for (const busy of [1, 'yes', null]) {
      const parsed = parseFrame(controlFrame({ type: 'absent', requestId: 1, sequenceNumber: 2, busy }));
      assert.deepEqual(parsed, { kind: 'invalid', reason: 'absent.busy is not a boolean' });
    }
  });

  it("reads a request's fromByte (0 is the same as none), and refuses one outside a segment, naming the field", () => {
    const request = { type: 'request', requestId: 1, sequenceNumber: 2 } as const;
    assert.deepEqual(parseFrame(controlFrame({ ...request, fromByte: 65_000 })), {
      kind: 'control',
      message: { ...request, fromByte: 65_000 },
    });
    assert.deepEqual(parseFrame(controlFrame({ ...request, fromByte: 0 })), { kind: 'control', message: request });
    for (const fromByte of [-1, 1.5, MAX_SEGMENT_BYTES, 2 ** 32, '100', null]) {
      const parsed = parseFrame(controlFrame({ ...request, fromByte }));
      assert.deepEqual(parsed, { kind: 'invalid', reason: 'request.fromByte is out of range' });
    }
  });

  it('fits the longest availability lists of the largest sequence numbers in one message', () => {
    const longest = Array.from({ length: MAX_LIST_LENGTH }, () => Number.MAX_SAFE_INTEGER);
    const messages: PeerMessage[] = [
      { type: 'hello', version: 0xffff_ffff, have: longest, region: 'r'.repeat(32) },
      { type: 'have', sequenceNumbers: longest },
      { type: 'lost', sequenceNumbers: longest },
      { type: 'loading', sequenceNumbers: longest },
    ];
    for (const m of messages) {
      const bytes = encodeControl(m);
      assert.ok(bytes.byteLength <= MAX_MESSAGE_BYTES, `${m.type}: ${bytes.byteLength} bytes`);
      assert.deepEqual(parseFrame(bytes), { kind: 'control', message: m });
    }
  });

  it('sends an initial map of any length as hello plus have messages that each parse', () => {
    fc.assert(
      fc.property(fc.array(sequenceNumber, { maxLength: 3 * MAX_LIST_LENGTH + 5 }), (have) => {
        const messages = availabilityMessages(PROTOCOL_VERSION, have);
        assert.equal(messages[0]?.type, 'hello');
        const announced: number[] = [];
        for (const [index, m] of messages.entries()) {
          const parsed = parseFrame(encodeControl(m));
          // A hello without a region parses with region null.
          assert.deepEqual(parsed, { kind: 'control', message: m.type === 'hello' ? { ...m, region: null } : m });
          if (m.type === 'hello') {
            assert.equal(index, 0);
            announced.push(...m.have);
          } else {
            assert.equal(m.type, 'have');
            if (m.type === 'have') announced.push(...m.sequenceNumbers);
          }
        }
        assert.deepEqual(announced, have);
      }),
      { numRuns: 40, seed: 3 },
    );
  });

  it("tells the sender's region hint in hello, null when it has none", () => {
    const [withRegion] = availabilityMessages(PROTOCOL_VERSION, [4, 5], 'eu-west.2');
    assert.deepEqual(parseFrame(encodeControl(withRegion as PeerMessage)), {
      kind: 'control',
      message: { type: 'hello', version: PROTOCOL_VERSION, have: [4, 5], region: 'eu-west.2' },
    });
    const [without] = availabilityMessages(PROTOCOL_VERSION, [4]);
    assert.deepEqual(parseFrame(encodeControl(without as PeerMessage)), {
      kind: 'control',
      message: { type: 'hello', version: PROTOCOL_VERSION, have: [4], region: null },
    });
    // A peer of an earlier release sends no region: the same as none.
    assert.deepEqual(parseFrame(controlFrame({ type: 'hello', version: 1, have: [] })), {
      kind: 'control',
      message: { type: 'hello', version: 1, have: [], region: null },
    });
  });

  it("tells the sender's uplink class in hello and in every have, and nothing for class 0", () => {
    const messages = availabilityMessages(PROTOCOL_VERSION, [...Array(MAX_LIST_LENGTH + 3).keys()], null, 2);
    assert.equal(messages.length, 2);
    for (const message of messages) {
      const parsed = parseFrame(encodeControl(message));
      assert.ok(parsed.kind === 'control' && 'uplinkClass' in parsed.message, JSON.stringify(parsed).slice(0, 80));
      assert.equal(parsed.message.uplinkClass, 2);
    }
    const [plainHello] = availabilityMessages(PROTOCOL_VERSION, [4], null, 0);
    assert.ok(!new TextDecoder().decode(encodeControl(plainHello as PeerMessage)).includes('uplinkClass'));
    // A later release's higher class is held to the highest; below 0, like an explicit 0 (or a peer
    // of an earlier release, which sends none), is no class.
    assert.deepEqual(parseFrame(controlFrame({ type: 'hello', version: 1, have: [], uplinkClass: 9 })), {
      kind: 'control',
      message: { type: 'hello', version: 1, have: [], region: null, uplinkClass: MAX_UPLINK_CLASS },
    });
    assert.deepEqual(parseFrame(controlFrame({ type: 'have', sequenceNumbers: [3], uplinkClass: -1 })), {
      kind: 'control',
      message: { type: 'have', sequenceNumbers: [3] },
    });
    assert.deepEqual(parseFrame(controlFrame({ type: 'have', sequenceNumbers: [3], uplinkClass: 0 })), {
      kind: 'control',
      message: { type: 'have', sequenceNumbers: [3] },
    });
  });

  it('parses back every data frame it encodes', () => {
    fc.assert(
      fc.property(uint32, uint32, chunk, (requestId, byteOffset, payload) => {
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

  it('never reads a data chunk as control, even one whose payload is a control message', () => {
    fc.assert(
      fc.property(uint32, uint32, message, (requestId, byteOffset, m) => {
        const payload = encodeControl(m).subarray(0, MAX_CHUNK_BYTES);
        const bytes = encodeData(requestId, byteOffset, payload);
        assert.equal(bytes[0], KIND_DATA);
        assert.equal(parseFrame(bytes).kind, 'data');
      }),
      { numRuns: 300, seed: 8 },
    );
  });

  it('never reads a control message as data', () => {
    fc.assert(
      fc.property(message, (m) => assert.equal(parseFrame(encodeControl(m)).kind, 'control')),
      { numRuns: 300, seed: 9 },
    );
  });

  it('tells control from data by the first byte alone, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), (bytes) => {
        const parsed = parseFrame(bytes);
        if (bytes[0] === KIND_CONTROL) assert.notEqual(parsed.kind, 'data');
        else if (bytes[0] === KIND_DATA) assert.notEqual(parsed.kind, 'control');
        else assert.equal(parsed.kind, 'invalid');
      }),
      { numRuns: 3000, seed: 10 },
    );
  });

  it('keeps every chunk within the message size limit, and a full chunk exactly at it', () => {
    assert.equal(encodeData(1, 0, new Uint8Array(MAX_CHUNK_BYTES)).byteLength, MAX_MESSAGE_BYTES);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_CHUNK_BYTES }), (length) => {
        const bytes = encodeData(0xffff_ffff, 0xffff_ffff, new Uint8Array(length));
        assert.ok(bytes.byteLength <= MAX_MESSAGE_BYTES);
        const parsed = parseFrame(bytes);
        assert.ok(parsed.kind === 'data' && parsed.frame.payload.byteLength === length);
      }),
      { numRuns: 50, seed: 11 },
    );
  });

  it('refuses to encode empty or oversized chunks and ids that are not uint32', () => {
    assert.throws(() => encodeData(1, 0, new Uint8Array(MAX_CHUNK_BYTES + 1)), RangeError);
    assert.throws(() => encodeData(1, 0, new Uint8Array(0)), RangeError);
    assert.throws(() => encodeData(2 ** 32, 0, new Uint8Array(1)), RangeError);
    assert.throws(() => encodeData(1, -1, new Uint8Array(1)), RangeError);
    assert.throws(() => encodeData(1.5, 0, new Uint8Array(1)), RangeError);
  });

  it('never throws on arbitrary bytes: each is a well-formed message or a rejection with a reason', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 256 }),
      fc.uint8Array({ maxLength: 256 }).map((tail) => Uint8Array.of(KIND_CONTROL, ...tail)),
      fc.uint8Array({ maxLength: 256 }).map((tail) => Uint8Array.of(KIND_DATA, ...tail)),
      fc
        .string({ unit: 'binary', maxLength: 200 })
        .map((text) => Uint8Array.of(KIND_CONTROL, ...new TextEncoder().encode(text))),
    );
    fc.assert(
      fc.property(bytes, (b) => assertWellFormed(parseFrame(b))),
      { numRuns: 5000, seed: 1 },
    );
  });

  it('never throws on mutated valid frames: each is a well-formed message or a rejection', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    type Mutation = { readonly kind: string; readonly at: number; readonly bit?: number; readonly byte?: number };
    const mutate = (frame: Uint8Array, mutations: readonly Mutation[]): Uint8Array => {
      let bytes = Uint8Array.from(frame);
      for (const m of mutations) {
        const at = bytes.byteLength === 0 ? 0 : m.at % (bytes.byteLength + 1);
        if (m.kind === 'flip' && at < bytes.byteLength) bytes[at] = (bytes[at] as number) ^ (1 << (m.bit ?? 0));
        else if (m.kind === 'set' && at < bytes.byteLength) bytes[at] = m.byte ?? 0;
        else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
        else if (m.kind === 'insert')
          bytes = Uint8Array.of(...bytes.subarray(0, at), m.byte ?? 0, ...bytes.subarray(at));
      }
      return bytes;
    };
    fc.assert(
      fc.property(validFrame, fc.array(mutation, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        assertWellFormed(parseFrame(mutate(frame, mutations)));
      }),
      { numRuns: 5000, seed: 2 },
    );
  });

  it('never throws when a field of a valid message holds any JSON value: a well-formed message or a rejection', () => {
    fc.assert(
      fc.property(message, fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 }), (m, extraKey, value) => {
        const keys = Object.keys(m);
        const key = keys[extraKey.length % keys.length] as string;
        assertWellFormed(parseFrame(controlFrame({ ...m, [key]: value })));
        assertWellFormed(parseFrame(controlFrame({ ...m, [extraKey]: value })));
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  it('rejects malformed control messages with a reason', () => {
    const cases: unknown[] = [
      [],
      'hello',
      null,
      { type: 'nope' },
      { type: 'hello', version: 1 },
      { type: 'hello', version: '1', have: [] },
      { type: 'hello', version: 1, have: [], region: '' },
      { type: 'hello', version: 1, have: [], region: 'x'.repeat(33) },
      { type: 'hello', version: 1, have: [], region: 'eu west' },
      { type: 'hello', version: 1, have: [], region: 'eu\n' },
      { type: 'hello', version: 1, have: [], region: 'é' },
      { type: 'hello', version: 1, have: [], region: 7 },
      { type: 'hello', version: 1, have: [], region: ['eu'] },
      { type: 'hello', version: 1, have: [], uplinkClass: null },
      { type: 'have', sequenceNumbers: [1], uplinkClass: 1.5 },
      { type: 'have', sequenceNumbers: [1], uplinkClass: '2' },
      { type: 'have', sequenceNumbers: [-1] },
      { type: 'have', sequenceNumbers: [1.5] },
      { type: 'have', sequenceNumbers: [2 ** 53] },
      { type: 'lost', sequenceNumbers: 'x' },
      { type: 'request', requestId: -1, sequenceNumber: 1 },
      { type: 'request', requestId: 2 ** 32, sequenceNumber: 1 },
      { type: 'response', requestId: 1, sequenceNumber: 1, byteLength: MAX_SEGMENT_BYTES + 1 },
      { type: 'cancel' },
      { type: 'have', sequenceNumbers: Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => i) },
    ];
    for (const value of cases) {
      const parsed = parseFrame(controlFrame(value));
      assert.equal(parsed.kind, 'invalid', JSON.stringify(value).slice(0, 80));
    }
  });

  it('rejects -0, which its encoder never writes, so a parsed message is one it could have sent', () => {
    const encode = (json: string): Uint8Array => Uint8Array.of(KIND_CONTROL, ...new TextEncoder().encode(json));
    assert.equal(parseFrame(encode('{"type":"have","sequenceNumbers":[-0]}')).kind, 'invalid');
    assert.equal(parseFrame(encode('{"type":"cancel","requestId":-0}')).kind, 'invalid');
    assert.equal(parseFrame(encode('{"type":"cancel","requestId":0}')).kind, 'control');
  });

  it('rejects empty, oversized, payload-less, unknown-kind and non-UTF-8 frames', () => {
    assert.equal(parseFrame(new Uint8Array(0)).kind, 'invalid');
    assert.equal(parseFrame(new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(KIND_DATA)).kind, 'invalid');
    assert.equal(parseFrame(Uint8Array.of(KIND_DATA, 0, 0)).kind, 'invalid');
    assert.equal(parseFrame(encodeData(1, 0, Uint8Array.of(1)).subarray(0, 9)).kind, 'invalid');
    assert.equal(parseFrame(Uint8Array.of(9, 1, 2)).kind, 'invalid');
    assert.equal(parseFrame(Uint8Array.of(KIND_CONTROL, 0xff, 0xfe)).kind, 'invalid');
    assert.equal(parseFrame(Uint8Array.of(KIND_CONTROL, 0x7b)).kind, 'invalid');
  });

  it('rejects every list longer than the limit and every declared length beyond the cap, over 10,000 hostile messages', () => {
    const hugeNumber = fc.oneof(
      fc.constantFrom(
        0,
        1,
        MAX_SEGMENT_BYTES,
        MAX_SEGMENT_BYTES + 1,
        0xffff_ffff,
        2 ** 32,
        2 ** 53,
        Number.MAX_SAFE_INTEGER,
        1e308,
        -1,
      ),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    );
    // Mostly short lists, and one in ten at or beyond the limit (up to 20,000 entries).
    const listLength = fc.oneof(
      { arbitrary: fc.nat(64), weight: 9 },
      {
        arbitrary: fc.constantFrom(
          MAX_LIST_LENGTH - 1,
          MAX_LIST_LENGTH,
          MAX_LIST_LENGTH + 1,
          3 * MAX_LIST_LENGTH,
          20_000,
        ),
        weight: 1,
      },
    );
    const hostile = fc.oneof(
      fc
        .record({ type: fc.constantFrom('have', 'lost', 'loading'), length: listLength, value: hugeNumber })
        .map(({ type, length, value }) => ({
          type,
          sequenceNumbers: Array.from({ length }, (_, i) => (value + i) % Number.MAX_SAFE_INTEGER),
        })),
      fc.record({ length: listLength, value: hugeNumber }).map(({ length, value }) => ({
        type: 'hello',
        version: PROTOCOL_VERSION,
        have: Array.from({ length }, () => value),
      })),
      fc
        .record({ requestId: hugeNumber, sequenceNumber: hugeNumber, byteLength: hugeNumber })
        .map((fields) => ({ type: 'response', ...fields })),
    );
    let accepted = 0;
    fc.assert(
      fc.property(hostile, (json) => {
        const text = new TextEncoder().encode(JSON.stringify(json));
        const bytes = new Uint8Array(text.byteLength + 1);
        bytes[0] = KIND_CONTROL;
        bytes.set(text, 1);
        const parsed = parseFrame(bytes);
        assertWellFormed(parsed);
        if (parsed.kind !== 'control') return;
        accepted++;
        const { message: m } = parsed;
        if (m.type === 'hello') assert.ok(m.have.length <= MAX_LIST_LENGTH);
        if (m.type === 'have' || m.type === 'lost' || m.type === 'loading')
          assert.ok(m.sequenceNumbers.length <= MAX_LIST_LENGTH);
        if (m.type === 'response') assert.ok(m.byteLength <= MAX_SEGMENT_BYTES);
        assert.ok(bytes.byteLength <= MAX_MESSAGE_BYTES);
      }),
      { numRuns: 10_000, seed: 12 },
    );
    assert.ok(accepted > 0, 'some hostile messages were still well-formed');
  });
});
