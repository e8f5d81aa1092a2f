// The part of an hls.js instance `PeerCDN.attach` reads, driven by the test: its media element
// and the events it follows (emitted by the test as hls.js would).
import type { Playhead, PlayerEvents } from '../../lib/engine/playback.ts';

type Listener = (event: string, data: unknown) => void;

export interface FakePlayer extends Playhead {
  emit<E extends keyof PlayerEvents>(event: E, data: PlayerEvents[E]): void;
  /** How many listeners are registered (0 after detach). */
  readonly listenerCount: number;
}

/** A player whose events the test emits; `levelUrl` is announced as level 0 as soon as peercdn listens. */
export function fakePlayer(media: HTMLMediaElement | null = null, levelUrl?: string): FakePlayer {
  const listeners = new Map<string, Set<Listener>>();
  const player: FakePlayer = {
    media,
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as Listener);
      listeners.set(event, set);
      // hls.js loads the level playlist right after attach: announce it to the new listener.
      if (event === 'hlsLevelLoading' && levelUrl !== undefined) (listener as Listener)(event, { url: levelUrl, level: 0 });
    },
    off(event, listener) {
      listeners.get(event)?.delete(listener as Listener);
    },
    emit(event, data) {
      for (const listener of listeners.get(event) ?? []) listener(event, data);
    },
    get listenerCount() {
      let count = 0;
      for (const set of listeners.values()) count += set.size;
      return count;
    },
  };
  return player;
}
