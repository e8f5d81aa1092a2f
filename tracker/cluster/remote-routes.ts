// Which node holds a remote peer that sent a local peer an offer, so the answer goes straight
// back (offers carry their node). Bounded: oldest routes go first, and a route expires with the
// offer it came with.

export class RemoteRoutes {
  readonly #routes = new Map<string, { readonly node: string; readonly expiresAtMs: number }>();
  readonly #maxRoutes: number;
  readonly #ttlMs: number;

  constructor(maxRoutes: number, ttlMs: number) {
    this.#maxRoutes = maxRoutes;
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#routes.size;
  }

  remember(infoHash: string, peerId: string, node: string, nowMs: number): void {
    const key = `${infoHash}\n${peerId}`;
    // Re-insert so the Map's order stays oldest-first.
    this.#routes.delete(key);
    this.#routes.set(key, { node, expiresAtMs: nowMs + this.#ttlMs });
    if (this.#routes.size > this.#maxRoutes) this.#routes.delete(this.#routes.keys().next().value as string);
  }

  nodeOf(infoHash: string, peerId: string, nowMs: number): string | null {
    const route = this.#routes.get(`${infoHash}\n${peerId}`);
    if (route === undefined) return null;
    if (route.expiresAtMs <= nowMs) {
      this.#routes.delete(`${infoHash}\n${peerId}`);
      return null;
    }
    return route.node;
  }

  clear(): void {
    this.#routes.clear();
  }
}
