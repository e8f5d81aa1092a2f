import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration } from 'hls.js';
import type { SpotCheckStarter } from './spot-check.ts';

/** A segment's identity among peers: its swarm (rendition) and media sequence number. */
export interface SegmentId {
  readonly swarmId: string;
  readonly sequenceNumber: number;
}

interface Request<Segment extends SegmentId | null> {
  readonly context: FragmentLoaderContext;
  readonly config: LoaderConfiguration;
  readonly callbacks: LoaderCallbacks<FragmentLoaderContext>;
  /** Null for what peers never carry (P2P off, byte ranges, init segments, parts): HTTP only. */
  readonly segment: Segment;
  /** When the load started (`performance.now()`); the waits for peers are bounded from then. */
  readonly startedAtMs: number;
  /** A new HTTP loader for this fragment's origin requests besides the load itself (spot checks). */
  readonly originLoader: () => Loader<FragmentLoaderContext>;
  /** `spotCheck` when the page passed it (`new PeerCDN(config, { spotCheck })`), else null. */
  readonly spotCheck: SpotCheckStarter | null;
}

/** A load that peers can serve (its segment is known). */
export type PeerLoadRequest = Request<SegmentId>;

/** One `load()` call of the fragment loader: what hls.js asked for, built once and shared by its steps. */
export type LoadRequest = PeerLoadRequest | Request<null>;
