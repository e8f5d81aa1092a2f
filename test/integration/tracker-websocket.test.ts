import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { acceptKey } from '../../tracker/ws-handshake.ts';
import { OPCODE } from '../../tracker/ws-frames.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { eventLogger, guarded, waitFor } from '../helpers/wait-for.ts';
import { clientFrame } from '../helpers/ws-client-frames.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RAW_GUARD_MS = 20_000;

interface ServerFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** A TCP client speaking WebSocket by hand: the raw HTTP response, then the server's (unmasked) frames. */
class RawSocket {
  readonly socket: Socket;
  #bytes = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  ended = false;

  constructor(socket: Socket) {
    this.socket = socket;
    // The tracker may destroy a socket the client still writes to (the trickle test): a reset then
    // reaches the client, and its 'close' is what the tests wait for.
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.#add(chunk));
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
  }

  #add(chunk: Buffer): void {
    this.#bytes = Buffer.concat([this.#bytes, chunk]);
    this.#wake();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** Re-checked on every chunk or end; the guard (per wait for bytes) only keeps a lost answer from hanging. */
  async #until(ready: () => boolean, what: string): Promise<void> {
    while (!ready()) {
      if (this.ended) assert.fail(`socket ended before ${what}`);
      await guarded(
        new Promise<void>((resolve) => this.#waiters.push(resolve)),
        `${what} from the tracker`,
        RAW_GUARD_MS,
      );
    }
  }

  async response(): Promise<string> {
    await this.#until(() => this.#bytes.includes('\r\n\r\n'), 'the HTTP response head');
    const end = this.#bytes.indexOf('\r\n\r\n') + 4;
    const head = this.#bytes.subarray(0, end).toString('latin1');
    this.#bytes = this.#bytes.subarray(end);
    return head;
  }

