// `peercdn hash <playlist-or-dir> [--out file] [--watch]`: write hash manifests for HLS playlists.
// By default one manifest beside each media playlist (the name the library looks for by
// convention); with --out one manifest for every rendition. --watch rewrites them whenever a
// playlist changes (a live folder), keeping recent entries that left the playlist.
import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  watch,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  HASH_MANIFEST_FORMAT,
  HASH_MANIFEST_VERSION,
  hashManifestNameFor,
  type HashManifest,
  type RenditionHashes,
} from '../../lib/shared/hash-manifest.ts';
import { HashMemo, hashRendition, insideFolder } from './hash-files.ts';
import { isMultivariantPlaylist, mediaPlaylistUris } from './playlist-entries.ts';

export interface HashOptions {
  /** A playlist (multivariant or media) or a directory searched for playlists. */
  readonly input: string;
  /** One manifest for all renditions here instead of one beside each media playlist. */
  readonly out?: string;
}

// Directories searched below the input directory, at most this deep.
const MAX_SEARCH_DEPTH = 4;

/** The folder of the stream an input names: the directory given, or the playlist's own. */
export function streamFolder(input: string): string {
  const path = resolve(input);
  return existsSync(path) && statSync(path).isFile() ? dirname(path) : path;
}

/**
 * The media playlists an input names: a media playlist itself, a master's variants, or every one
 * in a directory. A variant outside the stream's folder is refused (a master naming `../` would
 * have read any file and written a manifest beside it).
 */
export function findMediaPlaylists(input: string): string[] {
  const path = resolve(input);
  if (!existsSync(path)) throw new Error(`${input}: no such file or directory`);
  if (statSync(path).isFile()) {
    const text = readFileSync(path, 'utf8');
    if (!text.startsWith('#EXTM3U')) throw new Error(`${input}: not an HLS playlist (no #EXTM3U)`);
    if (!isMultivariantPlaylist(text)) return [path];
    return mediaPlaylistUris(text).map((uri) =>
      insideFolder(dirname(path), resolve(dirname(path), uri), `${input}: ${uri}`),
    );
  }
  const found: string[] = [];
  const search = (dir: string, depth: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = join(dir, entry.name);
      if (entry.isDirectory() && depth < MAX_SEARCH_DEPTH) search(child, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.m3u8') && !isMultivariantPlaylist(readFileSync(child, 'utf8')))
        found.push(child);
    }
  };
  search(path, 0);
  if (found.length === 0) throw new Error(`${input}: no media playlists found`);
  return found;
}

const manifestOf = (renditions: readonly RenditionHashes[]): HashManifest => ({
  format: HASH_MANIFEST_FORMAT,
  version: HASH_MANIFEST_VERSION,
  renditions,
});

// Write through a temporary file and a rename, so a reader never sees half a manifest.
function writeAtomically(path: string, text: string): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
  return true;
}

// A live rendition keeps entries that just left its playlist (a viewer may hold an older
// playlist), as many as the playlist lists, while their files exist.
function withRecentEntries(
  current: RenditionHashes,
  previous: RenditionHashes | undefined,
  manifestDir: string,
): RenditionHashes {
  if (!current.live || previous === undefined) return current;
  const listed = new Set(current.segments.map((segment) => `${segment.uri}@${segment.range?.offset ?? ''}`));
  const departed = previous.segments.filter(
    (segment) =>
      !listed.has(`${segment.uri}@${segment.range?.offset ?? ''}`) && existsSync(resolve(manifestDir, segment.uri)),
  );
  return { ...current, segments: [...departed.slice(-current.segments.length), ...current.segments] };
}

/** Hashes playlists into manifests; `run()` once, or again on every change. */
export class HashWriter {
  readonly #options: HashOptions;
  readonly #memo = new HashMemo();
  readonly #previous = new Map<string, RenditionHashes>();

  constructor(options: HashOptions) {
    this.#options = options;
  }

  /** Write every manifest; returns the paths written (unchanged ones are left alone). */
  run(): string[] {
    const playlists = findMediaPlaylists(this.#options.input);
    const written: string[] = [];
    const rendition = (playlist: string, manifestDir: string): RenditionHashes => {
      const entry = withRecentEntries(
        hashRendition(playlist, manifestDir, this.#memo, streamFolder(this.#options.input)),
        this.#previous.get(playlist),
        manifestDir,
      );
      this.#previous.set(playlist, entry);
      return entry;
    };
    if (this.#options.out !== undefined) {
      const out = resolve(this.#options.out);
      const manifest = manifestOf(playlists.map((playlist) => rendition(playlist, dirname(out))));
      if (writeAtomically(out, `${JSON.stringify(manifest)}\n`)) written.push(out);
      return written;
    }
    for (const playlist of playlists) {
      const out = join(dirname(playlist), hashManifestNameFor(basename(playlist)));
      if (writeAtomically(out, `${JSON.stringify(manifestOf([rendition(playlist, dirname(playlist))]))}\n`))
        written.push(out);
    }
    return written;
  }

  /** The directories whose playlists a watch follows. */
  directories(): string[] {
    return [...new Set(findMediaPlaylists(this.#options.input).map((playlist) => dirname(playlist)))];
  }
}

// Changes come in bursts (a segment, then the playlist): hash once the burst settles.
const WATCH_SETTLE_MS = 50;

/** Keep the manifests current until `stop()`; `onWrite` hears each write, `onError` each failure. */
export function watchAndHash(
  writer: HashWriter,
  onWrite: (paths: string[]) => void,
  onError: (error: Error) => void,
): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const rehash = (): void => {
    timer = null;
    try {
      const written = writer.run();
      if (written.length > 0) onWrite(written);
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const watchers: FSWatcher[] = writer.directories().map((dir) =>
    watch(dir, (_event, name) => {
      if (name === null || !name.endsWith('.m3u8')) return;
      if (timer === null) timer = setTimeout(rehash, WATCH_SETTLE_MS);
    }),
  );
  rehash();
  return {
    stop() {
      if (timer !== null) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
