import assert from 'node:assert/strict';
import { originCopyCauses } from '../../bench/origin-copy-causes.ts';

const load = (sequenceNumber: number, source: 'http' | 'peer' | 'cache') => ({ source, sequenceNumber, swarmId: 's' });

describe('origin copy causes (swarm bench)', () => {
  it('counts a late joiner’s first segment over HTTP apart from later duplicate loads', () => {
    const causes = originCopyCauses([
      { segments: [load(0, 'http'), load(1, 'http'), load(2, 'http')] },
      // Joined later: its first segment came from the origin again, then segment 2 twice.
      { segments: [load(0, 'cache'), load(0, 'http'), load(1, 'peer'), load(2, 'http')] },
      { segments: [load(1, 'peer'), load(2, 'peer'), load(3, 'http')] },
    ]);
    assert.deepEqual(
      { extra: causes.extraHttpLoads, first: causes.firstSegment, later: causes.later },
      { extra: 2, first: 1, later: 1 },
    );
  });

  it('reports each joiner’s first fragment request and first peer connection', () => {
    const causes = originCopyCauses([
      { segments: [], peerEvents: [] },
      {
        segments: [],
        startupMarks: { FRAG_LOADING: 150 },
        peerEvents: [
          { type: 'closed', atMs: 10 },
          { type: 'connected', atMs: 480 },
          { type: 'connected', atMs: 900 },
        ],
      },
    ]);
    assert.deepEqual(causes.joinTimeline, [{ firstFragmentMs: 150, firstPeerMs: 480 }]);
  });
});
