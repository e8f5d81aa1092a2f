// lib/shims/tracker-socket.ts (the browser bundles' stand-in for @thaunknown/simple-websocket)
// against the original, on the contract bittorrent-tracker's WebSocket tracker relies on, over a
// real WebSocket server on 127.0.0.1. Node 20 has no global WebSocket: the shim, which opens the
// runtime's WebSocket, gets ws's here (the original imports ws itself).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import OriginalSocket from '@thaunknown/simple-websocket';
import TrackerSocket from '../../lib/shims/tracker-socket.ts';

interface SocketUnderTest {
  readonly destroyed: boolean;
  send(text: string): void;
  destroy(error?: Error): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

const SOCKETS: [string, new (url: string) => SocketUnderTest][] = [
  ['simple-websocket', OriginalSocket],
  ['shim', TrackerSocket],
];

const once = (emitter: SocketUnderTest, event: string): Promise<unknown[]> =>
  new Promise((resolve) => {
    emitter.once(event, (...args: unknown[]) => {
      resolve(args);
    });
  });

async function echoServer(): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) =>
    socket.on('message', (message) => {
      socket.send(`echo:${(message as Buffer).toString('utf8')}`);
    }),
  );
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const text = (data: unknown): string =>
  typeof data === 'string' ? data : new TextDecoder().decode(data as Uint8Array);

describe('the tracker socket shim against @thaunknown/simple-websocket', () => {
  const hadWebSocket = 'WebSocket' in globalThis;
  before(() => {
    if (!hadWebSocket) Object.assign(globalThis, { WebSocket: NodeWebSocket });
  });
  after(() => {
    if (!hadWebSocket) Reflect.deleteProperty(globalThis, 'WebSocket');
  });

  for (const [name, Socket] of SOCKETS) {
    it(`${name}: connects, sends text and receives it as bytes, and closes when the server goes away`, async () => {
      const { server, url } = await echoServer();
      const socket = new Socket(url);
      await once(socket, 'connect');
      socket.send('hello');
      const [data] = await once(socket, 'data');
      assert.ok(data instanceof Uint8Array);
      assert.equal(text(data), 'echo:hello');
      const closed = once(socket, 'close');
      for (const client of server.clients) client.terminate();
      await closed;
      assert.equal(socket.destroyed, true);
      await new Promise((resolve) => server.close(resolve));
    });

    it(`${name}: a refused connection emits an error naming the URL, then close, and no connect`, async () => {
      const url = `ws://127.0.0.1:${await closedPort()}`;
      const socket = new Socket(url);
      const events: string[] = [];
      let error: unknown = null;
      socket.on('connect', () => events.push('connect'));
      socket.on('error', (reported: unknown) => {
        error = reported;
        events.push('error');
      });
      await once(socket, 'close');
      events.push('close');
      assert.deepEqual(events, ['error', 'close']);
      assert.match(String(error), new RegExp(`Error connecting to ${url}`));
      assert.equal(socket.destroyed, true);
    });

    it(`${name}: destroy() closes the connection once: close, no data after it, the server sees it go`, async () => {
      const { server, url } = await echoServer();
      const socket = new Socket(url);
      await once(socket, 'connect');
      const [serverSide] = (await new Promise<unknown[]>((resolve) => {
        if (server.clients.size > 0) resolve([...server.clients]);
        else server.once('connection', (client) => resolve([client]));
      })) as [NodeWebSocket];
      const serverSawClose = new Promise((resolve) => serverSide.once('close', resolve));
      let dataAfterDestroy = 0;
      let closes = 0;
      socket.on('data', () => dataAfterDestroy++);
      socket.on('close', () => closes++);
      socket.send('late');
      socket.destroy();
      socket.destroy();
      await serverSawClose;
      assert.equal(closes, 1);
      assert.equal(dataAfterDestroy, 0);
      assert.equal(socket.destroyed, true);
      await new Promise((resolve) => server.close(resolve));
    });
  }

  it('shim: a frame its reader throws on (the tracker client reading JSON null) ends the socket with that error, thrown nowhere', async () => {
    const { server, url } = await echoServer();
    const socket = new TrackerSocket(url);
    await once(socket, 'connect');
    socket.on('data', () => {
      throw new TypeError("Cannot read properties of null (reading 'action')");
    });
    const errored = once(socket, 'error');
    const closed = once(socket, 'close');
    socket.send('null');
    const [error] = await errored;
    await closed;
    assert.match(String(error), /Cannot read properties of null/);
    assert.equal(socket.destroyed, true);
    await new Promise((resolve) => server.close(resolve));
  });
});
