import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { MIN_SEGMENT_SIZE_BOUND_BYTES, ReceiveBudget } from '../../lib/peer/peer-limits.ts';
import { PeerRecords } from '../../lib/swarm/peer-records.ts';
import { Swarm } from '../../lib/swarm/swarm.ts';
import { loopbackTrackerClients } from '../helpers/node-viewer.ts';
import { CONNECTION_GUARD_MS } from '../helpers/node-webrtc.ts';

// A tracker is not to be trusted with this viewer's resources. bittorrent-tracker's client announces
// every `interval` seconds the tracker answers, whatever it is: one that answers 0.001 (or a string
// that is not a number: NaN, a 0-ms timer) made it announce about every millisecond, and every
// announce made `numwant` new WebRTC offers (each an RTCPeerConnection gathering ICE) for as long as
// this viewer had free peer slots: thousands of connections a second in a browser tab.

interface Announce {
  readonly offers: number;
}

describe('a tracker that answers with a 1-ms announce interval (real bittorrent-tracker client, Node WebRTC)', function () {
  this.timeout(120_000);
  let server: WebSocketServer;
  let swarm: Swarm | undefined;
  afterEach(async () => {
    swarm?.destroy();
    swarm = undefined;
    for (const socket of server.clients) socket.terminate();
    server.close();
    await once(server, 'close');
  });

  it('does not make more offers than one round until the offer budget refills', async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const announces: Announce[] = [];
    const ANNOUNCES = 20;
    const enough = new Promise<void>((resolve, reject) => {
      const guard = setTimeout(
        () => reject(new Error(`${announces.length} of ${ANNOUNCES} announces came`)),
        CONNECTION_GUARD_MS,
      );
      server.on('connection', (socket) => {
        socket.on('message', (data) => {
          const message = JSON.parse((data as Buffer).toString('utf8')) as {
            action: string;
            info_hash: string;
            offers?: unknown[];
          };
          if (message.action !== 'announce') return;
          announces.push({ offers: message.offers?.length ?? 0 });
          // Others are here, and the next announce is due in a millisecond.
          socket.send(
            JSON.stringify({
              action: 'announce',
              info_hash: message.info_hash,
              interval: 0.001,
              complete: 3,
              incomplete: 0,
            }),
          );
          if (announces.length === ANNOUNCES) {
            clearTimeout(guard);
            resolve();
          }
        });
      });
    });
    swarm = new Swarm({
      swarmId: 'swarm-id-of-20-chars',
      peerId: 'local-peer-id-20-chr',
      trackerUrls: [`ws://127.0.0.1:${port}`],
      iceServers: [],
      maxPeers: 12,
      offersPerAnnounce: 2,
      createTrackerClient: loopbackTrackerClients,
      peerRecords: new PeerRecords(() => 0),
      heldSequenceNumbers: () => [],
      getSegment: () => undefined,
      transferredBytes: () => ({ uploaded: 0, downloaded: 0 }),
      onUploaded: () => undefined,
      // The clock stands still: the offer budget never refills in this test.
      nowMs: () => 0,
      uploadPacer: null,
      segmentSizeBoundBytes: () => MIN_SEGMENT_SIZE_BOUND_BYTES,
      receiveBudget: new ReceiveBudget(),
      onAvailabilityChanged: () => undefined,
      onPeerConnected: () => undefined,
      onPeerClosed: () => undefined,
      onStruckOut: () => undefined,
      onError: () => undefined,
    });
    await enough;
    const offers = announces.reduce((sum, announce) => sum + announce.offers, 0);
    assert.equal(announces[0]?.offers, 2, 'the first announce carries its offers');
    assert.equal(offers, 2, `offers over ${ANNOUNCES} announces: ${announces.map((a) => a.offers).join(',')}`);
  });
});
