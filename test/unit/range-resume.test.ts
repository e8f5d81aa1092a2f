import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats, NullableNetworkDetails } from 'hls.js';
import { Engine } from '../../lib/engine/engine.ts';
import { FetchFragmentLoader } from '../../lib/hls/fetch-loader.ts';
import { newStats } from '../../lib/hls/loader-stats.ts';
import { resumeOverRange, type RangeResumeOutcome } from '../../lib/hls/range-resume.ts';
import { offlineEngine, recordingCallbacks, segmentSevenRequest } from '../helpers/resume-request.ts';

const SEGMENT_BYTES = 1_000_000;

/** An origin's loader for one segment of SEGMENT_BYTES: a range past its end is refused with 416, as HTTP servers do. */
class SegmentOriginLoader {
  stats: LoaderStats = newStats();
  readonly asked: string[] = [];
  load(context: LoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
    const start = context.rangeStart ?? 0;
    const end = Math.min(context.rangeEnd || SEGMENT_BYTES, SEGMENT_BYTES);
    this.asked.push(`${start}-${context.rangeEnd}`);
    queueMicrotask(() => {
      if (start >= SEGMENT_BYTES) {
        callbacks.onError({ code: 416, text: 'Range Not Satisfiable' }, context, null, this.stats);
        return;
      }
      this.stats.loaded = end - start;
      callbacks.onSuccess({ url: context.url, data: new ArrayBuffer(end - start) }, this.stats, context, null);
    });
  }
  abort(): void {}
  destroy(): void {}
}

/** hls.js's loader in front of an origin serving `segment`, answering each Range with `code` (200: a custom loader that says 200 for a 206). */
class RangeLoader {
  stats: LoaderStats = newStats();
  constructor(
    readonly segment: Uint8Array,
    readonly code: number,
    readonly networkDetails: unknown = null,
  ) {}
  load(context: LoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
    const body = this.segment.slice(context.rangeStart ?? 0, context.rangeEnd || this.segment.byteLength);
    queueMicrotask(() => {
      this.stats.loaded = body.byteLength;
      // A custom loader may hand on anything as its network details.
      const networkDetails = this.networkDetails as NullableNetworkDetails;
      callbacks.onSuccess(
        { url: context.url, data: body.buffer, code: this.code },
        this.stats,
        context,
        networkDetails,
      );
    });
  }
  abort(): void {}
  destroy(): void {}
}

const SEGMENT_SEVEN = new Uint8Array(readFileSync(new URL('../../fixtures/sample/180p/seg_007.ts', import.meta.url)));

