// The peer wire protocol. Every data-channel message is binary; its first byte says what it is,
// so segment bytes can never be read as control and vice versa.
//   0x01 CONTROL: UTF-8 JSON of a PeerMessage
//   0x02 DATA:    requestId (u32 BE) · byteOffset (u32 BE) · payload bytes
import { isRegion } from '../api/config.ts';
import { MAX_UPLINK_CLASS } from '../policy/seeder-weight.ts';

/** Protocol version carried in `hello`; peers with another version are dropped. */
export const PROTOCOL_VERSION = 1;
/** Largest data-channel message we send or accept (interoperable across browsers). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
const DATA_HEADER_BYTES = 9;
/** Largest payload of one data frame. */
export const MAX_CHUNK_BYTES = MAX_MESSAGE_BYTES - DATA_HEADER_BYTES;
/** Largest segment a peer may announce in a response. */
export const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * Most sequence numbers in one availability message. At 17 characters per number (the largest
 * safe integer and a comma) a full list still fits in one message; longer initial maps are sent
 * as `hello` plus `have` messages (see `availabilityMessages`).
 */
export const MAX_LIST_LENGTH = 2048;
const MAX_UINT32 = 0xffff_ffff;
const KIND_CONTROL = 0x01;
const KIND_DATA = 0x02;

export type PeerMessage =
  /**
   * `region`: the sender's region hint (config `region`), null for none (or absent: older peers); a
   * hint, never trusted for more. `uplinkClass` (here and in `have`; absent: 0): the sender's uplink class
   * (policy/seeder-weight.ts, 0 to 2): a higher one makes it the designated seeder of more segments.
   */
  | {
      readonly type: 'hello';
      readonly version: number;
      readonly have: readonly number[];
      readonly region?: string | null;
      readonly uplinkClass?: number;
    }
  | { readonly type: 'have'; readonly sequenceNumbers: readonly number[]; readonly uplinkClass?: number }
  | { readonly type: 'lost'; readonly sequenceNumbers: readonly number[] }
  /**
   * The sender started fetching these; others may wait for its `have` instead. With `relay` (absent
   * from older peers, which then treat it as an HTTP fetch and wait) it is receiving them from a peer
   * and serves them while they arrive, its last byte once it has checked the whole segment.
   */
  | { readonly type: 'loading'; readonly sequenceNumbers: readonly number[]; readonly relay?: boolean }
  /**
   * `neededInMs` (absent from older peers): how soon the sender's playback needs the segment, so a
   * busy uplink can tell a prefetch it may queue from a segment it would deliver late. `fromByte`
   * (absent: 0): the sender has the segment's bytes before it from another peer; the response
   * declares the whole size and its data frames start there.
   */
  | {
      readonly type: 'request';
      readonly requestId: number;
      readonly sequenceNumber: number;
      readonly neededInMs?: number;
      readonly fromByte?: number;
    }
  | {
      readonly type: 'response';
      readonly requestId: number;
      readonly sequenceNumber: number;
      readonly byteLength: number;
    }
  /**
   * The sender does not have the segment (or, after a `response`, its relay's source failed). With
   * `busy` (absent from older peers) it has the segment but its uplink is full: ask elsewhere now.
   */
  | { readonly type: 'absent'; readonly requestId: number; readonly sequenceNumber: number; readonly busy?: boolean }
  | { readonly type: 'cancel'; readonly requestId: number };

export interface DataFrame {
  readonly requestId: number;
  readonly byteOffset: number;
  readonly payload: Uint8Array;
}

export type ParsedFrame =
  | { readonly kind: 'control'; readonly message: PeerMessage }
  | { readonly kind: 'data'; readonly frame: DataFrame }
  | { readonly kind: 'invalid'; readonly reason: string };

const encoder = new TextEncoder();
// The kind byte as the first character of the encoded text (one character below 0x80: one byte),
// so a control frame is one encoder call and no copy.
const CONTROL_PREFIX = String.fromCharCode(KIND_CONTROL);
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encode a control message; the caller passes a well-formed message (the parser checks peers'). */
export function encodeControl(message: PeerMessage): Uint8Array {
  return encoder.encode(CONTROL_PREFIX + JSON.stringify(message));
}

/** Encode one chunk of a response; throws on a programmer mistake (empty or oversized chunk, bad ids). */
export function encodeData(requestId: number, byteOffset: number, payload: Uint8Array): Uint8Array {
  // DataView.setUint32 silently wraps out-of-range numbers, which would send a different frame.
  if (!isUint32(requestId) || !isUint32(byteOffset)) throw new RangeError('requestId and byteOffset must be uint32');
  if (payload.byteLength === 0 || payload.byteLength > MAX_CHUNK_BYTES) {
    throw new RangeError(`a chunk holds 1 to ${MAX_CHUNK_BYTES} bytes, got ${payload.byteLength}`);
  }
  const out = new Uint8Array(DATA_HEADER_BYTES + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, KIND_DATA);
  view.setUint32(1, requestId);
  view.setUint32(5, byteOffset);
  out.set(payload, DATA_HEADER_BYTES);
  return out;
}

/** The initial availability map as `hello` plus as many `have` messages as its length needs. */
export function availabilityMessages(
  version: number,
  have: readonly number[],
  region?: string | null,
  uplinkClass = 0,
): PeerMessage[] {
  // The uplink class in each (absent for 0): a `have` without one tells class 0.
  const told = uplinkClass ? { uplinkClass } : {};
  const messages: PeerMessage[] = [{ type: 'hello', version, have: have.slice(0, MAX_LIST_LENGTH), region, ...told }];
  for (let start = MAX_LIST_LENGTH; start < have.length; start += MAX_LIST_LENGTH) {
    messages.push({ type: 'have', sequenceNumbers: have.slice(start, start + MAX_LIST_LENGTH), ...told });
  }
  return messages;
}

// -0 is refused: JSON.stringify never writes it, and a parsed message must be one we could have sent.
const isUint32 = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_UINT32 && !Object.is(value, -0);

const isSequenceList = (value: unknown): value is number[] =>
  Array.isArray(value) && value.length <= MAX_LIST_LENGTH && value.every(isSequenceNumber);

function isSequenceNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && !Object.is(value, -0);
}

