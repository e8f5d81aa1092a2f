import type { NullableNetworkDetails } from 'hls.js';

/**
 * The first byte an HTTP response says it carries (`Content-Range: bytes first-last/total`), where its
 * headers can be read — a fetch Response, an XHR (only the headers a cross-origin CDN exposes) —
 * else null (a custom loader may hand on anything, or nothing, as its network details).
 */
export function rangeFirstByte(networkDetails: NullableNetworkDetails): number | null {
  let header: unknown = null;
  try {
    const details = networkDetails as { headers?: { get?: unknown }; getAllResponseHeaders?: unknown } | null;
    const headers = details?.headers;
    if (typeof headers?.get === 'function') header = (headers as Headers).get('content-range');
    else if (typeof details?.getAllResponseHeaders === 'function')
      header = /^content-range:(.*)$/im.exec((details as XMLHttpRequest).getAllResponseHeaders())?.[1];
  } catch {
    return null;
  }
  const first = typeof header === 'string' ? /bytes\s+(\d+)-/.exec(header)?.[1] : undefined;
  return first === undefined ? null : Number(first);
}
