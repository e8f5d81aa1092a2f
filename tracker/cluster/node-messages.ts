// What tracker nodes send each other over their Redis channels: offers and answers for a peer on
// the receiving node, batched as one JSON array per node per event-loop turn. Another node is a
// peer of this one, not a viewer, but its messages are still parsed once here and bounded.

export interface NodeOffer {
  readonly type: 'offer';
  readonly infoHash: string;
  readonly toPeerId: string;
  readonly peerId: string;
  /** The offerer's node: the answer goes back there without a lookup. */
  readonly node: string;
  readonly offerId: string;
  readonly sdp: string;
}

export interface NodeAnswer {
  readonly type: 'answer';
  readonly infoHash: string;
  readonly toPeerId: string;
  readonly peerId: string;
  readonly offerId: string;
  readonly sdp: string;
}

export type NodeMessage = NodeOffer | NodeAnswer;

/** Ids on the wire are 20 characters; a little slack, no more. */
const MAX_ID_CHARS = 64;

export const encodeNodeMessage = (message: NodeMessage): string => JSON.stringify(message);

/** A batch as it goes on the channel: the encoded messages as one JSON array. */
export const encodeNodeBatch = (encoded: readonly string[]): string => `[${encoded.join(',')}]`;

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_CHARS;

/** The valid messages of a batch (invalid ones are counted, not thrown). */
export function parseNodeBatch(
  text: string,
  maxSdpChars: number,
): { readonly messages: NodeMessage[]; readonly invalid: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { messages: [], invalid: 1 };
  }
  if (!Array.isArray(parsed)) return { messages: [], invalid: 1 };
  const messages: NodeMessage[] = [];
  let invalid = 0;
  for (const item of parsed as unknown[]) {
    const message = parseNodeMessage(item, maxSdpChars);
    if (message === null) invalid += 1;
    else messages.push(message);
  }
  return { messages, invalid };
}

function parseNodeMessage(item: unknown, maxSdpChars: number): NodeMessage | null {
  if (typeof item !== 'object' || item === null) return null;
  const fields = item as Record<string, unknown>;
  const { type, infoHash, toPeerId, peerId, offerId, sdp } = fields;
  if (!isId(infoHash) || !isId(toPeerId) || !isId(peerId) || !isId(offerId)) return null;
  if (typeof sdp !== 'string' || sdp.length > maxSdpChars) return null;
  if (type === 'answer') return { type, infoHash, toPeerId, peerId, offerId, sdp };
  if (type === 'offer' && isId(fields['node']))
    return { type, infoHash, toPeerId, peerId, node: fields['node'], offerId, sdp };
  return null;
}
