// `POST /beacon`: viewers' telemetry beacons, refused at the edge like WebSocket upgrades are
// (browser Origin, a rate per address, a size cap, swarm tokens), parsed once, then aggregated.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BEACON_BYTES, isBeaconProblem, parseBeacon } from '../lib/shared/beacon.ts';
import type { OriginAllowlist, SwarmAccess } from './access.ts';
import type { AddressRateLimiter } from './address-rate-limit.ts';
import type { ClientAddresses } from './client-address.ts';
import type { FleetAggregator } from './fleet-aggregator.ts';
import type { Logger } from './log.ts';
import type { TrackerConnection } from './swarm.ts';

export const BEACON_PATH = '/beacon';

/** Why a beacon was refused, with the HTTP status it was answered with. */
export const BEACON_REJECT_STATUS = {
  'method-not-allowed': 405,
  'origin-not-allowed': 403,
  'rate-limited': 429,
  'too-large': 413,
  invalid: 400,
  'swarm-refused': 403,
  replay: 409,
} as const;
export type BeaconRejectReason = keyof typeof BEACON_REJECT_STATUS;
export const BEACON_REJECT_REASONS = Object.keys(BEACON_REJECT_STATUS) as readonly BeaconRejectReason[];

export interface BeaconEndpointOptions {
  readonly origins: OriginAllowlist;
  /** Swarm access for beacons: which swarms a beacon may report, from the `token`s of its URL. */
  readonly swarmAccess: SwarmAccess;
  readonly rateLimiter: AddressRateLimiter;
  /** The client's address behind trusted proxies, as for WebSocket upgrades: the rate is per viewer, not per proxy. */
  readonly clientAddresses: ClientAddresses;
  readonly aggregator: FleetAggregator;
  readonly logger: Logger;
}

const NO_SOCKET = (): void => undefined;

/** Serves `POST /beacon`; counts what it refused, by reason. */
export class BeaconEndpoint {
  readonly rejected = Object.fromEntries(BEACON_REJECT_REASONS.map((reason) => [reason, 0])) as Record<
    BeaconRejectReason,
    number
  >;
  readonly #options: BeaconEndpointOptions;

  constructor(options: BeaconEndpointOptions) {
    this.#options = options;
  }

  serve(request: IncomingMessage, response: ServerResponse): void {
    const { origins, rateLimiter, clientAddresses } = this.#options;
    if (request.method !== 'POST') {
      this.#refuse(response, 'method-not-allowed', { Allow: 'POST' });
      return;
    }
    if (!origins.allows(request.headers.origin)) {
      this.#refuse(response, 'origin-not-allowed');
      return;
    }
    const address = clientAddresses.resolveRequest(request.socket.remoteAddress, request.headers);
    if (!rateLimiter.take(address)) {
      this.#refuse(response, 'rate-limited');
      return;
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > MAX_BEACON_BYTES) {
      this.#refuse(response, 'too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes > MAX_BEACON_BYTES) {
        // A body that lied about its length (or is chunked): stop reading it.
        request.removeAllListeners('data');
        request.pause();
        this.#refuse(response, 'too-large');
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (bytes <= MAX_BEACON_BYTES) this.#accept(request, response, Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', () => response.destroy());
  }

  #accept(request: IncomingMessage, response: ServerResponse, body: string): void {
    const { swarmAccess, aggregator, logger } = this.#options;
    const beacon = parseBeacon(body);
    if (isBeaconProblem(beacon)) {
      if (logger.enabled('debug')) logger.debug('beacon refused', { reason: 'invalid', problem: beacon.problem });
      this.#refuse(response, 'invalid');
      return;
    }
    if (!swarmAccess.open) {
      // The gate remembers tokens per connection; a beacon is its own short-lived "connection".
      const connection: TrackerConnection = { id: 0, send: NO_SOCKET, close: NO_SOCKET };
      swarmAccess.register(connection, request.url ?? '/');
      // A beacon proves at least one swarm: one that names none needs a valid token in its URL
      // (a viewer not in a swarm yet has one), else anyone could set the fleet's gauges.
      const refused =
        beacon.swarms.length === 0
          ? !swarmAccess.grantsAny(connection)
          : beacon.swarms.some(({ swarm }) => swarmAccess.admit(swarm, connection) !== null);
      if (refused) {
        this.#refuse(response, 'swarm-refused');
        return;
      }
    }
    if (!aggregator.ingest(beacon)) {
      this.#refuse(response, 'replay');
      return;
    }
    response.writeHead(204, { 'Cache-Control': 'no-store' }).end();
    if (logger.enabled('debug')) logger.debug('beacon accepted', { final: beacon.final });
  }

  #refuse(response: ServerResponse, reason: BeaconRejectReason, headers: Record<string, string> = {}): void {
    this.rejected[reason] += 1;
    if (response.headersSent) return;
    // Close the connection after a refusal: the rest of a refused body is not read.
    response
      .writeHead(BEACON_REJECT_STATUS[reason], { 'Content-Type': 'text/plain', Connection: 'close', ...headers })
      .end(`${reason}\n`);
  }
}
