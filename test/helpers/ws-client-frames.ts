// Client-side WebSocket frames built byte by byte (RFC 6455 section 5.2), for tests of the
// tracker's frame reader: any opcode, RSV bits, mask, and the length encoding to use.
import type { FrameError, FrameHandler } from '../../tracker/ws-frame-reader.ts';

export interface ClientFrame {
  readonly opcode: number;
  readonly payload?: Buffer | string;
  readonly fin?: boolean;
  /** Four bytes; null sends the frame unmasked. Default 0x37 0xfa 0x21 0x3d (RFC 6455 section 5.7). */
  readonly mask?: readonly number[] | null;
  readonly rsv?: number;
  /** Force the 16-bit or 64-bit length form for a short payload. */
  readonly lengthForm?: 7 | 16 | 64;
}

const RFC_MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

export function clientFrame(frame: ClientFrame): Buffer {
  const payload =
    typeof frame.payload === 'string' ? Buffer.from(frame.payload, 'utf8') : (frame.payload ?? Buffer.alloc(0));
  const mask = frame.mask === undefined ? RFC_MASK : frame.mask;
  const form = frame.lengthForm ?? (payload.length < 126 ? 7 : payload.length < 0x10000 ? 16 : 64);
  const lengthBytes = form === 7 ? 0 : form === 16 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask === null ? 0 : 4));
  header[0] = ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | frame.opcode;
  const maskBit = mask === null ? 0 : 0x80;
  if (form === 7) header[1] = maskBit | payload.length;
  else if (form === 16) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  if (mask === null) return Buffer.concat([header, payload]);
  header.set(mask, 2 + lengthBytes);
  const masked = Buffer.from(payload.map((byte, index) => byte ^ (mask[index % 4] ?? 0)));
  return Buffer.concat([header, masked]);
}

export type ReaderEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'binary'; readonly hex: string }
  | { readonly type: 'ping'; readonly hex: string }
  | { readonly type: 'pong' }
  | { readonly type: 'close'; readonly code: number; readonly reason: string }
  | { readonly type: 'error'; readonly code: number; readonly kind: FrameError['kind'] };

/** A FrameHandler that records what the reader reported, in order. */
export class RecordingHandler implements FrameHandler {
  readonly events: ReaderEvent[] = [];
  onText(text: string): void {
    this.events.push({ type: 'text', text });
  }
  onBinary(payload: Buffer): void {
    this.events.push({ type: 'binary', hex: payload.toString('hex') });
  }
  onPing(payload: Buffer): void {
    this.events.push({ type: 'ping', hex: payload.toString('hex') });
  }
  onPong(): void {
    this.events.push({ type: 'pong' });
  }
  onClose(code: number, reason: string): void {
    this.events.push({ type: 'close', code, reason });
  }
  onFrameError(error: FrameError): void {
    this.events.push({ type: 'error', code: error.code, kind: error.kind });
  }
}
