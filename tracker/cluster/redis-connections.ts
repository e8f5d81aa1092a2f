// What a node's Redis link talks to: one Redis at a URL (two node-redis clients: commands, and
// sharded pub/sub), the master of a Sentinel-managed group (node-redis's createSentinel, which
// asks the sentinels for the master, keeps a pub/sub connection of its own and follows a failover
// to the promoted replica), or a Redis Cluster (createCluster: each command goes to the master of
// its key's slot; a swarm's keys share one hash tag, so each Lua call stays in one slot; the node
// channel is subscribed on the shard that owns it). All give the link the same small surface: raw
// commands, a PING, a subscription that survives reconnection, and events.
import { createClient, createCluster, createSentinel } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;
/** The part of node-redis's sentinel client used here. */
interface SentinelGroup {
  readonly isReady: boolean;
  on(event: 'error' | 'reconnecting' | 'ready', listener: (error?: unknown) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): Promise<void>;
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  sSubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
}

/** One Redis by URL, or the master a group of sentinels names. */
export type RedisEndpoint =
  | { readonly kind: 'url'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      readonly masterName: string;
    }
  | { readonly kind: 'cluster'; readonly nodes: readonly { readonly host: string; readonly port: number }[] };

export interface RedisConnectionEvents {
  readonly onError: (error: Error) => void;
  readonly onReconnecting: () => void;
  readonly onReady: () => void;
}

export interface RedisConnectionOptions {
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMs: (retries: number) => number;
  /** node-redis's bound on each connection's queue; more commands fail at once. */
  readonly maxQueuedCommands?: number;
}

export interface RedisConnections {
  /** Both connections are ready (the master and the pub/sub connection, for a sentinel group). */
  readonly ready: boolean;
  connect(): Promise<void>;
  /** One raw command on the command connection. */
  command(args: readonly string[]): Promise<unknown>;
  /** PING every connection the link relies on. */
  ping(): Promise<unknown>;
  /** Sharded subscription, kept across reconnections and recycling. */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Close at once (no QUIT): waiting commands fail. connect() may follow. */
  destroy(): void;
}

