// A tracker node's Redis connections (commands, and sharded pub/sub; to one Redis by URL or to the
// master a Sentinel group names: redis-connections.ts) as one link with a state:
// connecting → up ⇄ down → closed. At start-up the link is given `connectTimeoutMs` to come up,
// else start() rejects with a ClusterError naming the URL, so a node never hangs silently on a
// Redis that is not there. Once running, a lost link is retried forever with a capped back-off
// (the node keeps serving its own peers meanwhile); every change of state is logged once, and a
// reminder is logged while Redis stays away. A Redis that keeps the connection open but stops
// answering (a hung server, a half-open TCP connection after a failover) raises no error: node-redis
// then waits for replies forever. So both connections are probed with PING every
// `commandTimeoutMs`; no answer in that time counts as a loss, and the connections are recycled.
// While down, the same PING brings the link back up once answered (after a Sentinel failover the
// group client reconnects to the new master by itself; a recycle asks the sentinels afresh).
import { createHash } from 'node:crypto';
import type { Logger } from '../log.ts';
import {
  describeRedisEndpoint,
  openRedisConnections,
  type RedisConnections,
  type RedisEndpoint,
} from './redis-connections.ts';

export type RedisLinkState = 'connecting' | 'up' | 'down' | 'closed';

/** Why a cluster node could not start; `cause` is Redis' last connection error. */
export class ClusterError extends Error {
  readonly code: 'redis-unreachable';

  constructor(code: 'redis-unreachable', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterError';
    this.code = code;
  }
}

export interface RedisLinkOptions {
  readonly endpoint: RedisEndpoint;
  /** Start-up fails when both connections are not up within this long. */
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  /** Logged with every state change. */
  readonly nodeId: string;
  /** The link came up; `again` after it had been down (Redis restarted or failed over). */
  readonly onUp: (again: boolean) => void;
  /** A PING unanswered this long marks the link down. Default 2 s. */
  readonly commandTimeoutMs?: number;
  /** node-redis's own bound on each connection's queue (commands to write and awaiting a reply); more fail at once. */
  readonly maxQueuedCommands?: number;
  /** While down, "still unreachable" is logged this often. Default 30 s. */
  readonly stillDownLogMs?: number;
}

export interface RedisLinkStats {
  readonly state: RedisLinkState;
  /** Times an up link went down. */
  readonly losses: number;
  /** Reconnection attempts of either connection since start. */
  readonly reconnectAttempts: number;
  /** Connection errors reported by either connection. */
  readonly connectionErrors: number;
  /** Times a PING went unanswered for `commandTimeoutMs` (each also counts as a loss). */
  readonly unansweredProbes: number;
}

/** Longest wait between two reconnection attempts. */
export const MAX_RECONNECT_DELAY_MS = 1000;
const STILL_DOWN_LOG_MS = 30_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/**
 * Whether `promise` settles (either way) within `ms`. The verdict "late" waits for the I/O phase
 * after the timer (setImmediate), so an event loop that was blocked past `ms` still reads a reply
 * that had arrived meanwhile before calling it late.
 */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => setImmediate(() => resolve(false)), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
const SCRIPT_SHAS = new Map<string, string>();
const sha1 = (text: string): string => {
  let sha = SCRIPT_SHAS.get(text);
  if (sha === undefined) SCRIPT_SHAS.set(text, (sha = createHash('sha1').update(text).digest('hex')));
  return sha;
};

export class RedisLink {
  readonly #connections: RedisConnections;
  readonly #options: RedisLinkOptions;
  #state: RedisLinkState = 'connecting';
  #downSinceMs = 0;
  #lastError: Error | null = null;
  #stillDownTimer: NodeJS.Timeout | null = null;
  #probeTimer: NodeJS.Timeout | null = null;
  #probing = false;
  // While recycling, `ready` events do not bring the link up: only an answered PING does.
  #recycling = false;
  readonly #counts = { losses: 0, reconnectAttempts: 0, connectionErrors: 0, unansweredProbes: 0 };

