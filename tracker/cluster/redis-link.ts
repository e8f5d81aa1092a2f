// A tracker node's two Redis connections (commands, and sharded pub/sub) as one link with a state:
// connecting → up ⇄ down → closed. At start-up the link is given `connectTimeoutMs` to come up,
// else start() rejects with a ClusterError naming the URL, so a node never hangs silently on a
// Redis that is not there. Once running, a lost link is retried forever with a capped back-off
// (the node keeps serving its own peers meanwhile); every change of state is logged once, and a
// reminder is logged while Redis stays away.
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { Logger } from '../log.ts';

export type RedisClient = ReturnType<typeof createClient>;
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
  readonly url: string;
  /** Start-up fails when both connections are not up within this long. */
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  /** Logged with every state change. */
  readonly nodeId: string;
  /** The link came up; `again` after it had been down (Redis restarted or failed over). */
  readonly onUp: (again: boolean) => void;
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
}

/** Longest wait between two reconnection attempts. */
export const MAX_RECONNECT_DELAY_MS = 1000;
const STILL_DOWN_LOG_MS = 30_000;
const SCRIPT_SHAS = new Map<string, string>();
const sha1 = (text: string): string => {
  let sha = SCRIPT_SHAS.get(text);
  if (sha === undefined) SCRIPT_SHAS.set(text, (sha = createHash('sha1').update(text).digest('hex')));
  return sha;
};

/** The URL without its password, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

export class RedisLink {
  readonly client: RedisClient;
  readonly subscriber: RedisClient;
  readonly #options: RedisLinkOptions;
  #state: RedisLinkState = 'connecting';
  #downSinceMs = 0;
  #lastError: Error | null = null;
  #stillDownTimer: NodeJS.Timeout | null = null;
  readonly #counts = { losses: 0, reconnectAttempts: 0, connectionErrors: 0 };

  private constructor(options: RedisLinkOptions) {
    this.#options = options;
    // No offline queue: while Redis is away a command fails at once instead of piling up.
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.min(options.connectTimeoutMs, 5000),
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    this.subscriber = this.client.duplicate();
    for (const client of [this.client, this.subscriber]) {
      client.on('error', (error: Error) => this.#onError(error));
      client.on('reconnecting', () => {
        this.#counts.reconnectAttempts += 1;
      });
      client.on('ready', () => this.#onReady());
    }
  }

  /**
   * Connect both connections and run `subscribe` on the subscriber, within `connectTimeoutMs`.
   * @throws ClusterError `redis-unreachable` when Redis did not answer in time (both connections closed).
   */
  static async start(
    options: RedisLinkOptions,
    subscribe: (subscriber: RedisClient) => Promise<void>,
  ): Promise<RedisLink> {
    const link = new RedisLink(options);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.connectTimeoutMs);
    });
    const connected = (async () => {
      await link.client.connect();
      await link.subscriber.connect();
      await subscribe(link.subscriber);
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
          `Redis at ${redactRedisUrl(options.url)} did not answer within ${options.connectTimeoutMs} ms (setting redisConnectTimeoutMs)${lastError === null ? '' : `: ${lastError.message}`}`,
          { cause: lastError },
        );
      }
    } catch (error) {
      link.destroy();
      if (error instanceof ClusterError) throw error;
      throw new ClusterError('redis-unreachable', `Redis at ${redactRedisUrl(options.url)} failed: ${String(error)}`, {
        cause: error,
      });
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

  /** EVALSHA, loading the script once per Redis (again after a restart: NOSCRIPT). */
  async script(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const evalArgs = [String(keys.length), ...keys, ...args];
    try {
      return await this.client.sendCommand(['EVALSHA', sha1(source), ...evalArgs]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.client.sendCommand(['EVAL', source, ...evalArgs]);
    }
  }

  /** Close both connections at once (no QUIT). Idempotent. */
  destroy(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#clearStillDown();
    for (const client of [this.client, this.subscriber]) {
      if (client.isOpen) client.destroy();
    }
  }

  #onError(error: Error): void {
    this.#counts.connectionErrors += 1;
    const first = this.#lastError === null;
    this.#lastError = error;
    if (this.#state === 'connecting' && first)
      this.#options.logger.warn('redis not reachable yet; retrying', {
        node: this.#options.nodeId,
        url: redactRedisUrl(this.#options.url),
        timeoutMs: this.#options.connectTimeoutMs,
        error: error.message,
      });
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

  #onReady(): void {
    // Up again only when both connections are (start() sets the first up itself).
    if (this.#state !== 'down' || !this.client.isReady || !this.subscriber.isReady) return;
    this.#clearStillDown();
    this.#options.logger.info('redis connection back; adding local peers again', {
      node: this.#options.nodeId,
      downForMs: Math.round(performance.now() - this.#downSinceMs),
    });
    this.#setUp(true);
  }

  #setUp(again: boolean): void {
    this.#state = 'up';
    this.#options.onUp(again);
  }

  #clearStillDown(): void {
    if (this.#stillDownTimer !== null) clearInterval(this.#stillDownTimer);
    this.#stillDownTimer = null;
  }
}
