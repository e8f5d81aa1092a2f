// `GET /metrics`: Prometheus text exposition through prom-client. The core only bumps plain
// counters on its hot path; they are copied into prom-client metrics when a scrape collects.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { SWARM_REFUSAL_REASONS } from './access.ts';
import { CONNECTION_DROP_REASONS, CONNECTION_REJECT_REASONS, type ConnectionCounters } from './connection-gate.ts';
import type { TrackerSnapshot } from './core.ts';
import { PROTOCOL_ERROR_CODES } from './protocol.ts';

const PREFIX = 'peercdn_tracker_';
/** Every message rejection reason, so each series exists (at 0) before it first happens. */
const MESSAGE_REJECT_REASONS = [...PROTOCOL_ERROR_CODES, ...SWARM_REFUSAL_REASONS, 'peers-per-connection', 'rate-limited'] as const;

export interface TrackerMetricsSnapshot extends TrackerSnapshot, ConnectionCounters {
  /** Open WebSockets, including those that never announced. */
  readonly sockets: number;
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

/**
 * A private registry (never prom-client's global one) whose series read `read()` once per scrape;
 * `extraText` adds series written elsewhere (the fleet's) in exposition format.
 */
export function createTrackerMetrics(read: () => TrackerMetricsSnapshot, extraText: () => string = () => ''): TrackerMetrics {
  const registry = new Registry();
  let current: TrackerMetricsSnapshot = read();
  const gauge = (name: string, help: string, value: (s: TrackerMetricsSnapshot) => number): void => {
    new Gauge({
      name: PREFIX + name,
      help,
      registers: [registry],
      collect() {
        this.set(value(current));
      },
    });
  };
  const counter = (name: string, help: string, value: (s: TrackerMetricsSnapshot) => number): void => {
    new Counter({
      name: PREFIX + name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value(current));
      },
    });
  };
  const labelled = <L extends string>(name: string, help: string, label: string, keys: readonly L[], value: (s: TrackerMetricsSnapshot, key: L) => number): void => {
    new Counter({
      name: PREFIX + name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        for (const key of keys) this.inc({ [label]: key }, value(current, key));
      },
    });
  };

  gauge('sockets', 'Open WebSocket connections, including those that never announced.', (s) => s.sockets);
  gauge('connections', 'Connections holding at least one peer.', (s) => s.connections);
  gauge('peers', 'Peers in all swarms.', (s) => s.peers);
  gauge('swarms', 'Swarms with at least one peer.', (s) => s.swarms);
  labelled('announces_total', 'Announces accepted, by event (answers not included).', 'event', ['started', 'completed', 'stopped', 'update'] as const, (s, event) => {
    if (event === 'started') return s.announcesStarted;
    if (event === 'completed') return s.announcesCompleted;
    if (event === 'stopped') return s.announcesStopped;
    return s.announces - s.announcesStarted - s.announcesCompleted - s.announcesStopped;
  });
  counter('offers_relayed_total', 'Offers relayed to other peers.', (s) => s.offersRelayed);
  counter('answers_relayed_total', 'Answers relayed back to offering peers.', (s) => s.answersRelayed);
  counter('answers_undeliverable_total', 'Answers whose sender or target was not in the swarm.', (s) => s.answersUndeliverable);
  counter('scrapes_total', 'Scrapes answered.', (s) => s.scrapes);
  counter('expired_peers_total', 'Peers dropped for not announcing within the peer timeout.', (s) => s.expiredPeers);
  labelled('rejected_messages_total', 'Messages answered with a failure reason, by reason.', 'reason', MESSAGE_REJECT_REASONS, (s, reason) => s.rejectedByReason[reason] ?? 0);
  labelled('rejected_connections_total', 'WebSocket upgrades refused with an HTTP status, by reason.', 'reason', CONNECTION_REJECT_REASONS, (s, reason) => s.rejectedConnections[reason]);
  labelled('dropped_connections_total', 'WebSockets closed or terminated by the tracker, by reason.', 'reason', CONNECTION_DROP_REASONS, (s, reason) => s.droppedConnections[reason]);

  const processMetrics = getProcessRegistry();
  return {
    contentType: registry.contentType,
    render: async () => {
      current = read();
      return (await registry.metrics()) + extraText() + (await processMetrics.metrics());
    },
  };
}