  async frame(): Promise<ServerFrame> {
    const length = (): number => {
      if (this.#bytes.length < 2) return -1;
      const short = (this.#bytes[1] as number) & 0x7f;
      if (short < 126) return this.#bytes.length >= 2 + short ? 2 + short : -1;
      if (this.#bytes.length < 4) return -1;
      const long = this.#bytes.readUInt16BE(2);
      return this.#bytes.length >= 4 + long ? 4 + long : -1;
    };
    await this.#until(() => length() !== -1, 'a whole frame');
    const total = length();
    const headerBytes = ((this.#bytes[1] as number) & 0x7f) < 126 ? 2 : 4;
    const frame = {
      opcode: (this.#bytes[0] as number) & 0x0f,
      payload: Buffer.from(this.#bytes.subarray(headerBytes, total)),
    };
    this.#bytes = this.#bytes.subarray(total);
    return frame;
  }

  async closed(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.socket.closed) resolve();
      else this.socket.once('close', () => resolve());
    });
  }
}

function upgradeRequest(port: number, headers: Record<string, string> = {}): string {
  const all = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  return `GET /announce HTTP/1.1\r\n${Object.entries(all)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

describe('tracker WebSocket layer over raw TCP (RFC 6455)', function () {
  this.timeout(20_000);
  let tracker: RunningTracker;
  const sockets: Socket[] = [];
  const open = async (request: string | Buffer): Promise<RawSocket> => {
    const socket = connect(tracker.port, '127.0.0.1');
    sockets.push(socket);
    await once(socket, 'connect');
    const raw = new RawSocket(socket);
    socket.write(request);
    return raw;
  };

  // The tracker notices a close a moment after the client does: its 'connection closed' line wakes the wait.
  let trackerLog: ReturnType<typeof eventLogger>['log'];
  const forgotten = (): Promise<void> =>
    waitFor(trackerLog, ['line'], () => tracker.stats().sockets === 0, 'the tracker to forget the socket');

  beforeEach(async () => {
    const { logger, log } = eventLogger();
    trackerLog = log;
    tracker = await startTracker({ host: '127.0.0.1', port: 0, maxMessageBytes: 2048 }, { logger });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await tracker.close();
  });

  it('answers the handshake with the Sec-WebSocket-Accept of RFC 6455 section 1.3, and reads a frame sent in the same packet', async () => {
    assert.equal(acceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const announce = JSON.stringify({ action: 'announce', info_hash: wireId('raw'), peer_id: wireId('raw-peer') });
    const client = await open(
      Buffer.concat([
        Buffer.from(upgradeRequest(tracker.port)),
        clientFrame({ opcode: OPCODE.text, payload: announce }),
      ]),
    );
    const head = await client.response();
    assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
    const reply = await client.frame();
    assert.equal(reply.opcode, OPCODE.text);
    assert.equal((JSON.parse(reply.payload.toString('utf8')) as { info_hash: string }).info_hash, wireId('raw'));
  });

  it('refuses handshakes without a valid key, version or Upgrade header with HTTP 400, and other methods with 405', async () => {
    const badHeaders: Record<string, string>[] = [
      { 'Sec-WebSocket-Key': '' },
      { 'Sec-WebSocket-Key': 'short' },
      { 'Sec-WebSocket-Version': '12' },
      { Upgrade: 'h2c' },
    ];
    for (const headers of badHeaders) {
      const client = await open(upgradeRequest(tracker.port, headers));
      assert.match(await client.response(), /^HTTP\/1\.1 400 /, JSON.stringify(headers));
    }
    const post = await open(upgradeRequest(tracker.port).replace('GET', 'POST'));
    assert.match(await post.response(), /^HTTP\/1\.1 405 /);
    assert.equal(tracker.stats().sockets, 0);
  });

  // After an upgrade Node's HTTP timeouts no longer apply: a refused client that kept its side open
  // held the tracker's socket (and a file descriptor) for good, and close() waited on it.
  it('closes refused upgrades (403, 429, 400) whose clients keep their side open, and close() does not wait on them', async () => {
    const { logger, log } = eventLogger();
    const strict = await startTracker(
      { host: '127.0.0.1', port: 0, allowedOrigins: ['https://video.example.com'], maxConnectionsPerAddress: 1 },
      { logger },
    );
    let closedRefusals = 0;
    log.on('line', (line: Record<string, unknown>) => {
      if (line['message'] === 'refused connection closed') closedRefusals += 1;
    });
    const holdOpen = async (request: string): Promise<string> => {
      const socket = connect({ port: strict.port, host: '127.0.0.1', allowHalfOpen: true });
      sockets.push(socket);
      await once(socket, 'connect');
      const raw = new RawSocket(socket);
      socket.write(request);
      return raw.response();
    };
    try {
      const statuses = [(await holdOpen(upgradeRequest(strict.port, { 'Sec-WebSocket-Version': '12' }))).slice(0, 12)];
      assert.match(await holdOpen(upgradeRequest(strict.port)), /^HTTP\/1\.1 101 /);
      statuses.push((await holdOpen(upgradeRequest(strict.port, { Origin: 'https://evil.example' }))).slice(0, 12));
      statuses.push((await holdOpen(upgradeRequest(strict.port))).slice(0, 12));
      assert.deepEqual(statuses, ['HTTP/1.1 400', 'HTTP/1.1 403', 'HTTP/1.1 429']);
      await waitFor(log, ['line'], () => closedRefusals === 3, 'the tracker to close the refused sockets');
      const lingering = await holdOpen(upgradeRequest(strict.port, { Origin: 'https://evil.example' }));
      assert.match(lingering, /^HTTP\/1\.1 403 /);
    } finally {
      await guarded(strict.close(), 'close() with a refused client still connected', RAW_GUARD_MS / 2);
    }
  });

  it('echoes the first offered subprotocol, as ws did', async () => {
    const client = await open(upgradeRequest(tracker.port, { 'Sec-WebSocket-Protocol': 'one, two' }));
    assert.match(await client.response(), /\r\nSec-WebSocket-Protocol: one\r\n/);
  });

  it('answers a ping with a pong carrying the same payload, and a close with the same code, then closes TCP', async () => {
    const client = await open(upgradeRequest(tracker.port));
    await client.response();
    client.socket.write(clientFrame({ opcode: OPCODE.ping, payload: 'are you there' }));
    const pong = await client.frame();
    assert.deepEqual([pong.opcode, pong.payload.toString()], [OPCODE.pong, 'are you there']);
    client.socket.write(clientFrame({ opcode: OPCODE.close, payload: Buffer.from([0x0f, 0xa0]) }));
    const close = await client.frame();
    assert.deepEqual([close.opcode, close.payload.readUInt16BE(0)], [OPCODE.close, 4000]);
    await client.closed();
    await forgotten();
  });

  for (const [name, frame, code, reason] of [
    ['an unmasked frame', clientFrame({ opcode: OPCODE.text, payload: '{}', mask: null }), 1002, 'invalid-frame'],
    [
      'invalid UTF-8',
      clientFrame({ opcode: OPCODE.text, payload: Buffer.from([0x7b, 0xff, 0x7d]) }),
      1007,
      'invalid-frame',
    ],
    ['a fragmented ping', clientFrame({ opcode: OPCODE.ping, fin: false }), 1002, 'invalid-frame'],
    [
      'a message over maxMessageBytes in fragments',
      Buffer.concat([
        clientFrame({ opcode: OPCODE.text, payload: 'a'.repeat(1500), fin: false }),
        clientFrame({ opcode: OPCODE.continuation, payload: 'a'.repeat(600) }),
      ]),
      1009,
      'message-too-large',
    ],
  ] as const) {
    it(`closes on ${name} with ${code}, counted as ${reason}, and forgets the socket`, async () => {
      const client = await open(upgradeRequest(tracker.port));
      await client.response();
      client.socket.write(frame);
      const close = await client.frame();
      assert.deepEqual([close.opcode, close.payload.readUInt16BE(0)], [OPCODE.close, code]);
      await client.closed();
      assert.equal(tracker.stats().droppedConnections[reason], 1);
      await forgotten();
    });
  }

  it('forgets a client, and its peer, as soon as it ends TCP without a WebSocket close', async () => {
    const announce = JSON.stringify({
      action: 'announce',
      info_hash: wireId('half-open'),
      peer_id: wireId('half-open-peer'),
      numwant: 0,
    });
    const client = await open(
      Buffer.concat([
        Buffer.from(upgradeRequest(tracker.port)),
        clientFrame({ opcode: OPCODE.text, payload: announce }),
      ]),
    );
    await client.response();
    await client.frame();
    assert.equal(tracker.stats().peers, 1);
    client.socket.end();
    // The liveness guard is shorter than mocha's timeout, so a tracker that keeps it open is named.
    await guarded(client.closed(), 'the tracker to end the connection the client ended', RAW_GUARD_MS / 2);
    await forgotten();
    assert.equal(tracker.stats().peers, 0);
  });

  it('drops a client that trickles one frame byte by byte: bytes of an unfinished frame do not keep it alive', async () => {
    const { logger, log } = eventLogger();
    const quick = await startTracker({ host: '127.0.0.1', port: 0, heartbeatMs: 200 }, { logger });
    const socket = connect(quick.port, '127.0.0.1');
    sockets.push(socket);
    // The attacker: a masked text frame declaring 1,000 payload bytes, its header at once, then one
    // byte every 10 ms (at most all but the last: the frame never completes).
    const frame = clientFrame({ opcode: OPCODE.text, payload: 'x'.repeat(1000) });
    const headerBytes = 8; // 2 + 16-bit length + mask
    let sentBytes = headerBytes;
    let trickle: ReturnType<typeof setInterval> | undefined;
    try {
      await once(socket, 'connect');
      const raw = new RawSocket(socket);
      socket.write(upgradeRequest(quick.port));
      await raw.response();
      socket.write(frame.subarray(0, headerBytes));
      trickle = setInterval(() => {
        if (sentBytes < frame.length - 1 && !socket.destroyed) socket.write(frame.subarray(sentBytes, ++sentBytes));
      }, 10);
      await raw.closed();
      // Before the fix the trickle kept the socket off the ping list until it stopped sending.
      assert.ok(
        sentBytes < frame.length - 1,
        `dropped while still trickling (${sentBytes} of ${frame.length} bytes sent)`,
      );
      await waitFor(log, ['line'], () => quick.stats().sockets === 0, 'the tracker to forget the trickler');
    } finally {
      clearInterval(trickle);
      await quick.close();
    }
  });

  it('closes on a binary frame with 1003 and ends its side of TCP; the connection is gone once the client ends too', async () => {
    const client = await open(upgradeRequest(tracker.port));
    await client.response();
    client.socket.write(clientFrame({ opcode: OPCODE.binary, payload: Buffer.from([1]) }));
    const close = await client.frame();
    assert.equal(close.payload.readUInt16BE(0), 1003);
    await client.closed();
    assert.equal(tracker.stats().droppedConnections['binary-frame'], 1);
    await forgotten();
  });
});