describe('Range resume of a peer’s partial segment', () => {
  // By default its hash manifest is refused at once (nothing listens on 127.0.0.1:9).
  const newEngine = (segmentHashesUrl: string | null = 'http://127.0.0.1:9/h.json'): Engine =>
    offlineEngine({ segmentHashesUrl });
  const resume = (
    engine: Engine,
    loader: RangeLoader,
    receivedBytes: number,
    peerBytes = SEGMENT_SEVEN.slice(0, receivedBytes),
    vouched = true,
  ): Promise<RangeResumeOutcome> =>
    new Promise((resolve) =>
      resumeOverRange(
        engine,
        segmentSevenRequest(recordingCallbacks().callbacks),
        loader as never,
        { bytes: peerBytes, totalBytes: SEGMENT_SEVEN.byteLength, vouched },
        resolve,
      ),
    );

  it('bans a peer for its own corrupt bytes, but only strikes a relay for bytes it had not vouched for yet', async () => {
    const engine = newEngine();
    // No MPEG-TS sync byte where the peer's bytes are: the joined segment fails the structure check.
    const forged = new Uint8Array(188 * 40);
    const own = await resume(engine, new RangeLoader(SEGMENT_SEVEN, 206), forged.byteLength, forged, true);
    const relayed = await resume(engine, new RangeLoader(SEGMENT_SEVEN, 206), forged.byteLength, forged, false);
    engine.destroy();
    assert.equal(own.kind, 'corrupt');
    assert.equal(relayed.kind, 'unverifiable');
    assert.match(relayed.kind === 'unverifiable' ? relayed.reason : '', /^unvouched relay bytes: /);
    assert.equal(relayed.kind === 'unverifiable' && relayed.restBytes, SEGMENT_SEVEN.byteLength - forged.byteLength);
    assert.equal(relayed.kind === 'unverifiable' && relayed.relayFault, true, 'a strike for the relay');
  });

  it('tells whether the peer vouched for the bytes of a resumed segment', async () => {
    // The stream has no manifest (its URL answers 404): segments pass unverified.
    const server = createServer((_request, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const engine = newEngine(`http://127.0.0.1:${port}/h.json`);
    const outcomes = [
      await resume(engine, new RangeLoader(SEGMENT_SEVEN, 206), 188 * 100, undefined, true),
      await resume(engine, new RangeLoader(SEGMENT_SEVEN, 206), 188 * 100, undefined, false),
    ];
    engine.destroy();
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.kind === 'resumed' ? [outcome.peerBytes, outcome.peerVouched] : outcome.kind)),
      [
        [188 * 100, true],
        [188 * 100, false],
      ],
    );
  });

  it('takes a 206 whose Content-Range is another range than asked for as the range ignored (fetch, real server): nothing joined', async () => {
    // A cache that answers every range with the segment's first bytes of that length, labelled truly.
    let wrong = true;
    const server = createServer((request, response) => {
      if (request.url !== '/live/seg_7.ts') return void response.writeHead(404).end();
      const [first = 0, last = 0] =
        /bytes=(\d+)-(\d+)/
          .exec(request.headers.range ?? '')
          ?.slice(1)
          .map(Number) ?? [];
      const start = wrong ? 0 : first;
      const end = start + last - first;
      response.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${SEGMENT_SEVEN.byteLength}`,
        'content-length': end - start + 1,
      });
      response.end(SEGMENT_SEVEN.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // The stream's manifest answers 404: a joined segment would pass unverified, wrong bytes and all.
    const engine = newEngine(`http://127.0.0.1:${port}/h.json`);
    const peerBytes = 188 * 100;
    const resumeFrom = (): Promise<RangeResumeOutcome> =>
      new Promise((resolve) => {
        const request = segmentSevenRequest(recordingCallbacks().callbacks);
        const context = { ...request.context, url: `http://127.0.0.1:${port}/live/seg_7.ts` };
        const partial = {
          bytes: SEGMENT_SEVEN.slice(0, peerBytes),
          totalBytes: SEGMENT_SEVEN.byteLength,
          vouched: true,
        };
        resumeOverRange(engine, { ...request, context }, new FetchFragmentLoader({}), partial, resolve);
      });
    const mislabelled = await resumeFrom();
    wrong = false;
    const honest = await resumeFrom();
    engine.destroy();
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(mislabelled, { kind: 'range-ignored', receivedBytes: SEGMENT_SEVEN.byteLength - peerBytes });
    assert.equal(honest.kind, 'resumed');
    assert.deepEqual(new Uint8Array(honest.kind === 'resumed' ? honest.data : new ArrayBuffer(0)), SEGMENT_SEVEN);
  });

  it('reads network details of any shape a custom loader hands on as no Content-Range: the rest is joined and judged', async () => {
    const throwing = {
      get headers(): never {
        throw new Error('no headers here');
      },
    };
    const shapes = [
      { headers: { 'content-range': 'bytes 0-9/10' } },
      throwing,
      { getAllResponseHeaders: () => 7 },
      'text',
    ];
    // The manifest is unreachable: a joined segment is judged unverifiable, its rest's cost told.
    const engine = newEngine();
    const outcomes = [];
    for (const shape of shapes) {
      const outcome = await resume(engine, new RangeLoader(SEGMENT_SEVEN, 206, shape), 188 * 100);
      outcomes.push({ kind: outcome.kind, restBytes: 'restBytes' in outcome ? outcome.restBytes : null });
    }
    engine.destroy();
    const joined = { kind: 'unverifiable', restBytes: SEGMENT_SEVEN.byteLength - 188 * 100 };
    assert.deepEqual(outcomes, [joined, joined, joined, joined]);
  });

  it('joins the rest a loader reports as 200 when it is the rest asked for (to be checked), and takes a whole 200 answer as the segment', async () => {
    const engine = newEngine();
    const joined = await resume(engine, new RangeLoader(SEGMENT_SEVEN, 200), 188 * 100);
    // Joined to the peer's bytes and checked (the manifest unreachable: unverifiable, the rest's cost told).
    assert.deepEqual(
      { kind: joined.kind, restBytes: 'restBytes' in joined ? joined.restBytes : null },
      { kind: 'unverifiable', restBytes: SEGMENT_SEVEN.byteLength - 188 * 100 },
    );
    // An origin without Range support: the whole segment, 200.
    const ignoring = new RangeLoader(SEGMENT_SEVEN, 200);
    ignoring.load = (context, _config, callbacks) =>
      queueMicrotask(() =>
        callbacks.onSuccess(
          { url: context.url, data: SEGMENT_SEVEN.slice().buffer, code: 200 },
          ignoring.stats,
          context,
          null,
        ),
      );
    const whole = await resume(engine, ignoring, 188 * 100);
    engine.destroy();
    assert.equal(whole.kind, 'sent-whole');
    assert.ok(whole.kind === 'sent-whole' && Buffer.from(whole.data).equals(SEGMENT_SEVEN));
  });

  it('refused by the origin for a size the peer declared wrong (416): the whole segment over HTTP, no error for hls.js', async () => {
    const engine = newEngine(null);
    const { calls: hlsCalls, callbacks } = recordingCallbacks();
    const origin = new SegmentOriginLoader();
    const outcome = await new Promise<RangeResumeOutcome>((resolve) =>
      resumeOverRange(
        engine,
        segmentSevenRequest(callbacks),
        origin as never,
        // The peer declared 8 MB and sent 1.2 MB before it stalled: more than the segment has.
        { bytes: new Uint8Array(1_200_000), totalBytes: 8_000_000, vouched: true },
        resolve,
      ),
    );
    engine.destroy();
    assert.deepEqual(origin.asked, ['1200000-8000000']);
    assert.deepEqual(outcome, { kind: 'range-ignored', receivedBytes: 0 });
    assert.deepEqual(hlsCalls, [], 'hls.js heard nothing of the refused range');
  });
});
