// The peer table's rows: one per remote viewer, with throughput from the change of its byte
// counters, marked as just joined for a moment, and kept for a moment after it left.
import type { PeerInfo } from '../../lib/index.ts';

export type PeerRowState = 'joined' | 'connected' | 'left';

export interface PeerRow {
  readonly peerId: string;
  readonly state: PeerRowState;
  readonly receivedBytes: number;
  readonly sentBytes: number;
  readonly receiveBytesPerSecond: number;
  readonly sendBytesPerSecond: number;
  readonly connectedForMs: number;
  /** Renditions (swarms) shared with this peer right now. */
  readonly renditions: number;
}

/** A join or leave, for the activity list. */
export interface PeerChange {
  readonly peerId: string;
  readonly kind: 'joined' | 'left';
  readonly atMs: number;
}

const JOINED_HIGHLIGHT_MS = 3_000;
const LEFT_KEPT_MS = 8_000;
const RATE_WINDOW_MS = 4_000;

interface Tracked {
  row: PeerRow;
  stateSinceMs: number;
  readonly points: { atMs: number; receivedBytes: number; sentBytes: number }[];
}

export class PeerRows {
  readonly #tracked = new Map<string, Tracked>();

  /** Take the library's peer list at `nowMs`; returns the rows to show and what changed. */
  update(nowMs: number, peers: readonly PeerInfo[]): { rows: PeerRow[]; changes: PeerChange[] } {
    const changes: PeerChange[] = [];
    const present = new Set<string>();
    for (const peer of peers) {
      present.add(peer.peerId);
      let tracked = this.#tracked.get(peer.peerId);
      if (tracked === undefined || tracked.row.state === 'left') {
        changes.push({ peerId: peer.peerId, kind: 'joined', atMs: nowMs });
        tracked = {
          row: { ...rowOf(peer, 'joined'), receiveBytesPerSecond: 0, sendBytesPerSecond: 0 },
          stateSinceMs: nowMs,
          points: [],
        };
        this.#tracked.set(peer.peerId, tracked);
      }
      const points = tracked.points;
      points.push({ atMs: nowMs, receivedBytes: peer.receivedBytes, sentBytes: peer.sentBytes });
      while (points.length > 2 && nowMs - (points[1] as (typeof points)[number]).atMs >= RATE_WINDOW_MS) points.shift();
      const oldest = points[0] as (typeof points)[number];
      const seconds = (nowMs - oldest.atMs) / 1000;
      const rate = (now: number, then: number): number => (seconds > 0 ? Math.max(0, now - then) / seconds : 0);
      const state =
        tracked.row.state === 'joined' && nowMs - tracked.stateSinceMs < JOINED_HIGHLIGHT_MS ? 'joined' : 'connected';
      tracked.row = {
        ...rowOf(peer, state),
        receiveBytesPerSecond: rate(peer.receivedBytes, oldest.receivedBytes),
        sendBytesPerSecond: rate(peer.sentBytes, oldest.sentBytes),
      };
    }
    for (const [peerId, tracked] of this.#tracked) {
      if (present.has(peerId)) continue;
      if (tracked.row.state !== 'left') {
        changes.push({ peerId, kind: 'left', atMs: nowMs });
        tracked.row = { ...tracked.row, state: 'left', receiveBytesPerSecond: 0, sendBytesPerSecond: 0, renditions: 0 };
        tracked.stateSinceMs = nowMs;
        tracked.points.length = 0;
      } else if (nowMs - tracked.stateSinceMs >= LEFT_KEPT_MS) {
        this.#tracked.delete(peerId);
      }
    }
    return { rows: [...this.#tracked.values()].map((tracked) => tracked.row), changes };
  }
}

function rowOf(peer: PeerInfo, state: PeerRowState): Omit<PeerRow, 'receiveBytesPerSecond' | 'sendBytesPerSecond'> {
  return {
    peerId: peer.peerId,
    state,
    receivedBytes: peer.receivedBytes,
    sentBytes: peer.sentBytes,
    connectedForMs: peer.connectedForMs,
    renditions: peer.swarms.length,
  };
}