/** Parse one untrusted data-channel message. Never throws. */
export function parseFrame(bytes: Uint8Array): ParsedFrame {
  if (bytes.byteLength === 0) return invalid('empty message');
  if (bytes.byteLength > MAX_MESSAGE_BYTES) {
    return invalid(`message of ${bytes.byteLength} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  }
  const kind = bytes[0];
  if (kind === KIND_DATA) {
    if (bytes.byteLength <= DATA_HEADER_BYTES) return invalid('data frame without payload');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return {
      kind: 'data',
      frame: {
        requestId: view.getUint32(1),
        byteOffset: view.getUint32(5),
        payload: bytes.subarray(DATA_HEADER_BYTES),
      },
    };
  }
  if (kind !== KIND_CONTROL) return invalid(`unknown frame kind ${String(kind)}`);
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes.subarray(1)));
  } catch {
    return invalid('control frame is not UTF-8 JSON');
  }
  return parseControl(json);
}

function parseControl(json: unknown): ParsedFrame {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalid('control message is not an object');
  }
  const record = json as Record<string, unknown>;
  // Told in `hello` and `have` (absent: 0), an integer in any message; held to 0..MAX_UPLINK_CLASS
  // (a later release may tell more classes: not a reason to drop its links).
  const { uplinkClass = 0 } = record;
  if (!Number.isInteger(uplinkClass)) return invalid('uplinkClass is not an integer');
  const told = (uplinkClass as number) > 0 ? { uplinkClass: Math.min(uplinkClass as number, MAX_UPLINK_CLASS) } : {};
  switch (record['type']) {
    case 'hello': {
      const { version, have, region = null } = record;
      if (!isUint32(version)) return invalid('hello.version is not a number');
      if (!isSequenceList(have)) return invalid('hello.have is not a list of sequence numbers');
      if (region !== null && !isRegion(region)) return invalid('hello.region is invalid');
      return control({ type: 'hello', version, have, region, ...told });
    }
    case 'have':
    case 'lost':
    case 'loading': {
      const { type, sequenceNumbers, relay = false } = record;
      if (!isSequenceList(sequenceNumbers)) return invalid(`${type}.sequenceNumbers is not a list`);
      if (type === 'have') return control({ type, sequenceNumbers, ...told });
      if (type === 'lost') return control({ type, sequenceNumbers });
      if (typeof relay !== 'boolean') return invalid('loading.relay is not a boolean');
      return control(relay ? { type, sequenceNumbers, relay } : { type, sequenceNumbers });
    }
    case 'request':
    case 'absent':
    case 'response':
    case 'cancel': {
      const { type, requestId, sequenceNumber, byteLength } = record;
      if (!isUint32(requestId)) return invalid(`${type}.requestId is not a uint32`);
      if (type === 'cancel') return control({ type, requestId });
      if (!isSequenceNumber(sequenceNumber)) return invalid(`${type}.sequenceNumber is invalid`);
      if (type === 'request') {
        const { neededInMs, fromByte = 0 } = record;
        if (neededInMs !== undefined && !isUint32(neededInMs)) return invalid('request.neededInMs is not a uint32');
        if (!isUint32(fromByte) || fromByte >= MAX_SEGMENT_BYTES) return invalid('request.fromByte is out of range');
        return control({
          type,
          requestId,
          sequenceNumber,
          ...(neededInMs === undefined ? {} : { neededInMs }),
          ...(fromByte > 0 ? { fromByte } : {}),
        });
      }
      if (type === 'absent') {
        const { busy = false } = record;
        if (typeof busy !== 'boolean') return invalid('absent.busy is not a boolean');
        return control(busy ? { type, requestId, sequenceNumber, busy } : { type, requestId, sequenceNumber });
      }
      if (!isUint32(byteLength) || byteLength > MAX_SEGMENT_BYTES) {
        return invalid('response.byteLength is out of range');
      }
      return control({ type, requestId, sequenceNumber, byteLength });
    }
    default:
      return invalid(`unknown control type ${JSON.stringify(record['type'])}`);
  }
}

const control = (message: PeerMessage): ParsedFrame => ({ kind: 'control', message });
const invalid = (reason: string): ParsedFrame => ({ kind: 'invalid', reason });
