// The region of a tracker connection, so that peers of one region are introduced to each other
// first: the client's `?region=` hint on the WebSocket URL (the page sets it, e.g. from its CDN's
// geo header; bittorrent-tracker's client cannot add fields to announces, so the hint rides on the
// URL as swarm tokens do — and plain WebTorrent clients, which send none, still work), else the
// region of the first configured address prefix that holds the client's address, else none.
import { BlockList, isIP } from 'node:net';
import { checkProxyEntry } from './client-address.ts';

/** A region name: 1-32 of [0-9A-Za-z_.-]. */
export const REGION_PATTERN = /^[\w.-]{1,32}$/;

/** A `regionPrefixes` entry, `<address or CIDR block>=<region>`; null when valid, else the problem. */
export function checkRegionPrefix(entry: string): string | null {
  const [block = '', region = '', extra] = entry.split('=');
  if (extra !== undefined || !REGION_PATTERN.test(region)) return 'must be <CIDR block>=<region> (10.1.0.0/16=eu-west)';
  return checkProxyEntry(block);
}

export class RegionResolver {
  readonly #prefixes: { readonly list: BlockList; readonly region: string }[];

  /** `regionPrefixes` entries as checked by checkRegionPrefix; the first that matches wins. */
  constructor(prefixes: readonly string[]) {
    this.#prefixes = prefixes.map((entry) => {
      const [block = '', region = ''] = entry.split('=');
      const [address = '', bits] = block.split('/');
      const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      const list = new BlockList();
      if (bits === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(bits), type);
      return { list, region };
    });
  }

  /** The region of a connection from its request URL and client address; null for none. */
  resolve(requestUrl: string, address: string): string | null {
    const cut = requestUrl.indexOf('?');
    if (cut !== -1) {
      const hint = new URLSearchParams(requestUrl.slice(cut + 1)).get('region');
      if (hint !== null && REGION_PATTERN.test(hint)) return hint;
    }
    const family = isIP(address);
    if (family === 0) return null;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return this.#prefixes.find(({ list }) => list.check(address, type))?.region ?? null;
  }
}
