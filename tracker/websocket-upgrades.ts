// The server's WebSockets: each HTTP upgrade checked (Origin, per-address cap, handshake) and
// turned into a SocketConnection on its TCP socket, one set of TCP listeners shared by every
// socket, and the heartbeat that finds sockets whose client vanished without a close frame.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { OriginAllowlist, SwarmAccess } from './access.ts';
import type { AddressConnectionCap } from './address-cap.ts';
import type { ClientAddresses } from './client-address.ts';
import type { RegionResolver } from './region.ts';
import {
  checkUpgrade,
  refusalResponse,
  type ConnectionCounters,
  type ConnectionDropReason,
} from './connection-gate.ts';
import { Heartbeat } from './heartbeat.ts';
import type { Logger } from './log.ts';
import { SocketConnection, TurnWriteBatcher, type ConnectionHub } from './socket-connection.ts';
import type { TrackerConnection } from './swarm.ts';
import { checkHandshake, handshakeFailureResponse, handshakeResponse } from './ws-handshake.ts';

/**
 * Pings go out in slices, one every this many ms, so that each socket is pinged once per
 * heartbeatMs without a burst of 20,000 pings stalling every announce behind it (heartbeat.ts).
 */
const HEARTBEAT_SLICE_MS = 250;
/**
 * A refused upgrade's socket is destroyed this long after its answer unless the client closed it
 * first. Node's HTTP timeouts stop applying at the upgrade, so a client that kept its side open
 * held the socket forever. Not at once: the client's unread bytes would turn our close into a
 * reset that can discard the answer before the client reads it.
 */
export const REFUSED_SOCKET_LINGER_MS = 1_000;
/** Each TCP socket's connection, as a property: the shared listeners find it from `this`. */
const CONNECTION = Symbol('connection');
type TrackedSocket = Socket & { [CONNECTION]: SocketConnection };
const connectionOf = (socket: Socket): SocketConnection => (socket as TrackedSocket)[CONNECTION];

export interface WebSocketUpgradesOptions {
  readonly heartbeatMs: number;
  readonly maxMessageBytes: number;
  /** The protocol core: whole text messages in, disconnects. */
  readonly core: {
    handle(text: string, connection: TrackerConnection): void;
    disconnect(connection: TrackerConnection): void;
  };
  readonly origins: OriginAllowlist;
  readonly addressCap: AddressConnectionCap;
  /** Each connection's region (its `?region=` hint or address prefix). */
  readonly regions: RegionResolver;
  readonly clientAddresses: ClientAddresses;
  readonly swarmAccess: SwarmAccess;
  /** Refusals and drops are counted here (the server's /metrics reads them). */
  readonly counters: ConnectionCounters;
  readonly logger: Logger;
  readonly nowMs: () => number;
}

