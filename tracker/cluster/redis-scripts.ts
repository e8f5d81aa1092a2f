// What the cluster keeps in Redis and the Lua that changes it. Every key of one swarm carries the
// same hash tag, so a swarm lives in one Redis Cluster slot and each script touches one slot.
//   pc:{<swarm>}:peers    sorted set: peer id → expiry (unix ms)
//   pc:{<swarm>}:nodes    hash: peer id → node id
//   pc:{<swarm>}:seeders  set of peer ids
//   pc:{<swarm>}:regions  hash: peer id → region (peers that have one)
//   pc:{<swarm>}:r:<region>  set of the region's peer ids (region names are [\w.-]{1,32}: no braces)
//   pc:nodes              sorted set: node id → lease expiry (unix ms)
//   pc:node:<id>:swarms   set of swarm keys (hex) where the node has peers
//   pc:relay:<id>         sharded pub/sub channel of the node
// The scripts name the region sets of peers that leave from the swarm's key prefix (KEYS[1] less
// `peers`): they are not known before the script reads them, and share the swarm's hash tag.

/** The hash-tag part of a swarm's keys: the info hash in hex (ids may hold `{`, `}` or any latin-1). */
export const swarmKey = (infoHash: string): string => Buffer.from(infoHash, 'utf8').toString('hex');
export const swarmKeys = (key: string): [string, string, string, string] => [
  `pc:{${key}}:peers`,
  `pc:{${key}}:nodes`,
  `pc:{${key}}:seeders`,
  `pc:{${key}}:regions`,
];
/** The set of one region's peers in a swarm. */
export const regionKey = (key: string, region: string): string => `pc:{${key}}:r:${region}`;
/**
 * The keys and arguments of ANNOUNCE_SCRIPT for a peer of swarm `key`: its expiry `peerTimeoutMs`
 * from now, `picks` peers of other nodes wanted, the swarm's keys kept twice the peer timeout.
 */
export function announceCall(
  key: string,
  peerId: string,
  nodeId: string,
  seeder: boolean,
  picks: number,
  region: string | null,
  clock: { readonly nowUnixMs: () => number; readonly peerTimeoutMs: number },
): { keys: string[]; args: string[] } {
  const nowMs = clock.nowUnixMs();
  const { peerTimeoutMs } = clock;
  const args = [
    String(nowMs),
    String(nowMs + peerTimeoutMs),
    peerId,
    nodeId,
    seeder ? '1' : '0',
    String(picks),
    String(peerTimeoutMs * 2),
    region ?? '',
  ];
  return { keys: region === null ? swarmKeys(key) : [...swarmKeys(key), regionKey(key, region)], args };
}
export const NODES_KEY = 'pc:nodes';
export const nodeSwarmsKey = (nodeId: string): string => `pc:node:${nodeId}:swarms`;
export const reapLockKey = (nodeId: string): string => `pc:reap:${nodeId}`;
export const relayChannel = (nodeId: string): string => `pc:relay:${nodeId}`;

// Lua shared by the scripts: the swarm's key prefix, taking peers out of their region sets, and
// taking peers (at most a few thousand: one unpack) out of the swarm.
const REGION_HELPERS = `
local base = string.sub(KEYS[1], 1, -6)
local function unregion(peers)
  local regions = redis.call('HMGET', KEYS[4], unpack(peers))
  for i = 1, #peers do
    if regions[i] then redis.call('SREM', base .. 'r:' .. regions[i], peers[i]) end
  end
  redis.call('HDEL', KEYS[4], unpack(peers))
end
local function drop(peers)
  redis.call('ZREM', KEYS[1], unpack(peers))
  redis.call('HDEL', KEYS[2], unpack(peers))
  redis.call('SREM', KEYS[3], unpack(peers))
  unregion(peers)
end
`;

/** What the announce script returns when the peer id is held by an unexpired peer on another node. */
export const PEER_ID_TAKEN = 'taken';

