import assert from 'node:assert/strict';
import { encodeControl, encodeData, parseFrame } from '../../lib/peer/peer-protocol.ts';
import { SimChannelEnd, type ChannelContext } from '../../bench/sim/sim-channel.ts';
import {
  fairShareBytesPerMs,
  linkShareBytesPerMs,
  pairReachable,
  SimNetwork,
  transferMs,
  type AccessLink,
} from '../../bench/sim/sim-network.ts';
import { realDrain, VirtualClock } from '../../bench/sim/virtual-clock.ts';

const link = (uploadBytesPerMs: number, downloadBytesPerMs: number, accessLatencyMs = 10): AccessLink => ({
  uploadBytesPerMs,
  downloadBytesPerMs,
  accessLatencyMs,
  originRttMs: 20,
});

// Two or three viewers on a network where every pair can connect; byteScale 1 (real bytes are modelled bytes).
function world(links: AccessLink[], unreachableShare = 0): ChannelContext {
  const network = new SimNetwork({ seed: 7, unreachableShare });
  links.forEach((l, node) => network.addNode(node, l));
  return { clock: new VirtualClock(), network, byteScale: 1 };
}

function connectedPair(context: ChannelContext, a: number, b: number): [SimChannelEnd, SimChannelEnd] {
  const offerer = new SimChannelEnd(context, a, true);
  const answerer = new SimChannelEnd(context, b, false);
  SimChannelEnd.connect(context, offerer, answerer);
  return [offerer, answerer];
}

// Arrival times (virtual ms) of every data frame's last byte at `end`.
function arrivals(end: SimChannelEnd, clock: VirtualClock): number[] {
  const times: number[] = [];
  end.on('data', () => times.push(clock.nowMs));
  return times;
}

