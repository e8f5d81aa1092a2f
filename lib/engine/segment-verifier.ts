// Checks a segment that (partly) came from a peer against the hash manifest, with WebCrypto.
import type { ByteRange } from '../shared/hash-manifest.ts';
import { hashManifestUrlBeside } from '../shared/hash-manifest.ts';
import { HashManifestStore, type FetchBytes } from './hash-manifest-store.ts';

/** What the manifest says about a segment's bytes. */
export type HashVerdict =
  /** The bytes are the origin's: their hash is the manifest's. */
  | { readonly kind: 'match' }
  /** The bytes are not the origin's: whoever sent them is to blame. */
  | { readonly kind: 'mismatch'; readonly expected: string; readonly actual: string }
  /** No manifest for this playlist (or no WebCrypto): only the checks without hashes apply. */
  | { readonly kind: 'no-manifest' }
  /** A manifest exists but cannot vouch for this segment: load it over HTTP, blame nobody. */
  | { readonly kind: 'unverifiable'; readonly reason: string };

/** Where a segment sits: its playlist, its URL and byte range. */
export interface SegmentLocation {
  readonly playlistUrl: string;
  readonly url: string;
  readonly range: ByteRange | null;
}

export type Sha256 = (data: ArrayBuffer) => Promise<ArrayBuffer>;

export interface SegmentVerifierOptions {
  /** One manifest URL for every rendition (relative to the playlist), or null: beside each playlist. */
  readonly manifestUrl: string | null;
  readonly fetchBytes: FetchBytes;
  readonly nowMs: () => number;
  readonly delay: (ms: number) => Promise<void>;
  /** SHA-256; null where WebCrypto is missing (pages not served over HTTPS): hashes cannot be checked. */
  readonly sha256: Sha256 | null;
}

const toHex = (digest: ArrayBuffer): string => {
  let hex = '';
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0');
  return hex;
};

/** WebCrypto's SHA-256 where the page has it (secure contexts), else null. */
export function webCryptoSha256(): Sha256 | null {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  return subtle === undefined ? null : (data) => subtle.digest('SHA-256', data);
}

/** `fetch` of a manifest, never from the HTTP cache (live manifests change); `signal` aborts it. */
export const fetchManifestBytes: FetchBytes = async (url, signal) => {
  const response = await fetch(url, { cache: 'no-store', signal });
  return { status: response.status, body: response.status === 200 ? await response.arrayBuffer() : new ArrayBuffer(0) };
};

/** Verifies segments by hash; one per PeerCDN instance. */
export class SegmentVerifier {
  readonly #options: SegmentVerifierOptions;
  readonly #store: HashManifestStore;

  constructor(options: SegmentVerifierOptions) {
    this.#options = options;
    this.#store = new HashManifestStore(options);
  }

  /** The manifest URL for a media playlist: the configured one (resolved against it) or beside it. */
  manifestUrlFor(playlistUrl: string): string {
    const configured = this.#options.manifestUrl;
    return configured === null ? hashManifestUrlBeside(playlistUrl) : new URL(configured, playlistUrl).href;
  }

  /** Start loading the manifest of a playlist as soon as it is known. */
  prefetch(playlistUrl: string): void {
    if (this.#options.sha256 !== null) this.#store.prefetch(this.manifestUrlFor(playlistUrl));
  }

  /** Whether segments of this playlist can be checked by hash right now. */
  canVerify(playlistUrl: string): boolean {
    return this.#options.sha256 !== null && this.#store.present(this.manifestUrlFor(playlistUrl));
  }

  /** Check bytes against the manifest. Never trusts what it cannot check. */
  async verify(location: SegmentLocation, data: ArrayBuffer): Promise<HashVerdict> {
    const sha256 = this.#options.sha256;
    if (sha256 === null) return { kind: 'no-manifest' };
    const expected = await this.#store.expected(
      this.manifestUrlFor(location.playlistUrl),
      location.url,
      location.range,
    );
    if (expected.kind === 'no-manifest') return expected;
    if (expected.kind === 'unlisted') return { kind: 'unverifiable', reason: expected.reason };
    const actual = toHex(await sha256(data));
    return actual === expected.sha256 ? { kind: 'match' } : { kind: 'mismatch', expected: expected.sha256, actual };
  }

  destroy(): void {
    this.#store.destroy();
  }
}
