import type { SegmentValidator } from '../api/config.ts';
import { messageOf } from '../api/errors.ts';
import { formatOf, mediaTimeProblem, segmentStructureProblem, type SegmentFormat } from '../policy/segment-check.ts';
import type { ByteRange } from '../shared/hash-manifest.ts';
import type { HashVerdict, SegmentVerifier } from './segment-verifier.ts';

/** A `validateSegment` that has not answered in this long vouches for nothing: the segment comes over HTTP. */
export const VALIDATOR_TIMEOUT_MS = 5_000;

/** The verdict on a segment that (partly) came from a peer. */
export type SegmentVerdict =
  /** It may go to hls.js; `verified` when a hash manifest vouched for it (else announce it only after hls.js appended it). */
  | { readonly kind: 'pass'; readonly verified: boolean }
  /** The sender is to blame: ban it, load the segment over HTTP. */
  | { readonly kind: 'corrupt'; readonly problem: string }
  /** It cannot be vouched for (manifest lags or is unreadable, or hashes are required): HTTP, blame nobody. */
  | { readonly kind: 'unverifiable'; readonly reason: string };

/** Where a segment sits, for the hash lookup. */
export interface CheckedSegment {
  readonly swarmId: string;
  readonly sequenceNumber: number;
  readonly url: string;
  /** Where it lies in its file (EXT-X-BYTERANGE), or null for a whole file. */
  readonly range: ByteRange | null;
  readonly playlistUrl: string;
  /** How long it plays, from the playlist (EXTINF). */
  readonly mediaSeconds: number;
  /** Encrypted whole (EXT-X-KEY AES-128 or AES-256; hls.js decrypts after loading): its bytes show no container. */
  readonly ciphertext: boolean;
}

/**
 * The checks a segment from a peer must pass, in order: container structure (MPEG-TS, fMP4 or packed audio,
 * from the first segment; the stream's format once HTTP segments showed it; not for a segment
 * encrypted whole, whose ciphertext has no structure to read), the hash manifest
 * (WebCrypto SHA-256), then `validateSegment`. Without a manifest the segment passes unverified
 * (see served-segments.ts), unless `requireSegmentHashes`, and only if its timestamps cover
 * its playlist duration — a check that blames the sender once the stream's own HTTP segments have
 * passed it (before that a failure only sends the segment to HTTP; a stream whose HTTP segments
 * fail it never gets it).
 */
export class SegmentChecks {
  readonly #validate: SegmentValidator | null;
  readonly #verifier: SegmentVerifier;
  readonly #requireHashes: boolean;
  // The container of each swarm's HTTP segments.
  readonly #formats = new Map<string, SegmentFormat>();
  // Per swarm: whether its HTTP segments pass the media-time check (absent until one arrived).
  readonly #mediaTimeHolds = new Map<string, boolean>();

  constructor(validate: SegmentValidator | null, verifier: SegmentVerifier, requireHashes: boolean) {
    this.#validate = validate;
    this.#verifier = verifier;
    this.#requireHashes = requireHashes;
  }

  /** Learn the swarm's container from a whole segment that came over HTTP (ciphertext teaches nothing). */
  learnFromHttp({ swarmId, mediaSeconds, ciphertext }: CheckedSegment, data: ArrayBuffer): void {
    if (ciphertext) return;
    const bytes = new Uint8Array(data);
    const format = formatOf(bytes);
    if (format !== null) this.#formats.set(swarmId, format);
    if (this.#mediaTimeHolds.get(swarmId) !== false)
      this.#mediaTimeHolds.set(swarmId, mediaTimeProblem(bytes, mediaSeconds) === null);
  }

  /** Load the playlist's hash manifest ahead of the first check. */
  prefetch(playlistUrl: string): void {
    this.#verifier.prefetch(playlistUrl);
  }

  /** Whether this playlist's segments can be checked by hash right now (its manifest is loaded); never throws. */
  hashesAt(playlistUrl: string): boolean {
    try {
      return this.#verifier.canVerify(playlistUrl);
    } catch {
      // A manifest URL that does not resolve: nothing can be checked by hash (`check` says why).
      return false;
    }
  }

  /** Whether peers may serve this playlist's segments (with `requireSegmentHashes`: only once its manifest is loaded). */
  peersMayServe(playlistUrl: string): boolean {
    if (!this.#requireHashes) return true;
    this.#verifier.prefetch(playlistUrl);
    return this.#verifier.canVerify(playlistUrl);
  }

  async check(segment: CheckedSegment, data: ArrayBuffer): Promise<SegmentVerdict> {
    // Ciphertext: the hash, `validateSegment` and hls.js's decryption and parsing judge it.
    const bytes = new Uint8Array(data);
    // A byte-range segment's length is the playlist's, not the peer's word.
    if (segment.range !== null && segment.range.length !== bytes.byteLength)
      return {
        kind: 'corrupt',
        problem: `${bytes.byteLength} B where the playlist's byte range has ${segment.range.length} B`,
      };
    const problem = segment.ciphertext
      ? null
      : segmentStructureProblem(bytes, this.#formats.get(segment.swarmId) ?? null);
    if (problem !== null) return { kind: 'corrupt', problem };
    let hash: HashVerdict;
    try {
      hash = await this.#verifier.verify(
        { playlistUrl: segment.playlistUrl, url: segment.url, range: segment.range },
        data,
      );
    } catch (error) {
      // A manifest URL that does not resolve, a digest that fails: never a rejection (a Range resume
      // awaits this with no timer behind it).
      return { kind: 'unverifiable', reason: messageOf(error) };
    }
    if (hash.kind === 'mismatch')
      return { kind: 'corrupt', problem: `SHA-256 ${hash.actual} instead of ${hash.expected}` };
    if (hash.kind === 'unverifiable') return hash;
    if (hash.kind === 'no-manifest') {
      if (this.#requireHashes)
        return { kind: 'unverifiable', reason: 'no hash manifest, and requireSegmentHashes is set' };
      const holds = this.#mediaTimeHolds.get(segment.swarmId);
      const late = holds === false || segment.ciphertext ? null : mediaTimeProblem(bytes, segment.mediaSeconds);
      if (late !== null)
        return holds === true ? { kind: 'corrupt', problem: late } : { kind: 'unverifiable', reason: late };
    }
    const validate = this.#validate;
    if (validate !== null) {
      const { swarmId, sequenceNumber, url } = segment;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const noAnswer = {};
      try {
        // A site's validator that never settles must not hold the load (a Range resume has no other timer).
        const answer = await Promise.race([
          validate(data, { url, swarmId, sequenceNumber }),
          new Promise<object>((resolve) => (timer = setTimeout(resolve, VALIDATOR_TIMEOUT_MS, noAnswer))),
        ]);
        if (answer === noAnswer)
          return { kind: 'unverifiable', reason: `validateSegment gave no answer in ${VALIDATOR_TIMEOUT_MS} ms` };
        if (!answer) return { kind: 'corrupt', problem: 'rejected by validateSegment' };
      } catch (error) {
        return {
          kind: 'corrupt',
          problem: `validateSegment failed: ${messageOf(error)}`,
        };
      } finally {
        clearTimeout(timer);
      }
    }
    return { kind: 'pass', verified: hash.kind === 'match' };
  }
}