  private constructor(options: RedisLinkOptions) {
    this.#options = options;
    this.#connections = openRedisConnections(
      options.endpoint,
      {
        connectTimeoutMs: options.connectTimeoutMs,
        reconnectDelayMs: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
        ...(options.maxQueuedCommands === undefined ? {} : { maxQueuedCommands: options.maxQueuedCommands }),
      },
      {
        onError: (error) => this.#onError(error),
        onReconnecting: () => {
          this.#counts.reconnectAttempts += 1;
        },
        onReady: () => this.#onReady(),
      },
    );
  }

  /**
   * Connect, and subscribe `listener` to the sharded `channel`, within `connectTimeoutMs`.
   * @throws ClusterError `redis-unreachable` when Redis did not answer in time (connections closed).
   */
  static async start(
    options: RedisLinkOptions,
    subscription: { readonly channel: string; readonly listener: (message: string) => void },
  ): Promise<RedisLink> {
    const link = new RedisLink(options);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.connectTimeoutMs);
    });
    const connected = (async () => {
      await link.#connections.connect();
      await link.#connections.subscribe(subscription.channel, subscription.listener);
      return 'up' as const;
    })();
    // Whatever happens to it after a timeout, the attempt must not become an unhandled rejection.
    connected.catch(() => undefined);
    try {
      const outcome = await Promise.race([connected, timedOut]);
      if (outcome === 'timeout') {
        const lastError = link.#lastError;
        link.destroy();
        throw new ClusterError(
          'redis-unreachable',
          `Redis at ${describeRedisEndpoint(options.endpoint)} did not answer within ${options.connectTimeoutMs} ms (setting redisConnectTimeoutMs)${lastError === null ? '' : `: ${lastError.message}`}`,
          { cause: lastError },
        );
      }
    } catch (error) {
      link.destroy();
      if (error instanceof ClusterError) throw error;
      throw new ClusterError(
        'redis-unreachable',
        `Redis at ${describeRedisEndpoint(options.endpoint)} failed: ${String(error)}`,
        {
          cause: error,
        },
      );
    } finally {
      clearTimeout(timer);
    }
    link.#setUp(false);
    return link;
  }

  /** Both connections are ready: commands can be sent and relays arrive. */
  get up(): boolean {
    return this.#state === 'up';
  }

  stats(): RedisLinkStats {
    return { state: this.#state, ...this.#counts };
  }

  /** One raw command (`['ZADD', key, score, member]`); rejects at once while the link is down. */
  command(args: readonly string[]): Promise<unknown> {
    return this.#connections.command(args);
  }

  /** EVALSHA, loading the script once per Redis (again after a restart or failover: NOSCRIPT). */
  async script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const evalArgs = [String(keys.length), ...keys, ...args];
    try {
      return await this.#connections.command(['EVALSHA', sha1(source), ...evalArgs]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.#connections.command(['EVAL', source, ...evalArgs]);
    }
  }

  /** Close both connections at once (no QUIT). Idempotent. */
  destroy(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#clearStillDown();
    if (this.#probeTimer !== null) clearInterval(this.#probeTimer);
    this.#connections.destroy();
  }

  #onError(error: Error): void {
    this.#counts.connectionErrors += 1;
    const first = this.#lastError === null;
    this.#lastError = error;
    if (this.#state === 'connecting' && first)
      this.#options.logger.warn('redis not reachable yet; retrying', {
        node: this.#options.nodeId,
        redis: describeRedisEndpoint(this.#options.endpoint),
        timeoutMs: this.#options.connectTimeoutMs,
        error: error.message,
      });
    this.#goDown(error);
  }

  /** An up link is lost: serve local peers only, and say so until it is back. */
  #goDown(error: Error): void {
    if (this.#state !== 'up') return;
    this.#state = 'down';
    this.#counts.losses += 1;
    this.#downSinceMs = performance.now();
    this.#options.logger.warn('redis connection lost; serving local peers only', {
      node: this.#options.nodeId,
      error: error.message,
    });
    this.#stillDownTimer = setInterval(() => {
      this.#options.logger.warn('redis still unreachable; serving local peers only', {
        node: this.#options.nodeId,
        downForSeconds: Math.round((performance.now() - this.#downSinceMs) / 1000),
        reconnectAttempts: this.#counts.reconnectAttempts,
        error: this.#lastError?.message,
      });
    }, this.#options.stillDownLogMs ?? STILL_DOWN_LOG_MS);
    this.#stillDownTimer.unref();
  }

  get #commandTimeoutMs(): number {
    return this.#options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  /**
   * PING every connection. Up and unanswered in time: down, and recycle them until Redis answers
   * again. Down (after an error) and answered: up again, whether or not a `ready` event said so.
   */
  async #probe(): Promise<void> {
    if (this.#probing || this.#recycling || (this.#state !== 'up' && this.#state !== 'down')) return;
    this.#probing = true;
    const ms = this.#commandTimeoutMs;
    const wasDown = this.#state === 'down';
    const ping = this.#connections.ping().then(
      () => true,
      () => false,
    );
    // Up: a PING that fails at once is a connection error, which its own event reports.
    const answered = await settlesWithin(ping, ms);
    const succeeded = answered && (await ping);
    this.#probing = false;
    if (wasDown) {
      if (succeeded) this.#comeBack();
      return;
    }
    if (answered || this.#state !== 'up') return;
    this.#counts.unansweredProbes += 1;
    this.#lastError = new Error(`no answer to PING within ${ms} ms`);
    this.#goDown(this.#lastError);
    await this.#recycle();
  }

  /**
   * Close the connections (their waiting commands fail) and open them again until a PING on each
   * is answered in time. The subscription is kept across the new connection.
   */
  async #recycle(): Promise<void> {
    const ms = this.#commandTimeoutMs;
    this.#recycling = true;
    for (let attempt = 0; this.#state === 'down'; attempt++) {
      this.#connections.destroy();
      this.#counts.reconnectAttempts += 1;
      const connected = (async () => {
        await this.#connections.connect();
        await this.#connections.ping();
        return true;
      })().catch(() => false);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- destroy() may run during the await
      if ((await settlesWithin(connected, ms)) && (await connected) && this.#state === 'down') {
        this.#recycling = false;
        this.#comeBack();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS)));
    }
    this.#recycling = false;
  }

  #onReady(): void {
    // Up again only when both connections are (start() sets the first up itself).
    if (this.#connections.ready) this.#comeBack();
  }

  /** Down, and Redis answers again on every connection. */
  #comeBack(): void {
    if (this.#state !== 'down' || this.#recycling) return;
    this.#clearStillDown();
    this.#options.logger.info('redis connection back; adding local peers again', {
      node: this.#options.nodeId,
      downForMs: Math.round(performance.now() - this.#downSinceMs),
    });
    this.#setUp(true);
  }

  #setUp(again: boolean): void {
    this.#state = 'up';
    if (this.#probeTimer === null) {
      this.#probeTimer = setInterval(() => void this.#probe(), this.#commandTimeoutMs);
      this.#probeTimer.unref();
    }
    this.#options.onUp(again);
  }

  #clearStillDown(): void {
    if (this.#stillDownTimer !== null) clearInterval(this.#stillDownTimer);
    this.#stillDownTimer = null;
  }
}
