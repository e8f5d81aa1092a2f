// Where a swarm run's extra origin copies came from, from each viewer's own record of its segments
// (the viewer page's `segments`: source per segment handed to hls.js) and its startup timeline.

/** What the attribution reads of one viewer (test/browser/pages/viewer.html's snapshot). */
export interface ViewerSegmentsRecord {
  readonly segments?: readonly { source: string; sequenceNumber: number; swarmId: string }[];
  readonly peerEvents?: readonly { type: string; atMs?: number }[];
  readonly startupMarks?: Readonly<Record<string, number>>;
}

export interface OriginCopyCauses {
  /** HTTP loads of a segment beyond its first one in the run (the first copy of each is unavoidable). */
  readonly extraHttpLoads: number;
  /** ...of which were the viewer's first segment (its startup segment). */
  readonly firstSegment: number;
  /** ...of which were later segments (several viewers fetched it at once, or a peer attempt fell back). */
  readonly later: number;
  /** Per viewer that ever connected a peer: ms from page load to its first fragment request, and to its first peer connection. */
  readonly joinTimeline: { readonly firstFragmentMs: number | null; readonly firstPeerMs: number | null }[];
}

/**
 * Attribute extra origin copies: viewers in join order, each one's loads in its own order; an HTTP
 * load of a segment that was already loaded over HTTP is extra, a first-segment copy when it was
 * the viewer's first segment.
 */
export function originCopyCauses(viewers: readonly ViewerSegmentsRecord[]): OriginCopyCauses {
  const httpLoads = new Map<string, number>();
  let firstSegment = 0;
  let later = 0;
  for (const viewer of viewers) {
    const segments = (viewer.segments ?? []).filter((s) => s.source !== 'cache');
    segments.forEach((segment, index) => {
      if (segment.source !== 'http') return;
      const key = `${segment.swarmId}/${segment.sequenceNumber}`;
      const loads = (httpLoads.get(key) ?? 0) + 1;
      httpLoads.set(key, loads);
      if (loads > 1 && index === 0) firstSegment++;
      else if (loads > 1) later++;
    });
  }
  const joinTimeline = viewers
    .filter((v) => (v.peerEvents ?? []).some((e) => e.type === 'connected'))
    .map((v) => ({
      firstFragmentMs: v.startupMarks?.['FRAG_LOADING'] ?? null,
      firstPeerMs: (v.peerEvents ?? []).find((e) => e.type === 'connected')?.atMs ?? null,
    }));
  return { extraHttpLoads: firstSegment + later, firstSegment, later, joinTimeline };
}
