// `npm run bench -- transfer`: time to move one segment between two peers through peercdn's
// protocol (PeerLink), against the raw data channel's throughput measured in the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PeerLink } from '../lib/peer/peer-link.ts';
import { MAX_CHUNK_BYTES } from '../lib/peer/peer-protocol.ts';
import { connectedPeerPair, type SimplePeer } from '../test/helpers/peer-pair.ts';
import { median } from './figures.ts';

export const TRANSFER_HELP = `Usage: npm run bench -- transfer [--repeat 5]

Connects two Node WebRTC peers on 127.0.0.1 and, for segments of 256 KiB, 1 MiB and 4 MiB,
measures (median of --repeat runs) the raw data channel transfer time (64 KiB messages with
backpressure) and the same transfer through peercdn's protocol (request, response, framed chunks).
Prints and writes bench/results/transfer-<date>.json.`;

const SIZES_BYTES = [256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
const HIGH_WATER_BYTES = 1024 * 1024;
const REPO = fileURLToPath(new URL('../', import.meta.url));

async function rawTransferMs(sender: SimplePeer, receiver: SimplePeer, bytes: number): Promise<number> {
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    let received = 0;
    const onData = (data: Uint8Array): void => {
      received += data.byteLength;
      if (received >= bytes) {
        receiver.removeAllListeners('data');
        resolve();
      }
    };
    receiver.on('data', onData);
  });
  const chunk = new Uint8Array(MAX_CHUNK_BYTES);
  for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
    while (sender.bufferSize > HIGH_WATER_BYTES) await new Promise((r) => setTimeout(r, 1));
    sender.send(chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent)));
  }
  await done;
  return performance.now() - started;
}

async function protocolTransferMs(sender: SimplePeer, receiver: SimplePeer, bytes: number): Promise<number> {
  const segment = new Uint8Array(bytes).fill(7).buffer;
  const common = {
    initialHave: [1],
    onUploaded: () => undefined,
    nowMs: () => performance.now(),
    onAvailabilityChanged: () => undefined,
    onClosed: () => undefined,
  };
  // The serving side answers through the listeners it puts on `sender`.
  new PeerLink({ ...common, remotePeerId: 'receiver', peer: sender, getSegment: () => segment });
  const client = new PeerLink({ ...common, remotePeerId: 'sender', peer: receiver, getSegment: () => undefined });
  const started = performance.now();
  const data = await client.downloads.start(1, () => undefined).promise;
  const elapsed = performance.now() - started;
  if (data.byteLength !== bytes) throw new Error(`received ${data.byteLength} of ${bytes} bytes`);
  // Detach the links without closing the peers (the next measurement reuses them).
  for (const peer of [sender, receiver]) peer.removeAllListeners('data');
  return elapsed;
}

export async function runTransferBenchmark(repeat: number): Promise<void> {
  const rows = [];
  for (const bytes of SIZES_BYTES) {
    const raw: number[] = [];
    const protocol: number[] = [];
    for (let i = 0; i < repeat; i++) {
      // A fresh pair per measurement: PeerLink takes over a peer's listeners.
      const [a, b] = await connectedPeerPair();
      try {
        raw.push(await rawTransferMs(a, b, bytes));
        protocol.push(await protocolTransferMs(a, b, bytes));
      } finally {
        a.destroy();
        b.destroy();
      }
    }
    const rawMs = median(raw);
    const protocolMs = median(protocol);
    rows.push({
      bytes,
      rawMs,
      protocolMs,
      ratio: protocolMs / rawMs,
      rawMBps: bytes / 1e6 / (rawMs / 1000),
      protocolMBps: bytes / 1e6 / (protocolMs / 1000),
    });
    console.log(
      `${(bytes / 1024).toFixed(0)} KiB: raw ${rawMs.toFixed(1)} ms (${(bytes / 1e6 / (rawMs / 1000)).toFixed(1)} MB/s), protocol ${protocolMs.toFixed(1)} ms (${(bytes / 1e6 / (protocolMs / 1000)).toFixed(1)} MB/s), ratio ${(protocolMs / rawMs).toFixed(2)}`,
    );
  }
  mkdirSync(`${REPO}bench/results`, { recursive: true });
  const date = new Date().toISOString();
  const file = `${REPO}bench/results/transfer-${date.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify({ kind: 'transfer', date, repeat, rows }, null, 2)}\n`);
  console.log(`written: ${file}`);
}
