import type { PeerInfo, PeerSwarmInfo } from '../api/events.ts';

/**
 * One entry per distinct remote viewer from its connections in each swarm: two viewers that
 * share two renditions hold two connections but are one peer. Order: first connection seen.
 */
export function summarizePeers(connections: Iterable<readonly [peerId: string, info: PeerSwarmInfo]>): PeerInfo[] {
  const byPeer = new Map<string, PeerSwarmInfo[]>();
  for (const [peerId, info] of connections) {
    const swarms = byPeer.get(peerId);
    if (swarms === undefined) byPeer.set(peerId, [info]);
    else swarms.push(info);
  }
  return [...byPeer].map(([peerId, swarms]) => {
    let receivedBytes = 0;
    let sentBytes = 0;
    let activeDownloads = 0;
    let connectedForMs = 0;
    for (const swarm of swarms) {
      receivedBytes += swarm.receivedBytes;
      sentBytes += swarm.sentBytes;
      activeDownloads += swarm.activeDownloads;
      connectedForMs = Math.max(connectedForMs, swarm.connectedForMs);
    }
    return { peerId, receivedBytes, sentBytes, activeDownloads, connectedForMs, swarms };
  });
}
