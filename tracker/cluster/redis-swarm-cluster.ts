// The cluster port on Redis 7 (node-redis v6): swarm membership in one Lua call per announce,
// offers and answers for peers on other nodes over sharded pub/sub to that node's channel only,
// batched per node per event-loop turn; a node lease refreshed every second, dead nodes' peers
// reaped by a survivor; after a Redis restart, local peers are added again. While Redis is
// unreachable nothing waits on it: commands fail at once and local serving goes on.
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createClient } from 'redis';
import type { Logger } from '../log.ts';
import type { AnswerRequest, Offer, SwarmCounts } from '../protocol.ts';
import { encodeNodeBatch, encodeNodeMessage, parseNodeBatch, type NodeMessage } from './node-messages.ts';
import {
  ANNOUNCE_SCRIPT,
  LEAVE_SCRIPT,
  NODES_KEY,
  REAP_SCRIPT,
  nodeSwarmsKey,
  reapLockKey,
  relayChannel,
  swarmKey,
  swarmKeys,
} from './redis-scripts.ts';
import { RemoteRoutes } from './remote-routes.ts';
import type { ClusterDelivery, SwarmCluster } from './swarm-cluster.ts';

type RedisClient = ReturnType<typeof createClient>;

export interface RedisClusterOptions {
  readonly url: string;
  /** A peer not refreshed for this long leaves the swarm in Redis too. */
  readonly peerTimeoutMs: number;
  /** Longest SDP accepted from another node. */
  readonly maxSdpChars: number;
  /** How often the node renews its lease; a node silent for 3 leases is dead. */
  readonly nodeHeartbeatMs: number;
  readonly nowUnixMs: () => number;
  readonly logger: Logger;
  /** Default: host name, process id and random hex. */
  readonly nodeId?: string;
}

export interface ClusterStats {
  readonly nodeId: string;
  readonly redisConnected: boolean;
  readonly liveNodes: number;
  readonly relayedOut: number;
  readonly relayedIn: number;
  readonly undeliverable: number;
  readonly invalidNodeMessages: number;
  readonly redisErrors: number;
  readonly reapedPeers: number;
  /** Cluster-wide sizes of the largest swarms this node serves. */
  readonly topSwarms: readonly { readonly infoHash: string; readonly peers: number; readonly seeders: number }[];
}

interface ClusterCounts {
  peers: number;
  seeders: number;
}

/** Offers from another node are answered within the client's 50 s; a route outliving that is useless. */
const ROUTE_TTL_MS = 60_000;
const MAX_ROUTES = 200_000;
const LEASES_UNTIL_DEAD = 3;
const REAP_LOCK_MS = 30_000;
const TOP_SWARMS = 10;
const SCRIPT_SHAS = new Map<string, string>();
const sha1 = (text: string): string => {
  let sha = SCRIPT_SHAS.get(text);
  if (sha === undefined) SCRIPT_SHAS.set(text, (sha = createHash('sha1').update(text).digest('hex')));
  return sha;
};

