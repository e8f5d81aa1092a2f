import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mock } from 'node:test';
import type { LoaderCallbacks, LoaderConfiguration, LoaderContext } from 'hls.js';
import { resolveConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import {
  FAILED_RECHECK_MS,
  LAG_REREAD_INTERVAL_MS,
  MANIFEST_FETCH_TIMEOUT_MS,
  type FetchBytes,
} from '../../lib/engine/hash-manifest-store.ts';
import { SegmentChecks, type SegmentVerdict } from '../../lib/engine/segment-checks.ts';
import { fetchManifestBytes, SegmentVerifier, webCryptoSha256 } from '../../lib/engine/segment-verifier.ts';
import { resumeOverRange, type RangeResumeOutcome } from '../../lib/hls/range-resume.ts';
import type { TrackerClient } from '../../lib/swarm/tracker-client.ts';
import { recordingCallbacks, segmentSevenRequest } from '../helpers/resume-request.ts';

// A hash-manifest request that stalls (a flaky network) must not hold the checks of its playlist:
// each request is given up after MANIFEST_FETCH_TIMEOUT_MS (fake clock), the segment is then
// unverifiable (HTTP, nobody blamed), and the manifest is asked for again after the failed back-off.

const SEGMENT_FILE = readFileSync(new URL('../../fixtures/sample/180p/seg_004.ts', import.meta.url));
const SEGMENT = SEGMENT_FILE.buffer.slice(SEGMENT_FILE.byteOffset, SEGMENT_FILE.byteOffset + SEGMENT_FILE.byteLength);
const SEGMENT_SHA256 = createHash('sha256').update(SEGMENT_FILE).digest('hex');

const manifestListing = (uris: readonly string[], live: boolean): ArrayBuffer =>
  new TextEncoder().encode(
    JSON.stringify({
      format: 'peercdn-hashes',
      version: 1,
      renditions: [
        {
          playlist: 'index.m3u8',
          live,
          segments: uris.map((uri) => ({ uri, sha256: SEGMENT_SHA256 })),
          initSegments: [],
        },
      ],
    }),
  ).buffer;

// Lets pending promise callbacks run (setImmediate is not faked).
const settleMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** A promise that tells whether it settled yet. */
function watched<T>(promise: Promise<T>): { readonly promise: Promise<T>; settled: () => boolean } {
  let done = false;
  void promise.finally(() => {
    done = true;
  });
  return { promise, settled: () => done };
}

interface ManifestRequest {
  readonly url: string;
  readonly signal: AbortSignal;
  answer(status: number, body: ArrayBuffer): void;
}

/** A manifest fetch the test answers (or never does), recording each request. */
function answeredByTest(): { readonly fetchBytes: FetchBytes; readonly requests: ManifestRequest[] } {
  const requests: ManifestRequest[] = [];
  const fetchBytes: FetchBytes = (url, signal) =>
    new Promise((resolve) => {
      requests.push({ url, signal, answer: (status, body) => resolve({ status, body }) });
    });
  return { fetchBytes, requests };
}

function checksWith(fetchBytes: FetchBytes, clock: { ms: number }) {
  const verifier = new SegmentVerifier({
    manifestUrl: null,
    fetchBytes,
    nowMs: () => clock.ms,
    // The wait between re-reads of a lagging live manifest: the clock moves on, nothing else waits.
    delay: (ms) => {
      clock.ms += ms;
      return Promise.resolve();
    },
    sha256: webCryptoSha256(),
  });
  const checks = new SegmentChecks(null, verifier, false);
  const segment = (name: string) => ({
    swarmId: 'swarm-180p',
    sequenceNumber: 4,
    url: `http://origin.test/live/180p/${name}`,
    playlistUrl: 'http://origin.test/live/180p/index.m3u8',
    mediaSeconds: 2,
    range: null,
    ciphertext: false,
  });
  return { verifier, checks, segment };
}

describe('hash manifest requests that stall end the checks waiting on them (fake clock)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  describe('against a real server on 127.0.0.1 that never answers', () => {
    let server: Server | undefined;
    afterEach(async () => {
      if (server === undefined) return;
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      server = undefined;
    });

    it('calls the segment unverifiable once MANIFEST_FETCH_TIMEOUT_MS passed, not before, and aborts the request', async () => {
      server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const asked = once(server, 'request') as Promise<[IncomingMessage, ServerResponse]>;
      const { verifier, checks } = checksWith(fetchManifestBytes, { ms: 0 });
      const at = {
        swarmId: 'swarm-180p',
        sequenceNumber: 4,
        url: `http://127.0.0.1:${port}/vod/180p/seg_004.ts`,
        playlistUrl: `http://127.0.0.1:${port}/vod/180p/index.m3u8`,
        mediaSeconds: 2,
        range: null,
        ciphertext: false,
      };
      const verdict = watched(checks.check(at, SEGMENT));
      const [request, response] = await asked;
      assert.equal(request.url, '/vod/180p/index.hashes.json');
      const closed = once(response, 'close');
      mock.timers.tick(MANIFEST_FETCH_TIMEOUT_MS - 1);
      await settleMicrotasks();
      assert.equal(verdict.settled(), false, 'the manifest still has time');
      mock.timers.tick(1);
      assert.deepEqual(await verdict.promise, {
        kind: 'unverifiable',
        reason: `http://127.0.0.1:${port}/vod/180p/index.hashes.json: no answer within ${MANIFEST_FETCH_TIMEOUT_MS} ms`,
      } satisfies SegmentVerdict);
      await closed; // the browser drops the stalled request
      assert.equal(verifier.canVerify(at.playlistUrl), false);
      verifier.destroy();
    });
  });

  it('ends every check sharing the stalled request at once, drops its late answer, and asks again after the back-off', async () => {
    const clock = { ms: 1_000_000 };
    const { fetchBytes, requests } = answeredByTest();
    const { verifier, checks, segment } = checksWith(fetchBytes, clock);
    const first = checks.check(segment('seg_004.ts'), SEGMENT);
    const second = checks.check(segment('seg_004.ts'), SEGMENT);
    await settleMicrotasks();
    assert.equal(requests.length, 1, 'one request for both checks');
    mock.timers.tick(MANIFEST_FETCH_TIMEOUT_MS);
    for (const verdict of await Promise.all([first, second])) assert.equal(verdict.kind, 'unverifiable');
    assert.equal(requests[0]?.signal.aborted, true);

    // The answer comes after all: it must not count, not even for a later check.
    requests[0]?.answer(200, manifestListing(['seg_004.ts'], false));
    await settleMicrotasks();
    clock.ms += FAILED_RECHECK_MS - 1;
    const meanwhile = await checks.check(segment('seg_004.ts'), SEGMENT);
    assert.equal(meanwhile.kind, 'unverifiable');
    assert.match(meanwhile.kind === 'unverifiable' ? meanwhile.reason : '', /no answer within/);
    assert.equal(requests.length, 1, 'no new request within the back-off');
    assert.equal(verifier.canVerify(segment('seg_004.ts').playlistUrl), false);

    clock.ms += 1;
    const retried = watched(checks.check(segment('seg_004.ts'), SEGMENT));
    await settleMicrotasks();
    assert.equal(requests.length, 2, 'the manifest is asked for again');
    requests[1]?.answer(200, manifestListing(['seg_004.ts'], false));
    assert.deepEqual(await retried.promise, { kind: 'pass', verified: true });
    verifier.destroy();
  });

  it('gives a lagging live manifest up when its re-read stalls, after one timeout', async () => {
    const clock = { ms: 1_000_000 };
    const { fetchBytes, requests } = answeredByTest();
    const { verifier, checks, segment } = checksWith(fetchBytes, clock);
    const verdict = watched(checks.check(segment('seg_5.ts'), SEGMENT));
    await settleMicrotasks();
    requests[0]?.answer(200, manifestListing(['seg_4.ts'], true)); // lags: seg_5 is not listed yet
    await settleMicrotasks();
    assert.equal(requests.length, 2, 're-read after LAG_REREAD_INTERVAL_MS');
    assert.equal(clock.ms, 1_000_000 + LAG_REREAD_INTERVAL_MS);
    assert.equal(verdict.settled(), false);
    mock.timers.tick(MANIFEST_FETCH_TIMEOUT_MS);
    const ended = await verdict.promise;
    assert.equal(ended.kind, 'unverifiable');
    assert.equal(requests.length, 2, 'no further re-read once a request timed out');
    verifier.destroy();
  });

  it('ends a check waiting on a request when the verifier is destroyed, and aborts the request', async () => {
    const { fetchBytes, requests } = answeredByTest();
    const { verifier, checks, segment } = checksWith(fetchBytes, { ms: 0 });
    const verdict = checks.check(segment('seg_004.ts'), SEGMENT);
    await settleMicrotasks();
    verifier.destroy();
    assert.deepEqual(await verdict, {
      kind: 'unverifiable',
      reason: 'http://origin.test/live/180p/index.hashes.json: destroyed',
    });
    assert.equal(requests[0]?.signal.aborted, true);
  });

  // The review's hang (review-lib range-resume-hang): the Range loader had already succeeded, so
  // no timer was left behind the check, and hls.js never heard of the fragment again.
  it('ends a Range-resumed load (outcome unverifiable: the fragment loader goes to HTTP) when the manifest request stalls', async () => {
    const PACKETS = 100;
    const whole = new Uint8Array(188 * PACKETS);
    for (let p = 0; p < PACKETS; p += 1) whole[p * 188] = 0x47;
    class RangeLoader {
      stats = { loaded: 0, loading: { start: 0, first: 0, end: 0 }, aborted: false, retry: 0 };
      load(context: LoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
        const rest = whole.slice(context.rangeStart ?? 0, context.rangeEnd ?? undefined);
        queueMicrotask(() => {
          callbacks.onSuccess({ url: context.url, data: rest.buffer }, this.stats as never, context, null);
        });
      }
      abort(): void {}
      destroy(): void {}
    }
    const silent = (): TrackerClient => ({ on: () => undefined, start: () => undefined, destroy: () => undefined });
    let requested: () => void = () => undefined;
    const manifestRequested = new Promise<void>((resolve) => (requested = resolve));
    const engine = new Engine(resolveConfig({ trackerUrls: ['ws://tracker.invalid'] }), {
      createTrackerClient: silent,
      random: () => 0.5,
      nowMs: () => 0,
      fetchBytes: () => {
        requested();
        return new Promise(() => undefined); // stalls, and ignores its signal
      },
    });
    const { calls: hlsCalls, callbacks } = recordingCallbacks();
    const outcome = new Promise<RangeResumeOutcome>((resolve) => {
      resumeOverRange(
        engine,
        segmentSevenRequest(callbacks),
        new RangeLoader() as never,
        { bytes: whole.slice(0, 188 * 40), totalBytes: whole.byteLength, vouched: true },
        resolve,
      );
    });
    await manifestRequested;
    mock.timers.tick(MANIFEST_FETCH_TIMEOUT_MS);
    const ended = await outcome;
    assert.equal(ended.kind, 'unverifiable');
    assert.equal(ended.kind === 'unverifiable' ? ended.restBytes : 0, 188 * 60);
    assert.deepEqual(hlsCalls, [], 'the fragment loader, not the resume, tells hls.js');
    engine.destroy();
  });
});
