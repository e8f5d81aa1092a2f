import type {
  FragmentLoaderContext,
  HlsConfig,
  Loader,
  PlaylistLoaderConstructor,
  PlaylistLoaderContext,
} from 'hls.js';
import type { OriginInfo } from '../api/events.ts';
import type { Engine } from '../engine/engine.ts';
import { Origins } from '../engine/origins.ts';
import { hedgeDelayMs } from '../policy/origin-health.ts';
import { OriginLoader } from './origin-loader.ts';

/** What `useOrigins` gives the facade: HTTP loaders over the configured origins, and their state. */
export interface OriginRouting {
  /** The HTTP loader the fragment loader uses in place of hls.js's own (failover and hedging). */
  fragmentHttpLoader: (hlsConfig: HlsConfig) => Loader<FragmentLoaderContext>;
  /** hls.js's `pLoader`: playlists over the origins (failover, no hedging). */
  readonly playlistLoader: PlaylistLoaderConstructor;
  /** Each origin's state and counters. */
  info(): OriginInfo[];
}

/**
 * Multi-origin HTTP for the `origins` setting: pass it to `new PeerCDN(config, { useOrigins })`
 * (bundles that do not import it carry none of its code). Emits `origin-state` on the engine.
 */
export function useOrigins(engine: Engine): OriginRouting {
  const origins = new Origins(engine.config.origins, engine.dependencies.nowMs, (event) =>
    engine.events.emit('origin-state', event),
  );
  const { playback, httpPace } = engine;
  return {
    fragmentHttpLoader: (hlsConfig) =>
      new OriginLoader<FragmentLoaderContext>(engine, origins, 'segment', hlsConfig, ({ frag }) =>
        hedgeDelayMs(
          origins.expectedMs(httpPace.typicalSegmentBytes),
          playback.secondsUntil(frag.start),
          playback.startingUp,
        ),
      ),
    playlistLoader: class PeerCDNPlaylistLoader extends OriginLoader<PlaylistLoaderContext> {
      constructor(hlsConfig: HlsConfig) {
        super(engine, origins, 'playlist', hlsConfig);
      }
    },
    info: () => origins.info(),
  };
}
