// The cluster port on Redis 7 (node-redis v6): swarm membership in one Lua call per announce,
// offers and answers for peers on other nodes over sharded pub/sub to that node's channel only,
// batched per node per event-loop turn; a node lease refreshed every second, dead nodes' peers
// reaped by a survivor; after a Redis restart, local peers are added again. While Redis is
// unreachable nothing waits on it: commands fail at once and local serving goes on.
import { randomBytes } from 'node:crypto';
import type { AnswerRequest, Offer, SwarmCounts } from '../protocol.ts';
import { deliverNodeBatch } from './node-delivery.ts';
import type { NodeMessage } from './node-messages.ts';
import { NodeOutbox } from './node-outbox.ts';
import {
  ANNOUNCE_SCRIPT,
  LEAVE_SCRIPT,
  PEER_ID_TAKEN,
  announceCall,
  nodeSwarmsKey,
  relayChannel,
  swarmKey,
  swarmKeys,
} from './redis-scripts.ts';
import { reapDeadNodes, reapNode, renewLease } from './node-leases.ts';
import { PendingCommands, forEachBounded } from './pending-commands.ts';
import { DEFAULT_COMMAND_TIMEOUT_MS, RedisLink } from './redis-link.ts';
import { ClusterCounts } from './cluster-counts.ts';
import { LeaveBatches } from './leave-batches.ts';
import { CoalescedRun } from './coalesced-run.ts';
import { RemotePicks, splitPicks, type RemotePeer } from './remote-picks.ts';
import { RemoteRoutes } from './remote-routes.ts';
import { ScrapeCounts } from './scrape-counts.ts';
import type { ClaimOutcome, ClusterDelivery, LocalOthers, SwarmCluster } from './swarm-cluster.ts';
import type { ClusterStats, RedisClusterOptions } from './redis-cluster-options.ts';

const LEASES_UNTIL_DEAD = 3;
/** Commands outside the bound at most: one heartbeat's lease and reaping, one PING per connection. */
const MAX_UNGATED_COMMANDS = 64;
export const DEFAULT_MAX_PENDING_COMMANDS = 10_000;
/** Local peers re-added to Redis at once after an outage. */
const READD_CONCURRENCY = 256;

export type { ClusterStats, RedisClusterOptions } from './redis-cluster-options.ts';

