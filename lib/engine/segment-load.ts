import type { SegmentSource } from '../api/events.ts';

/** How a segment handed to hls.js was obtained. */
export interface SegmentDelivery {
  readonly source: SegmentSource;
  readonly data: ArrayBuffer;
  readonly durationMs: number;
  readonly peerId: string | null;
  /** Bytes of an HTTP-resumed segment that came from a peer first. */
  readonly peerBytes?: number;
  /**
   * For bytes from a peer (`source` 'peer', or 'http' with `peerBytes`): whether a hash manifest
   * vouched for them. Unverified ones are announced and uploaded only after hls.js appended them.
   */
  readonly verified?: boolean;
  /**
   * False when the peer's bytes were a relay's, cut before its last byte vouched for them (then
   * resumed over HTTP): should hls.js fail on the segment, nobody is blamed. True when absent.
   */
  readonly peerVouched?: boolean;
}

/** A segment handed to hls.js, as the loader reports it to the engine. */
export interface SegmentLoad extends SegmentDelivery {
  readonly swarmId: string;
  readonly sequenceNumber: number;
  /** Media time at which the segment starts playing. */
  readonly startSeconds: number;
  /** Its duration in seconds of media (absent or 0 when unknown). */
  readonly durationSeconds?: number;
}
