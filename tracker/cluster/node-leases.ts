// Node liveness in Redis: each node holds a lease (a score in one sorted set) that it renews every
// heartbeat; a node whose lease ran out is dead, and one survivor (holding a short lock) takes its
// peers out of every swarm the node registered.
import type { Logger } from '../log.ts';
import type { RedisLink } from './redis-link.ts';
import { NODES_KEY, REAP_SCRIPT, nodeSwarmsKey, reapLockKey, swarmKeys } from './redis-scripts.ts';

/** How long one survivor holds the right to reap a dead node. */
const REAP_LOCK_MS = 30_000;

/**
 * Extend `nodeId`'s lease to `leaseMs` from now. True when there was no lease to extend: it was
 * reaped (this node stalled past it, its link up) or Redis lost it; either way its peers are gone.
 */
export async function renewLease(
  link: RedisLink,
  nodeId: string,
  leaseMs: number,
  nowUnixMs: number,
): Promise<boolean> {
  return Number(await link.command(['ZADD', NODES_KEY, String(nowUnixMs + leaseMs), nodeId])) === 1;
}

/** Every peer of `node` leaves every swarm it registered; the node leaves the registry. Returns the peers removed. */
export async function reapNode(link: RedisLink, node: string): Promise<number> {
  const swarms = (await link.command(['SMEMBERS', nodeSwarmsKey(node)])) as string[];
  let reaped = 0;
  for (const key of swarms) reaped += Number(await link.script(REAP_SCRIPT, swarmKeys(key), [node]));
  await link.command(['DEL', nodeSwarmsKey(node)]);
  await link.command(['ZREM', NODES_KEY, node]);
  return reaped;
}

/**
 * Reap (when `reap`) the nodes whose lease ran out that no other survivor is reaping; returns
 * peers reaped and live nodes.
 */
export async function reapDeadNodes(
  link: RedisLink,
  self: string,
  nowUnixMs: number,
  reap: boolean,
  logger: Logger,
): Promise<{ readonly reapedPeers: number; readonly liveNodes: number }> {
  let reapedPeers = 0;
  const dead = reap ? ((await link.command(['ZRANGEBYSCORE', NODES_KEY, '-inf', String(nowUnixMs)])) as string[]) : [];
  for (const node of dead) {
    if (node === self) continue;
    const claimed = await link.command(['SET', reapLockKey(node), self, 'NX', 'PX', String(REAP_LOCK_MS)]);
    if (claimed !== 'OK') continue;
    const reaped = await reapNode(link, node);
    reapedPeers += reaped;
    logger.info('dead tracker node reaped', { node, peers: reaped, by: self });
  }
  return { reapedPeers, liveNodes: Number(await link.command(['ZCARD', NODES_KEY])) };
}
