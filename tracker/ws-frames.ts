// RFC 6455 constants the tracker's WebSocket layer shares: opcodes, close codes, and the encoding
// of the control frames the server sends (close, ping, pong). Text frames are written by
// socket-connection.ts as a header string plus the text pieces.

/** Frame opcodes (RFC 6455 section 5.2). */
export const OPCODE = Object.freeze({ continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa });

/** Close codes the server sends (RFC 6455 section 7.4.1). */
export const CLOSE_CODE = Object.freeze({
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  /** Received-only: a close frame without a code. Never sent on the wire. */
  noStatus: 1005,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
});

/** Control frames carry at most this many payload bytes (RFC 6455 section 5.5). */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;

/**
 * Whether a peer may send this code in a close frame (RFC 6455 section 7.4: 1004-1006 and 1015
 * are reserved and must not appear on the wire; 1016-2999 are unassigned; 3000-4999 are for
 * libraries and applications).
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  );
}

/** An unmasked, final control frame; `payload` must be at most 125 bytes. */
export function controlFrame(opcode: number, payload: Buffer | null): Buffer {
  const payloadBytes = payload === null ? 0 : payload.length;
  if (payloadBytes > MAX_CONTROL_PAYLOAD_BYTES)
    throw new RangeError(`control frame payload of ${payloadBytes} bytes (at most ${MAX_CONTROL_PAYLOAD_BYTES})`);
  const frame = Buffer.allocUnsafe(2 + payloadBytes);
  frame[0] = 0x80 | opcode;
  frame[1] = payloadBytes;
  if (payload !== null) payload.copy(frame, 2);
  return frame;
}

/** A close frame with `code` and a reason cut to fit 123 bytes of UTF-8; code null sends an empty close. */
export function closeFrame(code: number | null, reason: string): Buffer {
  if (code === null) return controlFrame(OPCODE.close, null);
  let reasonBytes = Buffer.from(reason, 'utf8');
  if (reasonBytes.length > MAX_CONTROL_PAYLOAD_BYTES - 2)
    reasonBytes = Buffer.from(cutUtf8(reasonBytes, MAX_CONTROL_PAYLOAD_BYTES - 2));
  const payload = Buffer.allocUnsafe(2 + reasonBytes.length);
  payload.writeUInt16BE(code, 0);
  reasonBytes.copy(payload, 2);
  return controlFrame(OPCODE.close, payload);
}

/** The longest prefix of at most `maxBytes` that does not split a UTF-8 sequence. */
function cutUtf8(bytes: Buffer, maxBytes: number): Buffer {
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut sequence.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** A prebuilt empty ping: the heartbeat sends thousands per minute. */
export const PING_FRAME: Buffer = controlFrame(OPCODE.ping, null);
