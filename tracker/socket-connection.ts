// One WebSocket as the core sees it, and the write batching shared by all of them. Built for
// ~20,000 sockets in one process: a connection is one object with methods on its prototype (no
// per-socket closures), and frames for one socket within one event-loop turn leave in one write
// of one Buffer.
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
 * Writing each frame at once would be one system call per message, and corking the socket still
 * costs a stream entry per piece and a writev that encodes each piece. Instead a connection queues
 * its frames, and this flushes every connection that queued something in setImmediate, after the
 * turn's I/O callbacks: each socket gets its turn's frames encoded into one Buffer, one write.
 */
export class TurnWriteBatcher {
  #queued: SocketConnection[] = [];
  readonly #flush = (): void => {
    const queued = this.#queued;
    this.#queued = [];
    for (const connection of queued) connection.flush();
  };

  /** Called when a connection queues its first frame of the turn. */
  hold(connection: SocketConnection): void {
    if (this.#queued.length === 0) setImmediate(this.#flush);
    this.#queued.push(connection);
  }
}

/** Bytes of a text frame header (RFC 6455 section 5.2) for a payload of `payloadBytes`. */
export function textFrameHeaderBytes(payloadBytes: number): number {
  return payloadBytes < 126 ? 2 : payloadBytes < 0x10000 ? 4 : 10;
}

