// Per-address connection cap. IPv6 clients are counted per /64, the block one subscriber
// usually holds, so that rotating addresses inside it does not multiply the cap.
import { isIPv6 } from 'node:net';

/** Open connections per remote address; `max` 0 means no cap. */
export class AddressConnectionCap {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Whether one more connection from this address would stay within the cap. */
  admits(address: string): boolean {
    return this.#max === 0 || (this.#open.get(addressKey(address)) ?? 0) < this.#max;
  }

  /** Count an accepted connection; pair with one release(). */
  acquire(address: string): void {
    const key = addressKey(address);
    this.#open.set(key, (this.#open.get(key) ?? 0) + 1);
  }

  release(address: string): void {
    const key = addressKey(address);
    const count = this.#open.get(key) ?? 0;
    if (count <= 1) this.#open.delete(key);
    else this.#open.set(key, count - 1);
  }

  /** Addresses (or /64 blocks) with at least one open connection. */
  get addresses(): number {
    return this.#open.size;
  }
}

/** An IPv4 address as is (also when IPv4-mapped), an IPv6 address as its /64 prefix. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