export class RedisSwarmCluster implements SwarmCluster {
  readonly nodeId: string;
  readonly #options: RedisClusterOptions;
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #routes = new RemoteRoutes(MAX_ROUTES, ROUTE_TTL_MS);
  readonly #counts = new Map<string, ClusterCounts>();
  /** Swarms (hex keys) registered under this node in Redis, so a reaper can find our peers. */
  readonly #registered = new Set<string>();
  #outbox = new Map<string, string[]>();
  #delivery: ClusterDelivery | null = null;
  #ready = false;
  #everReady = false;
  #closed = false;
  #heartbeat: NodeJS.Timeout | null = null;
  #liveNodes = 0;
  readonly #stats = {
    relayedOut: 0,
    relayedIn: 0,
    undeliverable: 0,
    invalidNodeMessages: 0,
    redisErrors: 0,
    reapedPeers: 0,
  };
  readonly #flush = (): void => this.#flushOutbox();

  private constructor(options: RedisClusterOptions) {
    this.#options = options;
    this.nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    // No offline queue: while Redis is away a command fails at once instead of piling up.
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
    });
    this.#subscriber = this.#client.duplicate();
  }

  /** Connect both Redis connections and subscribe to this node's channel; rejects if Redis is not there at startup. */
  static async start(options: RedisClusterOptions): Promise<RedisSwarmCluster> {
    const cluster = new RedisSwarmCluster(options);
    await cluster.#connect();
    return cluster;
  }

  /** The core that receives what other nodes relay; set once, right after the core is built. */
  bind(delivery: ClusterDelivery): void {
    this.#delivery = delivery;
  }

  remoteShare(infoHash: string, localOthers: number, wanted: number, random: () => number): number {
    if (!this.#ready || wanted === 0) return 0;
    const known = this.#counts.get(infoHash);
    if (known === undefined) return 0;
    const remoteOthers = known.peers - localOthers - 1;
    if (remoteOthers <= 0) return 0;
    // Each offer goes to a peer drawn from the whole swarm: the remote share is in proportion.
    const expected = (wanted * remoteOthers) / (remoteOthers + localOthers);
    return Math.min(wanted, Math.floor(expected + random()));
  }

  announced(infoHash: string, peerId: string, seeder: boolean, remoteOffers: readonly Offer[]): void {
    if (!this.#ready) return;
    const key = swarmKey(infoHash);
    this.#register(key);
    const nowMs = this.#options.nowUnixMs();
    const expiresAtMs = nowMs + this.#options.peerTimeoutMs;
    const args = [
      String(nowMs),
      String(expiresAtMs),
      peerId,
      this.nodeId,
      seeder ? '1' : '0',
      String(remoteOffers.length),
      String(this.#options.peerTimeoutMs * 2),
    ];
    this.#script(ANNOUNCE_SCRIPT, swarmKeys(key), args).then(
      (reply) => this.#onAnnounced(infoHash, peerId, remoteOffers, reply),
      (error: unknown) => this.#failed(error),
    );
  }

  left(infoHash: string, peerId: string, swarmEmpty: boolean): void {
    if (swarmEmpty) this.#counts.delete(infoHash);
    if (!this.#ready) return;
    const key = swarmKey(infoHash);
    this.#script(LEAVE_SCRIPT, swarmKeys(key), [peerId, this.nodeId]).catch((error: unknown) => this.#failed(error));
    if (swarmEmpty && this.#registered.delete(key))
      this.#client.sRem(nodeSwarmsKey(this.nodeId), key).catch((error: unknown) => this.#failed(error));
  }

  counts(infoHash: string, local: SwarmCounts): SwarmCounts {
    const known = this.#counts.get(infoHash);
    // The cached figure is one announce old: never report fewer peers than are here.
    if (known === undefined || known.peers < local.complete + local.incomplete) return local;
    return { complete: known.seeders, incomplete: known.peers - known.seeders, downloaded: local.downloaded };
  }

  relayAnswer(request: AnswerRequest): boolean {
    const node = this.#routes.nodeOf(request.infoHash, request.toPeerId, this.#options.nowUnixMs());
    if (node === null || !this.#ready) return false;
    this.#send(node, {
      type: 'answer',
      infoHash: request.infoHash,
      toPeerId: request.toPeerId,
      peerId: request.peerId,
      offerId: request.offerId,
      sdp: request.answer.sdp,
    });
    return true;
  }

  stats(): ClusterStats {
    const top = [...this.#counts].sort((a, b) => b[1].peers - a[1].peers).slice(0, TOP_SWARMS);
    return {
      nodeId: this.nodeId,
      redisConnected: this.#ready,
      liveNodes: this.#liveNodes,
      ...this.#stats,
      topSwarms: top.map(([infoHash, counts]) => ({ infoHash, peers: counts.peers, seeders: counts.seeders })),
    };
  }

  /** Take this node's peers out of Redis, give up the lease, disconnect. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    if (this.#ready) {
      try {
        await this.#reap(this.nodeId);
      } catch (error) {
        this.#failed(error);
      }
    }
    this.#ready = false;
    this.#routes.clear();
    this.#subscriber.destroy();
    this.#client.destroy();
  }

  async #connect(): Promise<void> {
    const logger = this.#options.logger;
    for (const client of [this.#client, this.#subscriber]) {
      client.on('error', (error: Error) => {
        this.#stats.redisErrors += 1;
        if (this.#ready && client === this.#client)
          logger.warn('redis connection lost; serving local peers only', { error: error.message, node: this.nodeId });
        if (client === this.#client) this.#ready = false;
      });
    }
    this.#client.on('ready', () => {
      if (this.#closed) return;
      this.#ready = true;
      if (this.#everReady) {
        logger.info('redis back; adding local peers again', { node: this.nodeId });
        void this.#readd();
      }
      this.#everReady = true;
    });
    await this.#client.connect();
    await this.#subscriber.connect();
    await this.#subscriber.sSubscribe(relayChannel(this.nodeId), (message: string) => this.#receive(message));
    await this.#renewLease();
    this.#heartbeat = setInterval(() => void this.#tick(), this.#options.nodeHeartbeatMs);
    this.#heartbeat.unref();
  }

  #onAnnounced(infoHash: string, peerId: string, remoteOffers: readonly Offer[], reply: unknown): void {
    if (!Array.isArray(reply) || reply.length < 2) return;
    const [peers, seeders] = reply as [number, number];
    const counts = this.#counts.get(infoHash);
    if (counts === undefined) this.#counts.set(infoHash, { peers, seeders });
    else {
      counts.peers = peers;
      counts.seeders = seeders;
    }
    for (let i = 0; i < remoteOffers.length && 2 + 2 * i + 1 < reply.length; i++) {
      const offer = remoteOffers[i] as Offer;
      const toPeerId = String(reply[2 + 2 * i]);
      const node = String(reply[3 + 2 * i]);
      this.#send(node, {
        type: 'offer',
        infoHash,
        toPeerId,
        peerId,
        node: this.nodeId,
        offerId: offer.offerId,
        sdp: offer.offer.sdp,
      });
    }
  }

  /** Queue a message for a node; every node's queue leaves as one SPUBLISH after this turn. */
  #send(node: string, message: NodeMessage): void {
    if (this.#outbox.size === 0) setImmediate(this.#flush);
    const queued = this.#outbox.get(node);
    if (queued === undefined) this.#outbox.set(node, [encodeNodeMessage(message)]);
    else queued.push(encodeNodeMessage(message));
    this.#stats.relayedOut += 1;
  }

  #flushOutbox(): void {
    const outbox = this.#outbox;
    this.#outbox = new Map();
    if (!this.#ready) return;
    for (const [node, messages] of outbox) {
      this.#client
        .sPublish(relayChannel(node), encodeNodeBatch(messages))
        .catch((error: unknown) => this.#failed(error));
    }
  }

  #receive(text: string): void {
    const delivery = this.#delivery;
    if (delivery === null || this.#closed) return;
    const { messages, invalid } = parseNodeBatch(text, this.#options.maxSdpChars);
    this.#stats.invalidNodeMessages += invalid;
    const nowMs = this.#options.nowUnixMs();
    for (const message of messages) {
      this.#stats.relayedIn += 1;
      const sdpJson = JSON.stringify(message.sdp);
      let delivered: boolean;
      if (message.type === 'offer') {
        delivered = delivery.deliverOffer(message.infoHash, message.toPeerId, message.peerId, {
          offerId: message.offerId,
          offer: { type: 'offer', sdp: message.sdp, sdpJson },
        });
        if (delivered) this.#routes.remember(message.infoHash, message.peerId, message.node, nowMs);
      } else {
        delivered = delivery.deliverAnswer({
          type: 'answer',
          infoHash: message.infoHash,
          peerId: message.peerId,
          toPeerId: message.toPeerId,
          offerId: message.offerId,
          answer: { type: 'answer', sdp: message.sdp, sdpJson },
        });
      }
      if (!delivered) this.#stats.undeliverable += 1;
    }
  }

  async #tick(): Promise<void> {
    if (!this.#ready || this.#closed) return;
    try {
      await this.#renewLease();
      const dead = await this.#client.zRangeByScore(NODES_KEY, '-inf', this.#options.nowUnixMs());
      for (const node of dead) {
        if (node === this.nodeId) continue;
        // One survivor reaps each dead node.
        const claimed = await this.#client.set(reapLockKey(node), this.nodeId, {
          condition: 'NX',
          expiration: { type: 'PX', value: REAP_LOCK_MS },
        });
        if (claimed !== 'OK') continue;
        const reaped = await this.#reap(node);
        this.#options.logger.info('dead tracker node reaped', { node, peers: reaped, by: this.nodeId });
      }
      this.#liveNodes = await this.#client.zCard(NODES_KEY);
    } catch (error) {
      this.#failed(error);
    }
  }

  async #renewLease(): Promise<void> {
    const leaseMs = this.#options.nodeHeartbeatMs * LEASES_UNTIL_DEAD;
    await this.#client.zAdd(NODES_KEY, { score: this.#options.nowUnixMs() + leaseMs, value: this.nodeId });
  }

  /** Every peer of `node` leaves every swarm it registered; the node leaves the registry. */
  async #reap(node: string): Promise<number> {
    const swarms = await this.#client.sMembers(nodeSwarmsKey(node));
    let reaped = 0;
    for (const key of swarms) reaped += Number(await this.#script(REAP_SCRIPT, swarmKeys(key), [node]));
    await this.#client.del(nodeSwarmsKey(node));
    await this.#client.zRem(NODES_KEY, node);
    this.#stats.reapedPeers += reaped;
    return reaped;
  }

  /** After Redis lost everything (a restart): lease, swarm registrations and every local peer again. */
  async #readd(): Promise<void> {
    const delivery = this.#delivery;
    if (delivery === null) return;
    this.#registered.clear();
    try {
      await this.#renewLease();
      for (const peer of delivery.localPeers()) this.announced(peer.infoHash, peer.peerId, peer.seeder, []);
    } catch (error) {
      this.#failed(error);
    }
  }

  #register(key: string): void {
    if (this.#registered.has(key)) return;
    this.#registered.add(key);
    this.#client.sAdd(nodeSwarmsKey(this.nodeId), key).catch((error: unknown) => {
      this.#registered.delete(key);
      this.#failed(error);
    });
  }

  /** EVALSHA, loading the script once per Redis (again after a restart: NOSCRIPT). */
  async #script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const evalArgs = [String(keys.length), ...keys, ...args];
    try {
      return await this.#client.sendCommand(['EVALSHA', sha1(source), ...evalArgs]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.#client.sendCommand(['EVAL', source, ...evalArgs]);
    }
  }

  #failed(error: unknown): void {
    this.#stats.redisErrors += 1;
    if (this.#options.logger.enabled('debug'))
      this.#options.logger.debug('redis command failed', {
        error: error instanceof Error ? error.message : String(error),
      });
  }
}
