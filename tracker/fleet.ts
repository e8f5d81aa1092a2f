// Fleet telemetry of one tracker: the beacon endpoint, the aggregator behind it, and what
// /stats.json and /metrics show of it. server.ts only routes `/beacon` here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OriginAllowlist, SwarmAccess } from './access.ts';
import { AddressRateLimiter } from './address-rate-limit.ts';
import { BEACON_PATH, BeaconEndpoint, type BeaconRejectReason } from './beacon-endpoint.ts';
import { ClientAddresses } from './client-address.ts';
import type { TrackerConfig } from './config.ts';
import { FleetAggregator, type FleetSnapshot } from './fleet-aggregator.ts';
import { renderFleetMetrics } from './fleet-metrics.ts';
import type { Logger } from './log.ts';

/**
 * A swarm token admits its beacons this long past its expiry: a token needs to live only as long
 * as a page takes to join the swarm, but the viewer keeps sending beacons while it watches.
 */
export const BEACON_TOKEN_GRACE_MS = 6 * 3_600_000;
/** Sessions (viewers) remembered at once: about 200 bytes each. */
const MAX_SESSIONS = 100_000;
/** Addresses whose beacon rate is tracked at once. */
const MAX_RATE_ADDRESSES = 100_000;

/** What /stats.json shows under `fleet`. */
export interface FleetStats extends FleetSnapshot {
  readonly rejectedBeacons: Readonly<Record<BeaconRejectReason, number>>;
}

export interface Fleet {
  /** Whether this request is for the beacon endpoint. */
  handles(request: IncomingMessage): boolean;
  serve(request: IncomingMessage, response: ServerResponse): void;
  stats(): FleetStats;
  /** The `peercdn_fleet_*` series in Prometheus text format. */
  metricsText(): string;
}

export interface FleetDependencies {
  readonly nowMs: () => number;
  /** Wall clock, for swarm token expiry. */
  readonly nowUnixMs: () => number;
  readonly logger: Logger;
}

export function createFleet(config: TrackerConfig, dependencies: FleetDependencies): Fleet {
  const aggregator = new FleetAggregator({
    topSwarms: config.fleetTopSwarms,
    maxSessions: MAX_SESSIONS,
    nowMs: dependencies.nowMs,
  });
  const endpoint = new BeaconEndpoint({
    origins: new OriginAllowlist(config.allowedOrigins),
    swarmAccess: new SwarmAccess({ ...config, nowUnixMs: () => dependencies.nowUnixMs() - BEACON_TOKEN_GRACE_MS }),
    rateLimiter: new AddressRateLimiter({
      ratePerSecond: config.beaconRatePerSecond,
      burst: config.beaconBurst,
      maxAddresses: MAX_RATE_ADDRESSES,
      nowMs: dependencies.nowMs,
    }),
    // Its own instance: /metrics' forwarded counters count WebSocket connections only.
    clientAddresses: new ClientAddresses(config.trustedProxies),
    aggregator,
    logger: dependencies.logger,
  });
  const stats = (): FleetStats => ({ ...aggregator.snapshot(), rejectedBeacons: { ...endpoint.rejected } });
  return {
    handles: (request) =>
      request.url !== undefined && (request.url === BEACON_PATH || request.url.startsWith(`${BEACON_PATH}?`)),
    serve: (request, response) => endpoint.serve(request, response),
    stats,
    metricsText: () => renderFleetMetrics(stats()),
  };
}
