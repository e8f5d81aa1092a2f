import type { WebSocket } from 'ws';

/**
 * Queue a WebSocket's JSON messages from the moment this is called; `next()` takes the oldest, or
 * waits for the next one. Tests read tracker replies in order with it.
 */
export function jsonInbox(socket: WebSocket): () => Promise<Record<string, unknown>> {
  const inbox: Record<string, unknown>[] = [];
  const waiters: ((message: Record<string, unknown>) => void)[] = [];
  socket.on('message', (data) => {
    // Text frames: ws hands them over as one Buffer.
    const message = JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>;
    const waiter = waiters.shift();
    if (waiter === undefined) inbox.push(message);
    else waiter(message);
  });
  return () => {
    const queued = inbox.shift();
    return queued !== undefined ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
  };
}