/**
 * One call per announce: prune up to 64 expired peers, refuse a peer id an unexpired peer of
 * another node holds (returns PEER_ID_TAKEN), else add or refresh the peer (and its region), pick
 * up to `want` random others on other nodes — of the peer's region first, then any — and count.
 * KEYS: swarmKeys, then the region's set when the peer has a region. ARGV: now, expiresAt, peer,
 * node, seeder (0/1), want, key ttl ms, region ('' for none). Returns [peers, seeders, peers of
 * the region, peer1, node1, peer2, node2, ...].
 */
export const ANNOUNCE_SCRIPT = `${REGION_HELPERS}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 64)
if #expired > 0 then drop(expired) end
local peer, node, region = ARGV[3], ARGV[4], ARGV[8]
-- A peer id belongs to the node whose peer announced it first, until that peer leaves or expires
-- (its node dead: reaped within 3 leases), as on one node: otherwise whoever copied the id from a
-- relayed offer would take the owner's offers (and its leave would take the owner out).
-- The expiry, not the node lease: pc:nodes is in another slot of a Redis Cluster.
local holder = redis.call('HGET', KEYS[2], peer)
if holder and holder ~= node then
  local expiry = redis.call('ZSCORE', KEYS[1], peer)
  if expiry and tonumber(expiry) > tonumber(ARGV[1]) then return '${PEER_ID_TAKEN}' end
end
redis.call('ZADD', KEYS[1], ARGV[2], peer)
redis.call('HSET', KEYS[2], peer, node)
if ARGV[5] == '1' then redis.call('SADD', KEYS[3], peer) else redis.call('SREM', KEYS[3], peer) end
local before = redis.call('HGET', KEYS[4], peer)
if before and before ~= region then unregion({ peer }) end
if region ~= '' then
  redis.call('HSET', KEYS[4], peer, region)
  redis.call('SADD', KEYS[5], peer)
end
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
local result = { redis.call('ZCARD', KEYS[1]), redis.call('SCARD', KEYS[3]), 0 }
if region ~= '' then result[3] = redis.call('SCARD', KEYS[5]) end
local want = tonumber(ARGV[6])
local got, taken = 0, {}
local function take(picks)
  if #picks == 0 then return end
  local nodes = redis.call('HMGET', KEYS[2], unpack(picks))
  for i = 1, #picks do
    local other = nodes[i]
    if got < want and other and other ~= node and not taken[picks[i]] then
      taken[picks[i]] = true
      result[#result + 1] = picks[i]
      result[#result + 1] = other
      got = got + 1
    end
  end
end
if want > 0 and region ~= '' then take(redis.call('SRANDMEMBER', KEYS[5], want * 2 + 2)) end
if got < want then take(redis.call('ZRANDMEMBER', KEYS[1], want * 2 + 2)) end
return result
`;

/**
 * A swarm's size for a scrape on a node with none of its peers: peers not expired at ARGV[1] (now,
 * unix ms) and seeders. KEYS: swarmKeys. Returns [peers, seeders].
 */
export const COUNT_SCRIPT = `
return { redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf'), redis.call('SCARD', KEYS[3]) }
`;

/**
 * Peers of one node leave one swarm, each unless its id is held through another node (it expired
 * here and was taken there). ARGV: node, then the peers (LEAVE_CHUNK at most). Returns how many left.
 */
export const LEAVE_SCRIPT = `${REGION_HELPERS}
local gone = {}
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then gone[#gone + 1] = ARGV[i] end
end
if #gone > 0 then drop(gone) end
return #gone
`;

/** Every peer of a (dead or closing) node leaves one swarm. ARGV: node. Returns how many left. */
export const REAP_SCRIPT = `${REGION_HELPERS}
local all = redis.call('HGETALL', KEYS[2])
local gone = {}
for i = 1, #all, 2 do
  if all[i + 1] == ARGV[1] then gone[#gone + 1] = all[i] end
end
for i = 1, #gone, 500 do
  drop({ unpack(gone, i, math.min(i + 499, #gone)) })
end
return #gone
`;
