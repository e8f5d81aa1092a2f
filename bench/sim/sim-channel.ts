// A modelled WebRTC data channel between two simulated viewers, shaped as the simple-peer instance
// bittorrent-tracker's client hands the library (`SignalledPeer`). Each direction is one ordered
// queue: a message is serialized at the fair-share rate of the sender's uplink and the receiver's
// downlink (sim-network), then arrives half a round trip later. Data frames are cut into pieces of
// at most 64 KiB of modelled bytes (valid data frames at consecutive offsets), so the receiver sees
// the first bytes of a segment before the last, as over SCTP.
import { EventEmitter } from 'node:events';
import { encodeData } from '../../lib/peer/peer-protocol.ts';
import type { SignalledPeer } from '../../lib/swarm/tracker-client.ts';
import type { VirtualClock } from './virtual-clock.ts';
import { FLOW_THRESHOLD_MODELLED_BYTES, PIECE_MODELLED_BYTES, type SimNetwork } from './sim-network.ts';

const DATA_KIND = encodeData(0, 0, new Uint8Array(1))[0];
const DATA_HEADER_BYTES = 9;

/** What the channels of one simulation share: clock, network, and modelled bytes per real byte. */
export interface ChannelContext {
  readonly clock: VirtualClock;
  readonly network: SimNetwork;
  /** Segment payload bytes stand for this many modelled bytes each (control frames count as they are). */
  readonly byteScale: number;
}

interface Piece {
  readonly bytes: Uint8Array;
  readonly modelledBytes: number;
}

/** One end of a modelled data channel. */
export class SimChannelEnd extends EventEmitter implements SignalledPeer {
  /** The remote peer id in hex, as bittorrent-tracker's client sets it. */
  id?: string;
  connected = false;
  destroyed = false;
  /** Real bytes queued and not yet serialized (simple-peer's name). */
  bufferSize = 0;
  remote: SimChannelEnd | null = null;
  readonly initiator: boolean;
  readonly node: number;
  readonly #context: ChannelContext;
  readonly #queue: Piece[] = [];
  #sending: Piece | null = null;
  #counted = false;
  #rateBytesPerMs = 0;
  // Serialized pieces on their way to the remote end, in arrival order: one direction's pieces
  // finish one after another and cross the same latency, so they arrive in the order they left.
  readonly #inFlight: Uint8Array[] = [];
  #halfRttMs: number | null = null;
  // Real payload bytes of one piece (64 KiB modelled).
  readonly #pieceBytes: number;
  // One callback each (a piece was serialized, a piece arrived) for all pieces: not two closures per piece.
  readonly #sent = (): void => this.#onSent();
  readonly #arrived = (): void => this.#onArrived();

  constructor(context: ChannelContext, node: number, initiator: boolean) {
    super();
    this.#context = context;
    this.#pieceBytes = Math.max(1, Math.floor(PIECE_MODELLED_BYTES / context.byteScale));
    this.node = node;
    this.initiator = initiator;
  }

  /** Pair two ends and connect them after the handshake, unless the pair cannot reach each other. */
  static connect(context: ChannelContext, offerer: SimChannelEnd, answerer: SimChannelEnd): void {
    offerer.remote = answerer;
    answerer.remote = offerer;
    const { network, clock } = context;
    if (!network.reachable(offerer.node, answerer.node)) return; // ICE fails: the swarm's timeout drops it
    // ICE connectivity checks, DTLS and SCTP handshakes: about three round trips.
    clock.after(3 * network.rttMs(offerer.node, answerer.node), () => {
      if (offerer.destroyed || answerer.destroyed) return;
      offerer.connected = answerer.connected = true;
      offerer.emit('connect');
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a 'connect' listener may destroy it
      if (!answerer.destroyed) answerer.emit('connect');
    });
  }

  send(data: Uint8Array): void {
    if (!this.connected) throw new Error('data channel is not open');
    const { byteScale } = this.#context;
    if (data[0] !== DATA_KIND || data.byteLength <= DATA_HEADER_BYTES) {
      this.#enqueue({ bytes: data, modelledBytes: data.byteLength });
    } else {
      const payloadBytes = data.byteLength - DATA_HEADER_BYTES;
      // A frame that is one piece goes as it is: the same bytes re-framed would be a copy per frame
      // (and its header is not read: a DataView per frame was garbage per frame).
      if (payloadBytes <= this.#pieceBytes) {
        this.#enqueue({ bytes: data, modelledBytes: payloadBytes * byteScale + DATA_HEADER_BYTES });
        this.#pump();
        return;
      }
      const pieceBytes = this.#pieceBytes;
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const requestId = view.getUint32(1);
      const offset = view.getUint32(5);
      const payload = data.subarray(DATA_HEADER_BYTES);
      for (let start = 0; start < payload.byteLength; start += pieceBytes) {
        const part = payload.subarray(start, Math.min(start + pieceBytes, payload.byteLength));
        this.#enqueue({
          bytes: encodeData(requestId, offset + start, part),
          modelledBytes: part.byteLength * byteScale + DATA_HEADER_BYTES,
        });
      }
    }
    this.#pump();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const wasConnected = this.connected;
    this.connected = false;
    this.#queue.length = 0;
    this.bufferSize = 0;
    this.#endFlow();
    this.#sending = null;
    this.emit('close');
    const remote = this.remote;
    // The other side learns of the close half a round trip later (SCTP abort / DTLS close).
    if (remote !== null && wasConnected) {
      this.#context.clock.after(this.#halfRtt(remote), () => remote.destroy());
    }
  }

  #enqueue(piece: Piece): void {
    this.#queue.push(piece);
    this.bufferSize += piece.bytes.byteLength;
  }

  // Serialize the next queued piece, if the channel is idle.
  #pump(): void {
    const remote = this.remote;
    if (this.#sending !== null || remote === null || this.destroyed) return;
    const piece = this.#queue.shift();
    if (piece === undefined) return;
    const { clock, network } = this.#context;
    this.#sending = piece;
    this.#counted = piece.modelledBytes >= FLOW_THRESHOLD_MODELLED_BYTES;
    const rate = network.begin(this.node, remote.node, this.#counted);
    this.#rateBytesPerMs = rate;
    clock.after(piece.modelledBytes / rate, this.#sent);
  }

  // The piece being sent has left: it arrives half a round trip later; the next one starts.
  #onSent(): void {
    const piece = this.#sending;
    const remote = this.remote;
    if (piece === null || remote === null) return; // destroyed meanwhile
    this.#endFlow();
    this.#sending = null;
    this.bufferSize -= piece.bytes.byteLength;
    this.#inFlight.push(piece.bytes);
    this.#context.clock.after(this.#halfRtt(remote), this.#arrived);
    this.#pump();
  }

  #onArrived(): void {
    const bytes = this.#inFlight.shift();
    const remote = this.remote;
    if (bytes !== undefined && remote !== null && remote.connected && !remote.destroyed) remote.emit('data', bytes);
  }

  #halfRtt(remote: SimChannelEnd): number {
    this.#halfRttMs ??= this.#context.network.rttMs(this.node, remote.node) / 2;
    return this.#halfRttMs;
  }

  #endFlow(): void {
    if (this.#counted && this.remote !== null)
      this.#context.network.end(this.node, this.remote.node, this.#rateBytesPerMs);
    this.#counted = false;
  }
}
