// What another node relayed, handed to the local core: each offer or answer of a node batch to
// its local peer, and for each delivered offer the route its answer takes back.
import { parseNodeBatch } from './node-messages.ts';
import type { RemoteRoutes } from './remote-routes.ts';
import type { ClusterDelivery } from './swarm-cluster.ts';

/** What one batch came to, for the cluster's stats. */
export interface BatchDelivered {
  readonly relayedIn: number;
  readonly undeliverable: number;
  readonly invalid: number;
}

/** Parse one node batch (untrusted, bounded by `maxSdpChars`) and deliver its messages. */
export function deliverNodeBatch(
  text: string,
  delivery: ClusterDelivery,
  routes: RemoteRoutes,
  maxSdpChars: number,
  nowMs: number,
): BatchDelivered {
  const { messages, invalid } = parseNodeBatch(text, maxSdpChars);
  let undeliverable = 0;
  for (const message of messages) {
    const sdpJson = JSON.stringify(message.sdp);
    let delivered: boolean;
    if (message.type === 'offer') {
      // Never a peer's own id back to it: a copycat of that id on the other node sends its offers
      // to earlier picks before its script refuses it, and the pick may be the id's real holder.
      delivered =
        message.peerId !== message.toPeerId &&
        delivery.deliverOffer(message.infoHash, message.toPeerId, message.peerId, {
          offerId: message.offerId,
          offer: { type: 'offer', sdp: message.sdp, sdpJson },
        });
      if (delivered) routes.remember(message.infoHash, message.peerId, message.offerId, message.node, nowMs);
    } else {
      delivered = delivery.deliverAnswer({
        type: 'answer',
        infoHash: message.infoHash,
        peerId: message.peerId,
        toPeerId: message.toPeerId,
        offerId: message.offerId,
        answer: { type: 'answer', sdp: message.sdp, sdpJson },
      });
    }
    if (!delivered) undeliverable += 1;
  }
  return { relayedIn: messages.length, undeliverable, invalid };
}