describe('simulator network model', () => {
  it('takes bytes / rate to send, and shares a link fairly between transfers', () => {
    assert.equal(transferMs(250_000, 125), 2000);
    assert.equal(transferMs(1, 0), Infinity);
    const idle = { flows: 0, bytesPerMsInUse: 0 };
    // Uplink 100 B/ms with two transfers running it full: this one gets a third; downlink is not the limit.
    assert.equal(fairShareBytesPerMs(100, { flows: 2, bytesPerMsInUse: 100 }, 1000, idle), 100 / 3);
    // The receiver's downlink is the smaller share.
    assert.equal(fairShareBytesPerMs(1000, idle, 300, { flows: 2, bytesPerMsInUse: 300 }), 100);
  });

  it('leaves a transfer what a slow one beside it does not use (an HTTP response beside a trickling peer)', () => {
    // Downlink 300 B/ms; one transfer held to 2 B/ms by its sender: the next one gets 298, not 150.
    assert.equal(linkShareBytesPerMs(300, { flows: 1, bytesPerMsInUse: 2 }), 298);
    // Two transfers using it all: an even third.
    assert.equal(linkShareBytesPerMs(300, { flows: 2, bytesPerMsInUse: 300 }), 100);
  });

  it('makes about the configured share of pairs unreachable, the same both ways and for the same seed', () => {
    let unreachable = 0;
    const pairs = 20_000;
    for (let i = 0; i < pairs; i++) {
      const [a, b] = [i, i + 1 + (i % 97)];
      const reachable = pairReachable(3, a, b, 0.2);
      assert.equal(pairReachable(3, b, a, 0.2), reachable);
      if (!reachable) unreachable++;
    }
    assert.ok(Math.abs(unreachable / pairs - 0.2) < 0.01, `unreachable share ${unreachable / pairs}`);
    assert.ok(pairReachable(3, 1, 2, 0));
    assert.ok(!pairReachable(3, 1, 2, 1));
  });

  it('delivers a segment after the handshake at the uplink rate plus half a round trip', async () => {
    // Uplink 100 B/ms, downlink 1000 B/ms, 10 ms access latency each: RTT = 2 × (10 + 10 + 5) = 50 ms.
    const context = world([link(100, 1000), link(100, 1000)]);
    const { clock } = context;
    const [a, b] = connectedPair(context, 0, 1);
    let connectedAtMs = -1;
    a.once('connect', () => (connectedAtMs = clock.nowMs));
    const times = arrivals(b, clock);
    await clock.run(1000, realDrain());
    assert.equal(connectedAtMs, 150); // three round trips
    // 64 KiB of payload: one 9-byte header, one piece.
    a.send(encodeData(1, 0, new Uint8Array(64 * 1024 - 9)));
    await clock.run(5000, realDrain());
    assert.equal(times.length, 1);
    assert.ok(Math.abs((times[0] as number) - (1000 + (64 * 1024) / 100 + 25)) < 1e-6, `arrived at ${times[0]}`);
  });

  it('splits a data frame into pieces that parse as consecutive chunks of the same request', async () => {
    const context = { ...world([link(1000, 1000), link(1000, 1000)]), byteScale: 8 };
    const [a, b] = connectedPair(context, 0, 1);
    const frames: Uint8Array[] = [];
    b.on('data', (data: Uint8Array | string) => frames.push(data as Uint8Array));
    await context.clock.run(1000, realDrain());
    a.send(encodeData(9, 100, new Uint8Array(20_000).fill(7)));
    a.send(encodeControl({ type: 'have', sequenceNumbers: [3] }));
    await context.clock.run(10_000, realDrain());
    // 64 KiB modelled at byteScale 8 = 8192 real bytes per piece: 8192 + 8192 + 3616, then the control frame.
    const parsed = frames.map((frame) => parseFrame(frame));
    assert.deepEqual(
      parsed.map((p) =>
        p.kind === 'data' ? [p.frame.requestId, p.frame.byteOffset, p.frame.payload.byteLength] : p.kind,
      ),
      [[9, 100, 8192], [9, 8292, 8192], [9, 16484, 3616], 'control'],
    );
  });

  it('gives two transfers from one uplink half the rate each', async () => {
    // Node 0 uploads to 1 and 2 at once; its 100 B/ms uplink is the bottleneck.
    const context = world([link(100, 1000), link(100, 1000), link(100, 1000)]);
    const { clock } = context;
    const [a1, b1] = connectedPair(context, 0, 1);
    const [a2, b2] = connectedPair(context, 0, 2);
    const times1 = arrivals(b1, clock);
    const times2 = arrivals(b2, clock);
    await clock.run(1000, realDrain());
    const piece = new Uint8Array(10_000 - 9);
    a1.send(encodeData(1, 0, piece));
    a2.send(encodeData(1, 0, piece));
    assert.deepEqual(context.network.flows(0), { upload: 2, download: 0 });
    await clock.run(5000, realDrain());
    // First transfer started alone (full rate, 100 ms); the second saw one running (half rate, 200 ms).
    assert.ok(Math.abs((times1[0] as number) - (1000 + 100 + 25)) < 1e-6, `first at ${times1[0]}`);
    assert.ok(Math.abs((times2[0] as number) - (1000 + 200 + 25)) < 1e-6, `second at ${times2[0]}`);
    assert.deepEqual(context.network.flows(0), { upload: 0, download: 0 });
  });

  it('never connects a pair that cannot reach each other, and closes the far end after a close', async () => {
    const blocked = world([link(100, 100), link(100, 100)], 1);
    const [x, y] = connectedPair(blocked, 0, 1);
    let connects = 0;
    x.on('connect', () => connects++);
    y.on('connect', () => connects++);
    await blocked.clock.run(60_000, realDrain());
    assert.equal(connects, 0);
    assert.throws(() => x.send(encodeControl({ type: 'have', sequenceNumbers: [1] })));

    const open = world([link(100, 100), link(100, 100)]);
    const [a, b] = connectedPair(open, 0, 1);
    await open.clock.run(1000, realDrain());
    let closedAtMs = -1;
    b.once('close', () => (closedAtMs = open.clock.nowMs));
    a.destroy();
    await open.clock.run(2000, realDrain());
    assert.equal(closedAtMs, 1025);
    assert.ok(b.destroyed);
  });
});