/** Writes the header of an unmasked, final text frame into `target` at `offset`; returns the offset after it. */
export function writeTextFrameHeader(target: Buffer, offset: number, payloadBytes: number): number {
  target[offset] = 0x81;
  if (payloadBytes < 126) {
    target[offset + 1] = payloadBytes;
    return offset + 2;
  }
  if (payloadBytes < 0x10000) {
    target[offset + 1] = 126;
    target.writeUInt16BE(payloadBytes, offset + 2);
    return offset + 4;
  }
  // 64-bit length; frames are far below 2^32 bytes (maxMessageBytes and the SDP limit bound them).
  target[offset + 1] = 127;
  target.writeUInt32BE(0, offset + 2);
  target.writeUInt32BE(payloadBytes, offset + 6);
  return offset + 10;
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
  readonly #tcp: Socket;
  readonly #hub: ConnectionHub;
  readonly #reader: WebSocketFrameReader;
  #state: State = 'open';
  /** Frames (text, or whole control frames) waiting for this turn's flush, with each text frame's payload bytes. */
  #queue: (OutgoingFrame | Buffer)[] | null = null;
  #payloadBytes: number[] = [];
  /** Bytes the queue will take on the wire, headers included. */
  #queuedBytes = 0;
  /** Where the queue holds a pong, -1 when it holds none: a later ping's pong replaces it. */
  #pongAt = -1;
  /** When the outstanding ping was sent, -1 when none is (kept by heartbeat.ts). */
  pingSentMs = -1;
  /**
   * The client completed a frame since the heartbeat's last visit (which clears it): no ping needed.
   * Bytes alone do not count: a client trickling one frame that never ends cannot answer a ping
   * (a pong is a frame of its own), so it is pinged and dropped like a silent one.
   */
  heard = false;

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

  /** Queues a text frame for this turn's write; its pieces are encoded only then, straight into the socket's one Buffer. */
  send(frame: OutgoingFrame): void {
    if (this.#state !== 'open' || this.#droppedAsSlow()) return;
    let payloadBytes = 0;
    if (typeof frame === 'string') payloadBytes = Buffer.byteLength(frame);
    else for (const piece of frame) payloadBytes += Buffer.byteLength(piece);
    this.#enqueue(frame, payloadBytes, textFrameHeaderBytes(payloadBytes) + payloadBytes);
  }

  ping(): void {
    if (this.#state === 'open' && !this.#droppedAsSlow()) this.#enqueue(PING_FRAME, 0, PING_FRAME.length);
  }

  /** Start the closing handshake: send a close frame, end our side, destroy if the peer lingers. */
  close(code: number, reason: string): void {
    if (this.#state !== 'open') return;
    this.flush();
    this.#state = 'closing';
    this.#tcp.write(closeFrame(code, reason));
    this.#end();
  }

  /** Destroy the TCP socket without a close frame. Idempotent. */
  terminate(): void {
    this.#state = 'closed';
    this.#dropQueue();
    this.#reader.destroy();
    this.#tcp.destroy();
  }

  /** The TCP socket closed: nothing more is read or written. */
  socketClosed(): void {
    this.#state = 'closed';
    this.#dropQueue();
    this.#reader.destroy();
  }

  /** Write everything queued as one Buffer (TurnWriteBatcher calls this once per turn). */
  flush(): void {
    const queue = this.#queue;
    if (queue === null) return;
    const lengths = this.#payloadBytes;
    const buffer = Buffer.allocUnsafe(this.#queuedBytes);
    this.#dropQueue();
    if (this.#state !== 'open') return;
    let offset = 0;
    for (let i = 0; i < queue.length; i++) {
      const frame = queue[i] as OutgoingFrame | Buffer;
      if (Buffer.isBuffer(frame)) {
        offset += frame.copy(buffer, offset);
        continue;
      }
      offset = writeTextFrameHeader(buffer, offset, lengths[i] ?? 0);
      if (typeof frame === 'string') offset += buffer.write(frame, offset);
      else for (const piece of frame) offset += buffer.write(piece, offset);
    }
    this.#tcp.write(buffer);
  }

  onText(text: string): void {
    this.heard = true;
    if (this.#state === 'open') this.#hub.message(this, text);
  }

  onBinary(): void {
    this.#hub.drop('binary-frame', this.id);
    this.close(CLOSE_CODE.unsupportedData, 'text frames only');
  }

  onPing(payload: Buffer): void {
    this.heard = true;
    if (this.#state !== 'open' || this.#droppedAsSlow()) return;
    const pong = controlFrame(OPCODE.pong, payload);
    // RFC 6455 section 5.5.3: pings not answered yet may get one pong, for the most recent. A client
    // that sends pings and never reads gets one pong per write, not one per ping (80 MiB of pings
    // queued 89 MiB of pongs).
    if (this.#queue !== null && this.#pongAt !== -1) {
      const queued = this.#queue[this.#pongAt] as Buffer;
      this.#queue[this.#pongAt] = pong;
      this.#queuedBytes += pong.length - queued.length;
      return;
    }
    this.#pongAt = this.#queue?.length ?? 0;
    this.#enqueue(pong, 0, pong.length);
  }

  onPong(): void {
    this.heard = true;
    this.pingSentMs = -1;
  }

  /** The peer's close frame: echo its code (RFC 6455 section 5.5.1) unless we sent ours, then end the TCP connection. */
  onClose(code: number): void {
    if (this.#state === 'open') {
      this.flush();
      this.#state = 'closing';
      this.#tcp.write(closeFrame(code === CLOSE_CODE.noStatus ? null : code, ''));
    }
    this.#end();
  }

  onFrameError(error: FrameError): void {
    this.#hub.drop(error.kind, this.id);
    this.close(error.code, error.reason);
  }

  #enqueue(frame: OutgoingFrame | Buffer, payloadBytes: number, wireBytes: number): void {
    if (this.#queue === null) {
      this.#queue = [];
      this.#hub.batcher.hold(this);
    }
    this.#queue.push(frame);
    this.#payloadBytes.push(payloadBytes);
    this.#queuedBytes += wireBytes;
  }

  #dropQueue(): void {
    if (this.#queue === null) return;
    this.#queue = null;
    this.#payloadBytes = [];
    this.#queuedBytes = 0;
    this.#pongAt = -1;
  }

  /**
   * A client that stops reading would otherwise make the tracker buffer its offers (and pongs)
   * forever: every frame queued counts, and past MAX_BUFFERED_BYTES the connection is dropped.
   */
  #droppedAsSlow(): boolean {
    if (this.#tcp.writableLength + this.#queuedBytes <= MAX_BUFFERED_BYTES) return false;
    this.#hub.drop('slow-reader', this.id);
    this.terminate();
    return true;
  }

  #end(): void {
    // The server's 'timeout' listener destroys a peer that never finishes closing.
    this.#tcp.setTimeout(CLOSE_TIMEOUT_MS);
    this.#tcp.end();
  }
}
