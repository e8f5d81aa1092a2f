// How the demo page writes numbers: bytes, rates, shares, durations, peer ids.

const UNITS = ['B', 'KiB', 'MiB', 'GiB'] as const;

/** `0 B`, `640 KiB`, `3.4 MiB`: three significant digits at most. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** A share 0..1 as a percentage; a dash when there is nothing to share. */
export function formatShare(share: number | null): string {
  return share === null ? '–' : `${Math.round(share * 100)}%`;
}

/** `8 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Axis label for seconds since the page started: `0`, `45 s`, `2 min`, `2:30`. */
export function formatElapsed(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  return rest === 0 ? `${minutes} min` : `${minutes}:${String(rest).padStart(2, '0')}`;
}

/** The random part of a peer id (peercdn ids start with a fixed client prefix). */
export function shortPeerId(peerId: string): string {
  return peerId.slice(-6);
}

/** A stable hue for a peer id, so each peer keeps its colour on every page. */
export function peerHue(peerId: string): number {
  let hash = 0;
  for (let i = 0; i < peerId.length; i++) hash = (Math.imul(hash, 31) + peerId.charCodeAt(i)) >>> 0;
  return hash % 360;
}
