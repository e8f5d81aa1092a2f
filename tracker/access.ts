// Who may use the tracker: the browser Origin allowlist (checked at the WebSocket upgrade) and
// which swarms a connection may join (an info_hash allowlist and/or signed swarm tokens).
import type { TrackerConnection } from './swarm.ts';
import { MAX_SWARM_TOKEN_CHARS, infoHashToWireId, verifySwarmToken } from './token.ts';

/** Most `token` parameters read from one connection URL (one per swarm the page joins). */
export const MAX_TOKENS_PER_CONNECTION = 32;

/** Why an announce or scrape was refused a swarm. */
export const SWARM_REFUSAL_REASONS = [
  'swarm-not-allowed',
  'token-missing',
  'token-invalid',
  'token-wrong-swarm',
  'token-expired',
] as const;
export type SwarmRefusalReason = (typeof SWARM_REFUSAL_REASONS)[number];

export interface SwarmRefusal {
  readonly reason: SwarmRefusalReason;
  /** Sent to the client as the failure reason. */
  readonly message: string;
}

/** The narrow view the core has of swarm access: may this connection join this swarm now? */
export interface SwarmGate {
  admit(infoHash: string, connection: TrackerConnection): SwarmRefusal | null;
}

// --- Origin allowlist ------------------------------------------------------------------------

interface OriginPattern {
  readonly scheme: string;
  /** The exact host, or for `*.example.com` the suffix `.example.com`. */
  readonly host: string;
  readonly wildcard: boolean;
  /** Empty for the scheme's default port, as browsers serialise origins. */
  readonly port: string;
}

/** Parse `https://example.com[:port]` or `https://*.example.com[:port]`; null if it is neither. */
function parseOriginPattern(text: string): OriginPattern | null {
  const wildcard = /^[a-z][a-z0-9+.-]*:\/\/\*\./i.test(text);
  let url: URL;
  try {
    url = new URL(wildcard ? text.replace('*.', 'wildcard.') : text);
  } catch {
    return null;
  }
  // Only a bare origin: no path, query, credentials, and written as browsers write it.
  if (url.origin === 'null' || url.origin !== (wildcard ? text.replace('*.', 'wildcard.') : text).toLowerCase())
    return null;
  return {
    scheme: url.protocol,
    host: wildcard ? url.hostname.slice('wildcard'.length) : url.hostname,
    wildcard,
    port: url.port,
  };
}

/** Why an allowlist entry is not an origin, or null if it is one. */
export function checkOriginPattern(text: string): string | null {
  return parseOriginPattern(text) === null
    ? 'must be an origin like https://example.com or https://*.example.com (no path, no trailing slash)'
    : null;
}

/** Browser origins allowed to open a WebSocket; an empty list allows every origin. */
export class OriginAllowlist {
  readonly #exact: ReadonlySet<string>;
  readonly #wildcards: readonly OriginPattern[];

  constructor(patterns: readonly string[]) {
    const parsed = patterns.map((text) => {
      const pattern = parseOriginPattern(text);
      if (pattern === null) throw new RangeError(`not an origin: ${JSON.stringify(text)}`);
      return pattern;
    });
    this.#exact = new Set(
      parsed.filter((p) => !p.wildcard).map((p) => `${p.scheme}//${p.host}${p.port === '' ? '' : `:${p.port}`}`),
    );
    this.#wildcards = parsed.filter((p) => p.wildcard);
  }

  get empty(): boolean {
    return this.#exact.size === 0 && this.#wildcards.length === 0;
  }

  /**
   * Whether an upgrade with this `Origin` header may proceed. A request without the header is
   * not from a browser page; outside browsers any header can be forged, so the allowlist cannot
   * keep such clients out (swarm tokens can) and they are let through.
   */
  allows(origin: string | undefined): boolean {
    if (this.empty || origin === undefined) return true;
    const normalised = origin.toLowerCase();
    if (this.#exact.has(normalised)) return true;
    if (this.#wildcards.length === 0) return false;
    let url: URL;
    try {
      url = new URL(normalised);
    } catch {
      return false;
    }
    return this.#wildcards.some(
      (p) =>
        url.protocol === p.scheme &&
        url.port === p.port &&
        url.hostname.endsWith(p.host) &&
        url.hostname.length > p.host.length,
    );
  }
}

// --- Swarm access ------------------------------------------------------------------------------

