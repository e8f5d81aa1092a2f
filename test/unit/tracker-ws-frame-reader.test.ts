import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { WebSocketFrameReader } from '../../tracker/ws-frame-reader.ts';
import { OPCODE } from '../../tracker/ws-frames.ts';
import { clientFrame, RecordingHandler, type ClientFrame, type ReaderEvent } from '../helpers/ws-client-frames.ts';

const MAX_MESSAGE_BYTES = 300;

/** Feed `bytes` cut at `cuts` (sorted offsets) to a fresh reader; its events. */
function read(bytes: Buffer, cuts: readonly number[] = [], maxMessageBytes = MAX_MESSAGE_BYTES): ReaderEvent[] {
  const handler = new RecordingHandler();
  const reader = new WebSocketFrameReader(handler, maxMessageBytes);
  let start = 0;
  // Copies: the reader unmasks in place, and `bytes` is reused across calls.
  for (const cut of [...cuts, bytes.length]) {
    reader.push(Buffer.from(bytes.subarray(start, cut)));
    start = cut;
  }
  return handler.events;
}
const frames = (...list: ClientFrame[]): Buffer => Buffer.concat(list.map(clientFrame));
const error = (code: number, kind: 'invalid-frame' | 'message-too-large' = 'invalid-frame'): ReaderEvent => ({
  type: 'error',
  code,
  kind,
});

