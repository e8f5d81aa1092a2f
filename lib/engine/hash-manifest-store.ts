// Hash manifests as the library reads them: fetched once per manifest URL (from the origin, but
// parsed as untrusted text), indexed by absolute segment URL and byte range, and re-read briefly
// when a live manifest lags the playlist.
import { messageOf } from '../api/errors.ts';
import { parseHashManifest, type ByteRange } from '../shared/hash-manifest.ts';
import { stripUrlQuery } from '../shared/swarm-id.ts';

/**
 * A GET of a manifest: the status and body, or a thrown error on a network failure. `signal` aborts
 * when the store gives the request up (timeout, destroy); the store never waits for it beyond that.
 */
export type FetchBytes = (
  url: string,
  signal: AbortSignal,
) => Promise<{ readonly status: number; readonly body: ArrayBuffer }>;

/** What the store knows about a segment's hash. */
export type ExpectedHash =
  | { readonly kind: 'hash'; readonly sha256: string }
  /** The origin has no manifest here (404/403/410): segments cannot be checked by hash. */
  | { readonly kind: 'no-manifest' }
  /** A manifest exists but does not list the segment (or could not be read): never trust peer bytes for it. */
  | { readonly kind: 'unlisted'; readonly reason: string };

interface ManifestState {
  readonly fetchedAtMs: number;
  /** null: no manifest at that URL. */
  readonly index: ReadonlyMap<string, string> | null;
  readonly live: boolean;
  readonly problem: string | null;
}

export interface HashManifestStoreOptions {
  readonly fetchBytes: FetchBytes;
  readonly nowMs: () => number;
  readonly delay: (ms: number) => Promise<void>;
}

// A live manifest missing a segment is re-read this often, at most this many times, before the
// segment is given up to HTTP: the manifest is written right after the playlist, so a lag is short.
export const LAG_REREAD_INTERVAL_MS = 400;
export const LAG_REREADS = 3;
// A missing manifest or one that failed to load is looked for again after this long.
const MISSING_RECHECK_MS = 60_000;
export const FAILED_RECHECK_MS = 5_000;
// A manifest request (answer and body) is given up after this long and counts as failed: a request
// that stalls (a flaky network) would otherwise hold every check of its playlist, and a Range-resumed
// load waiting on one would never end. A manifest is a few KiB: a network that plays video brings it
// well within this.
export const MANIFEST_FETCH_TIMEOUT_MS = 3_000;
// Manifests kept at once: a playlist URL whose token rotates at each reload names a new manifest
// URL each time; the least recently loaded beyond this are forgotten (read again if asked for).
export const MAX_MANIFESTS = 16;
// Status codes that mean "there is no manifest" (S3 answers 403 for a missing key).
const MISSING_STATUSES = new Set([403, 404, 410]);

/** The key of a segment: its URL without query, and its byte range (end exclusive) if any. */
export function segmentKey(url: string, range: ByteRange | null): string {
  const base = stripUrlQuery(url);
  return range === null ? base : `${base}#${range.offset}-${range.offset + range.length}`;
}

const failedState = (fetchedAtMs: number, problem: string): ManifestState => ({
  fetchedAtMs,
  index: new Map(),
  live: false,
  problem,
});

/** Fetches, indexes and caches hash manifests by URL. */
export class HashManifestStore {
  readonly #options: HashManifestStoreOptions;
  readonly #states = new Map<string, ManifestState>();
  readonly #loading = new Map<string, Promise<ManifestState>>();
  // Gives up each request under way (destroy).
  readonly #cancels = new Set<(why?: string) => void>();
  #destroyed = false;

  constructor(options: HashManifestStoreOptions) {
    this.#options = options;
  }

  /** Start loading a manifest early (when a rendition's playlist loads), so checks need not wait. */
  prefetch(manifestUrl: string): void {
    void this.#state(manifestUrl, false);
  }

  /** Whether a readable manifest is known to be at the URL (false: missing, broken or not loaded yet). */
  present(manifestUrl: string): boolean {
    const state = this.#states.get(manifestUrl);
    return state !== undefined && state.index !== null && state.problem === null;
  }

