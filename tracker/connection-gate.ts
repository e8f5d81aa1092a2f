// Whether a WebSocket upgrade may proceed (browser Origin, connections per address), how a
// refusal is answered, and the reasons the tracker refuses or drops connections.
import type { IncomingMessage } from 'node:http';
import type { OriginAllowlist } from './access.ts';
import type { AddressConnectionCap } from './address-cap.ts';

/** Upgrades refused before a WebSocket exists. */
export const CONNECTION_REJECT_REASONS = ['origin-not-allowed', 'too-many-connections'] as const;
export type ConnectionRejectReason = (typeof CONNECTION_REJECT_REASONS)[number];

/** Open WebSockets the tracker closes or terminates. */
export const CONNECTION_DROP_REASONS = [
  'binary-frame',
  'message-too-large',
  'invalid-frame',
  'slow-reader',
  'heartbeat-timeout',
] as const;
export type ConnectionDropReason = (typeof CONNECTION_DROP_REASONS)[number];

export interface ConnectionCounters {
  readonly rejectedConnections: Record<ConnectionRejectReason, number>;
  readonly droppedConnections: Record<ConnectionDropReason, number>;
}

export const createConnectionCounters = (): ConnectionCounters => ({
  rejectedConnections: Object.fromEntries(CONNECTION_REJECT_REASONS.map((reason) => [reason, 0])) as Record<
    ConnectionRejectReason,
    number
  >,
  droppedConnections: Object.fromEntries(CONNECTION_DROP_REASONS.map((reason) => [reason, 0])) as Record<
    ConnectionDropReason,
    number
  >,
});

export interface UpgradeRefusal {
  readonly reason: ConnectionRejectReason;
  readonly status: 403 | 429;
  readonly message: string;
}

/** Decide an upgrade from its Origin header and remote address; null lets it through. */
export function checkUpgrade(
  request: IncomingMessage,
  address: string,
  origins: OriginAllowlist,
  cap: AddressConnectionCap,
): UpgradeRefusal | null {
  if (!origins.allows(request.headers.origin))
    return { reason: 'origin-not-allowed', status: 403, message: 'origin not allowed' };
  if (!cap.admits(address))
    return { reason: 'too-many-connections', status: 429, message: 'too many connections from this address' };
  return null;
}

const STATUS_TEXT: Readonly<Record<UpgradeRefusal['status'], string>> = { 403: 'Forbidden', 429: 'Too Many Requests' };

/** The plain HTTP response that answers a refused upgrade (websocket-upgrades.ts writes it and closes the socket). */
export function refusalResponse(refusal: UpgradeRefusal): string {
  const body = `${refusal.message}\n`;
  return `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}
