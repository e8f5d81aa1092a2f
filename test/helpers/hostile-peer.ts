import {
  encodeControl,
  encodeData,
  parseFrame,
  PROTOCOL_VERSION,
  type DataFrame,
  type PeerMessage,
} from '../../lib/peer/peer-protocol.ts';
import { swarmIdOfPlaylist } from '../../lib/hls/fragment-swarm.ts';
import { ReceiveBudget, segmentSizeBoundBytes } from '../../lib/peer/peer-limits.ts';
import type { UploadPacer } from '../../lib/peer/peer-uploads.ts';
import { createPeerId, wireIdToHex } from '../../lib/shared/swarm-id.ts';
import { PeerRecords } from '../../lib/swarm/peer-records.ts';
import { Swarm } from '../../lib/swarm/swarm.ts';
import type { SignalledPeer, TrackerClient } from '../../lib/swarm/tracker-client.ts';
import { corruptSegment, type CorruptionMode } from './corrupt-segment.ts';
import { loopbackTrackerClients } from './node-viewer.ts';

// Modified viewers for tests and the hostile bench, joining a swarm through the real tracker over
// real WebRTC (node-datachannel on 127.0.0.1): `HostilePeer` speaks our wire protocol frame by
// frame as a behaviour says (liars, stallers, floods); `startPoisoningPeer` runs the library's own
// Swarm, claiming segments and serving them corrupted, under a peer id it chooses (so it can come
// back under the same id after a ban).

/** One connected data channel of the hostile peer, speaking our wire protocol. */
export interface WireChannel {
  send(message: PeerMessage): void;
  sendData(requestId: number, byteOffset: number, payload: Uint8Array): void;
  /** Bytes queued on the channel (simple-peer's `bufferSize`). */
  readonly bufferedBytes: number;
  readonly open: boolean;
}

/** What a hostile peer does: on connecting, and on each message it is sent. */
export interface HostileBehaviour {
  onConnect?(channel: WireChannel): void;
  onMessage?(message: PeerMessage, channel: WireChannel): void;
  /** Called for every data frame received (uploads from the honest side); `frame` for its offset and bytes. */
  onData?(requestId: number, bytes: number, channel: WireChannel, frame: DataFrame): void;
}

// The live hostile peers' ids as the tracker client gives them (hex), each with how many hostile
// peers use it (one comes back under the id of another). Hostile peers ignore one
// another: only the viewers under test matter, and one hostile's flood reaching another would take
// the event loop that the viewers share with them (a liar answering the viewer late, behind a flood).
const hostileIdsHex = new Map<string, number>();

/**
 * A modified viewer that joins a swarm through the real tracker over real WebRTC (node-datachannel)
 * and then does what its behaviour says; it does not connect to other hostile peers. Every timer it
 * starts is cleared on destroy().
 */
export class HostilePeer {
  readonly peerId: string;
  readonly #client: TrackerClient;
  readonly #peers = new Set<SignalledPeer>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #behaviour: HostileBehaviour;
  #destroyed = false;

