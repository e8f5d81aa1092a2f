// The server's read side of RFC 6455: bytes from a TCP socket in, whole messages and control
// frames out. Replaces ws's Receiver (a Writable stream, several Buffer views and an options
// object per frame): one object per socket, no stream, and a frame that arrives whole in one
// chunk (the usual case for a tracker announce) is unmasked in place and decoded straight from
// the socket's chunk. No extensions are negotiated, so any RSV bit is an error.
import { isUtf8 } from 'node:buffer';
import { CLOSE_CODE, MAX_CONTROL_PAYLOAD_BYTES, OPCODE, isValidCloseCode } from './ws-frames.ts';

/** Why a frame stopped the reader; `code` is the close code to answer with. */
export interface FrameError {
  readonly code: number;
  readonly reason: string;
  /** 'message-too-large' for 1009; every other violation is 'invalid-frame'. */
  readonly kind: 'message-too-large' | 'invalid-frame';
}

/** What the reader calls; the socket connection implements it (methods, no closures). */
export interface FrameHandler {
  onText(text: string): void;
  onBinary(payload: Buffer): void;
  onPing(payload: Buffer): void;
  onPong(): void;
  /** A close frame: code 1005 when it carried none. The reader reads nothing after it. */
  onClose(code: number, reason: string): void;
  /** A protocol violation; the reader reads nothing after it. */
  onFrameError(error: FrameError): void;
}

const EMPTY = Buffer.alloc(0);

export class WebSocketFrameReader {
  readonly #handler: FrameHandler;
  readonly #maxMessageBytes: number;
  /** Bytes received but not yet a whole frame (views of the socket's chunks). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes needed before the pending ones can be parsed further. */
  #neededBytes = 0;
  /** Opcode of the fragmented message being assembled, or -1. */
  #messageOpcode = -1;
  /**
   * The fragments so far, copied (a view would keep its whole socket chunk: 2,000 one-byte
   * fragments in ~63 KB chunks held 72 MiB); grown by doubling, never past maxMessageBytes.
   */
  #message: Buffer = EMPTY;
  #messageBytes = 0;
  #stopped = false;

