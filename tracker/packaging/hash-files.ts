// SHA-256 of the files a media playlist names, as the hash manifest's rendition entry. Hashes are
// remembered by file, size, modification time and range, so re-hashing a growing live playlist
// reads only its new segments.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { RenditionHashes, SegmentHash } from '../../lib/shared/hash-manifest.ts';
import { mediaPlaylistEntries, type PlaylistFile } from './playlist-entries.ts';

// Enough for every segment of a few hours of several renditions.
const MAX_REMEMBERED_HASHES = 50_000;

/** Hashes already computed, by file identity (path, size, mtime) and range. */
export class HashMemo {
  readonly #hashes = new Map<string, string>();

  sha256Of(path: string, range: PlaylistFile['range']): string {
    const stats = statSync(path);
    const key = `${path}\n${stats.size}\n${stats.mtimeMs}\n${range?.offset ?? ''}\n${range?.length ?? ''}`;
    const known = this.#hashes.get(key);
    if (known !== undefined) return known;
    const hex = createHash('sha256')
      .update(readBytes(path, range, stats.size))
      .digest('hex');
    this.#hashes.set(key, hex);
    if (this.#hashes.size > MAX_REMEMBERED_HASHES) {
      const oldest = this.#hashes.keys().next();
      if (oldest.done !== true) this.#hashes.delete(oldest.value);
    }
    return hex;
  }
}

function readBytes(path: string, range: PlaylistFile['range'], size: number): Buffer {
  if (range === undefined) return readFileSync(path);
  if (range.offset + range.length > size) {
    throw new Error(`${path}: byte range ${range.length}@${range.offset} ends beyond the file's ${size} bytes`);
  }
  const bytes = Buffer.alloc(range.length);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < range.length) {
      const read = readSync(fd, bytes, done, range.length - done, range.offset + done);
      if (read === 0) throw new Error(`${path}: ended early`);
      done += read;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** The file path of a relative URI: query and fragment cut, percent-escapes decoded. */
function decodedPath(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  try {
    return decodeURIComponent(path);
  } catch {
    throw new Error(`cannot hash ${uri}: a malformed percent-escape`);
  }
}

// A URI of the manifest: the path from the manifest's directory, with '/' separators.
const uriFrom = (manifestDir: string, file: string): string => relative(manifestDir, file).split(sep).join('/');

/**
 * `path` if it is inside `folder`; else throws, naming the file as `what`: `peercdn hash` reads and
 * writes only inside the stream's folder (a playlist naming `../` reached any file).
 */
export function insideFolder(folder: string, path: string, what: string): string {
  const fromFolder = relative(folder, path);
  if (fromFolder === '' || fromFolder === '..' || fromFolder.startsWith(`..${sep}`) || isAbsolute(fromFolder))
    throw new Error(`${what} is outside ${folder}: only files inside the stream's folder are hashed`);
  return path;
}

/**
 * The rendition entry of the media playlist at `playlistPath`, its URIs relative to `manifestDir`.
 * Throws on a URI that is not a local file path (an absolute URL cannot be hashed here) or that
 * leads outside `folder` (the stream's).
 */
export function hashRendition(
  playlistPath: string,
  manifestDir: string,
  memo: HashMemo,
  folder: string,
): RenditionHashes {
  const entries = mediaPlaylistEntries(readFileSync(playlistPath, 'utf8'));
  const playlistDir = dirname(playlistPath);
  const hash = (file: PlaylistFile): SegmentHash => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(file.uri) || isAbsolute(file.uri)) {
      throw new Error(`${playlistPath}: cannot hash ${file.uri}: only paths relative to the playlist are hashed`);
    }
    const path = insideFolder(folder, resolve(playlistDir, decodedPath(file.uri)), `${playlistPath}: ${file.uri}`);
    const sha256 = memo.sha256Of(path, file.range);
    const uri = uriFrom(manifestDir, path);
    return file.range === undefined ? { uri, sha256 } : { uri, range: file.range, sha256 };
  };
  return {
    playlist: uriFrom(manifestDir, playlistPath),
    live: entries.live,
    segments: entries.segments.map(hash),
    initSegments: entries.initSegments.map(hash),
  };
}