export interface SwarmAccessOptions {
  /** Info hashes anyone may join (40 hex characters or 20-character wire ids). */
  readonly allowedInfoHashes: readonly string[];
  /** HMAC secret of swarm tokens; empty turns tokens off. */
  readonly swarmTokenSecret: string;
  /** Wall clock, for token expiry. */
  readonly nowUnixMs: () => number;
}

interface ConnectionGrants {
  /** Wire info hash → when its token stops admitting, in Unix seconds. */
  readonly expiresAtSeconds: ReadonlyMap<string, number>;
  /** Tokens in the URL that were malformed or wrongly signed. */
  readonly invalidTokens: number;
}

const NO_GRANTS: ConnectionGrants = { expiresAtSeconds: new Map(), invalidTokens: 0 };

/**
 * Which swarms a connection may join. With neither an allowlist nor a secret, every swarm is
 * open. Otherwise a swarm is open if it is allowlisted, or if the connection's URL carried a
 * valid token for it that had not expired when the peer joined; a peer already in the swarm
 * keeps announcing after its token expires (expiry limits when a token can be used to join,
 * not how long a viewer may watch).
 */
export class SwarmAccess implements SwarmGate {
  readonly #allowed: ReadonlySet<string>;
  readonly #secret: string;
  readonly #nowUnixMs: () => number;
  readonly #grants = new WeakMap<TrackerConnection, ConnectionGrants>();

  constructor(options: SwarmAccessOptions) {
    this.#allowed = new Set(
      options.allowedInfoHashes.map((text) => {
        const wireId = infoHashToWireId(text);
        if (wireId === null) throw new RangeError(`not an info hash: ${JSON.stringify(text)}`);
        return wireId;
      }),
    );
    this.#secret = options.swarmTokenSecret;
    this.#nowUnixMs = options.nowUnixMs;
  }

  /** True when every swarm is open (the core then skips the check). */
  get open(): boolean {
    return this.#allowed.size === 0 && this.#secret === '';
  }

  /** Read and verify the `token` parameters of the connection's request URL, once per connection. */
  register(connection: TrackerConnection, requestUrl: string): void {
    if (this.#secret === '') return;
    const query = requestUrl.includes('?')
      ? new URLSearchParams(requestUrl.slice(requestUrl.indexOf('?') + 1))
      : new URLSearchParams();
    const expiresAtSeconds = new Map<string, number>();
    let invalidTokens = 0;
    for (const token of query.getAll('token').slice(0, MAX_TOKENS_PER_CONNECTION)) {
      const check = token.length > MAX_SWARM_TOKEN_CHARS ? null : verifySwarmToken(token, this.#secret);
      if (check === null || !check.ok) {
        invalidTokens += 1;
        continue;
      }
      const { infoHash, expiresAtSeconds: expiry } = check.claims;
      expiresAtSeconds.set(infoHash, Math.max(expiry, expiresAtSeconds.get(infoHash) ?? 0));
    }
    this.#grants.set(connection, { expiresAtSeconds, invalidTokens });
  }

  /** Whether the connection's URL carried a valid token, for any swarm, that has not expired (beacons that name no swarm). */
  grantsAny(connection: TrackerConnection): boolean {
    const nowSeconds = this.#nowUnixMs() / 1000;
    for (const expiry of (this.#grants.get(connection) ?? NO_GRANTS).expiresAtSeconds.values())
      if (expiry > nowSeconds) return true;
    return false;
  }

  admit(infoHash: string, connection: TrackerConnection): SwarmRefusal | null {
    if (this.open || this.#allowed.has(infoHash)) return null;
    if (this.#secret === '')
      return { reason: 'swarm-not-allowed', message: 'this tracker does not serve that info_hash' };
    const grants = this.#grants.get(connection) ?? NO_GRANTS;
    const expiry = grants.expiresAtSeconds.get(infoHash);
    if (expiry !== undefined) {
      return expiry * 1000 > this.#nowUnixMs()
        ? null
        : { reason: 'token-expired', message: 'swarm token expired: reconnect with a fresh token' };
    }
    if (grants.invalidTokens > 0)
      return { reason: 'token-invalid', message: 'swarm token invalid (malformed or wrongly signed)' };
    if (grants.expiresAtSeconds.size === 0)
      return {
        reason: 'token-missing',
        message: 'swarm token required: connect with ?token=<token> in the tracker URL',
      };
    return { reason: 'token-wrong-swarm', message: 'no swarm token for this info_hash' };
  }
}
