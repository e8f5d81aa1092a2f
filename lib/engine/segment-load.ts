import type { SegmentSource } from '../api/events.ts';

/** A segment handed to hls.js, as the loader reports it to the engine. */
export interface SegmentLoad {
  readonly source: SegmentSource;
  readonly swarmId: string;
  readonly sequenceNumber: number;
  readonly data: ArrayBuffer;
  readonly durationMs: number;
  readonly peerId: string | null;
  /** Bytes of an HTTP-resumed segment that came from a peer first. */
  readonly peerBytes?: number;
  /** Media time at which the segment starts playing. */
  readonly startSeconds: number;
  /**
   * For bytes from a peer (`source` 'peer', or 'http' with `peerBytes`): whether a hash manifest
   * vouched for them. Unverified ones are announced and uploaded only after hls.js appended them.
   */
  readonly verified?: boolean;
}
