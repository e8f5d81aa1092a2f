import assert from 'node:assert/strict';
import { HashManifestStore, MAX_MANIFESTS, type FetchBytes } from '../../lib/engine/hash-manifest-store.ts';

// destroy() ends the store: a check that was waiting between two reads of a lagging live manifest
// must not fetch it again afterwards (nor leave the request's timeout timer behind).

const lagging = new TextEncoder().encode(
  JSON.stringify({
    format: 'peercdn-hashes',
    version: 1,
    renditions: [
      {
        playlist: 'index.m3u8',
        live: true,
        segments: [{ uri: 'seg_4.ts', sha256: '0'.repeat(64) }],
        initSegments: [],
      },
    ],
  }),
).buffer;

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('hash manifest store destroyed during a lagging-manifest wait', () => {
  it('makes no request after destroy(), and the check ends', async () => {
    const requested: string[] = [];
    const fetchBytes: FetchBytes = (url) => {
      requested.push(url);
      return Promise.resolve({ status: 200, body: lagging });
    };
    let endWait: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (endWait = resolve));
    let waits = 0;
    const store = new HashManifestStore({
      fetchBytes,
      nowMs: () => 0,
      delay: () => {
        waits += 1;
        return waiting;
      },
    });
    const url = 'http://origin.test/live/index.hashes.json';
    const expected = store.expected(url, 'http://origin.test/live/seg_5.ts', null);
    await settle();
    assert.equal(requested.length, 1);
    assert.equal(waits, 1, 'seg_5 is not listed yet: the store waits to read again');
    store.destroy();
    endWait();
    const result = await expected;
    assert.equal(result.kind, 'unlisted');
    await settle();
    assert.equal(requested.length, 1, 'no request after destroy()');
  });
});

describe('hash manifest store under rotating playlist tokens', () => {
  it(`keeps at most ${MAX_MANIFESTS} manifests: each token names a new manifest URL, the oldest are forgotten`, async () => {
    const store = new HashManifestStore({
      fetchBytes: () => Promise.resolve({ status: 200, body: lagging }),
      nowMs: () => 0,
      delay: () => Promise.resolve(),
    });
    const url = (token: number): string => `http://origin.test/live/index.hashes.json?token=${token}`;
    for (let token = 0; token < 100; token += 1) {
      store.prefetch(url(token));
      await settle();
    }
    const kept = Array.from({ length: 100 }, (_, token) => token).filter((token) => store.present(url(token)));
    assert.deepEqual(
      kept,
      Array.from({ length: MAX_MANIFESTS }, (_, i) => 100 - MAX_MANIFESTS + i),
    );
    store.destroy();
  });
});
