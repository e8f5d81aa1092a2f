// What the cluster keeps in Redis and the Lua that changes it. Every key of one swarm carries the
// same hash tag, so a swarm lives in one Redis Cluster slot and each script touches one slot.
//   pc:{<swarm>}:peers    sorted set: peer id → expiry (unix ms)
//   pc:{<swarm>}:nodes    hash: peer id → node id
//   pc:{<swarm>}:seeders  set of peer ids
//   pc:nodes              sorted set: node id → lease expiry (unix ms)
//   pc:node:<id>:swarms   set of swarm keys (hex) where the node has peers
//   pc:relay:<id>         sharded pub/sub channel of the node

/** The hash-tag part of a swarm's keys: the info hash in hex (ids may hold `{`, `}` or any latin-1). */
export const swarmKey = (infoHash: string): string => Buffer.from(infoHash, 'utf8').toString('hex');
export const swarmKeys = (key: string): [string, string, string] => [
  `pc:{${key}}:peers`,
  `pc:{${key}}:nodes`,
  `pc:{${key}}:seeders`,
];
export const NODES_KEY = 'pc:nodes';
export const nodeSwarmsKey = (nodeId: string): string => `pc:node:${nodeId}:swarms`;
export const reapLockKey = (nodeId: string): string => `pc:reap:${nodeId}`;
export const relayChannel = (nodeId: string): string => `pc:relay:${nodeId}`;

/**
 * One call per announce: prune up to 64 expired peers, add or refresh the peer, pick up to `want`
 * random others on other nodes, and count. ARGV: now, expiresAt, peer, node, seeder (0/1), want,
 * key ttl ms. Returns [peers, seeders, peer1, node1, peer2, node2, ...].
 */
export const ANNOUNCE_SCRIPT = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 64)
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('HDEL', KEYS[2], unpack(expired))
  redis.call('SREM', KEYS[3], unpack(expired))
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
if ARGV[5] == '1' then redis.call('SADD', KEYS[3], ARGV[3]) else redis.call('SREM', KEYS[3], ARGV[3]) end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
local result = { redis.call('ZCARD', KEYS[1]), redis.call('SCARD', KEYS[3]) }
local want = tonumber(ARGV[6])
if want > 0 then
  local picks = redis.call('ZRANDMEMBER', KEYS[1], want * 2 + 2)
  local nodes = redis.call('HMGET', KEYS[2], unpack(picks))
  local got = 0
  for i = 1, #picks do
    local node = nodes[i]
    if got < want and node and node ~= ARGV[4] then
      result[#result + 1] = picks[i]
      result[#result + 1] = node
      got = got + 1
    end
  end
end
return result
`;

/** A peer leaves, unless it has meanwhile announced through another node. ARGV: peer, node. */
export const LEAVE_SCRIPT = `
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
  return 1
end
return 0
`;

/** Every peer of a (dead or closing) node leaves one swarm. ARGV: node. Returns how many left. */
export const REAP_SCRIPT = `
local all = redis.call('HGETALL', KEYS[2])
local gone = {}
for i = 1, #all, 2 do
  if all[i + 1] == ARGV[1] then gone[#gone + 1] = all[i] end
end
for i = 1, #gone, 500 do
  local chunk = { unpack(gone, i, math.min(i + 499, #gone)) }
  redis.call('ZREM', KEYS[1], unpack(chunk))
  redis.call('HDEL', KEYS[2], unpack(chunk))
  redis.call('SREM', KEYS[3], unpack(chunk))
end
return #gone
`;
