// The part of an hls.js instance `PeerCDN.attach` reads, driven by the test: its media element
// and the events it follows (emitted by the test as hls.js would).
import type {
  AttachableHls,
  FragBufferedListener,
  LevelLoadingListener,
  ManifestLoadingListener,
  PlayerErrorListener,
} from '../../lib/peercdn.ts';

interface EventData {
  hlsLevelLoading: Parameters<LevelLoadingListener>[1];
  hlsFragBuffered: Parameters<FragBufferedListener>[1];
  hlsError: Parameters<PlayerErrorListener>[1];
  hlsManifestLoading: Parameters<ManifestLoadingListener>[1];
}
type Listener = (event: string, data: never) => void;

export interface FakePlayer extends AttachableHls {
  emit<E extends keyof EventData>(event: E, data: EventData[E]): void;
  /** How many listeners are registered (0 after detach). */
  readonly listenerCount: number;
}

/** A player whose events the test emits; `levelUrl` is announced as level 0 as soon as peercdn listens. */
export function fakePlayer(media: HTMLMediaElement | null = null, levelUrl?: string): FakePlayer {
  const listeners = new Map<string, Set<Listener>>();
  const on = (event: string, listener: Listener): void => {
    const set = listeners.get(event) ?? new Set();
    set.add(listener);
    listeners.set(event, set);
    // hls.js loads the level playlist right after attach: announce it to the new listener.
    if (event === 'hlsLevelLoading' && levelUrl !== undefined)
      (listener as LevelLoadingListener)(event, { url: levelUrl });
  };
  const off = (event: string, listener: Listener): void => {
    listeners.get(event)?.delete(listener);
  };
  return {
    media,
    on: on,
    off: off,
    emit(event, data) {
      for (const listener of listeners.get(event) ?? [])
        (listener as (event: string, data: unknown) => void)(event, data);
    },
    get listenerCount() {
      let count = 0;
      for (const set of listeners.values()) count += set.size;
      return count;
    },
  };
}
