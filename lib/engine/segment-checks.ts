import type { SegmentValidator } from '../api/config.ts';
import { looksLikeMpegTs, mpegTsProblem } from '../policy/segment-check.ts';

/** The checks a segment from a peer must pass: MPEG-TS structure once HTTP showed the swarm is TS, then `validateSegment`. */
export class SegmentChecks {
  readonly #validate: SegmentValidator | null;
  // Swarms whose HTTP segments are MPEG-TS: segments from their peers must be too.
  readonly #mpegTsSwarms = new Set<string>();

  constructor(validate: SegmentValidator | null) {
    this.#validate = validate;
  }

  /** Learn the swarm's container from a whole segment that came over HTTP. */
  learnFromHttp(swarmId: string, data: ArrayBuffer): void {
    if (looksLikeMpegTs(new Uint8Array(data))) this.#mpegTsSwarms.add(swarmId);
  }

  /** What is wrong with a segment that (partly) came from a peer, or null when it passes every check. */
  async problem(swarmId: string, sequenceNumber: number, data: ArrayBuffer, url: string): Promise<string | null> {
    if (this.#mpegTsSwarms.has(swarmId)) {
      const problem = mpegTsProblem(new Uint8Array(data));
      if (problem !== null) return problem;
    }
    const validate = this.#validate;
    if (validate === null) return null;
    try {
      return (await validate(data, { url, swarmId, sequenceNumber })) ? null : 'rejected by validateSegment';
    } catch (error) {
      return `validateSegment failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}