export class WebSocketUpgrades {
  readonly #options: WebSocketUpgradesOptions;
  /** Open WebSockets (the heartbeat keeps its own set, in the order they opened). */
  readonly #connections = new Set<SocketConnection>();
  /** Refused upgrades answered and not yet closed: close() destroys them. */
  readonly #refused = new Set<Duplex>();
  readonly #heartbeat: Heartbeat<SocketConnection>;
  readonly #heartbeatTimer: NodeJS.Timeout;
  readonly #hub: ConnectionHub;
  readonly #listeners: {
    readonly data: (this: Socket, chunk: Buffer) => void;
    readonly error: () => void;
    readonly end: (this: Socket) => void;
    readonly timeout: (this: Socket) => void;
    readonly close: (this: Socket) => void;
  };
  #nextConnectionId = 1;
  #closed = false;

  constructor(options: WebSocketUpgradesOptions) {
    this.#options = options;
    const { core, logger } = options;
    this.#hub = {
      batcher: new TurnWriteBatcher(),
      maxMessageBytes: options.maxMessageBytes,
      message: (connection, text) => core.handle(text, connection),
      drop: (reason, connectionId) => this.#drop(reason, connectionId),
    };
    // A client that vanished without a close frame is only noticed by a missed pong.
    this.#heartbeat = new Heartbeat<SocketConnection>({
      periodMs: options.heartbeatMs,
      sliceMs: Math.min(options.heartbeatMs, HEARTBEAT_SLICE_MS),
      onDead: (connection) => {
        this.#drop('heartbeat-timeout', connection.id);
        connection.terminate();
      },
    });
    this.#heartbeatTimer = setInterval(
      () => this.#heartbeat.tick(options.nowMs()),
      Math.min(options.heartbeatMs, HEARTBEAT_SLICE_MS),
    );
    const connections = this.#connections;
    const heartbeat = this.#heartbeat;
    // One set of listeners for all TCP sockets (`this` is the socket): no closures per connection.
    this.#listeners = {
      data(this: Socket, chunk: Buffer): void {
        connectionOf(this).receive(chunk);
      },
      // Resets and write errors: 'close' follows and cleans up.
      error(): void {},
      // The client ended TCP (without a WebSocket close: a proxy, a killed client; or right after
      // its close frame): nothing more can come, so the connection ends now, not when the heartbeat
      // misses it. end() sends what is already written first; 'close' follows.
      end(this: Socket): void {
        this.end();
      },
      // Only armed once a close handshake started: the peer did not finish it.
      timeout(this: Socket): void {
        this.destroy();
      },
      close(this: Socket): void {
        const connection = connectionOf(this);
        connection.socketClosed();
        connections.delete(connection);
        heartbeat.delete(connection);
        options.addressCap.release(connection.address);
        core.disconnect(connection);
        if (logger.enabled('debug')) logger.debug('connection closed', { connection: connection.id });
      },
    };
  }

  /** Open WebSockets. */
  get size(): number {
    return this.#connections.size;
  }

  /** The HTTP server's `upgrade` event: refuse (403/429/400), or open a WebSocket on the socket. */
  upgrade(request: IncomingMessage, tcp: Duplex, head: Buffer): void {
    const { clientAddresses, origins, addressCap, counters, logger } = this.#options;
    // Behind a trusted proxy, the client's own address (per-address caps, logs).
    const address = clientAddresses.resolveRequest(request.socket.remoteAddress, request.headers);
    const refusal = checkUpgrade(request, address, origins, addressCap);
    if (refusal !== null) {
      counters.rejectedConnections[refusal.reason] += 1;
      if (logger.enabled('debug'))
        logger.debug('connection refused', {
          reason: refusal.reason,
          status: refusal.status,
          address,
          origin: request.headers.origin,
        });
      this.#refuse(tcp, refusalResponse(refusal));
      return;
    }
    const handshake = checkHandshake(request);
    if (!handshake.ok) {
      this.#refuse(tcp, handshakeFailureResponse(handshake));
      return;
    }
    // A client that already sent FIN or reset gets nothing.
    if (!tcp.readable || !tcp.writable || this.#closed) {
      tcp.destroy();
      return;
    }
    // Node's 'upgrade' event hands over the request's own net.Socket, typed as a Duplex.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const socket = tcp as Socket;
    socket.setTimeout(0);
    socket.setNoDelay(true);
    socket.write(handshakeResponse(handshake.key, handshake.protocol));
    addressCap.acquire(address);
    const connection = new SocketConnection(this.#nextConnectionId++, address, socket, this.#hub);
    connection.region = this.#options.regions.resolve(request.url ?? '/', address);
    (socket as TrackedSocket)[CONNECTION] = connection;
    this.#connections.add(connection);
    this.#heartbeat.add(connection);
    this.#options.swarmAccess.register(connection, request.url ?? '/');
    if (logger.enabled('debug'))
      logger.debug('connection opened', { connection: connection.id, address, origin: request.headers.origin });
    socket.on('data', this.#listeners.data);
    socket.on('error', this.#listeners.error);
    socket.on('timeout', this.#listeners.timeout);
    socket.on('end', this.#listeners.end);
    socket.on('close', this.#listeners.close);
    if (head.length > 0) connection.receive(head);
    socket.resume();
  }

  /** Stop the heartbeat, refuse further upgrades and terminate every socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeatTimer);
    this.#heartbeat.destroy();
    for (const connection of this.#connections) connection.terminate();
    for (const tcp of this.#refused) tcp.destroy();
  }

  /** Answer a refused upgrade, end our side, and destroy the socket once the client closes it or the linger ends. */
  #refuse(tcp: Duplex, response: string): void {
    // A client that resets meanwhile must not raise an unhandled 'error'.
    tcp.on('error', () => undefined);
    if (this.#closed) {
      tcp.destroy();
      return;
    }
    const linger = setTimeout(() => tcp.destroy(), REFUSED_SOCKET_LINGER_MS);
    this.#refused.add(tcp);
    tcp.on('close', () => {
      clearTimeout(linger);
      this.#refused.delete(tcp);
      if (this.#options.logger.enabled('debug')) this.#options.logger.debug('refused connection closed');
    });
    // Read and discard whatever else the client sends while the answer goes out.
    tcp.resume();
    tcp.end(response);
  }

  #drop(reason: ConnectionDropReason, connectionId: number): void {
    this.#options.counters.droppedConnections[reason] += 1;
    const logger = this.#options.logger;
    if (logger.enabled('debug')) logger.debug('connection dropped', { reason, connection: connectionId });
  }
}
