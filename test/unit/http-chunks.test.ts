import assert from 'node:assert/strict';
import { RelaySource } from '../../lib/peer/relay-source.ts';
import { HttpChunks } from '../../lib/hls/http-chunks.ts';

const bytesOf = (length: number, first = 0): Uint8Array => Uint8Array.from({ length }, (_, i) => (first + i) % 251);
const bufferOf = (length: number, first = 0): ArrayBuffer => bytesOf(length, first).buffer as ArrayBuffer;

// HttpChunks with the relays it began.
function chunksWithRelays(): { chunks: HttpChunks; relays: RelaySource[] } {
  const relays: RelaySource[] = [];
  const chunks = new HttpChunks((totalBytes) => {
    const relay = new RelaySource(totalBytes);
    relays.push(relay);
    return relay;
  });
  return { chunks, relays };
}

describe('HttpChunks: a segment followed as its HTTP load streams in', () => {
  it('relays a streaming load as it arrives, joins it at the empty end and completes the relay on success', () => {
    const { chunks, relays } = chunksWithRelays();
    chunks.add(bufferOf(4), 4, 10, false);
    assert.equal(relays.length, 1);
    const relay = relays[0] as RelaySource;
    assert.equal(relay.sendableBytes, 4, 'bytes go to peers before the load ends');
    chunks.add(bufferOf(6, 4), 10, 10, false);
    assert.equal(relay.sendableBytes, 9, 'the last byte waits for the load to succeed');
    assert.deepEqual(new Uint8Array(chunks.whole(new ArrayBuffer(0))), bytesOf(10));
    chunks.loadSucceeded();
    assert.equal(relay.sendableBytes, 10);
  });

  it('copies a chunk that goes on to hls.js, which may transfer it to its worker', () => {
    const { chunks } = chunksWithRelays();
    const first = bufferOf(4);
    chunks.add(first, 4, 8, true);
    structuredClone(first, { transfer: [first] });
    assert.equal(first.byteLength, 0, 'detached');
    chunks.add(bufferOf(4, 4), 8, 8, true);
    assert.deepEqual(new Uint8Array(chunks.whole(new ArrayBuffer(0))), bytesOf(8));
  });

  it('relays nothing when the whole came at once (the XHR loader), and keeps its data', () => {
    const { chunks, relays } = chunksWithRelays();
    const data = bufferOf(10);
    chunks.add(data, 10, 10, false);
    assert.equal(relays.length, 0);
    assert.equal(chunks.whole(data), data);
    chunks.loadSucceeded();
  });

  it('starts over when a chunk does not continue the bytes so far (a retry elsewhere): the relay fails', () => {
    const { chunks, relays } = chunksWithRelays();
    chunks.add(bufferOf(4, 100), 4, 10, false);
    chunks.add(bufferOf(3), 3, 10, false);
    assert.equal(relays[0]?.failed, true);
    chunks.add(bufferOf(7, 3), 10, 10, false);
    assert.deepEqual(new Uint8Array(chunks.whole(new ArrayBuffer(0))), bytesOf(10));
    chunks.loadSucceeded();
    assert.equal(relays[1]?.sendableBytes, 10);
  });

  it('ignores a chunk that continues nothing it has seen', () => {
    const { chunks, relays } = chunksWithRelays();
    chunks.add(bufferOf(4), 9, 10, false);
    assert.equal(relays.length, 0);
    assert.equal(chunks.whole(new ArrayBuffer(0)).byteLength, 0);
  });

  it('fails the relay when the load stops, and one that ends short of its declared length on success', () => {
    const stopped = chunksWithRelays();
    stopped.chunks.add(bufferOf(4), 4, 10, false);
    stopped.chunks.stop();
    assert.equal(stopped.relays[0]?.failed, true);
    const short = chunksWithRelays();
    short.chunks.add(bufferOf(4), 4, 10, false);
    short.chunks.loadSucceeded();
    assert.equal(short.relays[0]?.failed, true);
  });

  it('begins no relay when this viewer does not upload', () => {
    const chunks = new HttpChunks(() => null);
    chunks.add(bufferOf(4), 4, 10, false);
    chunks.add(bufferOf(6, 4), 10, 10, false);
    assert.deepEqual(new Uint8Array(chunks.whole(new ArrayBuffer(0))), bytesOf(10));
    chunks.loadSucceeded();
  });
});
