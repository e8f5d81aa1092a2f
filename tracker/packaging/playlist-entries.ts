// What a hash manifest needs from an HLS playlist (RFC 8216): the media playlists a multivariant
// playlist names, and a media playlist's segments (with EXT-X-BYTERANGE ranges) and init
// segments (EXT-X-MAP). Pure: text in, entries out.
import type { ByteRange } from '../../lib/shared/hash-manifest.ts';

/** One file (or a byte range of one) a media playlist refers to. */
export interface PlaylistFile {
  readonly uri: string;
  readonly range?: ByteRange;
}

export interface MediaPlaylistEntries {
  readonly segments: readonly PlaylistFile[];
  readonly initSegments: readonly PlaylistFile[];
  /** No EXT-X-ENDLIST: the playlist still grows. */
  readonly live: boolean;
}

/** Whether the text is a multivariant (master) playlist rather than a media playlist. */
export function isMultivariantPlaylist(text: string): boolean {
  return /^#EXT-X-STREAM-INF:/m.test(text);
}

const attribute = (line: string, name: string): string | null => {
  const match = new RegExp(`(?:^|[:,])${name}=(?:"([^"]*)"|([^,]*))`).exec(line);
  return match === null ? null : (match[1] ?? match[2] ?? null);
};

/** The media playlist URIs of a multivariant playlist: variant streams and EXT-X-MEDIA renditions. */
export function mediaPlaylistUris(text: string): string[] {
  const uris: string[] = [];
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('#EXT-X-MEDIA:')) {
      const uri = attribute(line, 'URI');
      if (uri !== null && uri !== '') uris.push(uri);
    } else if (line.startsWith('#EXT-X-STREAM-INF:')) {
      // The URI is the next line that is neither blank nor a tag.
      let next = i + 1;
      while (next < lines.length && ((lines[next] as string) === '' || (lines[next] as string).startsWith('#'))) next++;
      if (next < lines.length) uris.push(lines[next] as string);
    }
  }
  return [...new Set(uris)];
}

// "length[@offset]"; without an offset the range follows the previous range of the same file.
function parseByteRange(value: string, previous: { uri: string; end: number } | null, uri: string): ByteRange {
  const match = /^(\d+)(?:@(\d+))?$/.exec(value.trim());
  if (match === null) throw new Error(`bad EXT-X-BYTERANGE "${value}"`);
  const length = Number(match[1]);
  let offset: number;
  if (match[2] !== undefined) offset = Number(match[2]);
  else if (previous !== null && previous.uri === uri) offset = previous.end;
  else throw new Error(`EXT-X-BYTERANGE "${value}" without an offset does not follow a range of ${uri}`);
  return { offset, length };
}

/** Segments, init segments and liveness of a media playlist. */
export function mediaPlaylistEntries(text: string): MediaPlaylistEntries {
  const segments: PlaylistFile[] = [];
  const initSegments: PlaylistFile[] = [];
  const seenInit = new Set<string>();
  let pendingRange: string | null = null;
  let previous: { uri: string; end: number } | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-BYTERANGE:')) {
      pendingRange = line.slice('#EXT-X-BYTERANGE:'.length);
    } else if (line.startsWith('#EXT-X-MAP:')) {
      const uri = attribute(line, 'URI');
      if (uri === null) throw new Error('EXT-X-MAP without URI');
      const rangeText = attribute(line, 'BYTERANGE');
      const range = rangeText === null ? undefined : parseByteRange(rangeText, null, uri);
      const key = `${uri}@${range?.offset ?? ''}`;
      if (!seenInit.has(key)) initSegments.push(range === undefined ? { uri } : { uri, range });
      seenInit.add(key);
    } else if (!line.startsWith('#')) {
      if (pendingRange === null) {
        segments.push({ uri: line });
        previous = null;
      } else {
        const range = parseByteRange(pendingRange, previous, line);
        segments.push({ uri: line, range });
        previous = { uri: line, end: range.offset + range.length };
      }
      pendingRange = null;
    }
  }
  return { segments, initSegments, live: !/^#EXT-X-ENDLIST\b/m.test(text) };
}
