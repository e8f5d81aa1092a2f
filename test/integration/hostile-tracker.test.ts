import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { MIN_SEGMENT_SIZE_BOUND_BYTES, ReceiveBudget } from '../../lib/peer/peer-limits.ts';
import {
  createBittorrentTrackerClientFactory,
  MAX_ANNOUNCE_INTERVAL_MS,
  MIN_ANNOUNCE_INTERVAL_MS,
} from '../../lib/swarm/bittorrent-tracker-client.ts';
import { PeerRecords } from '../../lib/swarm/peer-records.ts';
import { Swarm, type SwarmOptions } from '../../lib/swarm/swarm.ts';
import type { TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { loopbackTrackerClients } from '../helpers/node-viewer.ts';
import { CONNECTION_GUARD_MS, LOOPBACK_CONFIG } from '../helpers/node-webrtc.ts';

/** A swarm on `trackerUrl` with no segments and a clock that stands still (no budget refills). */
function swarmOn(
  trackerUrl: string,
  options: Pick<SwarmOptions, 'maxPeers' | 'offersPerAnnounce' | 'createTrackerClient' | 'onAvailabilityChanged'> &
    Partial<Pick<SwarmOptions, 'swarmId'>>,
): Swarm {
  return new Swarm({
    swarmId: 'swarm-id-of-20-chars',
    peerId: 'local-peer-id-20-chr',
    trackerUrls: [trackerUrl],
    iceServers: [],
    peerRecords: new PeerRecords(() => 0),
    heldSequenceNumbers: () => [],
    getSegment: () => undefined,
    transferredBytes: () => ({ uploaded: 0, downloaded: 0 }),
    onUploaded: () => undefined,
    nowMs: () => 0,
    uploadPacer: null,
    segmentSizeBoundBytes: () => MIN_SEGMENT_SIZE_BOUND_BYTES,
    receiveBudget: new ReceiveBudget(),
    onPeerConnected: () => undefined,
    onPeerClosed: () => undefined,
    onStruckOut: () => undefined,
    onError: () => undefined,
    ...options,
  });
}

// A tracker is not to be trusted with this viewer's resources. bittorrent-tracker's client announces
// every `interval` seconds the tracker answers, whatever it is: one that answers 0.001 (or a string
// that is not a number: NaN, a 0-ms timer; or a number of seconds past what a timer holds, which a
// browser runs at once) made it announce about every millisecond, each announce with offers for as
// long as this viewer had free peer slots. (A round of offers per 5 s bounds the offers whatever
// the announces: test/unit/swarm.test.ts.)

// What a hostile tracker answers, in order, and the interval (ms) the client may then keep.
const ANSWERS: readonly { readonly interval: unknown; readonly keptMs: number | 'default' }[] = [
  { interval: 0.001, keptMs: MIN_ANNOUNCE_INTERVAL_MS },
  { interval: 'soon', keptMs: 'default' },
  { interval: 1e12, keptMs: MAX_ANNOUNCE_INTERVAL_MS },
  { interval: -5, keptMs: MIN_ANNOUNCE_INTERVAL_MS },
  { interval: 120, keptMs: 120_000 },
];
// bittorrent-tracker's WebSocket tracker's own default.
const WEBSOCKET_DEFAULT_MS = 30_000;

describe('a tracker that answers with a 1-ms (or absurd) announce interval (real bittorrent-tracker client, Node WebRTC)', function () {
  this.timeout(120_000);
  let server: WebSocketServer;
  let swarm: Swarm | undefined;
  const realSetInterval = globalThis.setInterval;
  afterEach(async () => {
    globalThis.setInterval = realSetInterval;
    swarm?.destroy();
    swarm = undefined;
    for (const socket of server.clients) socket.terminate();
    server.close();
    await once(server, 'close');
  });

  it('announces at most every 10 s and at least hourly, whatever the tracker answers', async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    // Every interval timer started while the client handles the answers (the timers still run).
    const timerDelaysMs: unknown[] = [];
    let answersHandled = 0;
    let onAnswer = (): void => undefined;
    const handled = new Promise<void>((resolve, reject) => {
      const guard = setTimeout(
        () => reject(new Error(`${answersHandled} of ${ANSWERS.length} answers handled`)),
        CONNECTION_GUARD_MS,
      );
      server.on('connection', (socket) => {
        socket.once('message', (data) => {
          const message = JSON.parse((data as Buffer).toString('utf8')) as { action: string; info_hash: string };
          assert.equal(message.action, 'announce');
          globalThis.setInterval = ((handler: () => void, delayMs?: number) => {
            timerDelaysMs.push(delayMs);
            return realSetInterval(handler, delayMs);
          }) as typeof setInterval;
          for (const { interval } of ANSWERS)
            socket.send(
              JSON.stringify({
                action: 'announce',
                info_hash: message.info_hash,
                interval,
                complete: 3,
                incomplete: 0,
              }),
            );
        });
      });
      // The swarm hears of each answer after the client has set its interval from it.
      onAnswer = () => {
        if (++answersHandled < ANSWERS.length) return;
        clearTimeout(guard);
        resolve();
      };
    });
    swarm = swarmOn(`ws://127.0.0.1:${port}`, {
      maxPeers: 12,
      offersPerAnnounce: 2,
      createTrackerClient: loopbackTrackerClients,
      onAvailabilityChanged: () => onAnswer(),
    });
    await handled;
    globalThis.setInterval = realSetInterval;
    assert.deepEqual(
      timerDelaysMs,
      ANSWERS.map(({ keptMs }) => (keptMs === 'default' ? WEBSOCKET_DEFAULT_MS : keptMs)),
    );
  });
});

