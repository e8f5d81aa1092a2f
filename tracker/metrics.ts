// `GET /metrics`: Prometheus text exposition through prom-client. The core only bumps plain
// counters on its hot path; they are copied into prom-client metrics when a scrape collects.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { SWARM_REFUSAL_REASONS } from './access.ts';
import { CONNECTION_DROP_REASONS, CONNECTION_REJECT_REASONS, type ConnectionCounters } from './connection-gate.ts';
import type { ClientAddressCounters } from './client-address.ts';
import type { TrackerSnapshot } from './core.ts';
import { PROTOCOL_ERROR_CODES } from './protocol.ts';

const PREFIX = 'peercdn_tracker_';
/** Every message rejection reason, so each series exists (at 0) before it first happens. */
const MESSAGE_REJECT_REASONS = [
  ...PROTOCOL_ERROR_CODES,
  ...SWARM_REFUSAL_REASONS,
  'peers-per-connection',
  'rate-limited',
  'peer-id-taken',
] as const;

export interface TrackerMetricsSnapshot extends TrackerSnapshot, ConnectionCounters {
  /** Open WebSockets, including those that never announced. */
  readonly sockets: number;
  /** Client addresses taken from X-Forwarded-For (trustedProxies); absent counts as 0. */
  readonly proxied?: Readonly<ClientAddressCounters>;
}

export interface TrackerMetrics {
  /** The Content-Type of render()'s output. */
  readonly contentType: string;
  /** The exposition text of this tracker's series followed by the process's. */
  render(): Promise<string>;
}

/** Process metrics (CPU, memory, event loop, GC) are per process: one registry for all trackers, made on first use. */
let processRegistry: Registry | null = null;

