// Node liveness in Redis: each node holds a lease (a score in one sorted set) that it renews every
// heartbeat; a node whose lease ran out is dead, and one survivor (holding a short lock) takes its
// peers out of every swarm the node registered.
import type { Logger } from '../log.ts';
import type { RedisLink } from './redis-link.ts';
import { NODES_KEY, REAP_SCRIPT, nodeSwarmsKey, reapLockKey, swarmKeys } from './redis-scripts.ts';

/** How long one survivor holds the right to reap a dead node. */
const REAP_LOCK_MS = 30_000;

/** Extend `nodeId`'s lease to `leaseMs` from now. */
export async function renewLease(link: RedisLink, nodeId: string, leaseMs: number, nowUnixMs: number): Promise<void> {
  await link.client.zAdd(NODES_KEY, { score: nowUnixMs + leaseMs, value: nodeId });
}

/** Every peer of `node` leaves every swarm it registered; the node leaves the registry. Returns the peers removed. */
export async function reapNode(link: RedisLink, node: string): Promise<number> {
  const swarms = await link.client.sMembers(nodeSwarmsKey(node));
  let reaped = 0;
  for (const key of swarms) reaped += Number(await link.script(REAP_SCRIPT, swarmKeys(key), [node]));
  await link.client.del(nodeSwarmsKey(node));
  await link.client.zRem(NODES_KEY, node);
  return reaped;
}

/** Reap the nodes whose lease ran out that no other survivor is reaping; returns peers reaped and live nodes. */
export async function reapDeadNodes(
  link: RedisLink,
  self: string,
  nowUnixMs: number,
  logger: Logger,
): Promise<{ readonly reapedPeers: number; readonly liveNodes: number }> {
  let reapedPeers = 0;
  const dead = await link.client.zRangeByScore(NODES_KEY, '-inf', nowUnixMs);
  for (const node of dead) {
    if (node === self) continue;
    const claimed = await link.client.set(reapLockKey(node), self, {
      condition: 'NX',
      expiration: { type: 'PX', value: REAP_LOCK_MS },
    });
    if (claimed !== 'OK') continue;
    const reaped = await reapNode(link, node);
    reapedPeers += reaped;
    logger.info('dead tracker node reaped', { node, peers: reaped, by: self });
  }
  return { reapedPeers, liveNodes: await link.client.zCard(NODES_KEY) };
}