// A tracker relays offers, and bittorrent-tracker's client makes a peer (an RTCPeerConnection) for
// each before the swarm can say no: one relaying thousands made thousands of connections, though a
// swarm takes at most maxPeers (and a banned peer, or one over the cap, is destroyed at once).
describe('a tracker that relays a flood of offers (real bittorrent-tracker client, Node WebRTC)', function () {
  this.timeout(120_000);
  const MAX_PEERS = 12;
  const FLOOD = 200;
  let server: WebSocketServer;
  let swarm: Swarm | undefined;
  afterEach(async () => {
    swarm?.destroy();
    swarm = undefined;
    for (const socket of server.clients) socket.terminate();
    server.close();
    await once(server, 'close');
  });

  // Sends `offers` (remote peer id per offer) after the first announce, then a count of 777: once the
  // swarm has that count, the client has handled every offer. Returns how many peers the client made.
  async function peersMadeFor(remotePeerIds: readonly string[]): Promise<number> {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.on('connection', (socket) => {
      socket.once('message', (data) => {
        const { info_hash } = JSON.parse((data as Buffer).toString('utf8')) as { info_hash: string };
        remotePeerIds.forEach((peer_id, i) =>
          socket.send(
            JSON.stringify({
              action: 'announce',
              info_hash,
              peer_id,
              offer_id: `offer-${String(i).padStart(14, '0')}`,
              offer: { type: 'offer', sdp: 'v=0 not a session' },
            }),
          ),
        );
        socket.send(JSON.stringify({ action: 'announce', info_hash, interval: 120, complete: 777, incomplete: 0 }));
      });
    });
    let peersMade = 0;
    const countingClients: TrackerClientFactory = (options) => {
      const client = loopbackTrackerClients(options);
      client.on('peer', () => peersMade++);
      return client;
    };
    let onAvailabilityChanged = (): void => undefined;
    const handled = new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error('the last answer never came')), CONNECTION_GUARD_MS);
      onAvailabilityChanged = () => {
        if (swarm?.othersAtTracker !== 776) return;
        clearTimeout(guard);
        resolve();
      };
    });
    swarm = swarmOn(`ws://127.0.0.1:${port}`, {
      maxPeers: MAX_PEERS,
      offersPerAnnounce: 0,
      createTrackerClient: countingClients,
      onAvailabilityChanged: () => onAvailabilityChanged(),
    });
    await handled;
    return peersMade;
  }

  it(`makes a peer for at most maxPeers of ${FLOOD} offers from distinct peers`, async () => {
    const ids = Array.from({ length: FLOOD }, (_, i) => `flood-peer-${String(i).padStart(9, '0')}`);
    assert.equal(await peersMadeFor(ids), MAX_PEERS);
  });

  it(`makes a peer for at most maxPeers of ${FLOOD} offers from one peer (each would replace the last)`, async () => {
    assert.equal(await peersMadeFor(Array<string>(FLOOD).fill('the-same-peer-again!')), MAX_PEERS);
  });

  it("spends a swarm's offer budget only on offers for that swarm (two swarms on one tracker socket)", async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const url = `ws://127.0.0.1:${port}`;
    // Both swarms announce on one socket (bittorrent-tracker's client shares it per URL): 200 offers
    // for the first swarm, then 12 for the second; then each swarm's count.
    const infoHashes: string[] = [];
    server.on('connection', (socket) => {
      socket.on('message', (data) => {
        const { info_hash } = JSON.parse((data as Buffer).toString('utf8')) as { info_hash: string };
        if (infoHashes.includes(info_hash) || infoHashes.push(info_hash) < 2) return;
        const offer = (to: string, i: number): string =>
          JSON.stringify({
            action: 'announce',
            info_hash: to,
            peer_id: `flood-peer-${String(i).padStart(9, '0')}`,
            offer_id: `offer-${String(i).padStart(14, '0')}`,
            offer: { type: 'offer', sdp: 'v=0 not a session' },
          });
        const [first, second] = infoHashes as [string, string];
        for (let i = 0; i < FLOOD; i++) socket.send(offer(first, i));
        for (let i = 0; i < MAX_PEERS; i++) socket.send(offer(second, FLOOD + i));
        for (const to of infoHashes)
          socket.send(
            JSON.stringify({ action: 'announce', info_hash: to, interval: 120, complete: 777, incomplete: 0 }),
          );
      });
    });
    const sharedSocket = createBittorrentTrackerClientFactory();
    const made = new Map<string, number>();
    let counted = 0;
    let onCounted = (): void => undefined;
    const handled = new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`${counted} of 2 swarms heard the count`)), CONNECTION_GUARD_MS);
      onCounted = () => {
        if (++counted < 2) return;
        clearTimeout(guard);
        resolve();
      };
    });
    const swarms = ['first-swarm-20-chars', 'second-swarm-20-chr'].map((swarmId) => {
      made.set(swarmId, 0);
      let heard = false;
      const swarmOnSharedSocket: Swarm = swarmOn(url, {
        swarmId,
        maxPeers: MAX_PEERS,
        offersPerAnnounce: 0,
        createTrackerClient: (options) => {
          const client = sharedSocket({ ...options, rtcConfig: { ...options.rtcConfig, ...LOOPBACK_CONFIG } });
          client.on('peer', () => made.set(swarmId, (made.get(swarmId) ?? 0) + 1));
          return client;
        },
        onAvailabilityChanged: () => {
          if (heard || swarmOnSharedSocket.othersAtTracker !== 776) return;
          heard = true;
          onCounted();
        },
      });
      return swarmOnSharedSocket;
    });
    try {
      await handled;
      assert.equal(server.clients.size, 1, 'one socket for both swarms');
      assert.deepEqual(Object.fromEntries(made), {
        'first-swarm-20-chars': MAX_PEERS,
        'second-swarm-20-chr': MAX_PEERS,
      });
    } finally {
      for (const each of swarms) each.destroy();
    }
  });
});