  constructor(handler: FrameHandler, maxMessageBytes: number) {
    this.#handler = handler;
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** True once a close frame or an error ended reading. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Feed bytes as they arrive; the chunk is unmasked in place, so it must not be used elsewhere. */
  push(chunk: Buffer): void {
    if (this.#stopped || chunk.length === 0) return;
    let data = chunk;
    if (this.#pendingBytes > 0) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes < this.#neededBytes) return;
      data = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    const end = data.length;
    let offset = 0;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- #frame() may stop the reader
    while (offset < end && !this.#stopped) {
      const consumed = this.#frame(data, offset, end);
      if (consumed === 0) {
        this.#pending.push(offset === 0 ? data : data.subarray(offset));
        this.#pendingBytes = end - offset;
        return;
      }
      offset += consumed;
    }
  }

  /** Forget buffered bytes and read nothing more. Idempotent. */
  destroy(): void {
    this.#stopped = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#message = EMPTY;
  }

  /** Parse one frame at `offset`; the bytes it used, or 0 (and #neededBytes set) when incomplete. */
  #frame(data: Buffer, offset: number, end: number): number {
    const available = end - offset;
    if (available < 2) return this.#need(2);
    const first = data[offset] as number;
    const second = data[offset + 1] as number;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if ((first & 0x70) !== 0) return this.#fail(CLOSE_CODE.protocolError, 'RSV bits set without an extension');
    // RFC 6455 section 5.3: a client must mask every frame; a server must close otherwise.
    if ((second & 0x80) === 0) return this.#fail(CLOSE_CODE.protocolError, 'frame not masked');
    const isControl = opcode >= 0x8;
    if (isControl) {
      if (opcode > OPCODE.pong) return this.#fail(CLOSE_CODE.protocolError, `reserved opcode ${opcode}`);
      if (!fin) return this.#fail(CLOSE_CODE.protocolError, 'fragmented control frame');
    } else if (opcode > OPCODE.binary) return this.#fail(CLOSE_CODE.protocolError, `reserved opcode ${opcode}`);
    let payloadBytes = second & 0x7f;
    let headerBytes = 6;
    if (payloadBytes === 126) {
      headerBytes = 8;
      if (available < headerBytes) return this.#need(headerBytes);
      payloadBytes = data.readUInt16BE(offset + 2);
    } else if (payloadBytes === 127) {
      headerBytes = 14;
      if (available < headerBytes) return this.#need(headerBytes);
      const high = data.readUInt32BE(offset + 2);
      if (high >= 0x80000000)
        return this.#fail(CLOSE_CODE.protocolError, 'payload length with the most significant bit set');
      if (high !== 0) return this.#tooBig();
      payloadBytes = data.readUInt32BE(offset + 6);
    }
    if (isControl && payloadBytes > MAX_CONTROL_PAYLOAD_BYTES)
      return this.#fail(CLOSE_CODE.protocolError, 'control frame over 125 bytes');
    if (!isControl) {
      if (opcode === OPCODE.continuation) {
        if (this.#messageOpcode === -1)
          return this.#fail(CLOSE_CODE.protocolError, 'continuation frame without a message');
      } else if (this.#messageOpcode !== -1)
        return this.#fail(CLOSE_CODE.protocolError, 'new message before the previous one ended');
      // Checked at the header, so an oversized frame is never buffered.
      if (this.#messageBytes + payloadBytes > this.#maxMessageBytes) return this.#tooBig();
    }
    if (available < headerBytes + payloadBytes) return this.#need(headerBytes + payloadBytes);
    const start = offset + headerBytes;
    const stop = start + payloadBytes;
    unmask(data, offset + headerBytes - 4, start, stop);
    if (isControl) this.#control(opcode, data, start, stop);
    else this.#data(fin, opcode, data, start, stop);
    return headerBytes + payloadBytes;
  }

  #data(fin: boolean, opcode: number, data: Buffer, start: number, stop: number): void {
    if (fin && opcode !== OPCODE.continuation) {
      this.#deliver(opcode, data, start, stop);
      return;
    }
    if (opcode !== OPCODE.continuation) this.#messageOpcode = opcode;
    this.#append(data, start, stop);
    if (!fin) return;
    const message = this.#message;
    const messageBytes = this.#messageBytes;
    const messageOpcode = this.#messageOpcode;
    this.#message = EMPTY;
    this.#messageBytes = 0;
    this.#messageOpcode = -1;
    this.#deliver(messageOpcode, message, 0, messageBytes);
  }

  /** Copy a fragment's payload after the message so far (the header check keeps it within maxMessageBytes). */
  #append(data: Buffer, start: number, stop: number): void {
    const bytes = this.#messageBytes + stop - start;
    if (bytes > this.#message.length) {
      const grown = Buffer.allocUnsafeSlow(
        Math.min(this.#maxMessageBytes, Math.max(bytes, 2 * this.#message.length, 256)),
      );
      this.#message.copy(grown, 0, 0, this.#messageBytes);
      this.#message = grown;
    }
    data.copy(this.#message, this.#messageBytes, start, stop);
    this.#messageBytes = bytes;
  }

  #deliver(opcode: number, data: Buffer, start: number, stop: number): void {
    if (opcode === OPCODE.binary) {
      this.#handler.onBinary(data.subarray(start, stop));
      return;
    }
    const whole = start === 0 && stop === data.length;
    if (!isUtf8(whole ? data : data.subarray(start, stop))) {
      this.#fail(CLOSE_CODE.invalidPayload, 'text frame is not valid UTF-8');
      return;
    }
    this.#handler.onText(data.toString('utf8', start, stop));
  }

  #control(opcode: number, data: Buffer, start: number, stop: number): void {
    if (opcode === OPCODE.ping) {
      this.#handler.onPing(stop > start ? Buffer.from(data.subarray(start, stop)) : EMPTY);
    } else if (opcode === OPCODE.pong) {
      this.#handler.onPong();
    } else {
      this.#closeFrame(data, start, stop);
    }
  }

  #closeFrame(data: Buffer, start: number, stop: number): void {
    const bytes = stop - start;
    if (bytes === 0) {
      this.destroy();
      this.#handler.onClose(CLOSE_CODE.noStatus, '');
      return;
    }
    if (bytes === 1) {
      this.#fail(CLOSE_CODE.protocolError, 'close frame with a 1-byte payload');
      return;
    }
    const code = data.readUInt16BE(start);
    if (!isValidCloseCode(code)) {
      this.#fail(CLOSE_CODE.protocolError, `invalid close code ${code}`);
      return;
    }
    if (!isUtf8(data.subarray(start + 2, stop))) {
      this.#fail(CLOSE_CODE.invalidPayload, 'close reason is not valid UTF-8');
      return;
    }
    const reason = data.toString('utf8', start + 2, stop);
    this.destroy();
    this.#handler.onClose(code, reason);
  }

  #need(bytes: number): 0 {
    this.#neededBytes = bytes;
    return 0;
  }

  #tooBig(): number {
    return this.#fail(CLOSE_CODE.messageTooBig, `message over ${this.#maxMessageBytes} bytes`, 'message-too-large');
  }

  /** Stop reading and report; returns 1 so the parse loop ends (it checks #stopped). */
  #fail(code: number, reason: string, kind: FrameError['kind'] = 'invalid-frame'): number {
    this.destroy();
    this.#handler.onFrameError({ code, reason, kind });
    return 1;
  }
}

/** XOR bytes start..stop with the 4-byte key at keyOffset (RFC 6455 section 5.3), in place. */
function unmask(data: Buffer, keyOffset: number, start: number, stop: number): void {
  const k0 = data[keyOffset] as number;
  const k1 = data[keyOffset + 1] as number;
  const k2 = data[keyOffset + 2] as number;
  const k3 = data[keyOffset + 3] as number;
  if ((k0 | k1 | k2 | k3) === 0) return;
  let i = start;
  const last4 = stop - 3;
  for (; i < last4; i += 4) {
    data[i] = (data[i] as number) ^ k0;
    data[i + 1] = (data[i + 1] as number) ^ k1;
    data[i + 2] = (data[i + 2] as number) ^ k2;
    data[i + 3] = (data[i + 3] as number) ^ k3;
  }
  // At most 3 bytes remain, at key positions 0, 1, 2.
  for (let j = 0; i < stop; i++, j++) data[i] = (data[i] as number) ^ (j === 0 ? k0 : j === 1 ? k1 : k2);
}
