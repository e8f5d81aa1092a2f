// What hostile peers do on the wire, as behaviours for `HostilePeer` (tests and the hostile bench).
// Each keeps within the limits that would get it disconnected at once, so that what it costs its
// neighbours is its broken promises and its share of their uploads.
import { MAX_LIST_LENGTH, MAX_SEGMENT_BYTES } from '../../lib/peer/peer-protocol.ts';
import { hello, type HostileBehaviour, type HostilePeer, type WireChannel } from './hostile-peer.ts';

/** Claims to hold every listed segment, accepts every request and never sends a byte. */
export function staller(claimed: readonly number[]): HostileBehaviour {
  return { onConnect: (channel) => channel.send(hello(claimed)) };
}

/**
 * Says it is fetching every listed segment over HTTP (`loading`, repeated every second so the
 * claims stay fresh) and never announces or serves one.
 */
export function loadingLiar(peer: () => HostilePeer, claimed: readonly number[]): HostileBehaviour {
  return {
    onConnect: (channel) => {
      channel.send(hello([]));
      const claim = (): void => {
        if (channel.open) channel.send({ type: 'loading', sequenceNumbers: [...claimed] });
      };
      claim();
      peer().every(1000, claim);
    },
  };
}

// On connecting: an empty hello, then `loading` with `relay` for every listed segment, repeated
// every second so the claims stay fresh.
function claimsToRelay(peer: () => HostilePeer, claimed: readonly number[]): (channel: WireChannel) => void {
  return (channel) => {
    channel.send(hello([]));
    const claim = (): void => {
      if (channel.open) channel.send({ type: 'loading', sequenceNumbers: [...claimed], relay: true });
    };
    claim();
    peer().every(1000, claim);
  };
}

/**
 * Says it relays every listed segment while it arrives (`loading` with `relay`, repeated every
 * second) and answers each request `absent`: a relay that never relays.
 */
export function relayLiar(peer: () => HostilePeer, claimed: readonly number[]): HostileBehaviour {
  return {
    onConnect: claimsToRelay(peer, claimed),
    onMessage: (message, channel) => {
      if (message.type === 'request')
        channel.send({ type: 'absent', requestId: message.requestId, sequenceNumber: message.sequenceNumber });
    },
  };
}

/**
 * Says it relays every listed segment while it arrives (`loading` with `relay`, repeated every
 * second) and answers each request with the true header and a first chunk of `forgedBytes` zeros,
 * then nothing: a relay passing on a forgery too slowly to finish, so the receiver keeps the bytes
 * and fetches the rest with a Range request (the relay never vouched for them with a last byte).
 */
export function forgingRelay(
  peer: () => HostilePeer,
  claimed: readonly number[],
  segment: (sequenceNumber: number) => Uint8Array,
  forgedBytes = 16 * 1024,
): HostileBehaviour {
  return {
    onConnect: claimsToRelay(peer, claimed),
    onMessage: (message, channel) => {
      if (message.type !== 'request' || !claimed.includes(message.sequenceNumber)) return;
      const { byteLength } = segment(message.sequenceNumber);
      const { requestId, sequenceNumber } = message;
      channel.send({ type: 'response', requestId, sequenceNumber, byteLength });
      channel.sendData(requestId, 0, new Uint8Array(Math.min(forgedBytes, byteLength - 1)));
    },
  };
}

/** Answers every request with a header declaring `byteLength` bytes, then one byte. */
export function hugeLength(claimed: readonly number[], byteLength = MAX_SEGMENT_BYTES): HostileBehaviour {
  return {
    onConnect: (channel) => channel.send(hello(claimed)),
    onMessage: (message, channel) => {
      if (message.type !== 'request') return;
      channel.send({
        type: 'response',
        requestId: message.requestId,
        sequenceNumber: message.sequenceNumber,
        byteLength,
      });
      channel.sendData(message.requestId, 0, new Uint8Array(1));
    },
  };
}

/**
 * Claims every listed segment and answers each request honestly in everything but speed. It sends
 * the true header, then the segment's real bytes at `bytesPerSecond` (1 by default), all requests
 * in turn: a peer that keeps its promise in form and breaks it in time.
 */
export function trickler(
  peer: () => HostilePeer,
  claimed: readonly number[],
  segment: (sequenceNumber: number) => Uint8Array,
  bytesPerSecond = 1,
): HostileBehaviour {
  // requestId → what is left to send on which channel; one byte (or `bytesPerSecond`) each second.
  const sending = new Map<number, { channel: WireChannel; bytes: Uint8Array; sentBytes: number }>();
  const tick = (): void => {
    for (const [requestId, transfer] of sending) {
      const { channel, bytes, sentBytes } = transfer;
      if (!channel.open || sentBytes >= bytes.byteLength) {
        sending.delete(requestId);
        continue;
      }
      const chunk = bytes.subarray(sentBytes, sentBytes + bytesPerSecond);
      channel.sendData(requestId, sentBytes, chunk);
      transfer.sentBytes += chunk.byteLength;
    }
  };
  let ticking = false;
  return {
    onConnect: (channel) => {
      channel.send(hello(claimed));
      // One clock for every connection: each transfer gets `bytesPerSecond`, however many are open.
      if (!ticking) peer().every(1000, tick);
      ticking = true;
    },
    onMessage: (message, channel) => {
      if (message.type === 'cancel') sending.delete(message.requestId);
      if (message.type !== 'request' || !claimed.includes(message.sequenceNumber)) return;
      const bytes = segment(message.sequenceNumber);
      channel.send({
        type: 'response',
        requestId: message.requestId,
        sequenceNumber: message.sequenceNumber,
        byteLength: bytes.byteLength,
      });
      sending.set(message.requestId, { channel, bytes, sentBytes: 0 });
    },
  };
}

