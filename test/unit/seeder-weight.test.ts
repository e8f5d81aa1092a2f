import assert from 'node:assert/strict';
import { MAX_UPLINK_CLASS, uplinkClassOf } from '../../lib/policy/seeder-weight.ts';
import { seederRank } from '../../lib/policy/source-decision.ts';

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
