// The built browser bundles (run `npm run build` first; `npm test` does) in runtimes that lack
// what a browser has: plain Node (server-side rendering, test runners) and a bare JavaScript
// context with a WebRTC that refuses to work.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { FragmentLoaderContext, HlsConfig, LoaderConfiguration } from 'hls.js';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import type { PeerCDN as PeerCDNClass, P2PError } from '../../lib/index.ts';
import { NodeHttpLoader } from '../helpers/node-http-loader.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const LOADER_CONFIG = {
  loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 30_000, timeoutRetry: null, errorRetry: null },
} as unknown as LoaderConfiguration;

describe('the built bundles outside a browser', () => {
  it('importing dist/peercdn.mjs in plain Node neither throws nor loads a native addon', () => {
    const script = `
      const { PeerCDN } = await import(${JSON.stringify(`${REPO}dist/peercdn.mjs`)});
      const peercdn = new PeerCDN({ trackerUrls: ['ws://127.0.0.1:9'] });
      peercdn.hlsConfig();
      peercdn.destroy();
      const addons = process.report.getReport().sharedObjects.filter((file) => file.endsWith('.node'));
      console.log(JSON.stringify({ addons, webrtc: typeof globalThis.RTCPeerConnection }));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(output), { addons: [], webrtc: 'undefined' });
  });

  it('the script-tag file has every export but the optional startBeacons, useOrigins and spotCheck; the full one has all', async () => {
    const globalOf = (file: string): string[] => {
      const context = vm.createContext({ queueMicrotask, setTimeout, clearTimeout, TextEncoder, TextDecoder });
      vm.runInContext(readFileSync(`${REPO}${file}`, 'utf8'), context, { filename: file });
      return Object.keys((context as { PeerCDN: object }).PeerCDN).sort();
    };
    const entry = Object.keys(await import('../../lib/index.ts')).sort();
    const optional = ['startBeacons', 'useOrigins', 'spotCheck'];
    assert.ok(optional.every((name) => entry.includes(name)));
    assert.deepEqual(globalOf('dist/peercdn.full.umd.js'), entry);
    assert.deepEqual(
      globalOf('dist/peercdn.umd.js'),
      entry.filter((name) => !optional.includes(name)),
    );
  });

  describe('the script-tag bundle without process, Buffer, require or WebSocket, and a WebRTC that throws', () => {
    let origin: OriginServer;
    before(async () => {
      origin = await startOriginServer({ host: '127.0.0.1', port: 0 });
    });
    after(() => origin.close());

    it('reports the tracker failure as error events and plays over HTTP', async () => {
      const context = vm.createContext({
        console,
        setTimeout,
        clearTimeout,
        setInterval,
        clearInterval,
        queueMicrotask,
        performance,
        URL,
        crypto: globalThis.crypto,
        TextEncoder,
        TextDecoder,
        // Present (so the library tries peers) but refusing, as with WebRTC disabled by a policy.
        RTCPeerConnection: function RTCPeerConnection() {
          throw new Error('WebRTC is disabled');
        },
      });
      vm.runInContext(readFileSync(`${REPO}dist/peercdn.umd.js`, 'utf8'), context, { filename: 'peercdn.umd.js' });
      assert.equal(
        vm.runInContext('typeof process + typeof Buffer + typeof require + typeof WebSocket', context),
        'undefinedundefinedundefinedundefined',
      );
      const { PeerCDN } = (context as { PeerCDN: { PeerCDN: typeof PeerCDNClass } }).PeerCDN;

      const errors: P2PError[] = [];
      const peercdn = new PeerCDN({ trackerUrls: ['ws://127.0.0.1:9'] });
      const trackerFailed = new Promise<void>((resolve) => {
        peercdn.on('error', (error) => {
          errors.push(error);
          resolve();
        });
      });
      const FragmentLoader = peercdn.hlsConfig().fLoader;
      const loader = new FragmentLoader({
        loader: NodeHttpLoader,
      } as unknown as HlsConfig);
      const data = await new Promise<ArrayBuffer>((resolve, reject) => {
        loader.load(
          {
            url: `${origin.url}/vod/180p/seg_000.ts`,
            responseType: 'arraybuffer',
            rangeStart: 0,
            rangeEnd: 0,
            part: null,
            frag: {
              sn: 0,
              level: 0,
              type: 'main',
              baseurl: `${origin.url}/vod/180p/index.m3u8`,
              start: 0,
              duration: 2,
            },
          } as unknown as FragmentLoaderContext,
          LOADER_CONFIG,
          {
            onSuccess: (response) => resolve(response.data as ArrayBuffer),
            onError: (error) => reject(new Error(`onError ${error.code}`)),
            onTimeout: () => reject(new Error('onTimeout')),
          },
        );
      });
      await trackerFailed;
      peercdn.destroy();

      assert.deepEqual(Buffer.from(data), readFileSync(`${REPO}fixtures/sample/180p/seg_000.ts`));
      assert.ok(errors.length > 0);
      for (const error of errors)
        assert.match(`${error.code}: ${error.message}`, /^tracker-(warning|error): .*WebSocket/);
      assert.equal(peercdn.stats().p2pBytes, 0);
    });
  });
});
