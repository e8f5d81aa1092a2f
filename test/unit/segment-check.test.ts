import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { looksLikeMpegTs, mpegTsProblem, TS_PACKET_BYTES } from '../../lib/policy/segment-check.ts';

const segment = (): Uint8Array =>
  new Uint8Array(readFileSync(fileURLToPath(new URL('../../fixtures/sample/180p/seg_000.ts', import.meta.url))));

describe('segment checks for what peers send', () => {
  it('passes a real MPEG-TS segment of the sample', () => {
    const bytes = segment();
    assert.equal(looksLikeMpegTs(bytes), true);
    assert.equal(mpegTsProblem(bytes), null);
  });

  it('finds a packet whose sync byte was overwritten', () => {
    const bytes = segment();
    bytes[TS_PACKET_BYTES * 7] = 0x00;
    assert.equal(mpegTsProblem(bytes), `packet at byte ${TS_PACKET_BYTES * 7} has no sync byte`);
  });

  it('finds a truncated segment', () => {
    const bytes = segment().subarray(0, TS_PACKET_BYTES * 10 + 5);
    assert.match(mpegTsProblem(bytes) ?? '', /not a whole number of 188-byte packets/);
    assert.match(mpegTsProblem(new Uint8Array(0)) ?? '', /not a whole number/);
  });

  it('does not take other formats for MPEG-TS', () => {
    assert.equal(looksLikeMpegTs(new TextEncoder().encode('....ftypisom'.padEnd(188 * 2, ' '))), false);
    assert.equal(looksLikeMpegTs(new Uint8Array(0)), false);
    assert.equal(looksLikeMpegTs(segment().subarray(0, 100)), false);
  });
});
