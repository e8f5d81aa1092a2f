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

function clientOptions(options: RedisConnectionOptions) {
  return {
    // No offline queue: while Redis is away a command fails at once instead of piling up.
    disableOfflineQueue: true,
    ...(options.maxQueuedCommands === undefined ? {} : { commandsQueueMaxLength: options.maxQueuedCommands }),
    socket: {
      connectTimeout: Math.min(options.connectTimeoutMs, 5000),
      reconnectStrategy: options.reconnectDelayMs,
    },
  };
}

class UrlConnections implements RedisConnections {
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;

  constructor(url: string, options: RedisConnectionOptions, events: RedisConnectionEvents) {
    this.#client = createClient({ url, ...clientOptions(options) });
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
    for (const client of [this.#client, this.#subscriber]) if (client.isOpen) client.destroy();
  }
}

class SentinelConnections implements RedisConnections {
  readonly #endpoint: Extract<RedisEndpoint, { kind: 'sentinel' }>;
  readonly #options: RedisConnectionOptions;
  readonly #events: RedisConnectionEvents;
  readonly #channels = new Map<string, (message: string) => void>();
  #group: SentinelGroup | null = null;

  constructor(
    endpoint: Extract<RedisEndpoint, { kind: 'sentinel' }>,
    options: RedisConnectionOptions,
    events: RedisConnectionEvents,
  ) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.#events = events;
  }

  get ready(): boolean {
    return this.#group?.isReady === true;
  }

  /** A new group client each time: it asks the sentinels which node is master now. */
  async connect(): Promise<void> {
    this.destroy();
    const group: SentinelGroup = createSentinel({
      name: this.#endpoint.masterName,
      sentinelRootNodes: this.#endpoint.sentinels.map(({ host, port }) => ({ host, port })),
      nodeClientOptions: clientOptions(this.#options),
      sentinelClientOptions: clientOptions(this.#options),
      // Master errors come as `error` events too, so a dying master marks the link down at once.
      passthroughClientErrorEvents: true,
      masterPoolSize: 1,
    });
    this.#group = group;
    // A replaced group's late events are not about the link any more.
    const current = (): boolean => this.#group === group;
    group.on('error', (error: unknown) => {
      if (current()) this.#events.onError(error instanceof Error ? error : new Error(String(error)));
    });
    group.on('reconnecting', () => {
      if (current()) this.#events.onReconnecting();
    });
    group.on('ready', () => {
      if (current()) this.#events.onReady();
    });
    await group.connect();
    for (const [channel, listener] of this.#channels) await group.sSubscribe(channel, listener);
  }

  command(args: readonly string[]): Promise<unknown> {
    if (this.#group === null) return Promise.reject(new Error('sentinel group not connected'));
    return this.#group.sendCommand(false, [...args]);
  }

  ping(): Promise<unknown> {
    return this.command(['PING']);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.#channels.set(channel, listener);
    await this.#group?.sSubscribe(channel, listener);
  }

  destroy(): void {
    const group = this.#group;
    this.#group = null;
    if (group !== null) void group.destroy().catch(() => undefined);
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

class ClusterConnections implements RedisConnections {
  readonly #endpoint: Extract<RedisEndpoint, { kind: 'cluster' }>;
  readonly #options: RedisConnectionOptions;
  readonly #events: RedisConnectionEvents;
  readonly #channels = new Map<string, (message: string) => void>();
  #client: ClusterClient | null = null;

  constructor(
    endpoint: Extract<RedisEndpoint, { kind: 'cluster' }>,
    options: RedisConnectionOptions,
    events: RedisConnectionEvents,
  ) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.#events = events;
  }

  get ready(): boolean {
    return this.#client?.isReady === true;
  }

  /** A new cluster client each time: it reads the slot map afresh from the seed nodes. */
  async connect(): Promise<void> {
    this.destroy();
    const client: ClusterClient = createCluster({
      rootNodes: this.#endpoint.nodes.map(({ host, port }) => ({ socket: { host, port } })),
      defaults: clientOptions(this.#options),
    });
    this.#client = client;
    // A replaced client's late events are not about the link any more.
    const current = (): boolean => this.#client === client;
    const onError = (error: unknown): void => {
      if (current()) this.#events.onError(error instanceof Error ? error : new Error(String(error)));
    };
    client.on('node-error', onError);
    client.on('error', onError);
    client.on('node-reconnecting', () => {
      if (current()) this.#events.onReconnecting();
    });
    client.on('node-ready', () => {
      if (current()) this.#events.onReady();
    });
    await client.connect();
    for (const [channel, listener] of this.#channels) await client.sSubscribe(channel, listener);
  }

  command(args: readonly string[]): Promise<unknown> {
    if (this.#client === null) return Promise.reject(new Error('cluster client not connected'));
    return this.#client.sendCommand(routingKey(args), false, [...args]);
  }

  ping(): Promise<unknown> {
    if (this.#client === null) return Promise.reject(new Error('cluster client not connected'));
    // One node, any: a shard that hangs alone shows as its commands waiting (bounded) and shed.
    return this.#client.sendCommand(undefined, true, ['PING']);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    // node-redis keeps sharded subscriptions across reconnection and slot moves.
    this.#channels.set(channel, listener);
    await this.#client?.sSubscribe(channel, listener);
  }

  destroy(): void {
    const client = this.#client;
    this.#client = null;
    if (client?.isOpen === true) client.destroy();
  }
}
