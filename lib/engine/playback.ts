/** The fields of an hls.js fragment that name its segment. */
export interface PlayerFragment {
  readonly sn: number | 'initSegment';
  readonly level: number;
  readonly type: string;
  readonly baseurl: string;
}

/** The hls.js events peercdn follows, with the fields it reads. */
export interface PlayerEvents {
  /** A rendition's playlist is requested: join its swarm, fetch its hash manifest. */
  hlsLevelLoading: { readonly url: string; readonly level: number };
  /** A segment was parsed and appended: an unverified peer segment may be shared now. */
  hlsFragBuffered: { readonly frag: PlayerFragment };
  /** Parse and append errors blame the peer that sent an unverified segment. */
  hlsError: { readonly details: string; readonly frag?: PlayerFragment | undefined };
}

/** What peercdn reads from hls.js's instance: its `media` element, and events it follows. */
export interface Playhead {
  readonly media: HTMLMediaElement | null;
  on?<E extends keyof PlayerEvents>(event: E, listener: (event: E, data: PlayerEvents[E]) => void): void;
  off?<E extends keyof PlayerEvents>(event: E, listener: (event: E, data: PlayerEvents[E]) => void): void;
}

/** Where playback is (known only after `attach(hls)`): how soon a segment plays, whether it started. */
export class Playback {
  #playhead: Playhead | null = null;
  #startupStartSeconds: number | null = null;

  /** Follow this player's media element; null forgets it (then nothing is known). */
  follow(playhead: Playhead | null): void {
    this.#playhead = playhead;
  }

  /** Whether playback has yet to start (false when the playhead is unknown). */
  get startingUp(): boolean {
    const media = this.#media();
    return media !== null && media.readyState === 0;
  }

  /** Seconds of playback until media time `startSeconds` is reached; null when unknown. */
  secondsUntil(startSeconds: number): number | null {
    const media = this.#media();
    if (media === null) return null;
    if (media.readyState === 0) {
      // Before the first segment is buffered, playback will start at the first segment asked for.
      this.#startupStartSeconds ??= startSeconds;
      return startSeconds - this.#startupStartSeconds;
    }
    this.#startupStartSeconds = null;
    return (startSeconds - media.currentTime) / (media.playbackRate > 0 ? media.playbackRate : 1);
  }

  /** Whether media time `startSeconds` lies more than `keepSeconds` behind the playhead. */
  isBehind(startSeconds: number, keepSeconds: number): boolean {
    const media = this.#media();
    if (media === null || media.readyState === 0) return false;
    return startSeconds + keepSeconds < media.currentTime;
  }

  #media(): HTMLMediaElement | null {
    return this.#playhead?.media ?? null;
  }
}