function getProcessRegistry(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

type Value = (s: TrackerMetricsSnapshot) => number;
type SeriesDefinition =
  | { readonly kind: 'gauge'; readonly name: string; readonly help: string; readonly value: Value }
  | { readonly kind: 'counter'; readonly name: string; readonly help: string; readonly value: Value }
  | {
      readonly kind: 'labelled';
      readonly name: string;
      readonly help: string;
      readonly label: string;
      readonly keys: readonly string[];
      readonly value: (s: TrackerMetricsSnapshot, key: string) => number;
    };

const gauge = (name: string, help: string, value: Value): SeriesDefinition => ({ kind: 'gauge', name, help, value });
const counter = (name: string, help: string, value: Value): SeriesDefinition => ({
  kind: 'counter',
  name,
  help,
  value,
});
const labelled = <L extends string>(
  name: string,
  help: string,
  label: string,
  keys: readonly L[],
  value: (s: TrackerMetricsSnapshot, key: L) => number,
): SeriesDefinition => ({
  kind: 'labelled',
  name,
  help,
  label,
  keys,
  value: (s, key) => value(s, key as L),
});

/** The tracker's series, in exposition order; each reads the snapshot taken for the scrape. */
const SERIES: readonly SeriesDefinition[] = [
  gauge('sockets', 'Open WebSocket connections, including those that never announced.', (s) => s.sockets),
  gauge('connections', 'Connections holding at least one peer.', (s) => s.connections),
  gauge('peers', 'Peers in all swarms.', (s) => s.peers),
  gauge('swarms', 'Swarms with at least one peer.', (s) => s.swarms),
  labelled(
    'announces_total',
    'Announces accepted, by event (answers not included).',
    'event',
    ['started', 'completed', 'stopped', 'update'] as const,
    (s, event) => {
      if (event === 'started') return s.announcesStarted;
      if (event === 'completed') return s.announcesCompleted;
      if (event === 'stopped') return s.announcesStopped;
      return s.announces - s.announcesStarted - s.announcesCompleted - s.announcesStopped;
    },
  ),
  counter('offers_relayed_total', 'Offers relayed to other peers.', (s) => s.offersRelayed),
  counter(
    'offers_relayed_same_region_total',
    'Offers relayed between peers of the same region (region hint or address prefix).',
    (s) => s.offersRelayedSameRegion,
  ),
  counter('answers_relayed_total', 'Answers relayed back to offering peers.', (s) => s.answersRelayed),
  counter(
    'answers_undeliverable_total',
    'Answers whose sender or target was not in the swarm.',
    (s) => s.answersUndeliverable,
  ),
  counter(
    'answers_unrelayed_total',
    'Answers dropped: no offer of their target was relayed to their sender, or it was already answered (forged or replayed).',
    (s) => s.answersUnrelayed,
  ),
  counter('answers_expired_total', 'Answers dropped: the offer was relayed too long ago.', (s) => s.answersExpired),
  counter(
    'relayed_offers_evicted_total',
    'Relayed offers forgotten because one connection held too many.',
    (s) => s.relayedOffersEvicted,
  ),
  counter(
    'offers_withheld_total',
    'Offers of benched connections (over the announce rate), not relayed.',
    (s) => s.offersWithheld,
  ),
  counter(
    'offers_dropped_id_taken_total',
    "Offers of a peer new on this node held until Redis answered its announce, dropped: another node's live peer holds its peer id.",
    (s) => s.offersDroppedIdTaken,
  ),
  counter(
    'probation_restarts_total',
    "Re-announces during a new peer's probation: it starts again and the peer is not offered meanwhile.",
    (s) => s.probationRestarts,
  ),
  counter('benchings_total', 'Times a connection was benched for its announce rate.', (s) => s.benchings),
  gauge(
    'connections_benched',
    'Connections benched for their announce rate: no offers to them, none relayed from them.',
    (s) => s.connectionsBenched,
  ),
  gauge(
    'peers_held_back',
    'Peers on probation or benched: offered only when too few others are.',
    (s) => s.peersHeldBack,
  ),
  counter(
    'forwarded_connections_total',
    'Connections from a trusted proxy whose client address came from X-Forwarded-For.',
    (s) => s.proxied?.forwarded ?? 0,
  ),
  counter(
    'forwarded_invalid_total',
    'Requests from a trusted proxy without a usable X-Forwarded-For (the proxy address was used).',
    (s) => s.proxied?.forwardedInvalid ?? 0,
  ),
  counter('scrapes_total', 'Scrapes answered.', (s) => s.scrapes),
  counter('expired_peers_total', 'Peers dropped for not announcing within the peer timeout.', (s) => s.expiredPeers),
  labelled(
    'rejected_messages_total',
    'Messages answered with a failure reason, by reason.',
    'reason',
    MESSAGE_REJECT_REASONS,
    (s, reason) => s.rejectedByReason[reason] ?? 0,
  ),
  labelled(
    'rejected_connections_total',
    'WebSocket upgrades refused with an HTTP status, by reason.',
    'reason',
    CONNECTION_REJECT_REASONS,
    (s, reason) => s.rejectedConnections[reason],
  ),
  labelled(
    'dropped_connections_total',
    'WebSockets closed or terminated by the tracker, by reason.',
    'reason',
    CONNECTION_DROP_REASONS,
    (s, reason) => s.droppedConnections[reason],
  ),
];

/** A prom-client metric in `registry` that copies its value from `snapshot()` whenever a scrape collects. */
function register(registry: Registry, series: SeriesDefinition, snapshot: () => TrackerMetricsSnapshot): void {
  const name = PREFIX + series.name;
  const { help } = series;
  if (series.kind === 'gauge') {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(series.value(snapshot()));
      },
    });
  } else if (series.kind === 'counter') {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(series.value(snapshot()));
      },
    });
  } else {
    const { label, keys, value } = series;
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        for (const key of keys) this.inc({ [label]: key }, value(snapshot(), key));
      },
    });
  }
}

/**
 * A private registry (never prom-client's global one) whose series read `read()` once per scrape;
 * `extraText` adds series written elsewhere (the fleet's, the cluster's) in exposition format.
 */
export function createTrackerMetrics(
  read: () => TrackerMetricsSnapshot,
  extraText: () => string = () => '',
): TrackerMetrics {
  const registry = new Registry();
  let current: TrackerMetricsSnapshot = read();
  for (const series of SERIES) register(registry, series, () => current);
  const processMetrics = getProcessRegistry();
  return {
    contentType: registry.contentType,
    render: async () => {
      current = read();
      return (await registry.metrics()) + extraText() + (await processMetrics.metrics());
    },
  };
}
