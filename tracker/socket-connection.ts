// One WebSocket as the core sees it, and the write batching shared by all of them. Built for
// ~20,000 sockets in one process: a connection is one object with methods on its prototype (no
// per-socket closures), and frames for one socket within one event-loop turn leave in one write.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ConnectionDropReason } from './connection-gate.ts';
import type { TrackerConnection } from './swarm.ts';

/** Unsent bytes one socket may hold before it is dropped as not reading. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * ws writes every frame to its socket at once: one system call per message. This corks a socket
 * at its first frame in a turn and uncorks every corked socket in setImmediate, after the turn's
 * I/O callbacks, so that all frames a socket got in the turn go out in one writev.
 */
export class TurnWriteBatcher {
  #corked: SocketConnection[] = [];
  readonly #flush = (): void => {
    const corked = this.#corked;
    this.#corked = [];
    for (const connection of corked) connection.uncork();
  };

  /** Called before a frame is written; corks the socket for the rest of this turn. */
  hold(connection: SocketConnection): void {
    if (this.#corked.length === 0) setImmediate(this.#flush);
    this.#corked.push(connection);
  }
}

/** What every connection of one server shares: one object, referenced by each connection. */
export interface ConnectionHub {
  readonly batcher: TurnWriteBatcher;
  drop(reason: ConnectionDropReason, connectionId: number): void;
}

export class SocketConnection implements TrackerConnection {
  readonly id: number;
  readonly address: string;
  readonly socket: WebSocket;
  /** The TCP socket under `socket` (from the HTTP upgrade), corked while frames are batched. */
  readonly #tcp: Duplex;
  readonly #hub: ConnectionHub;
  #corked = false;
  /** Cleared when a ping is sent, set by the pong: a socket still false at the next ping is dead. */
  answeredPing = true;

  constructor(id: number, address: string, socket: WebSocket, tcp: Duplex, hub: ConnectionHub) {
    this.id = id;
    this.address = address;
    this.socket = socket;
    this.#tcp = tcp;
    this.#hub = hub;
  }

  send(frame: string): void {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return;
    // A client that stops reading would otherwise make the tracker buffer its offers forever.
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.#hub.drop('slow-reader', this.id);
      socket.terminate();
      return;
    }
    this.#cork();
    socket.send(frame);
  }

  ping(): void {
    this.#cork();
    this.socket.ping();
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#tcp.uncork();
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#tcp.cork();
    this.#hub.batcher.hold(this);
  }
}
