import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ConnectionDropReason } from '../../tracker/connection-gate.ts';
import { SocketConnection, TurnWriteBatcher, type ConnectionHub } from '../../tracker/socket-connection.ts';
import { OPCODE } from '../../tracker/ws-frames.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { clientFrame } from '../helpers/ws-client-frames.ts';

/** One SocketConnection on the server side of a real TCP connection on 127.0.0.1, the client side raw. */
interface Pair {
  readonly connection: SocketConnection;
  /** The server's socket: its writableLength is what the tracker holds for the client. */
  readonly server: Socket;
  readonly client: Socket;
  readonly dropped: ConnectionDropReason[];
  /** Bytes the server socket has read from the client. */
  readonly receivedBytes: () => number;
}

describe('tracker socket connection on a real TCP socket', function () {
  this.timeout(60_000);
  let listener: Server;
  const sockets: Socket[] = [];

  const pair = async (): Promise<Pair> => {
    const accepted = once(listener, 'connection') as Promise<[Socket]>;
    const client = connect(listenerPort(), '127.0.0.1');
    sockets.push(client);
    const [[server]] = await Promise.all([accepted, once(client, 'connect')]);
    sockets.push(server);
    const dropped: ConnectionDropReason[] = [];
    const hub: ConnectionHub = {
      batcher: new TurnWriteBatcher(),
      maxMessageBytes: 64 * 1024,
      message: () => undefined,
      drop: (reason) => dropped.push(reason),
    };
    const connection = new SocketConnection(1, '127.0.0.1', server, hub);
    let received = 0;
    server.on('data', (chunk: Buffer) => {
      received += chunk.length;
      connection.receive(chunk);
    });
    server.on('error', () => undefined);
    client.on('error', () => undefined);
    return { connection, server, client, dropped, receivedBytes: () => received };
  };
  const listenerPort = (): number => (listener.address() as { port: number }).port;

  beforeEach(async () => {
    listener = createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    listener.close();
    await once(listener, 'close');
  });

  it('answers a flood of pings from a client that does not read with one pong per write, the most recent ping', async () => {
    const { server, client, dropped, receivedBytes } = await pair();
    client.pause();
    // 32 MiB of pings of 125 bytes: before, one pong each (127 bytes) piled up in the server's
    // socket without bound, uncounted by the slow-reader check.
    const batch = Buffer.concat(
      Array.from({ length: 400 }, (_, index) => clientFrame({ opcode: OPCODE.ping, payload: ping(index) })),
    );
    const batches = Math.ceil((32 * 1024 * 1024) / batch.length);
    for (let i = 0; i < batches; i++) if (!client.write(batch)) await once(client, 'drain');
    const last = clientFrame({ opcode: OPCODE.ping, payload: 'the last ping' });
    client.write(last);
    const sentBytes = batches * batch.length + last.length;
    await waitFor(server, ['data'], () => receivedBytes() === sentBytes, 'the server to read every ping', 50_000);
    // The turn's flush runs in setImmediate, after the read callbacks.
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(server.writableLength < 256 * 1024, `${server.writableLength} bytes of pongs held for the client`);
    assert.deepEqual(dropped, []);
    // Read everything: the last pong answers the last ping.
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => (tail = Buffer.concat([tail, chunk]).subarray(-200)));
    client.resume();
    await waitFor(client, ['data'], () => tail.toString('latin1').endsWith('the last ping'), 'the last pong');
  });
});

/** A 125-byte ping payload (the most a control frame carries) that names its ping. */
function ping(index: number): string {
  return `ping ${index}`.padEnd(125, '.');
}
