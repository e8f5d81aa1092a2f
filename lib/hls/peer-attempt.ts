import type { LoaderStats } from 'hls.js';
import { P2PError } from '../api/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { PeerBusyError, type PeerDownload, type PeerDownloadProgress } from '../peer/peer-downloads.ts';
import type { PeerLink } from '../peer/peer-link.ts';
import type { RelaySource } from '../peer/relay-source.ts';
import { DEADLINE_CHECK_MS, peerMissesDeadline } from '../policy/peer-deadline.ts';
import type { TransferTimings } from '../policy/transfer-timing.ts';
import { checkedSegmentOf } from './fragment-swarm.ts';
import type { PeerLoadRequest } from './load-request.ts';
import type { PeerResume } from './peer-resume.ts';
import type { SpotCheck } from './spot-check.ts';

/** How a peer attempt ended (reported once, never after `stop()`). */
export type PeerAttemptOutcome =
  /**
   * The whole segment arrived and passed the checks (`verified`: by hash); `timings` as measured here
   * (from the load's start when it went on from another peer's bytes: then `vouched` is false, as
   * nobody answers for all of them).
   */
  | {
      readonly kind: 'delivered';
      readonly data: ArrayBuffer;
      readonly timings: TransferTimings;
      readonly verified: boolean;
      readonly vouched: boolean;
    }
  /**
   * The peer failed, was too slow or timed out; `resumeFrom` holds its first bytes when another
   * peer or a Range request can fetch the rest (with the relay of them to our peers, which that
   * resume goes on feeding).
   */
  | { readonly kind: 'fell-back'; readonly error: P2PError; readonly resumeFrom: PeerResume | null }
  /** The peer answered `busy` before any byte: it has the segment, its uplink is full (no failure). */
  | { readonly kind: 'busy' }
  /** The peer delivered a segment that failed a check (`problem` says which). */
  | { readonly kind: 'corrupt'; readonly problem: string }
  /**
   * Nothing can vouch for the segment (see SegmentVerdict): load it over HTTP, blame nobody (joined
   * from two peers' bytes, it failed a check: both were struck, either may be the forger).
   */
  | { readonly kind: 'unverifiable'; readonly reason: string };

/**
 * One download of one segment from one peer, owning its timers: first-byte and load timeouts
 * (the smaller of peercdn's and hls.js's load policy), and the deadline check (a transfer that
 * would arrive after the playhead needs it, while HTTP would be sooner, moves to HTTP); then the
 * segment checks (peers are untrusted). Counts chunks in hls.js's `stats`; the timings stay out of
 * them until the end (see transfer-timing.ts). Starts in the constructor; `stop()` cancels it
 * with no outcome.
 */
export class PeerAttempt {
  readonly peerId: string;
  readonly #engine: Engine;
  readonly #request: PeerLoadRequest;
  readonly #onOutcome: (outcome: PeerAttemptOutcome) => void;
  readonly #download: PeerDownload;
  readonly #startMs: number;
  readonly #timers: ReturnType<typeof setTimeout>[];
  // Our peers get this download's bytes as they arrive (from its first chunk; null when not uploading).
  #relay: RelaySource | null = null;
  #firstByteMs = 0;
  #firstChunkBytes = 0;
  // Before the first byte: a typical segment (a silent peer is judged against HTTP bringing one).
  #latest: PeerDownloadProgress;
  #settled = false;
  readonly #resume: PeerResume | null;
  // The origin's sample of the bytes when no hash can vouch for them (spot-check.ts).
  #spot: SpotCheck | null = null;

