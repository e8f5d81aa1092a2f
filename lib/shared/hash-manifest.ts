// The hash manifest: SHA-256 of every segment and init segment of a stream, per rendition, as
// `peercdn hash` and `peercdn package` write it and the library reads it. Dependency-free (shared
// by the browser library and the Node packaging tools). Format, version 1 (JSON):
//
//   { "format": "peercdn-hashes", "version": 1,
//     "renditions": [ { "playlist": "180p/index.m3u8", "live": false,
//       "segments": [ { "uri": "180p/seg_000.ts", "sha256": "<64 lowercase hex>" },
//                     { "uri": "180p/all.mp4", "range": { "offset": 720, "length": 91000 }, "sha256": "…" } ],
//       "initSegments": [ { "uri": "180p/init.mp4", "sha256": "…" } ] } ] }
//
// Every `uri` is relative to the manifest's own URL (as playlist URIs are to the playlist's); a
// byte-range segment (EXT-X-BYTERANGE, length@offset) is keyed by its file and range. `live` says
// the playlist still grows, so a segment not listed yet may be listed on the next read. Parsing is
// strict: an unknown field, a wrong type or an out-of-bounds value rejects the whole manifest.

export const HASH_MANIFEST_FORMAT = 'peercdn-hashes';
export const HASH_MANIFEST_VERSION = 1;
/** The largest manifest text accepted (about 50,000 segments). */
export const MAX_HASH_MANIFEST_BYTES = 8 * 1024 * 1024;
const MAX_RENDITIONS = 64;
const MAX_ENTRIES_PER_RENDITION = 100_000;
const MAX_URI_CHARS = 2048;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Where bytes of one segment sit: `length` bytes from `offset` (EXT-X-BYTERANGE). */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface SegmentHash {
  readonly uri: string;
  readonly range?: ByteRange;
  readonly sha256: string;
}

export interface RenditionHashes {
  readonly playlist: string;
  readonly live: boolean;
  readonly segments: readonly SegmentHash[];
  readonly initSegments: readonly SegmentHash[];
}

export interface HashManifest {
  readonly format: typeof HASH_MANIFEST_FORMAT;
  readonly version: typeof HASH_MANIFEST_VERSION;
  readonly renditions: readonly RenditionHashes[];
}

/** A parsed manifest, or why the text is not one. */
export type HashManifestResult =
  | { readonly ok: true; readonly manifest: HashManifest }
  | { readonly ok: false; readonly reason: string };

class ManifestError extends Error {}

const fail = (reason: string): never => {
  throw new ManifestError(reason);
};

function object(
  value: unknown,
  where: string,
  keys: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where} must be an object`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.includes(key) && !optional.includes(key)) fail(`${where} has an unknown field "${key}"`);
  }
  for (const key of keys) if (!Object.hasOwn(record, key)) fail(`${where} lacks "${key}"`);
  return record;
}

function array(value: unknown, where: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) fail(`${where} must be an array`);
  const items = value as unknown[];
  if (items.length > max) fail(`${where} has ${items.length} entries (at most ${max})`);
  return items;
}

function uri(value: unknown, where: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_URI_CHARS ||
    // eslint-disable-next-line no-control-regex -- control characters are what this rejects
    /[\s\u0000-\u001f]/.test(value)
  ) {
    fail(`${where} must be a URI of 1 to ${MAX_URI_CHARS} characters without spaces`);
  }
  return value as string;
}

function byteCount(value: unknown, where: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    fail(`${where} must be an integer of at least ${min}`);
  return value as number;
}

function segmentHash(value: unknown, where: string): SegmentHash {
  const record = object(value, where, ['uri', 'sha256'], ['range']);
  const sha256 = record['sha256'];
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) fail(`${where}.sha256 must be 64 lowercase hex digits`);
  const entry = { uri: uri(record['uri'], `${where}.uri`), sha256: sha256 as string };
  if (record['range'] === undefined) return entry;
  const range = object(record['range'], `${where}.range`, ['offset', 'length']);
  return {
    ...entry,
    range: {
      offset: byteCount(range['offset'], `${where}.range.offset`, 0),
      length: byteCount(range['length'], `${where}.range.length`, 1),
    },
  };
}

function rendition(value: unknown, where: string): RenditionHashes {
  const record = object(value, where, ['playlist', 'live', 'segments', 'initSegments']);
  if (typeof record['live'] !== 'boolean') fail(`${where}.live must be true or false`);
  const entries = (key: string): SegmentHash[] =>
    array(record[key], `${where}.${key}`, MAX_ENTRIES_PER_RENDITION).map((item, i) =>
      segmentHash(item, `${where}.${key}[${i}]`),
    );
  return {
    playlist: uri(record['playlist'], `${where}.playlist`),
    live: record['live'] as boolean,
    segments: entries('segments'),
    initSegments: entries('initSegments'),
  };
}

/** Parse a hash manifest (text or bytes from the network), rejecting anything not exactly version 1. */
export function parseHashManifest(input: string | ArrayBuffer): HashManifestResult {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_HASH_MANIFEST_BYTES)
    return { ok: false, reason: `manifest of ${size} bytes exceeds ${MAX_HASH_MANIFEST_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input));
  } catch {
    return { ok: false, reason: 'manifest is not JSON text' };
  }
  try {
    const record = object(json, 'manifest', ['format', 'version', 'renditions']);
    if (record['format'] !== HASH_MANIFEST_FORMAT) fail(`manifest.format must be "${HASH_MANIFEST_FORMAT}"`);
    if (record['version'] !== HASH_MANIFEST_VERSION)
      fail(
        `manifest.version ${JSON.stringify(record['version'])} is not supported (expected ${HASH_MANIFEST_VERSION})`,
      );
    const renditions = array(record['renditions'], 'manifest.renditions', MAX_RENDITIONS).map((item, i) =>
      rendition(item, `manifest.renditions[${i}]`),
    );
    return { ok: true, manifest: { format: HASH_MANIFEST_FORMAT, version: HASH_MANIFEST_VERSION, renditions } };
  } catch (error) {
    if (error instanceof ManifestError) return { ok: false, reason: error.message };
    throw error;
  }
}

/**
 * Where the hash manifest of a media playlist sits by convention: beside it, `.m3u8` replaced by
 * `.hashes.json` (`…/180p/index.m3u8?token=x` → `…/180p/index.hashes.json?token=x`).
 */
export function hashManifestUrlBeside(playlistUrl: string): string {
  const cut = playlistUrl.search(/[?#]/);
  const path = cut === -1 ? playlistUrl : playlistUrl.slice(0, cut);
  // LL-HLS delivery directives (`_HLS_msn`, `_HLS_part`, `_HLS_skip`, RFC 8216bis 6.2.5.1) change at
  // every playlist reload: kept, each reload was another manifest URL, fetched and kept again.
  const query =
    cut === -1
      ? ''
      : playlistUrl
          .slice(cut)
          .replace(/#.*$/, '')
          .replace(/[?&]_HLS_[^&]*/g, '')
          .replace(/^&/, '?');
  const base = path.endsWith('.m3u8') ? path.slice(0, -'.m3u8'.length) : path;
  return `${base}.hashes.json${query}`;
}

/** The file name the convention gives a playlist's manifest (`index.m3u8` → `index.hashes.json`). */
export function hashManifestNameFor(playlistFileName: string): string {
  return hashManifestUrlBeside(playlistFileName);
}
