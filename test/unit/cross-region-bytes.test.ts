import assert from 'node:assert/strict';
import { crossRegionBytes } from '../../bench/cross-region-bytes.ts';

const fromPeer = (sequenceNumber: number, peerId: string, atMs: number) => ({
  source: 'peer',
  sequenceNumber,
  swarmId: 's',
  byteLength: 100,
  peerId,
  atMs,
});

describe('cross-region peer bytes (swarm bench)', () => {
  it('splits bytes from peers of another region by receiver and sender, and counts a segment crossing into a region twice as a repeat copy', () => {
    const regionOf = (viewerId: string): string => (viewerId === 'a' ? 'r0' : 'r1');
    const breakdown = crossRegionBytes(
      [
        {
          viewerId: 'a',
          peerId: 'pa',
          joinedAtSeconds: 0,
          segments: [{ source: 'http', sequenceNumber: 1, swarmId: 's' }],
        },
        // b and c (region r1) both took segment 1 from a; c joined later but took it first.
        {
          viewerId: 'b',
          peerId: 'pb',
          joinedAtSeconds: 0,
          segments: [fromPeer(1, 'pa', 9000), fromPeer(2, 'pc', 9500)],
        },
        {
          viewerId: 'c',
          peerId: 'pc',
          joinedAtSeconds: 5,
          segments: [fromPeer(1, 'pa', 1000), fromPeer(3, 'pa', 2000)],
        },
      ],
      regionOf,
    );
    assert.deepEqual(breakdown, {
      farBytes: 300,
      repeatCopyBytes: 100,
      byReceiver: { b: { a: 100 }, c: { a: 200 } },
    });
  });
});