  constructor(
    engine: Engine,
    request: PeerLoadRequest,
    link: PeerLink,
    stats: LoaderStats,
    onOutcome: (outcome: PeerAttemptOutcome) => void,
    relayed = false,
    resume: PeerResume | null = null,
  ) {
    this.#engine = engine;
    this.#request = request;
    this.#onOutcome = onOutcome;
    this.#resume = resume;
    // Going on from another peer's bytes, the rest is what HTTP would have to bring.
    const { partial } = resume ?? {};
    this.#latest = {
      loadedBytes: 0,
      totalBytes: partial ? partial.totalBytes - partial.bytes.byteLength : (engine.httpPace.typicalSegmentBytes ?? 0),
    };
    const { sequenceNumber } = request.segment;
    const peerId = (this.peerId = link.remotePeerId);
    const secondsUntilNeeded = engine.playback.secondsUntil(request.context.frag.start);
    this.#download = link.downloads.start(
      sequenceNumber,
      (progress) => {
        if (this.#firstByteMs === 0) {
          this.#firstByteMs = performance.now();
          this.#firstChunkBytes = progress.loadedBytes;
          // Where no hash can vouch for the bytes, the origin is asked for a sample of them meanwhile.
          this.#spot = request.spotCheck?.(engine, request, progress.totalBytes) ?? null;
          // Going on from another peer's bytes: their relay, if any (a new one would lack them).
          this.#relay =
            resume === null
              ? engine.beginRelay(request.segment.swarmId, sequenceNumber, progress.totalBytes)
              : resume.relay;
        }
        if (progress.chunk !== undefined) this.#relay?.append(progress.chunk);
        stats.chunkCount += 1;
        this.#latest = progress;
        this.#checkDeadline();
      },
      relayed,
      secondsUntilNeeded === null ? null : secondsUntilNeeded * 1000,
      resume?.partial,
    );
    this.#startMs = performance.now();
    const { loadPolicy } = request.config;
    const firstByteTimeoutMs = Math.min(engine.config.peerFirstByteTimeoutMs, loadPolicy.maxTimeToFirstByteMs);
    const loadTimeoutMs = Math.min(engine.config.peerLoadTimeoutMs, loadPolicy.maxLoadTimeMs);
    this.#timers = [
      setTimeout(() => {
        if (this.#firstByteMs === 0) {
          this.#fallBack(
            new P2PError(
              'peer-timeout',
              `peer ${peerId} sent no bytes of ${sequenceNumber} in ${firstByteTimeoutMs} ms`,
            ),
            'timeout',
          );
        }
      }, firstByteTimeoutMs),
      setTimeout(
        () =>
          this.#fallBack(
            new P2PError('peer-timeout', `peer ${peerId} did not deliver ${sequenceNumber} in ${loadTimeoutMs} ms`),
            'timeout',
          ),
        loadTimeoutMs,
      ),
      // A slow peer's chunks are far apart: check on a timer as well as on every chunk.
      setInterval(() => this.#checkDeadline(), DEADLINE_CHECK_MS),
    ];
    this.#download.promise.then(
      (data) => this.#onDelivered(data),
      (error: unknown) =>
        error instanceof PeerBusyError
          ? this.#refused()
          : this.#fallBack(
              error instanceof P2PError
                ? error
                : new P2PError('peer-error', `peer download of ${sequenceNumber} failed`, { cause: error }),
            ),
    );
  }

  /** Cancel the download and its timers (abort, destroy); no outcome is reported. */
  stop(): void {
    if (this.#settled) return;
    this.#settle();
    this.#download.cancel();
    (this.#relay ?? this.#resume?.relay)?.fail();
  }

  #checkDeadline(): void {
    const engine = this.#engine;
    if (!this.#firstByteMs && !engine.config.silentPeerFallback) return;
    const secondsUntilNeeded = engine.playback.secondsUntil(this.#request.context.frag.start);
    const transfer = {
      elapsedMs: performance.now() - this.#startMs,
      firstByteElapsedMs: this.#firstByteMs && this.#firstByteMs - this.#startMs,
      firstChunkBytes: this.#firstChunkBytes,
      ...this.#latest,
    };
    if (
      peerMissesDeadline(
        transfer,
        secondsUntilNeeded === null ? null : secondsUntilNeeded * 1000,
        engine.httpPace.throughput,
      )
    ) {
      const message = `peer ${this.peerId} would deliver ${this.#request.segment.sequenceNumber} too late`;
      // A silent peer is busy, not failing: measured (0 B/s), not struck.
      this.#fallBack(new P2PError('peer-timeout', message), this.#firstByteMs ? 'too-slow' : null);
    }
  }

  async #onDelivered(data: ArrayBuffer): Promise<void> {
    if (this.#settled) return;
    const endMs = performance.now();
    const { context, segment } = this.#request;
    let verdict = await this.#engine.segmentChecks.check(checkedSegmentOf(context, segment), data);
    // A timeout may have moved the segment to HTTP while a check ran.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by a timer during the await
    if (this.#settled) return;
    if (this.#spot !== null) {
      verdict = await this.#spot.weigh(verdict, data);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by a timer during the await
      if (this.#settled) return;
    }
    this.#settle();
    if (verdict.kind !== 'pass') {
      this.#relay?.fail();
      const resume = this.#resume;
      if (verdict.kind !== 'corrupt' || resume === null) this.#onOutcome(verdict);
      else {
        // Bytes of two peers: which one forged them is unknown (a strike each, no ban).
        for (const peerId of [resume.cutPeerId, this.peerId])
          this.#engine.strikePeer(segment.swarmId, peerId, 'bad-relay');
        this.#onOutcome({ kind: 'unverifiable', reason: `bytes of two peers: ${verdict.problem}` });
      }
      return;
    }
    const startMs = this.#resume === null ? this.#startMs : this.#request.startedAtMs;
    const timings = { startMs, firstByteMs: this.#firstByteMs || endMs, endMs, bytes: data.byteLength };
    this.#onOutcome({ kind: 'delivered', data, timings, verified: verdict.verified, vouched: this.#resume === null });
  }

  // `busy` before any byte: nothing to cancel, resume or relay — but the first peer's bytes, if any.
  #refused(): void {
    if (this.#resume !== null) this.#fallBack(new P2PError('peer-error', `peer ${this.peerId} is busy`));
    else if (!this.#settled) {
      this.#settle();
      this.#onOutcome({ kind: 'busy' });
    }
  }

  // A timeout or a late transfer is a broken promise (`strike`); a failed link or `absent` is
  // struck where it is seen (peer-downloads).
  #fallBack(error: P2PError, strike?: 'timeout' | 'too-slow' | null): void {
    if (this.#settled) return;
    this.#settle();
    this.#download.cancel(strike);
    // A relay's bytes too (not vouched for: should the joined segment fail the checks, a strike, no
    // ban); for an attempt that went on from another peer's bytes and added none, those (and that
    // peer answers for them: this one sent nothing).
    const own = this.#download.partial();
    const partial = own ?? this.#resume?.partial ?? null;
    const resumable = partial !== null && partial.bytes.byteLength < partial.totalBytes;
    // The relay got every chunk the resume starts from: the resume goes on feeding it.
    const relay = this.#relay ?? this.#resume?.relay ?? null;
    if (!resumable) relay?.fail();
    const cutPeerId = own === null ? (this.#resume?.cutPeerId ?? this.peerId) : this.peerId;
    const resumeFrom = resumable ? { partial, relay, cutPeerId } : null;
    this.#onOutcome({ kind: 'fell-back', error, resumeFrom });
  }

  #settle(): void {
    this.#settled = true;
    this.#spot?.stop();
    // clearTimeout clears intervals too (one list of timer ids in browsers and Node).
    for (const timer of this.#timers) clearTimeout(timer);
  }
}
