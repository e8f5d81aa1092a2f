import assert from 'node:assert/strict';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { stopViewerPage, viewerSnapshot, waitPlayed } from '../helpers/viewer-page.ts';

interface PageOrigin {
  baseUrl: string;
  up: boolean;
  bytes: number;
  requests: number;
  errors: number;
}
interface OriginEvent {
  baseUrl: string;
  up: boolean;
  reason: string;
}

// hls.js in Chromium against two origins serving the same live stream: the fixture's (A, which
// also serves the page) and a second one (B) on another port.
describe('several origins, in Chromium with hls.js', function () {
  this.timeout(240_000);
  const fixture = useBrowserFixture();
  let b: OriginServer;
  before(async () => {
    // The same live window as A's.
    b = await startOriginServer({ liveEpochMs: fixture().stack.origin.liveEpochMs });
  });
  afterEach(async () => {
    const a = fixture().stack.origin;
    a.setFaults({});
    await a.resume();
  });
  after(async () => {
    await b.close();
  });

  const open = (viewerId: string) => {
    const a = fixture().stack.origin;
    return fixture().openViewer({
      mode: 'live',
      viewerId,
      level: 0,
      extraQuery: { origins: `${a.url}/|1,${b.url}/|1` },
    });
  };
  const segmentBytes = (origin: OriginServer): number => origin.counts().segmentBytes;

  it('reports a viewer page that could not start with its page error (not a missing viewer at the end)', async () => {
    // peercdn refuses the setting in its constructor: the page script stops before `window.viewer`.
    await assert.rejects(
      fixture().openViewer({ mode: 'live', viewerId: 'broken', level: 0, extraQuery: { origins: 'ftp://a.test/' } }),
      /broken: the viewer page did not start \(.*config-invalid|broken: the viewer page did not start \(.*"origins"/,
    );
  });

  it('plays without a stall while one origin fails (5xx, then stopped), and uses it again once it recovers', async () => {
    const a = fixture().stack.origin;
    const page = await open('failover');
    await waitPlayed(page, 8);
    const beforeFault = segmentBytes(a);
    assert.ok(beforeFault > 0 && segmentBytes(b) > 0, 'both origins served while healthy');
    a.setFaults({ errorRate: 1 });
    await waitPlayed(page, 14);
    await a.stop();
    await waitPlayed(page, 20);
    const duringFault = segmentBytes(a) - beforeFault;
    const bAtRecovery = segmentBytes(b);
    await a.resume();
    a.setFaults({});
    await waitPlayed(page, 40);
    const snapshot = await viewerSnapshot(page);
    const final = await stopViewerPage(page);
    const events = (snapshot as unknown as { originEvents: OriginEvent[] }).originEvents;
    const afterRecovery = segmentBytes(a) - beforeFault;
    console.log(
      `      A: ${a.failedRequests} injected errors; A segment bytes while failing ${duringFault}, after recovery ${afterRecovery}; ` +
        `B after recovery ${segmentBytes(b) - bAtRecovery}; events ${events.map((e) => `${e.baseUrl === `${a.url}/` ? 'A' : 'B'} ${e.up ? 'up' : 'down'}:${e.reason}`).join(', ')}`,
    );
    assert.deepEqual(final.fatalErrors, []);
    assert.equal(final.stalls, 0, 'the viewer stalled');
    assert.ok(a.failedRequests > 0, 'the fault was never hit');
    assert.equal(duringFault, 0, 'origin A delivered segments while failing');
    assert.ok(afterRecovery > 0, 'origin A never served again after it recovered');
    assert.deepEqual(
      events.filter((event) => event.baseUrl === `${a.url}/`).map((event) => event.up),
      [false, true],
    );
  });

  it('hedges urgent segments when one origin is slow: the other answers, the late requests are aborted unanswered', async () => {
    const a = fixture().stack.origin;
    a.setFaults({ addedLatencyMs: 3000, segmentsOnly: true });
    const aBefore = segmentBytes(a);
    const page = await open('hedge');
    await waitPlayed(page, 16);
    const snapshot = await viewerSnapshot(page);
    const final = await stopViewerPage(page);
    const [originA, originB] = (snapshot as unknown as { origins: PageOrigin[] }).origins;
    console.log(
      `      A: ${originA?.requests} requests, ${segmentBytes(a) - aBefore} segment bytes; B: ${originB?.requests} requests; ` +
        `stalls ${final.stalls}; segment times ms ${final.segments.map((segment) => Math.round(segment.durationMs)).join(' ')}`,
    );
    assert.deepEqual(final.fatalErrors, []);
    assert.equal(final.stalls, 0, 'the viewer stalled');
    assert.ok((originA?.requests ?? 0) >= 3, 'origin A got its share of first requests');
    // Every segment request to A was overtaken by its hedge to B and aborted before A answered.
    assert.equal(segmentBytes(a) - aBefore, 0, 'origin A sent segment bytes');
    // Segments take turns by weight: half went to A first, each overtaken by its hedge after at least 300 ms.
    const hedged = final.segments.filter((segment) => segment.durationMs >= 300).length;
    assert.ok(hedged >= 3, `${hedged} segments were hedged`);
    assert.ok((originB?.requests ?? 0) > (originA?.requests ?? 0), 'hedges went to B');
  });
});