  /** The expected SHA-256 of a segment, re-reading a lagging live manifest briefly. */
  async expected(manifestUrl: string, segmentUrl: string, range: ByteRange | null): Promise<ExpectedHash> {
    const key = segmentKey(segmentUrl, range);
    let state = await this.#state(manifestUrl, false);
    for (let reread = 0; ; reread++) {
      if (state.index === null) return { kind: 'no-manifest' };
      const sha256 = state.index.get(key);
      if (sha256 !== undefined) return { kind: 'hash', sha256 };
      if (state.problem !== null) return { kind: 'unlisted', reason: state.problem };
      if (!state.live || reread >= LAG_REREADS || this.#destroyed) {
        return { kind: 'unlisted', reason: `${manifestUrl} does not list ${key}` };
      }
      const sinceLoadMs = this.#options.nowMs() - state.fetchedAtMs;
      if (sinceLoadMs < LAG_REREAD_INTERVAL_MS) await this.#options.delay(LAG_REREAD_INTERVAL_MS - sinceLoadMs);
      state = await this.#state(manifestUrl, true);
    }
  }

  destroy(): void {
    this.#destroyed = true;
    this.#states.clear();
    this.#loading.clear();
    for (const cancel of [...this.#cancels]) cancel();
  }

  // The current state, loading it when unknown, stale (missing/failed), or when `reload` asks and
  // the last read is old enough. Concurrent callers share one request.
  #state(manifestUrl: string, reload: boolean): Promise<ManifestState> {
    // Destroyed (during a lagging manifest's wait, or before a late prefetch): no request, no timer.
    if (this.#destroyed) return Promise.resolve(failedState(this.#options.nowMs(), `${manifestUrl}: destroyed`));
    const loading = this.#loading.get(manifestUrl);
    if (loading !== undefined) return loading;
    const state = this.#states.get(manifestUrl);
    const ageMs = state === undefined ? Infinity : this.#options.nowMs() - state.fetchedAtMs;
    const stale =
      state === undefined ||
      (state.index === null && ageMs >= MISSING_RECHECK_MS) ||
      (state.problem !== null && ageMs >= FAILED_RECHECK_MS) ||
      (reload && ageMs >= LAG_REREAD_INTERVAL_MS);
    if (!stale) return Promise.resolve(state);
    const promise = this.#load(manifestUrl).then((loaded) => {
      this.#loading.delete(manifestUrl);
      if (!this.#destroyed) {
        this.#states.delete(manifestUrl);
        this.#states.set(manifestUrl, loaded);
        if (this.#states.size > MAX_MANIFESTS) this.#states.delete(this.#states.keys().next().value as string);
      }
      return loaded;
    });
    this.#loading.set(manifestUrl, promise);
    return promise;
  }

  // Settles within MANIFEST_FETCH_TIMEOUT_MS whatever the request does (a fetch may ignore its
  // signal); an answer after that is dropped, as the promise is settled by then.
  #load(manifestUrl: string): Promise<ManifestState> {
    const controller = new AbortController();
    return new Promise((resolve) => {
      const settle = (state: ManifestState): void => {
        clearTimeout(timer);
        this.#cancels.delete(cancel);
        resolve(state);
      };
      const cancel = (why = 'destroyed'): void => {
        controller.abort();
        settle(failedState(this.#options.nowMs(), `${manifestUrl}: ${why}`));
      };
      const timer = setTimeout(() => {
        cancel(`no answer within ${MANIFEST_FETCH_TIMEOUT_MS} ms`);
      }, MANIFEST_FETCH_TIMEOUT_MS);
      this.#cancels.add(cancel);
      void this.#read(manifestUrl, controller.signal).then(settle);
    });
  }

  async #read(manifestUrl: string, signal: AbortSignal): Promise<ManifestState> {
    const fetchedAtMs = this.#options.nowMs();
    const failed = (problem: string): ManifestState => failedState(fetchedAtMs, problem);
    let response: { status: number; body: ArrayBuffer };
    try {
      response = await this.#options.fetchBytes(manifestUrl, signal);
    } catch (error) {
      return failed(`${manifestUrl}: ${messageOf(error)}`);
    }
    if (MISSING_STATUSES.has(response.status)) return { fetchedAtMs, index: null, live: false, problem: null };
    if (response.status !== 200) return failed(`${manifestUrl}: HTTP ${response.status}`);
    const parsed = parseHashManifest(response.body);
    if (!parsed.ok) return failed(`${manifestUrl}: ${parsed.reason}`);
    const index = new Map<string, string>();
    let live = false;
    for (const rendition of parsed.manifest.renditions) {
      live ||= rendition.live;
      for (const entry of [...rendition.segments, ...rendition.initSegments]) {
        let url: string;
        try {
          url = new URL(entry.uri, manifestUrl).href;
        } catch {
          return failed(`${manifestUrl}: bad URI ${entry.uri}`);
        }
        index.set(segmentKey(url, entry.range ?? null), entry.sha256);
      }
    }
    return { fetchedAtMs, index, live, problem: null };
  }
}