export class RedisSwarmCluster implements SwarmCluster {
  readonly nodeId: string;
  readonly #options: RedisClusterOptions;
  #link: RedisLink | null = null;
  readonly #routes = new RemoteRoutes();
  readonly #counts = new ClusterCounts();
  readonly #scrapeCounts = new ScrapeCounts(
    (source, keys, args) => this.#pending.run(() => this.#script(source, keys, args)),
    (error) => this.#failed(error),
  );
  readonly #picks = new RemotePicks();
  /** Swarms (hex keys) registered under this node in Redis, so a reaper can find our peers. */
  readonly #registered = new Set<string>();
  readonly #outbox = new NodeOutbox((node, batch) =>
    this.#gated(() => this.#command(['SPUBLISH', relayChannel(node), batch])),
  );
  /** Per swarm with peers here, a token its replies carry: one whose swarm emptied meanwhile is dropped. */
  readonly #live = new Map<string, object>();
  #delivery: ClusterDelivery | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  // A heartbeat waiting on a hung Redis is not joined by the next ones.
  #ticking = false;
  readonly #readd = new CoalescedRun(() => this.#readdAll());
  #reapAfterUnixMs = 0;
  readonly #pending: PendingCommands;
  readonly #leaves = new LeaveBatches(
    (key, peerIds) => this.#gated(() => this.#script(LEAVE_SCRIPT, swarmKeys(key), [this.nodeId, ...peerIds])),
    (key) => this.#gated(() => this.#command(['SREM', nodeSwarmsKey(this.nodeId), key])),
  );
  #liveNodes = 0;
  readonly #stats = {
    relayedOut: 0,
    offersSentEarly: 0,
    relayedIn: 0,
    undeliverable: 0,
    invalidNodeMessages: 0,
    redisErrors: 0,
    reapedPeers: 0,
  };

  private constructor(options: RedisClusterOptions) {
    this.#options = options;
    this.#pending = new PendingCommands(options.maxPendingCommands ?? DEFAULT_MAX_PENDING_COMMANDS);
    this.nodeId = options.nodeId ?? randomBytes(8).toString('hex');
  }

  /**
   * Connect to Redis, subscribe to this node's channel and take the node lease.
   * @throws ClusterError `redis-unreachable` when Redis is not there within `connectTimeoutMs`.
   */
  static async start(options: RedisClusterOptions): Promise<RedisSwarmCluster> {
    const cluster = new RedisSwarmCluster(options);
    cluster.#link = await RedisLink.start(
      {
        endpoint: options.endpoint,
        connectTimeoutMs: options.connectTimeoutMs,
        ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
        // node-redis's own queue bound, a backstop above ours: re-adds, leases and PINGs fit.
        maxQueuedCommands:
          (options.maxPendingCommands ?? DEFAULT_MAX_PENDING_COMMANDS) + READD_CONCURRENCY + MAX_UNGATED_COMMANDS,
        logger: options.logger,
        nodeId: cluster.nodeId,
        onUp: (again) => {
          // After Redis lost everything (a restart): lease, swarm registrations and local peers again.
          if (!again) return;
          // Every node's lease ran on while Redis was away (a failover keeps them): leave the
          // others time to come back before calling them dead, or their peers would be reaped.
          cluster.#reapAfterUnixMs =
            options.nowUnixMs() +
            options.nodeHeartbeatMs * LEASES_UNTIL_DEAD +
            2 * (options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
          cluster.#readd.request();
        },
      },
      { channel: relayChannel(cluster.nodeId), listener: (message: string) => cluster.#receive(message) },
    );
    try {
      await cluster.#renewLease();
    } catch (error) {
      cluster.#link.destroy();
      throw error;
    }
    cluster.#heartbeat = setInterval(() => void cluster.#tick(), options.nodeHeartbeatMs);
    cluster.#heartbeat.unref();
    return cluster;
  }

  /** Commands can be sent: the link is up and the node is not closing. */
  get #ready(): boolean {
    return !this.#closed && this.#link?.up === true;
  }

  #command(args: readonly string[]): Promise<unknown> {
    return this.#link?.command(args) ?? Promise.reject(new Error('RedisSwarmCluster used before start()'));
  }

  /** The core that receives what other nodes relay; set once, right after the core is built. */
  bind(delivery: ClusterDelivery): void {
    this.#delivery = delivery;
  }

  remoteShare(infoHash: string, local: LocalOthers, wanted: number, random: () => number): number {
    return this.#ready ? this.#counts.remoteShare(infoHash, local, wanted, random) : 0;
  }

  announced(
    infoHash: string,
    peerId: string,
    seeder: boolean,
    remoteOffers: readonly Offer[],
    region: string | null,
    claimed?: (outcome: ClaimOutcome) => void,
  ): void {
    // Offers for other nodes leave in this turn to peers earlier replies picked (remote-picks.ts);
    // a claim's wait for the script, which picks for all of them then.
    const pickEarly = region === null && claimed === undefined && this.#ready;
    const early = pickEarly ? this.#picks.take(infoHash, remoteOffers.length, this.#options.nowUnixMs()) : [];
    early.forEach((to, i) => this.#sendOffer(infoHash, peerId, remoteOffers[i] as Offer, to));
    this.#stats.offersSentEarly += early.length;
    void this.#refresh(infoHash, peerId, seeder, remoteOffers, region, true, early, claimed);
  }

  /**
   * Add or refresh a peer in Redis and send its remote offers; settles once Redis answered, never
   * rejects. `gated`: shed when too many commands wait (announces); re-adds have their own bound.
   * `early`: remote offers already sent to earlier picks; the script picks for the rest, and (peers
   * without a region) as many again for later announces. `claimed`: told the outcome once (accepted
   * when Redis is not asked or fails: the peer is served from memory).
   */
  #refresh(
    infoHash: string,
    peerId: string,
    seeder: boolean,
    remoteOffers: readonly Offer[],
    region: string | null,
    gated: boolean,
    early: readonly RemotePeer[] = [],
    claimed?: (outcome: ClaimOutcome) => void,
  ): Promise<void> {
    const accept = (): void => claimed?.('accepted');
    if (!this.#ready) return Promise.resolve().then(accept);
    const key = swarmKey(infoHash);
    this.#leaves.cancel(key, peerId);
    this.#register(key);
    let live = this.#live.get(infoHash);
    if (live === undefined) this.#live.set(infoHash, (live = {}));
    const picks = remoteOffers.length - early.length + (region === null ? remoteOffers.length : 0);
    const { keys, args } = announceCall(key, peerId, this.nodeId, seeder, picks, region, this.#options);
    const send = (): Promise<unknown> => this.#script(ANNOUNCE_SCRIPT, keys, args);
    const sent = gated ? this.#pending.run(send) : send();
    if (sent === null) return Promise.resolve().then(accept);
    return sent.then(
      (reply) => {
        if (this.#live.get(infoHash) !== live) accept();
        else this.#onAnnounced(infoHash, peerId, region, remoteOffers, reply, early, claimed);
      },
      (error: unknown) => {
        this.#failed(error);
        accept();
      },
    );
  }

  left(infoHash: string, peerId: string, swarmEmpty: boolean): void {
    if (swarmEmpty) {
      this.#live.delete(infoHash);
      this.#counts.forget(infoHash);
      this.#picks.forget(infoHash);
    }
    if (!this.#ready) return;
    const key = swarmKey(infoHash);
    this.#leaves.add(key, peerId, swarmEmpty && this.#registered.delete(key));
  }

  /** Send a command unless Redis is away or too many wait (then shed); a failure counts as the link's. */
  #gated(send: () => Promise<unknown>): void {
    if (this.#ready) this.#pending.run(send)?.catch((error: unknown) => this.#failed(error));
  }

  counts(infoHash: string, local: SwarmCounts): SwarmCounts {
    return this.#counts.counts(infoHash, local);
  }

  scrape(files: Map<string, SwarmCounts>, reply: () => void): void {
    this.#scrapeCounts.fill(files, this.#ready ? this.#counts : null, this.#options.nowUnixMs(), reply);
  }

  relayAnswer(request: AnswerRequest): boolean {
    const { infoHash, toPeerId, peerId, offerId } = request;
    const node = this.#routes.nodeOf(infoHash, toPeerId, offerId, this.#options.nowUnixMs());
    if (node === null || !this.#ready) return false;
    this.#send(node, { type: 'answer', infoHash, toPeerId, peerId, offerId, sdp: request.answer.sdp });
    return true;
  }

  stats(): ClusterStats {
    const link = this.#link?.stats();
    return {
      nodeId: this.nodeId,
      redisConnected: this.#ready,
      redisLinkState: link?.state ?? 'connecting',
      redisConnectionLosses: link?.losses ?? 0,
      redisReconnectAttempts: link?.reconnectAttempts ?? 0,
      redisUnansweredProbes: link?.unansweredProbes ?? 0,
      redisPendingCommands: this.#pending.pending,
      redisCommandsShed: this.#pending.shed,
      liveNodes: this.#liveNodes,
      ...this.#stats,
      redisErrors: this.#stats.redisErrors + (link?.connectionErrors ?? 0),
      scrapeReadsCapped: this.#scrapeCounts.capped,
      topSwarms: this.#counts.top(),
    };
  }

  /** Take this node's peers out of Redis, give up the lease, disconnect. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#leaves.flush();
    if (this.#ready) {
      try {
        if (this.#link !== null) this.#stats.reapedPeers += await reapNode(this.#link, this.nodeId);
      } catch (error) {
        this.#failed(error);
      }
    }
    this.#closed = true;
    this.#routes.clear();
    this.#picks.clear();
    this.#scrapeCounts.clear();
    this.#link?.destroy();
  }

  /** The script's counts and picks: offers not sent early go to the picks, the rest are kept for later announces. */
  #onAnnounced(
    infoHash: string,
    peerId: string,
    region: string | null,
    remoteOffers: readonly Offer[],
    reply: unknown,
    early: readonly RemotePeer[],
    claimed?: (outcome: ClaimOutcome) => void,
  ): void {
    if (reply === PEER_ID_TAKEN) {
      claimed?.('taken');
      this.#delivery?.refuseTaken(infoHash, peerId);
      return;
    }
    claimed?.('accepted');
    if (!Array.isArray(reply) || reply.length < 3) return;
    const [peers, seeders, regionPeers] = reply as [number, number, number];
    this.#counts.record(infoHash, region, peers, seeders, regionPeers);
    const { targets, spare } = splitPicks(reply, early, remoteOffers.length - early.length);
    targets.forEach((to, i) => this.#sendOffer(infoHash, peerId, remoteOffers[early.length + i] as Offer, to));
    if (region === null) this.#picks.store(infoHash, spare, this.#options.nowUnixMs());
  }

  #sendOffer(infoHash: string, peerId: string, offer: Offer, to: RemotePeer): void {
    this.#send(to.node, {
      type: 'offer',
      infoHash,
      toPeerId: to.peerId,
      peerId,
      node: this.nodeId,
      offerId: offer.offerId,
      sdp: offer.offer.sdp,
    });
  }

  /** Queue a message for a node; every node's queue leaves as one SPUBLISH after this turn. */
  #send(node: string, message: NodeMessage): void {
    this.#outbox.send(node, message);
    this.#stats.relayedOut += 1;
  }

  #receive(text: string): void {
    const delivery = this.#delivery;
    if (delivery === null || this.#closed) return;
    const nowMs = this.#options.nowUnixMs();
    const batch = deliverNodeBatch(text, delivery, this.#routes, this.#options.maxSdpChars, nowMs);
    this.#stats.relayedIn += batch.relayedIn;
    this.#stats.undeliverable += batch.undeliverable;
    this.#stats.invalidNodeMessages += batch.invalid;
  }

  async #tick(): Promise<void> {
    const link = this.#link;
    if (!this.#ready || link === null || this.#ticking) return;
    this.#ticking = true;
    try {
      // A lease gone while the link stayed up: this node stalled past it and was reaped.
      if (await this.#renewLease()) {
        this.#options.logger.warn('node lease lapsed: adding local peers again', { node: this.nodeId });
        this.#readd.request();
      }
      const nowMs = this.#options.nowUnixMs();
      const swept = await reapDeadNodes(link, this.nodeId, nowMs, nowMs >= this.#reapAfterUnixMs, this.#options.logger);
      this.#stats.reapedPeers += swept.reapedPeers;
      this.#liveNodes = swept.liveNodes;
    } catch (error) {
      this.#failed(error);
    } finally {
      this.#ticking = false;
    }
  }

  #renewLease(): Promise<boolean> {
    if (this.#link === null) return Promise.reject(new Error('RedisSwarmCluster used before start()'));
    const leaseMs = this.#options.nodeHeartbeatMs * LEASES_UNTIL_DEAD;
    return renewLease(this.#link, this.nodeId, leaseMs, this.#options.nowUnixMs());
  }

  /** After Redis lost this node (a restart, or reaped after a stall): lease, swarm registrations and every local peer again. */
  async #readdAll(): Promise<void> {
    const delivery = this.#delivery;
    if (delivery === null) return;
    this.#registered.clear();
    try {
      await this.#renewLease();
      const peers = await forEachBounded(delivery.localPeers(), READD_CONCURRENCY, (peer) =>
        this.#refresh(peer.infoHash, peer.peerId, peer.seeder, [], peer.region ?? null, false),
      );
      this.#options.logger.info('local peers added to redis again', { node: this.nodeId, peers });
    } catch (error) {
      this.#failed(error);
    }
  }

  #register(key: string): void {
    if (this.#registered.has(key)) return;
    this.#registered.add(key);
    const sent = this.#pending.run(() => this.#command(['SADD', nodeSwarmsKey(this.nodeId), key]));
    // Shed or failed: registered again with the swarm's next announce.
    if (sent === null) this.#registered.delete(key);
    else
      sent.catch((error: unknown) => {
        this.#registered.delete(key);
        this.#failed(error);
      });
  }

  #script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.#link?.script(source, keys, args) ?? Promise.reject(new Error('RedisSwarmCluster used before start()'));
  }

  #failed(error: unknown): void {
    this.#stats.redisErrors += 1;
    if (this.#options.logger.enabled('debug'))
      this.#options.logger.debug('redis command failed', {
        error: error instanceof Error ? error.message : String(error),
      });
  }
}
