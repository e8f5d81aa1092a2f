/** What the engine reads of the player: its media element (hls.js's `hls.media`), for the playhead. */
export interface Playhead {
  readonly media: HTMLMediaElement | null;
  /** The stream's URL (hls.js's `hls.url`), when known. */
  readonly url?: string | null;
}

/** Where playback is (known only after `attach(hls)`): how soon a segment plays, whether it started. */
export class Playback {
  #playhead: Playhead | null = null;
  #startupStartSeconds: number | null = null;

  /** Follow this player's media element; null forgets it (then nothing is known). */
  follow(playhead: Playhead | null): void {
    this.#playhead = playhead;
  }

  /** The stream's URL (the master playlist's), null before `loadSource()` or without a player. */
  get streamUrl(): string | null {
    return this.#playhead?.url ?? null;
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
