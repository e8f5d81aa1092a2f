import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PeerClosedEvent } from '../../lib/api/events.ts';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { haveFlood, hugeLength } from '../helpers/hostile-behaviours.ts';
import { hello, HostilePeer } from '../helpers/hostile-peer.ts';
import {
  connectedPeers,
  SEGMENT_SECONDS,
  startNodeViewer,
  whenAvailability,
  type NodeViewer,
} from '../helpers/node-viewer.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** JS heap plus ArrayBuffers after a full collection: what the viewer holds, not garbage. */
const heldBytes = (): number => {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};
// What the honest viewer may grow by whatever a hostile peer sends (the bench's goal is 50 MB).
const HEAP_GROWTH_LIMIT_BYTES = 32 * 1024 * 1024;
const HOSTILE_REANNOUNCE_MS = 25_000;
const closedEvents = (viewer: NodeViewer): PeerClosedEvent[] => {
  const events: PeerClosedEvent[] = [];
  viewer.engine.events.on('peer-closed', (event) => events.push(event));
  return events;
};
const fixture = (sequenceNumber: number): Buffer =>
  readFileSync(`${SAMPLE}180p/seg_${String(sequenceNumber).padStart(3, '0')}.ts`);

describe('an honest viewer among hostile peers (Node WebRTC, real tracker and origin)', function () {
  this.timeout(120_000);
  let origin: OriginServer;
  let tracker: RunningTracker;
  const cleanup: { destroy(): void }[] = [];

  before(async () => {
    origin = await startOriginServer();
    tracker = await startTracker({ host: '127.0.0.1', port: 0 });
  });
  afterEach(() => {
    for (const item of cleanup.splice(0)) item.destroy();
  });
  after(async () => {
    await Promise.all([origin.close(), tracker.close()]);
  });

  const viewer = (config: Parameters<typeof startNodeViewer>[2] = {}): NodeViewer => {
    const started = startNodeViewer(tracker.url, origin.url, config);
    cleanup.push(started);
    return started;
  };
  const hostile = (swarmId: string, behaviour: ConstructorParameters<typeof HostilePeer>[2]): HostilePeer => {
    const peer = new HostilePeer(tracker.url, swarmId, behaviour);
    cleanup.push(peer);
    // The honest viewer's tracker count may predate this peer, so only the hostile side retries:
    // one failed WebRTC attempt then costs 25 s, not the tracker's announce interval.
    peer.reannounceWhileUnconnected(HOSTILE_REANNOUNCE_MS);
    return peer;
  };

  it('measures HTTP pace from a Range resume too, when that is the only HTTP load', async () => {
    const honest = viewer({ peerLoadTimeoutMs: 1000, peerFirstByteTimeoutMs: 1000 });
    const whole = fixture(3);
    // Sends the first 1,000 bytes of segment 3, then nothing more.
    hostile(honest.swarmId, {
      onConnect: (channel) => channel.send(hello([3])),
      onMessage: (message, channel) => {
        if (message.type !== 'request') return;
        channel.send({
          type: 'response',
          requestId: message.requestId,
          sequenceNumber: 3,
          byteLength: whole.byteLength,
        });
        channel.sendData(message.requestId, 0, whole.subarray(0, 1000));
      },
    });
    await connectedPeers(honest.engine, 1);
    await whenAvailability(honest, () => honest.engine.decide(honest.swarmId, 3, 6, 0).kind === 'peer');
    assert.equal(honest.engine.httpPace.throughput, null);
    const { data } = await honest.load(3);
    assert.deepEqual(Buffer.from(data), whole);
    assert.equal(honest.engine.stats().p2pBytes, 1000, 'the first 1,000 bytes came from the peer');
    assert.notEqual(honest.engine.httpPace.throughput, null, 'the Range resume was measured');
  });

  it('plays every segment without waiting out a peer, with bounded memory, while peers declare 64 MiB segments and flood availability', async () => {
    const honest = viewer();
    const closed = closedEvents(honest);
    // Claims every segment, then answers each request with a 64-MiB header and one byte.
    const liar = hostile(honest.swarmId, hugeLength(Array.from({ length: 100 }, (_, i) => i)));
    // Announces 2,048 new segments per message, 400 messages in a row.
    const flooder = hostile(honest.swarmId, haveFlood(400));
    // The flooder is gone as soon as it floods; the liar stays until it is asked for a segment.
    await Promise.all([
      new Promise<void>((resolve) =>
        honest.engine.events.on('peer-closed', (event) => event.peerId === flooder.peerId && resolve()),
      ),
      whenAvailability(
        honest,
        () => honest.engine.decide(honest.swarmId, 0, 0, 0).kind === 'peer' && liar.peerId !== '',
      ),
    ]);
    const before = heldBytes();
    // A simulated player: at the start of each segment it has, while it loads the next one.
    for (let sn = 0; sn < 6; sn++) {
      const { data } = await honest.load(sn);
      assert.deepEqual(Buffer.from(data), fixture(sn));
      honest.media.currentTime = sn * SEGMENT_SECONDS;
    }
    const growth = heldBytes() - before;
    // No wall clock: a load that waited on a lying peer until its timeout or a stall would be a strike.
    assert.equal(honest.engine.stats().peerStrikes, 0, 'no load waited out a peer');
    assert.ok(growth < HEAP_GROWTH_LIMIT_BYTES, `held ${(growth / 1e6).toFixed(1)} MB more`);
    const reasons = closed.map((event) => `${event.error?.code}: ${event.error?.message}`);
    assert.ok(
      reasons.some((r) => /peer-protocol: .*declared a segment of 67108864 bytes/.test(r)),
      reasons.join('; '),
    );
    assert.ok(
      reasons.some((r) => new RegExp(`peer-protocol: peer ${flooder.peerId}: more than .* control messages`).test(r)),
      reasons.join('; '),
    );
  });
});
