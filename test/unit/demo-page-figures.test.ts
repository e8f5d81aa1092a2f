import assert from 'node:assert/strict';
import type { PeerInfo } from '../../lib/index.ts';
import { formatBytes, formatShare } from '../../demo/page/format.ts';
import { History } from '../../demo/page/history.ts';
import { PeerRows } from '../../demo/page/peer-rows.ts';
import { niceStep } from '../../demo/page/svg-chart.ts';

const sample = (atMs: number, httpBytes: number, p2pBytes: number, uploadedBytes = 0) => ({
  atMs,
  httpBytes,
  p2pBytes,
  uploadedBytes,
});

function peer(peerId: string, receivedBytes: number, sentBytes: number, renditions = 1): PeerInfo {
  const swarm = {
    swarmId: 's',
    segmentsAvailable: 0,
    latestSequenceNumber: null,
    activeDownloads: 0,
    receivedBytes,
    sentBytes,
    connectedForMs: 0,
  };
  return {
    peerId,
    receivedBytes,
    sentBytes,
    activeDownloads: 0,
    connectedForMs: 0,
    swarms: new Array(renditions).fill(swarm),
  };
}

describe('demo page: offload and rates from the sampled counters', () => {
  it('gives the peer share since start and within a window, and null while nothing arrived', () => {
    const history = new History();
    history.add(sample(0, 0, 0));
    assert.equal(history.offloadSinceStart(), null);
    history.add(sample(10_000, 1_000, 0));
    history.add(sample(20_000, 1_000, 3_000));
    assert.equal(history.offloadSinceStart(), 0.75);
    assert.equal(history.offloadWithin(10_000), 1, 'only peer bytes in the last 10 s');
    history.add(sample(40_000, 1_000, 3_000));
    assert.equal(history.offloadWithin(15_000), null, 'nothing arrived in the last 15 s');
  });

  it('averages rates over the window before each sample', () => {
    const history = new History();
    for (let second = 0; second <= 4; second++) history.add(sample(second * 1000, second * 100, 0, second * 50));
    const rates = history.rates(2_000);
    assert.deepEqual(rates[0], { atMs: 0, httpBytesPerSecond: 0, p2pBytesPerSecond: 0, uploadedBytesPerSecond: 0 });
    assert.deepEqual(rates[4], {
      atMs: 4000,
      httpBytesPerSecond: 100,
      p2pBytesPerSecond: 0,
      uploadedBytesPerSecond: 50,
    });
  });

  it('stays within its bound by thinning older samples, keeping the newest and the first', () => {
    const history = new History(10);
    for (let second = 0; second < 100; second++) history.add(sample(second * 1000, second, 0));
    assert.ok(history.samples.length <= 10, `${history.samples.length} samples`);
    assert.equal(history.samples[0]?.atMs, 0);
    assert.equal(history.samples.at(-1)?.atMs, 99_000);
    const times = history.samples.map((s) => s.atMs);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
  });

  it('ignores a sample that is not newer than the last', () => {
    const history = new History();
    history.add(sample(1000, 1, 0));
    history.add(sample(1000, 5, 0));
    assert.equal(history.samples.length, 1);
  });
});

describe('demo page: peer rows', () => {
  it('marks a new peer as joined, measures its throughput, and keeps it a while after it left', () => {
    const rows = new PeerRows();
    const first = rows.update(0, [peer('a', 0, 0, 2)]);
    assert.deepEqual(first.changes, [{ peerId: 'a', kind: 'joined', atMs: 0 }]);
    assert.equal(first.rows[0]?.state, 'joined');
    assert.equal(first.rows[0]?.renditions, 2);
    rows.update(1_000, [peer('a', 1_000, 0, 2)]);
    const later = rows.update(4_000, [peer('a', 4_000, 2_000, 2)]);
    assert.equal(later.rows[0]?.state, 'connected');
    assert.equal(later.rows[0]?.receiveBytesPerSecond, 1_000);
    assert.equal(later.rows[0]?.sendBytesPerSecond, 500);
    const gone = rows.update(5_000, []);
    assert.deepEqual(gone.changes, [{ peerId: 'a', kind: 'left', atMs: 5_000 }]);
    assert.equal(gone.rows[0]?.state, 'left');
    assert.equal(gone.rows[0]?.receivedBytes, 4_000, 'a peer that left shows what it gave');
    assert.equal(rows.update(8_000, []).rows.length, 1);
    assert.equal(rows.update(13_000, []).rows.length, 0);
  });

  it('treats a peer that comes back as joining again', () => {
    const rows = new PeerRows();
    rows.update(0, [peer('a', 0, 0)]);
    rows.update(1_000, []);
    const back = rows.update(2_000, [peer('a', 10, 0)]);
    assert.deepEqual(back.changes, [{ peerId: 'a', kind: 'joined', atMs: 2_000 }]);
    assert.equal(back.rows.length, 1);
  });
});

describe('demo page: chart ticks and numbers', () => {
  it('picks round steps', () => {
    assert.equal(niceStep(1000, 4), 250);
    assert.equal(niceStep(7, 4), 2);
    assert.equal(niceStep(0, 4), 1);
    assert.equal(niceStep(3.2, 4), 1);
  });

  it('formats bytes and shares', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(177 * 1024), '177 KiB');
    assert.equal(formatShare(null), '–');
    assert.equal(formatShare(0.894), '89%');
  });
});
