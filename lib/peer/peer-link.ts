import { P2PError } from '../api/errors.ts';
import type { PeerInfo } from '../api/events.ts';
import type { PeerUsefulness } from '../policy/peer-choice.ts';
import type { PeerView } from '../policy/source-decision.ts';
import { PeerAvailability } from './peer-availability.ts';
import { PeerDownloads } from './peer-downloads.ts';
import { PeerUploads, type UploadPacer } from './peer-uploads.ts';
import {
  availabilityMessages,
  encodeControl,
  parseFrame,
  PROTOCOL_VERSION,
  type PeerMessage,
} from './peer-protocol.ts';

/** The part of a simple-peer instance a link uses. */
export interface DataChannelPeer {
  readonly connected: boolean;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  destroy(): void;
  on(event: 'data', listener: (data: Uint8Array | string) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/** What a link needs from its owner. */
export interface PeerLinkOptions {
  readonly remotePeerId: string;
  readonly peer: DataChannelPeer;
  /** Segments this viewer can serve, for the initial `hello`. */
  readonly initialHave: readonly number[];
  /** Look up a segment to upload; undefined when it is not held (or upload is off). */
  readonly getSegment: (sequenceNumber: number) => ArrayBuffer | undefined;
  readonly onUploaded: (bytes: number) => void;
  readonly nowMs: () => number;
  /** Paces uploads under a bandwidth cap; none means as fast as the channel takes them. */
  readonly uploadPacer?: UploadPacer | undefined;
  readonly onAvailabilityChanged: (link: PeerLink) => void;
  readonly onClosed: (link: PeerLink, error: P2PError | null) => void;
}

/**
 * One connected peer in one swarm: the data channel and the wire protocol, dispatching each
 * parsed message to the peer's availability, our downloads from it, or our uploads to it.
 */
export class PeerLink {
  readonly remotePeerId: string;
  /** What the peer announced (have, loading, where it is in the stream). */
  readonly availability: PeerAvailability;
  /** Segments we are downloading from the peer: `downloads.start(sequenceNumber, onProgress)`. */
  readonly downloads: PeerDownloads;
  readonly #options: PeerLinkOptions;
  readonly #uploads: PeerUploads;
  readonly #connectedAtMs: number;
  #closed = false;

  constructor(options: PeerLinkOptions) {
    this.#options = options;
    this.remotePeerId = options.remotePeerId;
    this.#connectedAtMs = options.nowMs();
    const { peer } = options;
    this.availability = new PeerAvailability(options.nowMs);
    this.downloads = new PeerDownloads({
      remotePeerId: options.remotePeerId,
      nowMs: options.nowMs,
      send: (message) => this.#send(message),
      onDelivered: (sequenceNumber) => this.availability.setHas(sequenceNumber, true),
    });
    this.#uploads = new PeerUploads({
      getSegment: options.getSegment,
      onUploaded: options.onUploaded,
      pacer: options.uploadPacer,
      send: (message) => this.#send(message),
      sendBytes: (bytes) => this.#sendBytes(bytes),
      bufferedAmount: () => peer.bufferedAmount,
      closed: () => this.#closed,
    });
    peer.on('data', (data) => this.#onData(data));
    peer.on('close', () => this.#close(null));
    peer.on('error', (error) =>
      this.#close(new P2PError('peer-error', `peer ${this.remotePeerId}: ${error.message}`, { cause: error })),
    );
    for (const message of availabilityMessages(PROTOCOL_VERSION, options.initialHave)) this.#send(message);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** What this peer offers for one segment, for the source decision. */
  view(sequenceNumber: number): PeerView {
    return { peerId: this.remotePeerId, ...this.availability.view(sequenceNumber), ...this.downloads.pace() };
  }

  /** What the swarm weighs when it looks for a peer to replace. */
  usefulness(held: ReadonlySet<number>): PeerUsefulness {
    return {
      peerId: this.remotePeerId,
      connectedForMs: this.#options.nowMs() - this.#connectedAtMs,
      receivedBytes: this.downloads.receivedBytes,
      sentBytes: this.#uploads.sentBytes,
      activeDownloads: this.downloads.pace().activeDownloads,
      offersWanted: this.availability.offersAnyBut(held),
    };
  }

  info(swarmId: string): PeerInfo {
    return {
      swarmId,
      peerId: this.remotePeerId,
      segmentsAvailable: this.availability.size,
      latestSequenceNumber: this.availability.latestSequenceNumber,
      activeDownloads: this.downloads.pace().activeDownloads,
      receivedBytes: this.downloads.receivedBytes,
    };
  }

  announceLoading(sequenceNumber: number): void {
    this.#send({ type: 'loading', sequenceNumbers: [sequenceNumber] });
  }

  announceHave(sequenceNumber: number): void {
    this.#send({ type: 'have', sequenceNumbers: [sequenceNumber] });
  }

  announceLost(sequenceNumber: number): void {
    this.#send({ type: 'lost', sequenceNumbers: [sequenceNumber] });
  }

  /** Close the link for a fault of the peer's (reported with the peer's close). */
  fail(error: P2PError): void {
    this.#close(error);
  }

  destroy(): void {
    this.#close(null);
  }

  #close(error: P2PError | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.downloads.close(error ?? new P2PError('peer-error', `peer ${this.remotePeerId} closed`));
    const { peer } = this.#options;
    peer.removeAllListeners('data');
    peer.removeAllListeners('close');
    peer.removeAllListeners('error');
    // simple-peer emits 'error' asynchronously during teardown; keep one listener so it is not thrown.
    peer.on('error', () => undefined);
    peer.destroy();
    this.#options.onClosed(this, error);
  }

  #send(message: PeerMessage): void {
    this.#sendBytes(encodeControl(message));
  }

  #sendBytes(bytes: Uint8Array): void {
    if (this.#closed || !this.#options.peer.connected) return;
    try {
      this.#options.peer.send(bytes);
    } catch (error) {
      this.#close(new P2PError('peer-error', `send to ${this.remotePeerId} failed`, { cause: error }));
    }
  }

  #onData(data: Uint8Array | string): void {
    if (typeof data === 'string') {
      this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} sent a text frame`));
      return;
    }
    const parsed = parseFrame(data);
    if (parsed.kind === 'invalid') {
      this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId}: ${parsed.reason}`));
    } else if (parsed.kind === 'data') {
      this.#closeOnFault(this.downloads.onData(parsed.frame));
    } else {
      this.#onMessage(parsed.message);
    }
  }

  #onMessage(message: PeerMessage): void {
    const { availability } = this;
    switch (message.type) {
      case 'hello':
        if (message.version !== PROTOCOL_VERSION) {
          this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} speaks version ${message.version}`));
          return;
        }
        availability.apply(message);
        this.#options.onAvailabilityChanged(this);
        return;
      case 'have':
      case 'loading':
      case 'lost':
        availability.apply(message);
        this.#options.onAvailabilityChanged(this);
        return;
      case 'request':
        if (this.#uploads.serving(message.requestId)) {
          this.#close(new P2PError('peer-protocol', `peer ${this.remotePeerId} reused request id ${message.requestId}`));
          return;
        }
        availability.noteActivity(message.sequenceNumber);
        void this.#uploads.serve(message.requestId, message.sequenceNumber);
        return;
      case 'cancel':
        this.#uploads.cancel(message.requestId);
        return;
      case 'absent':
        availability.setHas(message.sequenceNumber, false);
        this.downloads.onAbsent(message.requestId, message.sequenceNumber);
        return;
      case 'response':
        this.#closeOnFault(this.downloads.onResponse(message.requestId, message.sequenceNumber, message.byteLength));
        return;
    }
  }

  #closeOnFault(fault: P2PError | null): void {
    if (fault !== null) this.#close(fault);
  }
}