describe('tracker WebSocket frame reader (RFC 6455)', () => {
  it('reads a masked text frame at every length encoding, up to the message limit', () => {
    for (const bytes of [0, 1, 125, 126, 300]) {
      const text = 'é'.repeat(Math.floor(bytes / 2)) + 'x'.repeat(bytes % 2);
      assert.deepEqual(
        read(clientFrame({ opcode: OPCODE.text, payload: text })),
        [{ type: 'text', text }],
        `${bytes} bytes`,
      );
    }
    assert.deepEqual(
      read(clientFrame({ opcode: OPCODE.text, payload: 'short', lengthForm: 64 })),
      [{ type: 'text', text: 'short' }],
      'a non-minimal length is tolerated',
    );
    assert.deepEqual(
      read(clientFrame({ opcode: OPCODE.text, payload: 'no mask', mask: [0, 0, 0, 0] })),
      [{ type: 'text', text: 'no mask' }],
      'an all-zero key',
    );
    const big = 'y'.repeat(70_000);
    assert.deepEqual(
      read(clientFrame({ opcode: OPCODE.text, payload: big }), [], 100_000),
      [{ type: 'text', text: big }],
      '64-bit length',
    );
  });

  it('closes with 1002 on an unmasked frame, RSV bits, reserved opcodes, and an impossible 64-bit length', () => {
    assert.deepEqual(read(clientFrame({ opcode: OPCODE.text, payload: 'hi', mask: null })), [error(1002)]);
    for (const rsv of [1, 2, 4])
      assert.deepEqual(read(clientFrame({ opcode: OPCODE.text, payload: 'hi', rsv })), [error(1002)], `rsv ${rsv}`);
    for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf])
      assert.deepEqual(read(clientFrame({ opcode })), [error(1002)], `opcode ${opcode}`);
    const header = Buffer.from([0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]);
    assert.deepEqual(read(header), [error(1002)]);
  });

  it('assembles fragmented messages, with control frames between the fragments', () => {
    const bytes = frames(
      { opcode: OPCODE.text, payload: 'he', fin: false },
      { opcode: OPCODE.ping, payload: 'p1' },
      { opcode: OPCODE.continuation, payload: '', fin: false },
      { opcode: OPCODE.pong },
      { opcode: OPCODE.continuation, payload: 'llo' },
      { opcode: OPCODE.binary, payload: Buffer.from([1, 2]), fin: false },
      { opcode: OPCODE.continuation, payload: Buffer.from([3]) },
    );
    assert.deepEqual(read(bytes), [
      { type: 'ping', hex: Buffer.from('p1').toString('hex') },
      { type: 'pong' },
      { type: 'text', text: 'hello' },
      { type: 'binary', hex: '010203' },
    ]);
  });

  // Each fragment was kept as a view of its socket chunk: 2,000 one-byte fragments, each in a
  // ~63 KB chunk padded with pongs, held 72 MiB for a message of 2 KB under a 64 KiB cap.
  it('copies the fragments of a message: the socket chunks they arrived in are neither kept nor read again', () => {
    const handler = new RecordingHandler();
    const reader = new WebSocketFrameReader(handler, MAX_MESSAGE_BYTES);
    const padding = frames(...Array.from({ length: 100 }, () => ({ opcode: OPCODE.pong, payload: 'p'.repeat(125) })));
    const pieces = ['{"a', '":', '1', '}'];
    pieces.forEach((piece, index) => {
      const fragment = clientFrame({
        opcode: index === 0 ? OPCODE.text : OPCODE.continuation,
        payload: piece,
        fin: index === pieces.length - 1,
      });
      const chunk = Buffer.concat([fragment, padding]);
      reader.push(chunk);
      // The socket's memory reused for other bytes: a kept view would now read spaces.
      chunk.fill(0x20);
    });
    assert.deepEqual(
      handler.events.filter((event) => event.type !== 'pong'),
      [{ type: 'text', text: '{"a":1}' }],
    );
  });

  it('closes with 1002 on a continuation without a message, a new message inside one, and fragmented or long control frames', () => {
    assert.deepEqual(read(clientFrame({ opcode: OPCODE.continuation, payload: 'x' })), [error(1002)]);
    assert.deepEqual(
      read(frames({ opcode: OPCODE.text, payload: 'a', fin: false }, { opcode: OPCODE.text, payload: 'b' })),
      [error(1002)],
    );
    assert.deepEqual(read(clientFrame({ opcode: OPCODE.ping, payload: 'x', fin: false })), [error(1002)]);
    assert.deepEqual(read(clientFrame({ opcode: OPCODE.ping, payload: 'x'.repeat(126) })), [error(1002)]);
    assert.deepEqual(read(clientFrame({ opcode: OPCODE.close, payload: 'x'.repeat(126) })), [error(1002)]);
    assert.deepEqual(read(clientFrame({ opcode: OPCODE.ping, payload: 'x'.repeat(125) })), [
      { type: 'ping', hex: Buffer.from('x'.repeat(125)).toString('hex') },
    ]);
  });

  it('closes with 1007 on invalid UTF-8 in a text message, even split across fragments, and accepts characters split across fragments', () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      assert.deepEqual(
        read(clientFrame({ opcode: OPCODE.text, payload: Buffer.from(bad) })),
        [error(1007)],
        Buffer.from(bad).toString('hex'),
      );
    }
    const euro = Buffer.from('€', 'utf8');
    const split = frames(
      { opcode: OPCODE.text, payload: euro.subarray(0, 1), fin: false },
      { opcode: OPCODE.continuation, payload: euro.subarray(1) },
    );
    assert.deepEqual(read(split), [{ type: 'text', text: '€' }]);
    const brokenSplit = frames(
      { opcode: OPCODE.text, payload: euro.subarray(0, 1), fin: false },
      { opcode: OPCODE.continuation, payload: Buffer.from('x') },
    );
    assert.deepEqual(read(brokenSplit), [error(1007)]);
    assert.deepEqual(
      read(clientFrame({ opcode: OPCODE.binary, payload: Buffer.from([0xff]) })),
      [{ type: 'binary', hex: 'ff' }],
      'binary is not UTF-8 checked',
    );
  });

  it('closes with 1009 at the header of an oversized frame, before its payload arrives, and when fragments add up past the limit', () => {
    const oversized = clientFrame({ opcode: OPCODE.text, payload: 'z'.repeat(MAX_MESSAGE_BYTES + 1) });
    assert.deepEqual(read(oversized.subarray(0, 8)), [error(1009, 'message-too-large')], 'header only');
    const pieces = frames(
      { opcode: OPCODE.text, payload: 'a'.repeat(200), fin: false },
      { opcode: OPCODE.continuation, payload: 'b'.repeat(101) },
    );
    assert.deepEqual(read(pieces), [error(1009, 'message-too-large')]);
    assert.deepEqual(
      read(Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4])),
      [error(1009, 'message-too-large')],
      '2^32 bytes',
    );
  });

  it('reads close frames: no code is 1005, codes and reasons are checked, and nothing is read after', () => {
    const closeWith = (code: number, reason = ''): Buffer => {
      const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
      payload.writeUInt16BE(code, 0);
      payload.write(reason, 2);
      return clientFrame({ opcode: OPCODE.close, payload });
    };
    assert.deepEqual(read(frames({ opcode: OPCODE.close }, { opcode: OPCODE.text, payload: 'after' })), [
      { type: 'close', code: 1005, reason: '' },
    ]);
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
      assert.deepEqual(
        read(Buffer.concat([closeWith(code, 'bye ✓'), clientFrame({ opcode: OPCODE.text, payload: 'after' })])),
        [{ type: 'close', code, reason: 'bye ✓' }],
        `code ${code}`,
      );
    }
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
      assert.deepEqual(read(closeWith(code)), [error(1002)], `code ${code}`);
    assert.deepEqual(
      read(clientFrame({ opcode: OPCODE.close, payload: Buffer.from([3]) })),
      [error(1002)],
      'one-byte payload',
    );
    assert.deepEqual(
      read(clientFrame({ opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8, 0xff]) })),
      [error(1007)],
      'reason not UTF-8',
    );
  });

  it('reports the same events whatever byte boundaries the stream is split at', () => {
    const stream = frames(
      { opcode: OPCODE.text, payload: '{"action":"announce"}' },
      { opcode: OPCODE.ping, payload: 'abc' },
      { opcode: OPCODE.text, payload: 'ü'.repeat(100), fin: false },
      { opcode: OPCODE.continuation, payload: 'end' },
      { opcode: OPCODE.text, payload: 'x'.repeat(130) },
      { opcode: OPCODE.pong },
      { opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8]) },
    );
    const whole = read(stream);
    assert.equal(whole.length, 6);
    for (let cut = 1; cut < stream.length; cut++) assert.deepEqual(read(stream, [cut]), whole, `split at ${cut}`);
    assert.deepEqual(
      read(
        stream,
        Array.from({ length: stream.length - 1 }, (_, i) => i + 1),
      ),
      whole,
      'one byte at a time',
    );
  });

  it("agrees with ws's own receiver on generated frame sequences, cut anywhere (fuzz)", async () => {
    const wsReceive = wsOracle();
    const frameArbitrary: fc.Arbitrary<ClientFrame> = fc.record({
      opcode: fc.oneof(fc.constantFrom(0, 1, 2, 8, 9, 10), fc.integer({ min: 0, max: 15 })),
      fin: fc.oneof(fc.constant(true), fc.boolean()),
      rsv: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7 })),
      mask: fc.oneof(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), fc.constant(null)),
      payload: fc.oneof(
        fc.string({ maxLength: 40 }).map((text) => Buffer.from(text)),
        fc.uint8Array({ maxLength: 320 }).map((bytes) => Buffer.from(bytes)),
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(frameArbitrary, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (list, rawCuts) => {
          const bytes = frames(...list);
          const cuts = [...new Set(rawCuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
          const ours = read(bytes, cuts);
          assert.deepEqual(ours, await wsReceive(bytes));
          // Nothing is reported after a close or an error.
          const terminal = ours.findIndex((event) => event.type === 'close' || event.type === 'error');
          assert.ok(terminal === -1 || terminal === ours.length - 1);
        },
      ),
      { seed: 6455, numRuns: 3000 },
    );
  });

  it('survives random bytes without throwing, and stops at the first error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(400), (bytes, cut) => {
        const events = read(Buffer.from(bytes), [Math.min(cut, bytes.length)]);
        const terminal = events.findIndex((event) => event.type === 'close' || event.type === 'error');
        assert.ok(terminal === -1 || terminal === events.length - 1);
      }),
      { seed: 17, numRuns: 3000 },
    );
  });
});

