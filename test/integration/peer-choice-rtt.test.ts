import assert from 'node:assert/strict';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import type { TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import {
  connectedPeers,
  loopbackTrackerClients,
  SEGMENT_SECONDS,
  startNodeViewer,
  whenAvailability,
  type NodeViewer,
} from '../helpers/node-viewer.ts';

// Added to every data-channel message the far seeder sends (its hello, responses, chunks): a
// peer across an ocean, on a loopback link.
const FAR_DELAY_MS = 200;
const SEGMENTS = Array.from({ length: 10 }, (_, i) => i + 1);

// As a player does: the playhead moves along (a segment beyond the HTTP window is never fetched from the origin).
async function play(viewer: NodeViewer, sequenceNumber: number): Promise<void> {
  viewer.media.currentTime = Math.max(0, (sequenceNumber - 1) * SEGMENT_SECONDS);
  await viewer.load(sequenceNumber);
}

/** Tracker clients whose peers send every data-channel message `delayMs` late, in order. */
function delayedSends(factory: TrackerClientFactory, delayMs: number): TrackerClientFactory {
  return (options) => {
    const client = factory(options);
    // Registered before the swarm's own listener: the send is wrapped before a link uses it.
    client.on('peer', (peer) => {
      const send = peer.send.bind(peer);
      (peer as { send(data: Uint8Array): void }).send = (data) => {
        setTimeout(() => {
          try {
            if (peer.connected) send(data);
          } catch {
            // The channel closed meanwhile: the message is lost, as on a real link.
          }
        }, delayMs);
      };
    });
    return client;
  };
}

describe('peer choice over real WebRTC (node-datachannel, real tracker and origin)', function () {
  this.timeout(120_000);
  let origin: OriginServer;
  let tracker: RunningTracker;
  const viewers: NodeViewer[] = [];

  before(async () => {
    origin = await startOriginServer();
    tracker = await startTracker({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    for (const viewer of viewers.splice(0)) viewer.destroy();
    await Promise.all([origin.close(), tracker.close()]);
  });

  const start = (trackerClients: TrackerClientFactory = loopbackTrackerClients): NodeViewer => {
    const viewer = startNodeViewer(tracker.url, origin.url, {}, undefined, undefined, trackerClients);
    viewers.push(viewer);
    return viewer;
  };

  it('measures RTT on the data channel and takes segments from the lower-RTT peer when two have them', async () => {
    // The far seeder comes first: it is the earlier candidate, so only measurement can move
    // downloads to the near one.
    const far = start(delayedSends(loopbackTrackerClients, FAR_DELAY_MS));
    for (const sn of SEGMENTS) await play(far, sn);
    const viewer = start();
    await connectedPeers(viewer.engine, 1);
    const near = start();
    await Promise.all([connectedPeers(viewer.engine, 2), connectedPeers(near.engine, 2)]);
    for (const sn of SEGMENTS) await play(near, sn);
    const bothHaveAll = (): boolean =>
      [far, near].every((seeder) => {
        const link = viewer.engine.peerLink(viewer.swarmId, seeder.engine.peerId);
        return link !== null && link.introduced && SEGMENTS.every((sn) => link.has(sn));
      });
    await whenAvailability(viewer, bothHaveAll, 60_000);

    const from: string[] = [];
    viewer.engine.events.on('segment-loaded', (event) => from.push(event.peerId ?? event.source));
    for (const sn of SEGMENTS) await play(viewer, sn);

    const fromNear = from.filter((id) => id === near.engine.peerId).length;
    const fromFar = from.filter((id) => id === far.engine.peerId).length;
    assert.equal(fromNear + fromFar, SEGMENTS.length, `every segment from a peer: ${from.join(' ')}`);
    // The far one may serve one segment while nothing is measured; then each peer has been tried.
    assert.ok(fromNear >= SEGMENTS.length - 2, `near ${fromNear}, far ${fromFar}`);
    const farRttMs = viewer.engine.peerLink(viewer.swarmId, far.engine.peerId)?.downloads.pace().rttMs;
    const nearRttMs = viewer.engine.peerLink(viewer.swarmId, near.engine.peerId)?.downloads.pace().rttMs;
    // The injected delay is inside the far peer's measured RTT (request → response header on the channel).
    assert.ok(typeof farRttMs === 'number' && farRttMs >= FAR_DELAY_MS, `far RTT ${farRttMs}`);
    assert.ok(typeof nearRttMs === 'number' && nearRttMs < farRttMs, `near RTT ${nearRttMs}`);
  });
});
