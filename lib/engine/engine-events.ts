import { P2PError } from '../api/errors.ts';
import type { PeerCDNEvents } from '../api/events.ts';
import { TypedEmitter } from '../api/typed-emitter.ts';

/**
 * The events of one PeerCDN instance. A listener that throws is reported once through `error`,
 * except an `error` listener: re-emitting `error` to it would throw again and again (a frozen
 * tab), so that is dropped.
 */
export function newEngineEvents(): TypedEmitter<PeerCDNEvents> {
  const events: TypedEmitter<PeerCDNEvents> = new TypedEmitter<PeerCDNEvents>((error, event) => {
    if (event === 'error') return;
    queueMicrotask(() =>
      events.emit('error', new P2PError('listener-error', `a '${event}' listener threw`, { cause: error })),
    );
  });
  return events;
}
