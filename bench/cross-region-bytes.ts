// Where a run's cross-region peer bytes went, from each viewer's own record of its segments (the
// viewer page's `segments`: sender peer id and bytes per segment handed to hls.js): per receiving
// viewer, its bytes from peers of another region by sending viewer, and how many of all of them were
// a repeat copy — a segment that had already crossed into the receiver's region. With one origin
// copy per segment, one copy per segment has to cross into each region that did not fetch it.

/** One segment a viewer page handed to hls.js (test/browser/pages/viewer.html's `segments`). */
export interface ViewerSegmentRecord {
  source: string;
  sequenceNumber: number;
  swarmId: string;
  byteLength?: number;
  peerId?: string;
  atMs?: number;
}

/** What the breakdown reads of one viewer (test/browser/pages/viewer.html's snapshot and its join time). */
export interface ViewerRegionRecord {
  readonly viewerId: string;
  readonly joinedAtSeconds: number;
  readonly peerId?: string | null;
  readonly segments?: readonly ViewerSegmentRecord[];
}

export interface CrossRegionBytes {
  /** Peer bytes from a sender of another region than the receiver's. */
  readonly farBytes: number;
  /** ...of which the segment had crossed into the receiver's region before (by the records' clocks). */
  readonly repeatCopyBytes: number;
  /** Receiving viewer → sending viewer → bytes, for receivers that took any. */
  readonly byReceiver: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** The breakdown of a run whose viewers' regions `regionOf` tells (by viewer id). */
export function crossRegionBytes(
  viewers: readonly ViewerRegionRecord[],
  regionOf: (viewerId: string) => string,
): CrossRegionBytes {
  const byPeerId = new Map(viewers.map((viewer) => [viewer.peerId, viewer.viewerId]));
  const far = viewers.flatMap((viewer) =>
    (viewer.segments ?? []).flatMap((segment) => {
      const sender = segment.peerId === undefined ? undefined : byPeerId.get(segment.peerId);
      if (segment.source !== 'peer' || sender === undefined || regionOf(sender) === regionOf(viewer.viewerId))
        return [];
      const atMs = viewer.joinedAtSeconds * 1000 + (segment.atMs ?? 0);
      return [{ receiver: viewer.viewerId, sender, atMs, bytes: segment.byteLength ?? 0, segment }];
    }),
  );
  far.sort((a, b) => a.atMs - b.atMs);
  const crossed = new Set<string>();
  const byReceiver: Record<string, Record<string, number>> = {};
  let farBytes = 0;
  let repeatCopyBytes = 0;
  for (const { receiver, sender, bytes, segment } of far) {
    const key = `${segment.swarmId}/${segment.sequenceNumber}/${regionOf(receiver)}`;
    if (crossed.has(key)) repeatCopyBytes += bytes;
    crossed.add(key);
    farBytes += bytes;
    const senders = (byReceiver[receiver] ??= {});
    senders[sender] = (senders[sender] ?? 0) + bytes;
  }
  return { farBytes, repeatCopyBytes, byReceiver };
}
