// One WebSocket as the core sees it, and the write batching shared by all of them. Built for
// ~20,000 sockets in one process: a connection is one object with methods on its prototype (no
// per-socket closures), and frames for one socket within one event-loop turn leave in one write.
import type { Socket } from 'node:net';
import type { ConnectionDropReason } from './connection-gate.ts';
import type { HeartbeatTarget } from './heartbeat.ts';
import type { OutgoingFrame } from './protocol.ts';
import type { TrackerConnection } from './swarm.ts';
import { WebSocketFrameReader, type FrameError, type FrameHandler } from './ws-frame-reader.ts';
import { CLOSE_CODE, OPCODE, PING_FRAME, closeFrame, controlFrame } from './ws-frames.ts';

/** Unsent bytes one socket may hold before it is dropped as not reading. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Writing each frame at once would be one system call per message. This corks a socket
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
  return String.fromCharCode(
    0x81,
    127,
    0,
    0,
    0,
    0,
    payloadBytes >>> 24,
    (payloadBytes >>> 16) & 0xff,
    (payloadBytes >>> 8) & 0xff,
    payloadBytes & 0xff,
  );
}

/** What every connection of one server shares: one object, referenced by each connection. */
export interface ConnectionHub {
  readonly batcher: TurnWriteBatcher;
  /** Largest message a connection's reader accepts (1009 beyond). */
  readonly maxMessageBytes: number;
  /** A whole text message from the connection, valid UTF-8. */
  message(connection: SocketConnection, text: string): void;
  drop(reason: ConnectionDropReason, connectionId: number): void;
}

/** A closing socket whose peer does not finish the close handshake is destroyed after this long. */
export const CLOSE_TIMEOUT_MS = 10_000;

type State = 'open' | 'closing' | 'closed';

export class SocketConnection implements TrackerConnection, FrameHandler, HeartbeatTarget {
  readonly id: number;
  readonly address: string;
  /** The client's region (region.ts), set once at the upgrade. */
  region: string | null = null;
  /** The TCP socket from the HTTP upgrade, corked while frames are batched. */
  readonly #tcp: Socket;
  readonly #hub: ConnectionHub;
  readonly #reader: WebSocketFrameReader;
  #state: State = 'open';
  #corked = false;
  /** When the outstanding ping was sent, -1 when none is (kept by heartbeat.ts). */
  pingSentMs = -1;

  constructor(id: number, address: string, tcp: Socket, hub: ConnectionHub) {
    this.id = id;
    this.address = address;
    this.#tcp = tcp;
    this.#hub = hub;
    this.#reader = new WebSocketFrameReader(this, hub.maxMessageBytes);
  }

  /** Bytes from the TCP socket (the chunk is unmasked in place). */
  receive(chunk: Buffer): void {
    this.#reader.push(chunk);
  }

  /** Writes the frame's header and text straight to the corked TCP socket: no Buffer is built for a frame in pieces. */
  send(frame: OutgoingFrame): void {
    if (this.#state !== 'open') return;
    // A client that stops reading would otherwise make the tracker buffer its offers forever.
    const tcp = this.#tcp;
    if (tcp.writableLength > MAX_BUFFERED_BYTES) {
      this.#hub.drop('slow-reader', this.id);
      this.terminate();
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
    if (this.#state !== 'open') return;
    this.#cork();
    this.#tcp.write(PING_FRAME);
  }

  /** Start the closing handshake: send a close frame, end our side, destroy if the peer lingers. */
  close(code: number, reason: string): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#tcp.write(closeFrame(code, reason));
    this.#end();
  }

  /** Destroy the TCP socket without a close frame. Idempotent. */
  terminate(): void {
    this.#state = 'closed';
    this.#reader.destroy();
    this.#tcp.destroy();
  }

  /** The TCP socket closed: nothing more is read or written. */
  socketClosed(): void {
    this.#state = 'closed';
    this.#reader.destroy();
  }

  uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#tcp.uncork();
  }

  onText(text: string): void {
    if (this.#state === 'open') this.#hub.message(this, text);
  }

  onBinary(): void {
    this.#hub.drop('binary-frame', this.id);
    this.close(CLOSE_CODE.unsupportedData, 'text frames only');
  }

  onPing(payload: Buffer): void {
    if (this.#state !== 'open') return;
    this.#cork();
    this.#tcp.write(controlFrame(OPCODE.pong, payload));
  }

  onPong(): void {
    this.pingSentMs = -1;
  }

  /** The peer's close frame: echo its code (RFC 6455 section 5.5.1) unless we sent ours, then end the TCP connection. */
  onClose(code: number): void {
    if (this.#state === 'open') {
      this.#state = 'closing';
      this.#tcp.write(closeFrame(code === CLOSE_CODE.noStatus ? null : code, ''));
    }
    this.#end();
  }

  onFrameError(error: FrameError): void {
    this.#hub.drop(error.kind, this.id);
    this.close(error.code, error.reason);
  }

  #end(): void {
    // end() flushes a corked socket; the server's 'timeout' listener destroys a peer that never closes.
    this.#tcp.setTimeout(CLOSE_TIMEOUT_MS);
    this.#tcp.end();
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#tcp.cork();
    this.#hub.batcher.hold(this);
  }
}
