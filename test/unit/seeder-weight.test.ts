import assert from 'node:assert/strict';
import {
  creditedUplinkClass,
  MAX_DESIGNATION_MISSES,
  MAX_UPLINK_CLASS,
  uplinkClassOf,
} from '../../lib/policy/seeder-weight.ts';
import { designatedSeeder, seederRank, type PeerView } from '../../lib/policy/source-decision.ts';

describe('uplink class', () => {
  it('is log2 of uplink over bitrate, rounded, from 0 to 2; 0 when either is unknown', () => {
    const bitrateBytesPerMs = 125; // 1 Mbit/s
    const cases: [number | null, number | null, number][] = [
      [null, bitrateBytesPerMs, 0],
      [500, null, 0],
      [500, 0, 0],
      [0, bitrateBytesPerMs, 0],
      [100, bitrateBytesPerMs, 0], // 0.8×
      [170, bitrateBytesPerMs, 0], // 1.36×
      [180, bitrateBytesPerMs, 1], // 1.44×
      [250, bitrateBytesPerMs, 1], // 2×
      [360, bitrateBytesPerMs, 2], // 2.88×
      [100_000, bitrateBytesPerMs, MAX_UPLINK_CLASS],
      [Number.NaN, bitrateBytesPerMs, 0],
    ];
    for (const [uplink, bitrate, expected] of cases)
      assert.equal(
        uplinkClassOf({ uplinkBytesPerMs: uplink }, bitrate),
        expected,
        `uplink ${uplink}, bitrate ${bitrate}`,
      );
  });

  it('ranks a viewer of class 1 before one of class 0, and one of class 2 before both, far more often than the reverse', () => {
    const ids = ['-PC0001-aaaaaaaaaaaa', '-PC0001-bbbbbbbbbbbb', '-PC0001-cccccccccccc'];
    const classes = [0, 1, 2];
    const wins = [0, 0, 0];
    const rounds = 20_000;
    for (let sn = 0; sn < rounds; sn++) {
      const ranks = ids.map((id, index) => seederRank(id, sn, classes[index]));
      wins[ranks.indexOf(Math.min(...ranks))]! += 1;
    }
    // Ranks uniform on [0, 2^32) divided by 1, 4 and 16: class 0 wins with ∫ (1 − 4x)(1 − 16x) dx
    // over [0, 1/16] = 1/16 − 10/16² + (64/3)/16³ ≈ 0.029.
    const classZeroShare = 1 / 16 - 10 / 16 ** 2 + 64 / 3 / 16 ** 3;
    assert.ok(Math.abs((wins[0] ?? 0) / rounds - classZeroShare) < 0.01, `class 0 won ${wins[0]} of ${rounds}`);
    assert.ok((wins[2] ?? 0) > 3 * (wins[1] ?? 0) && (wins[1] ?? 0) > 3 * (wins[0] ?? 0), `wins ${wins.join(', ')}`);
  });
});

describe('the class a peer is ranked by', () => {
  it('is the class it told until it missed two designations in a row, then 0', () => {
    assert.equal(MAX_DESIGNATION_MISSES, 2);
    const cases: [told: number, misses: number, credited: number][] = [
      [2, 0, 2],
      [2, 1, 2],
      [2, 2, 0],
      [2, 5, 0],
      [1, 1, 1],
      [1, 2, 0],
      [0, 0, 0],
    ];
    for (const [told, misses, credited] of cases)
      assert.equal(creditedUplinkClass(told, misses), credited, `told ${told}, missed ${misses}`);
  });
});

describe('the designated seeder among the peers', () => {
  const view = (peerId: string, nearby: boolean, uplinkClass = 0): PeerView => ({
    peerId,
    has: false,
    loading: false,
    nearby,
    activeDownloads: 0,
    uplinkClass,
  });

  it('is the nearby peer of the lowest rank when it ranks before us, else none; peers not nearby do not count', () => {
    const ids = ['self', 'a', 'b', 'c'];
    for (let sn = 0; sn < 200; sn++) {
      const lowest = ids.reduce((best, id) => (seederRank(id, sn) < seederRank(best, sn) ? id : best));
      const peers = ['a', 'b', 'c'].map((id) => view(id, true));
      assert.equal(designatedSeeder('self', sn, peers)?.peerId, lowest === 'self' ? undefined : lowest, `sn ${sn}`);
      // The same peers, none at this part of the stream: we are the seeder.
      assert.equal(
        designatedSeeder(
          'self',
          sn,
          ['a', 'b', 'c'].map((id) => view(id, false)),
        ),
        undefined,
      );
    }
  });

  it('weighs the classes told, ours too', () => {
    let sn = 0;
    while (!(seederRank('self', sn) < seederRank('a', sn) && seederRank('a', sn, 2) < seederRank('self', sn))) sn++;
    assert.equal(designatedSeeder('self', sn, [view('a', true)]), undefined);
    assert.equal(designatedSeeder('self', sn, [view('a', true, 2)])?.peerId, 'a');
    assert.equal(designatedSeeder('self', sn, [view('a', true, 2)], 2), undefined);
  });
});
