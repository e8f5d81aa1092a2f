// The real client address of an HTTP request or WebSocket upgrade. Behind a load balancer or
// reverse proxy every TCP connection comes from the proxy, so per-address limits would lump all
// viewers together. X-Forwarded-For (or, from a proxy that writes only that, RFC 7239's Forwarded)
// is believed only when the TCP peer is one of the configured proxies, and only as far as its chain
// of configured proxies goes: anyone can send the header.
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** A trusted-proxy entry: an address (`10.0.0.7`, `fd00::1`) or a CIDR block (`10.0.0.0/8`, `fd00::/8`). */
export function checkProxyEntry(entry: string): string | null {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return 'must be an IP address or a CIDR block (10.0.0.0/8, fd00::/8)';
  if (prefix === undefined) return null;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128) ? null : `has a bad prefix length for IPv${family}`;
}

/** Counted for /metrics. */
export interface ClientAddressCounters {
  /** Connections whose address came from X-Forwarded-For (or Forwarded). */
  forwarded: number;
  /** Requests from a trusted proxy whose X-Forwarded-For (or Forwarded) was missing or held a non-address: the proxy's address is used. */
  forwardedInvalid: number;
}

export class ClientAddresses {
  readonly #trusted: BlockList | null;
  readonly counters: ClientAddressCounters = { forwarded: 0, forwardedInvalid: 0 };

  /** `trustedProxies` as checked by checkProxyEntry; empty: X-Forwarded-For is never read. */
  constructor(trustedProxies: readonly string[]) {
    if (trustedProxies.length === 0) {
      this.#trusted = null;
      return;
    }
    const list = new BlockList();
    for (const entry of trustedProxies) {
      const [address = '', prefix] = entry.split('/');
      const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
    this.#trusted = list;
  }

  /**
   * The client's address: the TCP peer's, or, when that peer is a trusted proxy, the rightmost
   * X-Forwarded-For entry that is not itself a trusted proxy (entries to its left were written by
   * the client or hops nobody vouches for).
   */
  resolve(remoteAddress: string, forwardedFor: string | readonly string[] | undefined): string {
    if (this.#trusted === null || !this.#isTrusted(remoteAddress)) return remoteAddress;
    const header = typeof forwardedFor === 'string' ? forwardedFor : forwardedFor?.join(',');
    // Bounded: a header is at most Node's 16 KiB of headers; look at the last 32 hops only.
    const hops = (header ?? '').split(',').slice(-32);
    let client = remoteAddress;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hopAddress(hops[i] as string);
      if (hop === null) break;
      client = hop;
      if (!this.#isTrusted(hop)) break;
    }
    if (client === remoteAddress) this.counters.forwardedInvalid += 1;
    else this.counters.forwarded += 1;
    return client;
  }

  /** `resolve` for a request: its X-Forwarded-For, or its Forwarded header when it has none. */
  resolveRequest(remoteAddress: string | undefined, headers: IncomingHttpHeaders): string {
    return this.resolve(remoteAddress ?? '', headers['x-forwarded-for'] ?? headers.forwarded);
  }

  #isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && (this.#trusted as BlockList).check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

const PORT = /^\d{1,5}$/;

/**
 * The address in one X-Forwarded-For entry: `198.51.100.7`, `2001:db8::7`, either with a port
 * (`198.51.100.7:51234`, `[2001:db8::7]:443`), quoted, or as RFC 7239's `for=` parameter
 * (`for="[2001:db8::7]:443";proto=https`), all of which proxies write; null for anything else.
 */
function hopAddress(entry: string): string | null {
  let hop = entry.trim();
  if (hop.includes('=')) {
    const pair = hop.split(';').find((part) => /^\s*for=/i.test(part));
    if (pair === undefined) return null;
    hop = pair.slice(pair.indexOf('=') + 1).trim();
  }
  if (hop.length >= 2 && hop.startsWith('"') && hop.endsWith('"')) hop = hop.slice(1, -1);
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    const rest = end === -1 ? '' : hop.slice(end + 1);
    if (end === -1 || (rest !== '' && !(rest.startsWith(':') && PORT.test(rest.slice(1))))) return null;
    const address = hop.slice(1, end);
    return isIP(address) === 6 ? address : null;
  }
  if (isIP(hop) !== 0) return hop;
  const colon = hop.lastIndexOf(':');
  const address = hop.slice(0, colon);
  return colon > 0 && PORT.test(hop.slice(colon + 1)) && isIP(address) === 4 ? address : null;
}
