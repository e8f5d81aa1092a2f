import type { OutgoingFrame } from '../../tracker/protocol.ts';
import type { TrackerConnection } from '../../tracker/swarm.ts';

/** A tracker connection that records what the core sends to it. */
export class FakeConnection implements TrackerConnection {
  static #nextId = 1;
  readonly id = FakeConnection.#nextId++;
  readonly sent: Record<string, unknown>[] = [];
  closed: { code: number; reason: string } | null = null;

  send(frame: OutgoingFrame): void {
    this.sent.push(JSON.parse(typeof frame === 'string' ? frame : frame.join('')) as Record<string, unknown>);
  }

  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }

  take(): Record<string, unknown>[] {
    return this.sent.splice(0);
  }
}

/** A 20-character wire id from a short name. */
export const wireId = (name: string): string => name.padEnd(20, '_').slice(0, 20);

export const offer = (n: number) => ({
  offer_id: wireId(`offer${n}`),
  offer: { type: 'offer', sdp: `v=0 offer ${n}` },
});
