/** One stored segment and how it was first obtained. */
export interface CachedSegment {
  readonly swarmId: string;
  readonly sequenceNumber: number;
  readonly data: ArrayBuffer;
  /** How long the original download took; cache hits report it so hls.js's ABR stays truthful. */
  readonly downloadMs: number;
  /** Media time at which the segment starts playing. */
  readonly startSeconds: number;
}

/**
 * Segments in memory, bounded by total bytes. When full it evicts, least recently used first,
 * the segments the owner marks as done with (behind the playhead), then the least recently used
 * of the rest; it tells the owner of each eviction (so peers learn the segment is gone).
 */
export class SegmentCache {
  readonly #maxBytes: number;
  readonly #onEvict: (segment: CachedSegment) => void;
  readonly #evictFirst: (segment: CachedSegment) => boolean;
  // Map iteration order is insertion order: re-inserting on use makes the first entry the LRU.
  readonly #entries = new Map<string, CachedSegment>();
  #bytes = 0;

  constructor(
    maxBytes: number,
    onEvict: (segment: CachedSegment) => void,
    evictFirst: (segment: CachedSegment) => boolean = () => false,
  ) {
    this.#maxBytes = maxBytes;
    this.#onEvict = onEvict;
    this.#evictFirst = evictFirst;
  }

  get byteLength(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(swarmId: string, sequenceNumber: number): boolean {
    return this.#entries.has(segmentKey(swarmId, sequenceNumber));
  }

  /** The segment, marked as recently used; undefined when absent. */
  get(swarmId: string, sequenceNumber: number): CachedSegment | undefined {
    const key = segmentKey(swarmId, sequenceNumber);
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** Sequence numbers held for one swarm. */
  sequenceNumbers(swarmId: string): number[] {
    const out: number[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.swarmId === swarmId) out.push(entry.sequenceNumber);
    }
    return out;
  }

  /** Store a segment; returns false when it alone exceeds the bound (it is then not stored). */
  put(segment: CachedSegment): boolean {
    const size = segment.data.byteLength;
    if (size > this.#maxBytes) return false;
    const key = segmentKey(segment.swarmId, segment.sequenceNumber);
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= previous.data.byteLength;
    }
    this.#entries.set(key, segment);
    this.#bytes += size;
    while (this.#bytes > this.#maxBytes) {
      const victim = this.#victim(key);
      if (victim === undefined) break;
      this.#entries.delete(segmentKey(victim.swarmId, victim.sequenceNumber));
      this.#bytes -= victim.data.byteLength;
      this.#onEvict(victim);
    }
    return true;
  }

  // The least recently used segment marked as done with, else the least recently used one;
  // never the segment just stored.
  #victim(keepKey: string): CachedSegment | undefined {
    let fallback: CachedSegment | undefined;
    for (const [key, segment] of this.#entries) {
      if (key === keepKey) continue;
      if (this.#evictFirst(segment)) return segment;
      fallback ??= segment;
    }
    return fallback;
  }

  /** Drop a segment (by its `segmentKey`) without telling the owner (it was never announced); returns whether it was held. */
  remove(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.data.byteLength;
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

/** One segment's key in the engine's maps: its swarm and sequence number. */
export function segmentKey(swarmId: string, sequenceNumber: number): string {
  return `${swarmId}/${sequenceNumber}`;
}
