// EXT-X-BYTERANGE segments from peers: the parts of a load that go back to the origin for some of a
// segment's bytes (a Range resume's rest, a spot check's window) ask for them where the segment lies
// in its file, and a peer's copy must be as long as the playlist's range says. A real HTTP server
// serves one file holding sample segment 7 between other bytes, Range as HTTP servers do (no hash manifest).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Engine } from '../../lib/engine/engine.ts';
import { FetchFragmentLoader } from '../../lib/hls/fetch-loader.ts';
import { loadOverHttp } from '../../lib/hls/http-load.ts';
import type { PeerLoadRequest } from '../../lib/hls/load-request.ts';
import { resumeOverRange, type RangeResumeOutcome } from '../../lib/hls/range-resume.ts';
import { spotCheck, spotWindowBytes } from '../../lib/hls/spot-check.ts';
import { checkedSegmentOf } from '../../lib/hls/fragment-swarm.ts';
import {
  offlineEngine,
  recordingCallbacks,
  segmentSevenRequest,
  startRangeOrigin,
  type RangeOrigin,
} from '../helpers/resume-request.ts';

const SEGMENT_SEVEN = new Uint8Array(readFileSync(new URL('../../fixtures/sample/180p/seg_007.ts', import.meta.url)));
// Segment 7 is the second range of all.ts, after 6 other segments' worth of packets.
const OFFSET = 188 * 1000;
const FILE = new Uint8Array(OFFSET + SEGMENT_SEVEN.byteLength + 188 * 50);
FILE.fill(0x47);
FILE.set(SEGMENT_SEVEN, OFFSET);
const RANGE = { offset: OFFSET, length: SEGMENT_SEVEN.byteLength };

describe('byte-range (EXT-X-BYTERANGE) segments and the origin', () => {
  let origin: RangeOrigin;
  const engines: Engine[] = [];
  beforeEach(async () => {
    origin = await startRangeOrigin('/live/all.ts', FILE);
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) engine.destroy();
    await new Promise((resolve) => origin.server.close(resolve));
  });
  // No hash manifest (the origin answers 404 for it): segments pass unverified.
  const newEngine = (config: object = {}): Engine => {
    const engine = offlineEngine({ segmentHashesUrl: `${origin.base}/h.json`, ...config });
    engines.push(engine);
    return engine;
  };
  // Segment 7 as hls.js asks for it: all.ts, rangeStart/rangeEnd (end exclusive).
  const rangedRequest = (): PeerLoadRequest => {
    const request = segmentSevenRequest(recordingCallbacks().callbacks, () => new FetchFragmentLoader({}));
    const context = {
      ...request.context,
      url: `${origin.base}/live/all.ts`,
      rangeStart: OFFSET,
      rangeEnd: OFFSET + SEGMENT_SEVEN.byteLength,
    };
    return { ...request, context };
  };
  const resume = (engine: Engine, peerBytes: number): Promise<RangeResumeOutcome> =>
    new Promise((resolve) =>
      resumeOverRange(
        engine,
        rangedRequest(),
        new FetchFragmentLoader({}),
        { bytes: SEGMENT_SEVEN.slice(0, peerBytes), totalBytes: SEGMENT_SEVEN.byteLength, vouched: true },
        resolve,
      ),
    );

  it('resumes a peer’s partial copy with the rest of the range in the file, joined byte for byte', async () => {
    const peerBytes = 188 * 100;
    const outcome = await resume(newEngine(), peerBytes);
    const lastByte = OFFSET + SEGMENT_SEVEN.byteLength - 1;
    assert.deepEqual(origin.asked, [`bytes=${OFFSET + peerBytes}-${lastByte}`]);
    assert.equal(outcome.kind, 'resumed');
    assert.ok(outcome.kind === 'resumed' && Buffer.from(outcome.data).equals(SEGMENT_SEVEN), 'the joined segment');
    assert.equal(outcome.kind === 'resumed' && outcome.peerBytes, peerBytes);
  });

  it('never takes a 200 answer (the whole file) as the segment: the range counts as ignored', async () => {
    origin.ranges.on = false;
    const outcome = await resume(newEngine(), 188 * 100);
    assert.deepEqual(outcome, { kind: 'range-ignored', receivedBytes: FILE.byteLength });
  });

  it('asks the origin for a spot check’s window where the segment lies in the file', async () => {
    const engine = newEngine({ originSpotChecks: true });
    const check = spotCheck(engine, rangedRequest(), SEGMENT_SEVEN.byteLength);
    assert.equal(await check?.judge(SEGMENT_SEVEN.slice().buffer), null, 'the peer sent the range’s bytes');
    const window = spotWindowBytes(SEGMENT_SEVEN.byteLength);
    const first = Math.floor(0.5 * (SEGMENT_SEVEN.byteLength - window + 1));
    assert.deepEqual(origin.asked, [`bytes=${OFFSET + first}-${OFFSET + first + window - 1}`]);
    // The bytes at the same offsets from the file's start (what an unshifted window would read) differ.
    assert.notDeepEqual(FILE.subarray(first, first + window), SEGMENT_SEVEN.subarray(first, first + window));
  });

  it('caches (for peers) an HTTP load of the range, but not the whole file an origin that ignores Range sends', async () => {
    const held = async (engine: Engine): Promise<number[]> => {
      const { calls, callbacks } = recordingCallbacks();
      const request = { ...rangedRequest(), callbacks };
      await new Promise<void>((resolve) => {
        loadOverHttp(
          engine,
          {
            ...request,
            callbacks: {
              ...callbacks,
              onSuccess: (...args) => {
                callbacks.onSuccess(...args);
                resolve();
              },
            },
          },
          new FetchFragmentLoader({}),
          () => undefined,
        );
      });
      assert.deepEqual(calls, ['success'], 'hls.js got what came either way');
      return engine.served.held('s');
    };
    assert.deepEqual(await held(newEngine()), [7]);
    origin.ranges.on = false;
    assert.deepEqual(await held(newEngine()), [], 'the file is not segment 7');
    const asked = `bytes=${OFFSET}-${OFFSET + SEGMENT_SEVEN.byteLength - 1}`;
    assert.deepEqual(origin.asked, [asked, asked], 'the range asked for both times');
  });

  it('judges a peer’s copy whose length is not the playlist’s range as corrupt', async () => {
    const engine = newEngine();
    const segment = checkedSegmentOf(rangedRequest().context, { swarmId: 's', sequenceNumber: 7 });
    assert.deepEqual(segment.range, RANGE);
    const long = new Uint8Array(SEGMENT_SEVEN.byteLength + 188);
    long.set(SEGMENT_SEVEN);
    long.fill(0x47, SEGMENT_SEVEN.byteLength);
    assert.deepEqual(await engine.segmentChecks.check(segment, long.buffer), {
      kind: 'corrupt',
      problem: `${long.byteLength} B where the playlist's byte range has ${SEGMENT_SEVEN.byteLength} B`,
    });
    const verdict = await engine.segmentChecks.check(segment, SEGMENT_SEVEN.slice().buffer);
    assert.equal(verdict.kind, 'pass', 'the range’s own bytes pass (no manifest: unverified)');
  });
});
