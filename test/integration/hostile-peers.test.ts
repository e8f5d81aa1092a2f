import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { hello, HostilePeer } from '../helpers/hostile-peer.ts';
import { connectedPeers, startNodeViewer, whenAvailability, type NodeViewer } from '../helpers/node-viewer.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const fixture = (sequenceNumber: number): Buffer => readFileSync(`${SAMPLE}180p/seg_${String(sequenceNumber).padStart(3, '0')}.ts`);

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
        channel.send({ type: 'response', requestId: message.requestId, sequenceNumber: 3, byteLength: whole.byteLength });
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
});