/** ws's Receiver (what the tracker used before) run on the same bytes, as reader events. */
function wsOracle(): (bytes: Buffer) => Promise<ReaderEvent[]> {
  const require = createRequire(import.meta.url);
  const { Receiver } = require('ws') as { Receiver: new (options: object) => import('node:stream').Writable };
  return async (bytes) => {
    const events: ReaderEvent[] = [];
    const receiver = new Receiver({ isServer: true, maxPayload: MAX_MESSAGE_BYTES });
    receiver.on('message', (data: Buffer, isBinary: boolean) =>
      events.push(
        isBinary ? { type: 'binary', hex: data.toString('hex') } : { type: 'text', text: data.toString('utf8') },
      ),
    );
    receiver.on('ping', (data: Buffer) => events.push({ type: 'ping', hex: data.toString('hex') }));
    receiver.on('pong', () => events.push({ type: 'pong' }));
    receiver.on('conclude', (code: number, reason: Buffer) =>
      events.push({ type: 'close', code, reason: reason.toString('utf8') }),
    );
    receiver.on('error', (err: Error & Record<symbol, number>) => {
      // ws keeps the close code under its private Symbol('status-code').
      const statusSymbol = Object.getOwnPropertySymbols(err).find((symbol) => symbol.description === 'status-code');
      const code = statusSymbol === undefined ? 0 : (err[statusSymbol] ?? 0);
      events.push({ type: 'error', code, kind: code === 1009 ? 'message-too-large' : 'invalid-frame' });
    });
    receiver.write(Buffer.from(bytes));
    // ws reports errors through the write callback, on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    return events;
  };
}
