// The small shims the browser bundles put in place of streamx, events and uint8-util
// (lib/shims/, aliased in rollup.config.ts) against the packages they replace: the same contract
// on the same inputs, then simple-peer itself rebuilt on the shims, over real WebRTC
// (node-datachannel). The tracker's socket shim: test/integration/tracker-socket-shim.test.ts.
import assert from 'node:assert/strict';
import { EventEmitter as NodeEventEmitter } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Duplex as StreamxDuplex } from 'streamx';
import * as uint8Util from 'uint8-util';
import OriginalPeer from '@thaunknown/simple-peer/lite.js';
import { Duplex as ShimDuplex } from '../../lib/shims/duplex.ts';
import { EventEmitter as ShimEventEmitter } from '../../lib/shims/event-emitter.ts';
import * as uint8Shim from '../../lib/shims/uint8.ts';
import errCodeShim from '../../lib/shims/err-code.ts';
import runParallelShim from '../../lib/shims/run-parallel.ts';
import errCodeOriginal from 'err-code';
import runParallelOriginal from 'run-parallel';
import { LOOPBACK_CONFIG } from '../helpers/node-webrtc.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
type AnyDuplex = new (options?: { allowHalfOpen?: boolean }) => NodeEventEmitter & {
  push(chunk: unknown): boolean;
  end(): unknown;
  destroy(error?: Error): void;
  readonly destroyed: boolean;
};
const DUPLEXES: [string, AnyDuplex][] = [
  ['streamx', StreamxDuplex as unknown as AnyDuplex],
  ['shim', ShimDuplex as unknown as AnyDuplex],
];

const once = (
  emitter: { once(event: string, listener: (...args: unknown[]) => void): unknown },
  event: string,
): Promise<unknown[]> => new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args)));