  /** `peerId`: a new random one, or the id of an earlier hostile peer coming back. */
  constructor(trackerUrl: string, swarmId: string, behaviour: HostileBehaviour, peerId = createPeerId(Math.random)) {
    this.peerId = peerId;
    const idHex = wireIdToHex(peerId);
    hostileIdsHex.set(idHex, (hostileIdsHex.get(idHex) ?? 0) + 1);
    this.#behaviour = behaviour;
    this.#client = loopbackTrackerClients({
      infoHashHex: wireIdToHex(swarmId),
      peerIdHex: wireIdToHex(this.peerId),
      announceUrls: [trackerUrl],
      rtcConfig: {},
      getAnnounceParameters: () => ({ numwant: 5, uploaded: 0, downloaded: 0, left: 1 }),
    });
    this.#client.on('peer', (peer) => this.#onPeer(peer));
    this.#client.on('warning', () => undefined);
    this.#client.on('error', () => undefined);
    this.#client.start();
  }

  /** A timer that destroy() clears. */
  every(intervalMs: number, tick: () => void): void {
    const timer = setInterval(() => {
      if (!this.#destroyed) tick();
    }, intervalMs);
    this.#timers.add(timer);
  }

  /**
   * Re-announce (new offers) every `intervalMs` while no connection is up, as a client that wants in
   * would: one failed WebRTC attempt then costs one interval, not the tracker's announce interval.
   */
  reannounceWhileUnconnected(intervalMs: number): void {
    this.every(intervalMs, () => {
      if (![...this.#peers].some((peer) => peer.connected)) this.#client.reannounce?.();
    });
  }

  after(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#destroyed) run();
    }, delayMs);
    this.#timers.add(timer);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const idHex = wireIdToHex(this.peerId);
    const users = (hostileIdsHex.get(idHex) ?? 1) - 1;
    if (users > 0) hostileIdsHex.set(idHex, users);
    else hostileIdsHex.delete(idHex);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const peer of this.#peers) {
      peer.removeAllListeners('error');
      peer.on('error', () => undefined);
      peer.destroy();
    }
    this.#peers.clear();
    this.#client.destroy();
  }

  #onPeer(peer: SignalledPeer): void {
    if (this.#destroyed || hostileIdsHex.has(peer.id ?? '')) {
      peer.destroy();
      return;
    }
    this.#peers.add(peer);
    peer.on('error', () => undefined);
    peer.on('close', () => this.#peers.delete(peer));
    peer.once('connect', () => {
      const channel: WireChannel = {
        send: (message) => {
          if (peer.connected) peer.send(encodeControl(message));
        },
        sendData: (requestId, byteOffset, payload) => {
          if (peer.connected) peer.send(encodeData(requestId, byteOffset, payload));
        },
        get bufferedBytes() {
          return peer.bufferSize;
        },
        get open() {
          return peer.connected;
        },
      };
      peer.on('data', (data: Uint8Array | string) => {
        if (typeof data === 'string') return;
        const parsed = parseFrame(data);
        if (parsed.kind === 'control') this.#behaviour.onMessage?.(parsed.message, channel);
        else if (parsed.kind === 'data')
          this.#behaviour.onData?.(parsed.frame.requestId, parsed.frame.payload.byteLength, channel, parsed.frame);
      });
      this.#behaviour.onConnect?.(channel);
    });
  }
}

/** The hello a hostile peer opens with: our protocol version and the segments it claims. */
export const hello = (have: readonly number[]): PeerMessage => ({ type: 'hello', version: PROTOCOL_VERSION, have });

export interface PoisoningPeerOptions {
  readonly peerId: string;
  readonly trackerUrl: string;
  /** The media playlist whose swarm it joins (level 0, as hls.js names the first rendition). */
  readonly playlistUrl: string;
  /** The origin's bytes of a segment, which it corrupts before serving. */
  readonly original: (sequenceNumber: number) => ArrayBuffer | undefined;
  readonly mode: CorruptionMode;
  readonly claimedSequenceNumbers: readonly number[];
  /** Paces its uploads (e.g. to be slow enough for the receiver to resume over HTTP). */
  readonly uploadPacer?: UploadPacer;
}

export interface PoisoningPeer {
  /** Segments it was asked for and served (each once: the uploader looks a segment up more than once). */
  readonly served: number[];
  destroy(): void;
}

/** Join the swarm and serve corrupted segments to whoever asks. */
export function startPoisoningPeer(options: PoisoningPeerOptions): PoisoningPeer {
  const served: number[] = [];
  const swarm = new Swarm({
    swarmId: swarmIdOfPlaylist(options.playlistUrl, 'main', null),
    peerId: options.peerId,
    trackerUrls: [options.trackerUrl],
    iceServers: [],
    maxPeers: 20,
    offersPerAnnounce: 5,
    connectTimeoutMs: 20_000,
    createTrackerClient: loopbackTrackerClients,
    peerRecords: new PeerRecords(() => performance.now()),
    segmentSizeBoundBytes: () => segmentSizeBoundBytes(null),
    receiveBudget: new ReceiveBudget(),
    heldSequenceNumbers: () => options.claimedSequenceNumbers,
    getSegment: (sequenceNumber) => {
      const original = options.original(sequenceNumber);
      if (original === undefined) return undefined;
      if (!served.includes(sequenceNumber)) served.push(sequenceNumber);
      return corruptSegment(original, options.mode, sequenceNumber + 1);
    },
    transferredBytes: () => ({ uploaded: 0, downloaded: 0 }),
    onUploaded: () => undefined,
    nowMs: () => performance.now(),
    uploadPacer: options.uploadPacer ?? null,
    onAvailabilityChanged: () => undefined,
    onPeerConnected: () => undefined,
    onPeerClosed: () => undefined,
    onStruckOut: () => undefined,
    onError: () => undefined,
  });
  return { served, destroy: () => swarm.destroy() };
}
