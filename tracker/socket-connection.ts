// One WebSocket as the core sees it, and the write batching shared by all of them. Built for
// ~20,000 sockets in one process: a connection is one object with methods on its prototype (no
// per-socket closures), and frames for one socket within one event-loop turn leave in one write.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ConnectionDropReason } from './connection-gate.ts';
import type { HeartbeatTarget } from './heartbeat.ts';
import type { OutgoingFrame } from './protocol.ts';
import type { TrackerConnection } from './swarm.ts';

/** Unsent bytes one socket may hold before it is dropped as not reading. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * ws writes every frame to its socket at once: one system call per message. This corks a socket
 * at its first frame in a turn and uncorks every corked socket in setImmediate, after the turn's
 * I/O callbacks, so that all frames a socket got in the turn go out in one writev.
 */
export class TurnWriteBatcher {
  #corked: SocketConnection[] = [];
  readonly #flush = (): void => {
    const corked = this.#corked;
    this.#corked = [];
    for (const connection of corked) connection.uncork();
  };

  /** Called before a frame is written; corks the socket for the rest of this turn. */
  hold(connection: SocketConnection): void {
    if (this.#corked.length === 0) setImmediate(this.#flush);
    this.#corked.push(connection);
  }
}

/**
 * The header of an unmasked, final text frame (RFC 6455 section 5.2) carrying `payloadBytes`, as
 * a latin-1 string: one small string instead of a Buffer view.
 */
export function textFrameHeader(payloadBytes: number): string {
  if (payloadBytes < 126) return String.fromCharCode(0x81, payloadBytes);
  if (payloadBytes < 0x10000) return String.fromCharCode(0x81, 126, payloadBytes >>> 8, payloadBytes & 0xff);
  // 64-bit length; frames are far below 2^32 bytes (maxMessageBytes and the SDP limit bound them).
  return String.fromCharCode(0x81, 127, 0, 0, 0, 0, payloadBytes >>> 24, (payloadBytes >>> 16) & 0xff, (payloadBytes >>> 8) & 0xff, payloadBytes & 0xff);
}

/** What every connection of one server shares: one object, referenced by each connection. */
export interface ConnectionHub {
  readonly batcher: TurnWriteBatcher;
  drop(reason: ConnectionDropReason, connectionId: number): void;
}

export class SocketConnection implements TrackerConnection, HeartbeatTarget {
  readonly id: number;
  readonly address: string;
  readonly socket: WebSocket;
  /** The TCP socket under `socket` (from the HTTP upgrade), corked while frames are batched. */
  readonly #tcp: Duplex;
  readonly #hub: ConnectionHub;
  #corked = false;
  /** When the outstanding ping was sent, -1 when none is (kept by heartbeat.ts). */
  pingSentMs = -1;

  constructor(id: number, address: string, socket: WebSocket, tcp: Duplex, hub: ConnectionHub) {
    this.id = id;
    this.address = address;
    this.socket = socket;
    this.#tcp = tcp;
    this.#hub = hub;
  }

  /**
   * Writes the frame's header and text straight to the corked TCP socket rather than through
   * ws's send, which builds two option objects, a header Buffer and a list per frame and, for a
   * frame in pieces, would need them joined. Safe beside ws's own writes (pings, pongs, close):
   * without permessage-deflate ws writes every frame synchronously in call order too, and its
   * bufferedAmount counts these bytes.
   */
  send(frame: OutgoingFrame): void {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return;
    // A client that stops reading would otherwise make the tracker buffer its offers forever.
    // (ws's bufferedAmount is this plus its sender's queue, which stays empty without compression.)
    const tcp = this.#tcp;
    if (tcp.writableLength > MAX_BUFFERED_BYTES) {
      this.#hub.drop('slow-reader', this.id);
      socket.terminate();
      return;
    }
    this.#cork();
    if (typeof frame === 'string') {
      tcp.write(textFrameHeader(Buffer.byteLength(frame)), 'latin1');
      tcp.write(frame);
      return;
    }
    let payloadBytes = 0;
    for (const piece of frame) payloadBytes += Buffer.byteLength(piece);
    tcp.write(textFrameHeader(payloadBytes), 'latin1');
    for (const piece of frame) tcp.write(piece);
  }

  ping(): void {
    this.#cork();
    this.socket.ping();
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#tcp.uncork();
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#tcp.cork();
    this.#hub.batcher.hold(this);
  }
}
