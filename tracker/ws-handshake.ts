// The server side of the WebSocket opening handshake (RFC 6455 section 4.2): which upgrade
// requests are valid, the 101 response with Sec-WebSocket-Accept, and the 4xx answer otherwise.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** RFC 6455 section 1.3: appended to the client's key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A base64 encoding of 16 bytes (RFC 6455 section 4.1, item 7). */
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;
/** A subprotocol name is an HTTP token (RFC 7230 section 3.2.6). */
const TOKEN_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + HANDSHAKE_GUID)
    .digest('base64');
}

export type HandshakeResult =
  | { readonly ok: true; readonly key: string; readonly protocol: string | null }
  | {
      readonly ok: false;
      readonly status: 400 | 405;
      readonly message: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** Check an upgrade request as ws did: GET, `Upgrade: websocket`, a valid key, version 13 (or 8). */
export function checkHandshake(request: IncomingMessage): HandshakeResult {
  if (request.method !== 'GET') return { ok: false, status: 405, message: 'Invalid HTTP method' };
  const upgrade = request.headers.upgrade;
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket')
    return { ok: false, status: 400, message: 'Invalid Upgrade header' };
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY_PATTERN.test(key))
    return { ok: false, status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' };
  const version = Number(request.headers['sec-websocket-version']);
  if (version !== 13 && version !== 8) {
    return {
      ok: false,
      status: 400,
      message: 'Missing or invalid Sec-WebSocket-Version header',
      headers: { 'Sec-WebSocket-Version': '13, 8' },
    };
  }
  const offered = request.headers['sec-websocket-protocol'];
  let protocol: string | null = null;
  if (offered !== undefined) {
    const names = offered.split(',').map((name) => name.trim());
    if (!names.every((name) => TOKEN_PATTERN.test(name)))
      return { ok: false, status: 400, message: 'Invalid Sec-WebSocket-Protocol header' };
    // A browser that offered subprotocols fails the connection unless one is chosen: take the first.
    protocol = names[0] ?? null;
  }
  return { ok: true, key, protocol };
}

/** The 101 Switching Protocols response (no extensions: permessage-deflate is never accepted). */
export function handshakeResponse(key: string, protocol: string | null): string {
  const protocolLine = protocol === null ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n${protocolLine}\r\n`;
}

const STATUS_TEXT = { 400: 'Bad Request', 405: 'Method Not Allowed' } as const;

/** The 4xx response that answers an invalid handshake (websocket-upgrades.ts writes it and closes the socket). */
export function handshakeFailureResponse(failure: Extract<HandshakeResult, { ok: false }>): string {
  let extra = '';
  for (const [name, value] of Object.entries(failure.headers ?? {})) extra += `${name}: ${value}\r\n`;
  return `HTTP/1.1 ${failure.status} ${STATUS_TEXT[failure.status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(failure.message)}\r\n${extra}\r\n${failure.message}`;
}
