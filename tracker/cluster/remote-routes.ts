// Which node each offer a remote peer sent a local peer came from, so its answer goes straight
// back (offers carry their node). By offer, not by offering peer id: a copycat of that id on
// another node, whose first offers leave before its script refuses it, would otherwise turn the
// answers to every earlier offer of the real peer towards its own node. Bounded: oldest routes go
// first, and a route expires with the offer it came with.

/** Offers from another node are answered within the client's 50 s; a route outliving that is useless. */
export const ROUTE_TTL_MS = 60_000;
export const MAX_ROUTES = 200_000;

export class RemoteRoutes {
  readonly #routes = new Map<string, { readonly node: string; readonly expiresAtMs: number }>();
  readonly #maxRoutes: number;
  readonly #ttlMs: number;

  constructor(maxRoutes = MAX_ROUTES, ttlMs = ROUTE_TTL_MS) {
    this.#maxRoutes = maxRoutes;
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#routes.size;
  }

  remember(infoHash: string, peerId: string, offerId: string, node: string, nowMs: number): void {
    const key = routeKey(infoHash, peerId, offerId);
    // Re-insert so the Map's order stays oldest-first.
    this.#routes.delete(key);
    this.#routes.set(key, { node, expiresAtMs: nowMs + this.#ttlMs });
    if (this.#routes.size > this.#maxRoutes) this.#routes.delete(this.#routes.keys().next().value as string);
  }

  nodeOf(infoHash: string, peerId: string, offerId: string, nowMs: number): string | null {
    const key = routeKey(infoHash, peerId, offerId);
    const route = this.#routes.get(key);
    if (route === undefined) return null;
    if (route.expiresAtMs <= nowMs) {
      this.#routes.delete(key);
      return null;
    }
    return route.node;
  }

  clear(): void {
    this.#routes.clear();
  }
}

// Wire ids are 20 characters (protocol.ts; other nodes relay what they parsed): two triples cannot collide.
const routeKey = (infoHash: string, peerId: string, offerId: string): string => `${infoHash}\n${peerId}\n${offerId}`;
