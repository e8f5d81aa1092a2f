// Which peers each connection holds, so a disconnect leaves every swarm in O(its peers). Nearly
// every connection holds one peer: it is stored as itself, and a Set only from the second on
// (a Set per connection would cost ~200 bytes × 20,000 sockets).
import type { SwarmPeer, TrackerConnection } from './swarm.ts';

export class ConnectionPeers {
  readonly #byConnection = new Map<TrackerConnection, SwarmPeer | Set<SwarmPeer>>();

  /** Connections holding at least one peer. */
  get size(): number {
    return this.#byConnection.size;
  }

  /** How many peers `connection` holds. */
  count(connection: TrackerConnection): number {
    const held = this.#byConnection.get(connection);
    return held === undefined ? 0 : held instanceof Set ? held.size : 1;
  }

  /** The peers `connection` holds, as a new array: the caller may release them while going through it. */
  of(connection: TrackerConnection): SwarmPeer[] {
    const held = this.#byConnection.get(connection);
    return held === undefined ? [] : held instanceof Set ? [...held] : [held];
  }

  hold(connection: TrackerConnection, peer: SwarmPeer): void {
    const held = this.#byConnection.get(connection);
    if (held === undefined) this.#byConnection.set(connection, peer);
    else if (held instanceof Set) held.add(peer);
    else if (held !== peer) this.#byConnection.set(connection, new Set([held, peer]));
  }

  release(peer: SwarmPeer): void {
    const held = this.#byConnection.get(peer.connection);
    if (held === peer) {
      this.#byConnection.delete(peer.connection);
    } else if (held instanceof Set) {
      held.delete(peer);
      if (held.size === 1) this.#byConnection.set(peer.connection, held.values().next().value as SwarmPeer);
    }
  }
}