/** The URL without its password, or the sentinel group, for logs and error messages. */
export function describeRedisEndpoint(endpoint: RedisEndpoint): string {
  if (endpoint.kind === 'cluster')
    return `Redis Cluster via ${endpoint.nodes.map((node) => `${node.host}:${node.port}`).join(',')}`;
  if (endpoint.kind === 'sentinel')
    return `sentinel master "${endpoint.masterName}" via ${endpoint.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  try {
    const parsed = new URL(endpoint.url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

export function openRedisConnections(
  endpoint: RedisEndpoint,
  options: RedisConnectionOptions,
  events: RedisConnectionEvents,
): RedisConnections {
  if (endpoint.kind === 'url') return new UrlConnections(endpoint.url, options, events);
  if (endpoint.kind === 'cluster') return new ClusterConnections(endpoint, options, events);
  return new SentinelConnections(endpoint, options, events);
}

/**
 * Options of every node-redis client here. `alive`: false once the client was destroyed or
 * replaced; it then stops reconnecting, so a client that a race left open (destroyed while
 * connecting) cannot keep the process alive retrying a Redis that is gone.
 */
function clientOptions(options: RedisConnectionOptions, alive: () => boolean) {
  return {
    // No offline queue: while Redis is away a command fails at once instead of piling up.
    disableOfflineQueue: true,
    // No per-command timer: node-redis 6 otherwise arms AbortSignal.timeout(5 s) for every command
    // (a timer, a signal and weak references that outlive the reply by seconds: at 1,000 announces/s
    // thousands live at once, survive scavenges and are promoted). The link's PING probe catches a
    // hung Redis within redisCommandTimeoutMs and recycles the connections, failing what waits.
    commandOptions: { timeout: 0 },
    ...(options.maxQueuedCommands === undefined ? {} : { commandsQueueMaxLength: options.maxQueuedCommands }),
    socket: {
      connectTimeout: Math.min(options.connectTimeoutMs, 5000),
      reconnectStrategy: (retries: number): number | false => (alive() ? options.reconnectDelayMs(retries) : false),
    },
  };
}

class UrlConnections implements RedisConnections {
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  #live = false;

  constructor(url: string, options: RedisConnectionOptions, events: RedisConnectionEvents) {
    this.#client = createClient({ url, ...clientOptions(options, () => this.#live) });
    this.#subscriber = this.#client.duplicate();
    for (const client of [this.#client, this.#subscriber]) {
      client.on('error', events.onError);
      client.on('reconnecting', events.onReconnecting);
      client.on('ready', events.onReady);
    }
  }

  get ready(): boolean {
    return this.#client.isReady && this.#subscriber.isReady;
  }

  async connect(): Promise<void> {
    this.#live = true;
    await this.#client.connect();
    await this.#subscriber.connect();
  }

  command(args: readonly string[]): Promise<unknown> {
    return this.#client.sendCommand([...args]);
  }

  ping(): Promise<unknown> {
    return Promise.all([this.#client.ping(), this.#subscriber.ping()]);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    // node-redis keeps the subscriber's channels across a new connection.
    await this.#subscriber.sSubscribe(channel, listener);
  }

  destroy(): void {
    this.#live = false;
    for (const client of [this.#client, this.#subscriber]) if (client.isOpen) client.destroy();
  }
}

/** What a replaced client's events are told to (ignored once it was replaced). */
interface ClientEventHandlers {
  readonly error: (error: unknown) => void;
  readonly reconnecting: () => void;
  readonly ready: () => void;
}

/** A client that sends commands and sharded subscriptions and tells its own connection state. */
interface ReplaceableClient {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  sSubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
}

/**
 * Connections through one node-redis client that follows the topology itself (a sentinel group,
 * a cluster client) and is replaced whole on each connect(): a replaced client's late events are
 * ignored, its subscriptions are made again on the new one, and one destroyed while connecting is
 * destroyed again once that connect settled (else it could open a connection afterwards and
 * reconnect forever).
 */
abstract class ReplacedClientConnections<C extends ReplaceableClient> implements RedisConnections {
  protected readonly options: RedisConnectionOptions;
  readonly #events: RedisConnectionEvents;
  readonly #channels = new Map<string, (message: string) => void>();
  protected client: C | null = null;
  #connecting: Promise<unknown> | null = null;
  #generation: symbol | null = null;

  constructor(options: RedisConnectionOptions, events: RedisConnectionEvents) {
    this.options = options;
    this.#events = events;
  }

  get ready(): boolean {
    return this.client?.isReady === true;
  }

  /** A new client (its reconnects stop once `alive()` is false) and its events, by node-redis name. */
  protected abstract open(alive: () => boolean): {
    readonly client: C;
    readonly events: (on: ClientEventHandlers) => void;
  };
  protected abstract close(client: C): void;
  abstract command(args: readonly string[]): Promise<unknown>;
  abstract ping(): Promise<unknown>;

  async connect(): Promise<void> {
    this.destroy();
    const generation = Symbol('redis client');
    this.#generation = generation;
    const { client, events } = this.open(() => this.#generation === generation);
    this.client = client;
    const current = (): boolean => this.client === client;
    events({
      error: (error) => {
        if (current()) this.#events.onError(error instanceof Error ? error : new Error(String(error)));
      },
      reconnecting: () => {
        if (current()) this.#events.onReconnecting();
      },
      ready: () => {
        if (current()) this.#events.onReady();
      },
    });
    const connecting = client.connect();
    this.#connecting = connecting;
    await connecting;
    for (const [channel, listener] of this.#channels) await client.sSubscribe(channel, listener);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.#channels.set(channel, listener);
    await this.client?.sSubscribe(channel, listener);
  }

  destroy(): void {
    const client = this.client;
    const connecting = this.#connecting;
    this.client = null;
    this.#connecting = null;
    this.#generation = null;
    if (client === null) return;
    const close = (): void => this.close(client);
    close();
    void connecting?.then(close, close);
  }
}

class SentinelConnections extends ReplacedClientConnections<SentinelGroup> {
  readonly #endpoint: Extract<RedisEndpoint, { kind: 'sentinel' }>;

  constructor(
    endpoint: Extract<RedisEndpoint, { kind: 'sentinel' }>,
    options: RedisConnectionOptions,
    events: RedisConnectionEvents,
  ) {
    super(options, events);
    this.#endpoint = endpoint;
  }

  /** A new group client each time: it asks the sentinels which node is master now. */
  protected open(alive: () => boolean): ReturnType<ReplacedClientConnections<SentinelGroup>['open']> {
    const group: SentinelGroup = createSentinel({
      name: this.#endpoint.masterName,
      sentinelRootNodes: this.#endpoint.sentinels.map(({ host, port }) => ({ host, port })),
      nodeClientOptions: clientOptions(this.options, alive),
      sentinelClientOptions: clientOptions(this.options, alive),
      // Master errors come as `error` events too, so a dying master marks the link down at once.
      passthroughClientErrorEvents: true,
      masterPoolSize: 1,
    });
    return {
      client: group,
      events: (on) => {
        group.on('error', on.error);
        group.on('reconnecting', on.reconnecting);
        group.on('ready', on.ready);
      },
    };
  }

  protected close(group: SentinelGroup): void {
    void group.destroy().catch(() => undefined);
  }

  command(args: readonly string[]): Promise<unknown> {
    if (this.client === null) return Promise.reject(new Error('sentinel group not connected'));
    return this.client.sendCommand(false, [...args]);
  }

  ping(): Promise<unknown> {
    return this.command(['PING']);
  }
}

/** The part of node-redis's cluster client used here. */
interface ClusterClient {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  on(event: 'node-error' | 'node-reconnecting' | 'node-ready' | 'error', listener: (error?: unknown) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  sSubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
}

/** The key a command is routed by: EVAL/EVALSHA name it after the key count, the others first. */
function routingKey(args: readonly string[]): string | undefined {
  const name = args[0]?.toUpperCase();
  return name === 'EVALSHA' || name === 'EVAL' ? args[3] : args[1];
}

class ClusterConnections extends ReplacedClientConnections<ClusterClient> {
  readonly #endpoint: Extract<RedisEndpoint, { kind: 'cluster' }>;

  constructor(
    endpoint: Extract<RedisEndpoint, { kind: 'cluster' }>,
    options: RedisConnectionOptions,
    events: RedisConnectionEvents,
  ) {
    super(options, events);
    this.#endpoint = endpoint;
  }

  /** A new cluster client each time: it reads the slot map afresh from the seed nodes. */
  protected open(alive: () => boolean): ReturnType<ReplacedClientConnections<ClusterClient>['open']> {
    const client: ClusterClient = createCluster({
      rootNodes: this.#endpoint.nodes.map(({ host, port }) => ({ socket: { host, port } })),
      defaults: clientOptions(this.options, alive),
    });
    return {
      client,
      events: (on) => {
        client.on('node-error', on.error);
        client.on('error', on.error);
        client.on('node-reconnecting', on.reconnecting);
        client.on('node-ready', on.ready);
      },
    };
  }

  protected close(client: ClusterClient): void {
    if (client.isOpen) client.destroy();
  }

  command(args: readonly string[]): Promise<unknown> {
    if (this.client === null) return Promise.reject(new Error('cluster client not connected'));
    return this.client.sendCommand(routingKey(args), false, [...args]);
  }

  ping(): Promise<unknown> {
    if (this.client === null) return Promise.reject(new Error('cluster client not connected'));
    // One node, any: a shard that hangs alone shows as its commands waiting (bounded) and shed.
    return this.client.sendCommand(undefined, true, ['PING']);
  }
}
