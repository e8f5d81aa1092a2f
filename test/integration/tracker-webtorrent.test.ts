import assert from 'node:assert/strict';
import Client from 'bittorrent-tracker/client';
import MemoryChunkStore from 'memory-chunk-store';
import WebTorrent, { type Torrent } from 'webtorrent';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { CONNECTION_GUARD_MS, LOOPBACK_CONFIG } from '../helpers/node-webrtc.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { destroyWebTorrent, nextEvent, pseudoRandomBytes, startWebTorrent } from '../helpers/webtorrent-node.ts';

const CONTENT_BYTES = 256 * 1024;
const FILE_NAME = 'pseudo-random.bin';

interface SignalledPeer {
  destroy(): void;
}
type TrackerClient = InstanceType<typeof Client>;

/** 40 hex digits: webtorrent's and bittorrent-tracker's peer id format. */
const peerIdHex = (name: string): string =>
  Buffer.from(`-PC0001-${name}`.padEnd(20, '.').slice(0, 20), 'latin1').toString('hex');

/** The tracker keys swarms by the wire form of info_hash: 20 bytes as a latin1 string. */
const wireInfoHash = (hex: string): string => Buffer.from(hex, 'hex').toString('latin1');

describe('tracker with webtorrent clients in Node', function () {
  // Liveness guard only.
  this.timeout(120_000);

  const content = pseudoRandomBytes(CONTENT_BYTES, 0x5eed);
  let tracker: RunningTracker;
  const webtorrents: WebTorrent[] = [];
  const trackerClients: TrackerClient[] = [];
  const signalledPeers: SignalledPeer[] = [];

  const makeWebTorrent = async (options: { tracker?: false; peerId?: string } = {}): Promise<WebTorrent> => {
    const client = await startWebTorrent(options);
    webtorrents.push(client);
    return client;
  };

  const seed = async (client: WebTorrent): Promise<Torrent> => {
    const torrent = await new Promise<Torrent>((resolve) =>
      client.seed(content, { name: FILE_NAME, announce: [tracker.url], store: MemoryChunkStore }, resolve),
    );
    // Only our tracker: with no `announce`, create-torrent would add its list of public trackers.
    assert.deepEqual(torrent.announce, [tracker.url]);
    return torrent;
  };

  const swarmOf = (torrent: Torrent): { peers: number; seeders: number } | undefined =>
    tracker.stats().topSwarms.find((swarm) => swarm.infoHash === wireInfoHash(torrent.infoHash));

  // The torrent's 'trackerAnnounce' is the tracker's reply: the announce has been handled. Both of
  // the seeder's (`completed`, then `started` with offers): a downloader that came between could be
  // offered to while its own offer was being answered, and webtorrent then destroys both
  // connections as duplicates (see the cluster test's webtorrent case).
  const seederAnnounced = (seeded: Torrent): Promise<void> =>
    waitFor(
      seeded,
      ['trackerAnnounce'],
      () => swarmOf(seeded)?.peers === 1 && tracker.stats().announcesStarted === 1,
      "the seeder's completed and started announces",
      CONNECTION_GUARD_MS,
    );
  const assertSameBytes = async (torrent: Torrent): Promise<void> => {
    const [file] = torrent.files;
    assert.ok(file !== undefined, 'the torrent has its file');
    assert.equal(file.name, FILE_NAME);
    assert.ok(Buffer.from(await file.arrayBuffer()).equals(content), 'the downloaded bytes are the seeded bytes');
  };

  const assertOnlyLoopbackWebRtcWires = (...torrents: Torrent[]): void => {
    for (const torrent of torrents) {
      assert.ok(torrent.wires.length >= 1, 'connected to a peer');
      assert.deepEqual(
        torrent.wires.map((wire) => [wire.type, wire.remoteAddress]),
        torrent.wires.map(() => ['webrtc', '127.0.0.1']),
      );
    }
  };

  beforeEach(async () => {
    tracker = await startTracker({ host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    for (const peer of signalledPeers.splice(0)) peer.destroy();
    for (const client of trackerClients.splice(0)) client.destroy();
    await Promise.all(webtorrents.splice(0).map(destroyWebTorrent));
    await tracker.close();
  });

  it('a webtorrent seeder and a webtorrent downloader meet only through our tracker and transfer the torrent', async () => {
    const seeder = await makeWebTorrent();
    const seeded = await seed(seeder);
    await seederAnnounced(seeded);
    assert.equal(swarmOf(seeded)?.seeders, 1);

    const downloader = await makeWebTorrent();
    const downloading = downloader.add(seeded.magnetURI, { announce: [tracker.url], store: MemoryChunkStore });
    await nextEvent(downloading, 'done');

    assert.deepEqual(downloading.announce, [tracker.url]);
    await assertSameBytes(downloading);
    assertOnlyLoopbackWebRtcWires(seeded, downloading);
    // The downloader's 'completed' announce makes it a seeder too.
    await waitFor(
      downloading,
      ['trackerAnnounce'],
      () => swarmOf(seeded)?.seeders === 2,
      'the downloader to announce completion',
    );
    // (Not `sockets`: bittorrent-tracker's client shares one WebSocket per tracker URL within a process.)
    const stats = tracker.stats();
    assert.deepEqual([stats.swarms, stats.peers], [1, 2]);
    assert.ok(
      stats.offersRelayed >= 1 && stats.answersRelayed >= 1,
      'the connection was signalled through the tracker',
    );
  });

  it("bittorrent-tracker's client meets a webtorrent seeder through our tracker, and that connection carries the torrent", async () => {
    const seeder = await makeWebTorrent();
    const seeded = await seed(seeder);
    await seederAnnounced(seeded);

    // The oracle finds peers and signals them; a webtorrent with no trackers of its own speaks
    // BitTorrent over the connections it hands over. They share a peer id: the seeder learns the
    // oracle's from the tracker and then receives the downloader's in the BitTorrent handshake.
    const peerId = peerIdHex('oracle');
    const downloader = await makeWebTorrent({ tracker: false, peerId });
    const downloading = downloader.add(seeded.infoHash, { store: MemoryChunkStore });
    await nextEvent(downloading, 'infoHash');

    const oracle = new Client({
      infoHash: seeded.infoHash,
      peerId,
      announce: [tracker.url],
      port: 6881,
      rtcConfig: LOOPBACK_CONFIG,
    });
    trackerClients.push(oracle);
    oracle.on('error', (error: Error) => assert.fail(error));
    oracle.on('peer', (peer: SignalledPeer) => {
      signalledPeers.push(peer);
      downloading.addPeer(peer);
    });
    oracle.start();
    await nextEvent(downloading, 'done');

    await assertSameBytes(downloading);
    assertOnlyLoopbackWebRtcWires(seeded, downloading);
    assert.equal(downloading.wires[0]?.peerId, seeder.peerId);
    const stats = tracker.stats();
    assert.deepEqual([stats.swarms, stats.peers], [1, 2]);
    assert.ok(
      stats.offersRelayed >= 1 && stats.answersRelayed >= 1,
      'the connection was signalled through the tracker',
    );
  });
});
