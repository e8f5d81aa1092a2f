// The demo's time series: cumulative byte counters sampled about once a second, bounded in
// memory (older samples are thinned), and what the charts and tiles derive from them.

/** Cumulative counters at one moment. */
export interface Sample {
  readonly atMs: number;
  readonly httpBytes: number;
  readonly p2pBytes: number;
  readonly uploadedBytes: number;
}

/** Bytes per second over a window ending at a sample. */
export interface Rates {
  readonly atMs: number;
  readonly httpBytesPerSecond: number;
  readonly p2pBytesPerSecond: number;
  readonly uploadedBytesPerSecond: number;
}

const DEFAULT_MAX_SAMPLES = 240;

export class History {
  readonly #maxSamples: number;
  #samples: Sample[] = [];

  constructor(maxSamples = DEFAULT_MAX_SAMPLES) {
    if (!Number.isInteger(maxSamples) || maxSamples < 4) throw new RangeError('maxSamples must be an integer >= 4');
    this.#maxSamples = maxSamples;
  }

  get samples(): readonly Sample[] {
    return this.#samples;
  }

  /** Record a sample; when full, every other sample of the older half goes (the curve keeps its shape). */
  add(sample: Sample): void {
    const last = this.#samples.at(-1);
    if (last !== undefined && sample.atMs <= last.atMs) return;
    this.#samples.push(sample);
    if (this.#samples.length <= this.#maxSamples) return;
    const half = Math.floor(this.#samples.length / 2);
    const older = this.#samples.slice(0, half).filter((_, index) => index % 2 === 0);
    this.#samples = [...older, ...this.#samples.slice(half)];
  }

  /** Share of received bytes that came from peers since the first sample; null before any byte. */
  offloadSinceStart(): number | null {
    const last = this.#samples.at(-1);
    return last === undefined ? null : share(last.p2pBytes, last.httpBytes);
  }

  /** Share of bytes received in the last `windowMs` that came from peers; null when none came. */
  offloadWithin(windowMs: number): number | null {
    const last = this.#samples.at(-1);
    const first = last === undefined ? undefined : this.#sampleBefore(last.atMs - windowMs);
    if (last === undefined || first === undefined) return null;
    return share(last.p2pBytes - first.p2pBytes, last.httpBytes - first.httpBytes);
  }

  /** Rates at every sample, each averaged over the `windowMs` before it (the first sample: zero). */
  rates(windowMs: number): Rates[] {
    return this.#samples.map((sample, index) => {
      let start = index;
      while (start > 0 && sample.atMs - (this.#samples[start - 1] as Sample).atMs <= windowMs) start -= 1;
      if (start === index && index > 0) start = index - 1; // thinned history: at least the previous sample
      const from = this.#samples[start] as Sample;
      const seconds = (sample.atMs - from.atMs) / 1000;
      const rate = (now: number, then: number): number => (seconds > 0 ? Math.max(0, now - then) / seconds : 0);
      return {
        atMs: sample.atMs,
        httpBytesPerSecond: rate(sample.httpBytes, from.httpBytes),
        p2pBytesPerSecond: rate(sample.p2pBytes, from.p2pBytes),
        uploadedBytesPerSecond: rate(sample.uploadedBytes, from.uploadedBytes),
      };
    });
  }

  // The latest sample at or before `atMs`, else the oldest one.
  #sampleBefore(atMs: number): Sample | undefined {
    let found = this.#samples[0];
    for (const sample of this.#samples) {
      if (sample.atMs > atMs) break;
      found = sample;
    }
    return found;
  }
}

function share(p2pBytes: number, httpBytes: number): number | null {
  const total = p2pBytes + httpBytes;
  return total > 0 ? p2pBytes / total : null;
}
