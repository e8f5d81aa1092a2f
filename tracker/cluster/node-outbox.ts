// Messages for other nodes, queued per node and handed on as one batch per node after the current
// event-loop turn: one SPUBLISH to each node's channel rather than one per message.
import { encodeNodeBatch, encodeNodeMessage, type NodeMessage } from './node-messages.ts';

export class NodeOutbox {
  readonly #publish: (node: string, batch: string) => void;
  #queued = new Map<string, string[]>();
  readonly #flush = (): void => this.#flushAll();

  /** `publish` sends one node's batch (or drops it while Redis is away). */
  constructor(publish: (node: string, batch: string) => void) {
    this.#publish = publish;
  }

  send(node: string, message: NodeMessage): void {
    if (this.#queued.size === 0) setImmediate(this.#flush);
    const queued = this.#queued.get(node);
    if (queued === undefined) this.#queued.set(node, [encodeNodeMessage(message)]);
    else queued.push(encodeNodeMessage(message));
  }

  #flushAll(): void {
    const queued = this.#queued;
    this.#queued = new Map();
    for (const [node, messages] of queued) this.#publish(node, encodeNodeBatch(messages));
  }
}