/** Announces `messages` × 2,048 new segments in a row (2,048,000 entries with the default). */
export function haveFlood(messages = 1000): HostileBehaviour {
  return {
    onConnect: (channel) => {
      channel.send(hello([]));
      for (let i = 0; i < messages && channel.open; i++) {
        channel.send({
          type: 'have',
          sequenceNumbers: Array.from({ length: MAX_LIST_LENGTH }, (_, k) => 1_000_000 + i * MAX_LIST_LENGTH + k),
        });
      }
    },
  };
}

/** What a request flood received. */
export interface FloodReceipt {
  requests: number;
  receivedBytes: number;
}

/**
 * Keeps `inFlight` requests running at every peer (the most an uploader queues), cycling over
 * `wanted` segments, at most `requestsPerSecond`: as much of each peer's upload as it can take
 * without breaking a limit.
 */
export function requestFlood(
  peer: () => HostilePeer,
  wanted: readonly number[],
  receipt: FloodReceipt,
  inFlight = 8,
  requestsPerSecond = 8,
): HostileBehaviour {
  const running = new Map<WireChannel, Map<number, number>>(); // requestId → bytes still to come
  let nextRequestId = 1;
  let nextIndex = 0;
  const top = (channel: WireChannel): void => {
    const requests = running.get(channel);
    if (requests === undefined || !channel.open || requests.size >= inFlight || wanted.length === 0) return;
    const requestId = nextRequestId++;
    requests.set(requestId, Infinity);
    receipt.requests += 1;
    channel.send({ type: 'request', requestId, sequenceNumber: wanted[nextIndex++ % wanted.length] as number });
  };
  const done = (channel: WireChannel, requestId: number): void => {
    running.get(channel)?.delete(requestId);
  };
  return {
    onConnect: (channel) => {
      channel.send(hello([]));
      running.set(channel, new Map());
      peer().every(Math.ceil(1000 / requestsPerSecond), () => top(channel));
    },
    onMessage: (message, channel) => {
      if (message.type === 'response') running.get(channel)?.set(message.requestId, message.byteLength);
      else if (message.type === 'absent') done(channel, message.requestId);
    },
    onData: (requestId, bytes, channel) => {
      receipt.receivedBytes += bytes;
      const requests = running.get(channel);
      const left = (requests?.get(requestId) ?? 0) - bytes;
      if (left <= 0) done(channel, requestId);
      else requests?.set(requestId, left);
    },
  };
}

/**
 * Holds every listed segment and answers each request with the true header and the segment's first
 * `sentBytes` bytes (zeros when `forged`), then nothing: a peer whose uplink died mid-transfer, or a
 * forger that stops before its forgery could be checked whole. `onRequest` hears of each request (a
 * test's cue).
 */
export function stopsMidway(
  claimed: readonly number[],
  segment: (sequenceNumber: number) => Uint8Array,
  onRequest: () => void = () => undefined,
  forged = false,
  sentBytes = 16 * 1024,
): HostileBehaviour {
  return {
    onConnect: (channel) => channel.send(hello(claimed)),
    onMessage: (message, channel) => {
      if (message.type !== 'request' || !claimed.includes(message.sequenceNumber)) return;
      onRequest();
      const bytes = segment(message.sequenceNumber);
      const { requestId, sequenceNumber } = message;
      channel.send({ type: 'response', requestId, sequenceNumber, byteLength: bytes.byteLength });
      const first = bytes.subarray(0, Math.min(sentBytes, bytes.byteLength - 1));
      channel.sendData(requestId, 0, forged ? new Uint8Array(first.byteLength) : first);
    },
  };
}

/**
 * Serves whatever it is asked for from where the request's `fromByte` says (the true header, then the
 * rest in 16-KiB chunks: the segment's bytes, or zeros when `answer` is 'forged'), or answers `busy`
 * ('busy'); claims segments only when told to (`claim`); `asked` lists each request's `fromByte`
 * (0 when absent).
 */
export function restServer(
  segment: (sequenceNumber: number) => Uint8Array,
  answer: 'rest' | 'forged' | 'busy' = 'rest',
): HostileBehaviour & { claim(sequenceNumbers: number[]): void; readonly asked: number[] } {
  let open: WireChannel | null = null;
  const asked: number[] = [];
  return {
    asked,
    claim: (sequenceNumbers) => open?.send({ type: 'have', sequenceNumbers }),
    onConnect: (channel) => {
      open = channel;
      channel.send(hello([]));
    },
    onMessage: (message, channel) => {
      if (message.type !== 'request') return;
      const { requestId, sequenceNumber, fromByte = 0 } = message;
      asked.push(fromByte);
      if (answer === 'busy') {
        channel.send({ type: 'absent', requestId, sequenceNumber, busy: true });
        return;
      }
      const bytes = segment(sequenceNumber);
      channel.send({ type: 'response', requestId, sequenceNumber, byteLength: bytes.byteLength });
      for (let offset = fromByte; offset < bytes.byteLength; offset += 16 * 1024) {
        const chunk = bytes.subarray(offset, offset + 16 * 1024);
        channel.sendData(requestId, offset, answer === 'forged' ? new Uint8Array(chunk.byteLength) : chunk);
      }
    },
  };
}
