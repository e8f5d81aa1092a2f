import assert from 'node:assert/strict';
import { once } from 'node:events';
import Client from 'bittorrent-tracker/client';
import { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { LOOPBACK_CONFIG } from '../helpers/peer-pair.ts';
import { offer, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('integration-swarm');

interface SignalledPeer {
  once(event: 'connect', listener: () => void): void;
  on(event: 'data', listener: (data: Uint8Array) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(data: string): void;
  destroy(): void;
}

async function openSocket(url: string): Promise<{ socket: WebSocket; next(): Promise<Record<string, unknown>> }> {
  const socket = new WebSocket(url);
  const inbox: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter === undefined) inbox.push(message);
    else waiter(message);
  });
  await once(socket, 'open');
  return {
    socket,
    next: () => {
      const queued = inbox.shift();
      return queued !== undefined ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('tracker server', function () {
  this.timeout(60_000);
  let tracker: RunningTracker;
  const cleanups: (() => void)[] = [];

  beforeEach(async () => {
    tracker = await startTracker({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    await tracker.close();
  });

  it('answers an announce over a real WebSocket and relays an offer', async () => {
    const a = await openSocket(tracker.url);
    const b = await openSocket(tracker.url);
    cleanups.push(() => a.socket.close(), () => b.socket.close());
    a.socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('a'), numwant: 5 }));
    assert.equal((await a.next())['interval'], 120);
    b.socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('b'), numwant: 5, offers: [offer(1)] }));
    assert.equal((await b.next())['incomplete'], 2);
    const relayed = await a.next();
    assert.equal(relayed['peer_id'], wireId('b'));
    assert.equal(relayed['offer_id'], wireId('offer1'));
  });

  it('answers a malformed frame with a failure and keeps the socket usable', async () => {
    const a = await openSocket(tracker.url);
    cleanups.push(() => a.socket.close());
    a.socket.send('{"action":"announce","info_hash":1}');
    assert.match(String((await a.next())['failure reason']), /info_hash/);
    a.socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('a') }));
    assert.equal((await a.next())['info_hash'], HASH);
    assert.equal(tracker.stats().rejectedMessages, 1);
  });

  it('closes a socket that sends an oversized frame and forgets its peer', async () => {
    const a = await openSocket(tracker.url);
    a.socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('a') }));
    await a.next();
    assert.equal(tracker.stats().peers, 1);
    a.socket.send('x'.repeat(tracker.config.maxMessageBytes + 1));
    const [code] = (await once(a.socket, 'close')) as [number];
    assert.equal(code, 1009);
    for (let i = 0; i < 100 && tracker.stats().peers !== 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(tracker.stats().peers, 0);
  });

  it('serves /health and /stats.json on the same port', async () => {
    const base = tracker.url.replace('ws://', 'http://');
    assert.equal(await (await fetch(`${base}/health`)).text(), 'ok');
    const stats = (await (await fetch(`${base}/stats.json`)).json()) as Record<string, unknown>;
    for (const key of ['swarms', 'peers', 'announces', 'offersRelayed', 'answersRelayed', 'topSwarms', 'sockets']) {
      assert.ok(key in stats, key);
    }
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });

  it("introduces two of bittorrent-tracker's own clients, which connect over WebRTC and exchange data", async () => {
    const infoHash = Buffer.from(HASH).toString('hex');
    const makeClient = (name: string) => {
      const client = new Client({ infoHash, peerId: Buffer.from(wireId(name)).toString('hex'), announce: [tracker.url], port: 6881, rtcConfig: LOOPBACK_CONFIG });
      client.on('error', ((error: Error) => assert.fail(error)) as never);
      cleanups.push(() => client.destroy());
      return client;
    };
    const first = makeClient('first');
    const updated = once(first as never, 'update');
    first.start();
    const [update] = (await updated) as [{ incomplete: number }];
    assert.equal(update.incomplete, 1);

    const second = makeClient('second');
    const peerOn = (client: InstanceType<typeof Client>) =>
      new Promise<SignalledPeer>((resolve) => client.on('peer', ((peer: SignalledPeer) => resolve(peer)) as never));
    const firstPeer = peerOn(first);
    const secondPeer = peerOn(second);
    second.start();
    const peers = await Promise.all([firstPeer, secondPeer]);
    cleanups.push(() => peers.forEach((peer) => peer.destroy()));
    await Promise.all(peers.map((peer) => new Promise<void>((resolve) => peer.once('connect', resolve))));
    const received = new Promise<string>((resolve) => peers[1].on('data', (data) => resolve(Buffer.from(data).toString())));
    peers[0].send('hello over WebRTC');
    assert.equal(await received, 'hello over WebRTC');
    assert.equal(tracker.stats().answersRelayed >= 1, true);
  });
});