describe('stream shims against the packages they replace', () => {
  for (const [name, Duplex] of DUPLEXES) {
    describe(`Duplex contract (${name})`, () => {
      it('keeps data pushed before anyone listens and delivers it in order once a data listener is added', async () => {
        const stream = new Duplex();
        stream.push(new Uint8Array([1]));
        stream.push(new Uint8Array([2]));
        const received: number[] = [];
        stream.on('data', (chunk: Uint8Array) => received.push(chunk[0] ?? -1));
        stream.push(new Uint8Array([3]));
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(received, [1, 2, 3]);
      });

      it('destroy(error) runs _destroy once, then emits error and close, and no data after it', async () => {
        let destroyCalls = 0;
        class Closable extends Duplex {
          _destroy(callback: () => void): void {
            destroyCalls += 1;
            callback();
          }
        }
        const stream = new Closable();
        const events: string[] = [];
        stream.on('data', () => events.push('data'));
        stream.on('error', (error: Error) => events.push(`error:${error.message}`));
        const closed = once(stream, 'close');
        stream.destroy(new Error('boom'));
        stream.destroy(new Error('again'));
        stream.push(new Uint8Array([1]));
        await closed;
        events.push('close');
        assert.deepEqual(events, ['error:boom', 'close']);
        assert.equal(destroyCalls, 1);
        assert.equal(stream.destroyed, true);
      });

      it('without half-open: end() and push(null) run _final, emit finish and end, then close', async () => {
        const events: string[] = [];
        class Ending extends Duplex {
          _final(callback: (error: null) => void): void {
            events.push('_final');
            this.push(null);
            callback(null);
          }
        }
        const stream = new Ending({ allowHalfOpen: false });
        stream.on('data', () => undefined);
        stream.on('finish', () => events.push('finish'));
        stream.on('end', () => events.push('end'));
        const closed = once(stream, 'close');
        stream.end();
        await closed;
        assert.deepEqual([...events].sort(), ['_final', 'end', 'finish']);
        assert.equal(stream.destroyed, true);
      });
    });
  }

  describe('EventEmitter shim against node:events', () => {
    for (const [name, Emitter] of [
      ['node:events', NodeEventEmitter],
      ['shim', ShimEventEmitter],
    ] as const) {
      it(`${name}: once listeners run once and can be removed by the original function; listenerCount follows`, () => {
        const emitter = new Emitter();
        const calls: string[] = [];
        const listener = (value: string): void => void calls.push(value);
        emitter.once('x', listener as never);
        emitter.on('x', ((value: string) => calls.push(`on:${value}`)) as never);
        assert.equal(emitter.listenerCount('x'), 2);
        emitter.emit('x', 'a');
        emitter.emit('x', 'b');
        assert.deepEqual(calls, ['a', 'on:a', 'on:b']);
        const removable = (): void => void calls.push('never');
        emitter.once('y', removable);
        emitter.removeListener('y', removable);
        assert.equal(emitter.emit('y'), false);
        assert.equal(emitter.listenerCount('y'), 0);
      });

      it(`${name}: an error event nobody listens to throws the error`, () => {
        const emitter = new Emitter();
        assert.throws(() => emitter.emit('error', new Error('unheard')), /unheard/);
      });
    }
  });

  it('uint8 shim gives the same results as uint8-util for every function the bundled libraries use', () => {
    for (let length = 0; length < 64; length += 7) {
      const bytes = uint8Shim.randomBytes(length);
      assert.equal(bytes.byteLength, length);
      const hex = uint8Util.arr2hex(bytes);
      assert.equal(uint8Shim.arr2hex(bytes), hex);
      assert.deepEqual(uint8Shim.hex2arr(hex), new Uint8Array(uint8Util.hex2arr(hex)));
      assert.equal(uint8Shim.hex2bin(hex), uint8Util.hex2bin(hex));
      assert.equal(uint8Shim.bin2hex(uint8Util.hex2bin(hex)), uint8Util.bin2hex(uint8Util.hex2bin(hex)));
    }
    const text = 'peercdn ✓ 20-character';
    assert.deepEqual(uint8Shim.text2arr(text), new Uint8Array(uint8Util.text2arr(text)));
    assert.equal(uint8Shim.arr2text(uint8Util.text2arr(text)), uint8Util.arr2text(uint8Util.text2arr(text)));
  });

  it('err-code: errCode gives an Error or a DOMException (read-only inherited code) its own code', () => {
    const error = errCodeOriginal(new Error('plain'), 'ERR_PLAIN');
    assert.equal(error.code, 'ERR_PLAIN');
    const domException = errCodeOriginal(
      new DOMException('from RTCPeerConnection', 'OperationError'),
      'ERR_CREATE_OFFER',
    );
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- `code` on a DOMException is what err-code sets
    assert.equal(domException.code, 'ERR_CREATE_OFFER');
  });

  it('shim: errCode returns the error itself, message kept, and no code is read where its errors go', () => {
    const error = new Error('plain');
    assert.equal(errCodeShim(error, 'ERR_PLAIN'), error);
    assert.equal(error.message, 'plain');
    // simple-peer's errors reach bittorrent-tracker's client (which wraps their message) and lib/'s
    // peer and swarm layers (P2PError with its own code; the message kept): none reads `.code`.
    const readers = [
      'node_modules/@thaunknown/simple-peer/lite.js',
      'node_modules/bittorrent-tracker/client.js',
      'node_modules/bittorrent-tracker/lib/client/websocket-tracker.js',
      'node_modules/bittorrent-tracker/lib/client/tracker.js',
      ...['peer', 'swarm'].flatMap((dir) =>
        readdirSync(`${REPO}lib/${dir}`)
          .filter((file) => file.endsWith('.ts'))
          .map((file) => `lib/${dir}/${file}`),
      ),
    ];
    for (const file of readers)
      assert.doesNotMatch(readFileSync(`${REPO}${file}`, 'utf8'), /\.code\b|\[['"]code['"]\]/, file);
  });

  for (const [name, runParallel] of [
    ['run-parallel', runParallelOriginal],
    ['shim', runParallelShim],
  ] as const) {
    it(`${name}: calls back once, after every task or at the first error, and never during the call itself`, async () => {
      const finishers: (() => void)[] = [];
      let calls = 0;
      const allDone = new Promise<unknown>((resolve) =>
        runParallel(
          [0, 1, 2].map(() => (done: (error?: Error | null) => void) => finishers.push(() => done(null))),
          (error: unknown) => {
            calls += 1;
            resolve(error);
          },
        ),
      );
      assert.equal(calls, 0);
      for (const finish of finishers) finish();
      assert.equal(await allDone, null);
      const failed = await new Promise<unknown>((resolve) =>
        runParallel([(done: (error?: Error) => void) => done(new Error('first')), () => undefined], resolve),
      );
      assert.match(String(failed), /first/);
      const empty = await new Promise<unknown>((resolve) => runParallel([], resolve));
      assert.equal(empty, null);
      assert.equal(calls, 1);
    });
  }

  describe('simple-peer rebuilt on the shims', () => {
    const buildDir = `${REPO}.tmp/stream-shims-${process.pid}`;
    let ShimPeer: typeof OriginalPeer;

    before(async () => {
      mkdirSync(buildDir, { recursive: true });
      // Same aliases as rollup.config.ts; webrtc-polyfill and ws stay Node's (a browser has its own).
      await esbuild.build({
        stdin: {
          contents: "export { default as Peer } from '@thaunknown/simple-peer/lite.js';",
          resolveDir: REPO,
        },
        bundle: true,
        format: 'esm',
        platform: 'node',
        outfile: `${buildDir}/libraries.mjs`,
        external: ['webrtc-polyfill', 'ws', 'err-code'],
        alias: {
          streamx: `${REPO}lib/shims/duplex.ts`,
          events: `${REPO}lib/shims/event-emitter.ts`,
          debug: `${REPO}lib/shims/debug.ts`,
          'queue-microtask': `${REPO}lib/shims/queue-microtask.ts`,
          'uint8-util': `${REPO}lib/shims/uint8.ts`,
        },
        logLevel: 'error',
      });
      const built = (await import(`${buildDir}/libraries.mjs`)) as { Peer: typeof OriginalPeer };
      ShimPeer = built.Peer;
    });
    after(() => rmSync(buildDir, { recursive: true, force: true }));

    async function peerPair(Peer: typeof OriginalPeer): Promise<[OriginalPeer, OriginalPeer]> {
      const a = new Peer({ initiator: true, trickle: true, config: LOOPBACK_CONFIG });
      const b = new Peer({ trickle: true, config: LOOPBACK_CONFIG });
      a.on('signal', (data: unknown) => b.signal(data));
      b.on('signal', (data: unknown) => a.signal(data));
      await Promise.all([once(a, 'connect'), once(b, 'connect')]);
      return [a, b];
    }

    for (const variant of ['original', 'shim'] as const) {
      it(`${variant}: peers exchange bytes in order, and a destroyed peer closes while its partner notices`, async () => {
        const [a, b] = await peerPair(variant === 'shim' ? ShimPeer : OriginalPeer);
        const received: number[] = [];
        const threeArrived = new Promise<void>((resolve) =>
          b.on('data', (chunk: Uint8Array) => {
            assert.ok(chunk instanceof Uint8Array);
            received.push(chunk[0] ?? -1);
            if (received.length === 3) resolve();
          }),
        );
        for (const value of [7, 8, 9]) a.send(new Uint8Array([value, 0, 0]));
        await threeArrived;
        assert.deepEqual(received, [7, 8, 9]);

        // The partner learns of it through close (shim) or, in streamx's case, error or close.
        const partnerClosed = once(b, 'close');
        const partnerNoticed = new Promise<string>((resolve) => {
          b.once('close', () => resolve('close'));
          b.once('error', () => resolve('error'));
        });
        const closed = once(a, 'close');
        a.destroy();
        await closed;
        assert.equal(a.destroyed, true);
        assert.match(await partnerNoticed, /^(close|error)$/);
        if (variant === 'shim') {
          // The shim's one deliberate difference: the partner's own teardown ends in close too.
          await partnerClosed;
          assert.equal(b.destroyed, true);
        }
        b.destroy();
      });
    }
  });
});
