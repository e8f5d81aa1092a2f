// The cases of the hostile bench: who joins the honest viewer's swarm and what the measured viewer
// is. Each case gets a fresh origin and tracker; what it starts is destroyed by the runner.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OriginServer } from '../demo/origin-server.ts';
import type { RunningTracker } from '../tracker/server.ts';
import type { CorruptionMode } from '../test/helpers/corrupt-segment.ts';
import {
  haveFlood,
  hugeLength,
  loadingLiar,
  requestFlood,
  staller,
  trickler,
  type FloodReceipt,
} from '../test/helpers/hostile-behaviours.ts';
import { swarmIdOfPlaylist } from '../lib/hls/fragment-swarm.ts';
import { HostilePeer, startPoisoningPeer, type HostileBehaviour } from '../test/helpers/hostile-peer.ts';
import { startPlayerViewer, until, type PlayerViewer, type SimulatedMedia } from '../test/helpers/node-viewer.ts';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample/', import.meta.url));
export const fixture = (n: number): Buffer => readFileSync(`${SAMPLE}180p/seg_${String(n).padStart(3, '0')}.ts`);
const original = (n: number): ArrayBuffer | undefined =>
  n >= 0 && n < 30 ? new Uint8Array(fixture(n)).buffer : undefined;
const ALL_SEGMENTS = Array.from({ length: 30 }, (_, i) => i);

/** What a case has running when the measured viewer starts playing. */
export interface CaseSetup {
  /** The honest viewer whose playback is measured (its player is simulated in real time). */
  readonly viewer: PlayerViewer;
  readonly media: SimulatedMedia;
  /** What the hostile side sent or took, for the report. */
  readonly note?: () => string;
}

export interface CaseContext {
  readonly origin: OriginServer;
  readonly tracker: RunningTracker;
  /** Everything started here is destroyed after the case. */
  readonly own: <T extends { destroy(): void }>(item: T) => T;
}

export interface HostileCase {
  readonly name: string;
  readonly kind: 'baseline' | 'poisoning' | 'non-poisoning';
  readonly hashManifests: boolean;
  setup(context: CaseContext): Promise<CaseSetup>;
}

const newMedia = (): SimulatedMedia => ({ readyState: 4, currentTime: 0, playbackRate: 1 });
const honest = (context: CaseContext, media: SimulatedMedia | null = newMedia()): PlayerViewer =>
  context.own(startPlayerViewer(context.tracker.url, context.origin.url, {}, media));
/** The viewer heard the peer's hello with at least `claimed` segments (a connection takes ~10 s here). */
const hears = (viewer: PlayerViewer, peerId: string, claimed = 1): Promise<void> =>
  until(
    () => viewer.peercdn.peers().some((p) => p.peerId === peerId && (p.swarms[0]?.segmentsAvailable ?? 0) >= claimed),
    `hello from ${peerId}`,
  );
// The swarm the viewer joined (attach() joins it when the player announces the level).
const swarmOf = (viewer: PlayerViewer): string => swarmIdOfPlaylist(viewer.fragment(0).baseurl, 'main', null);

function poisoning(name: string, mode: CorruptionMode, hashManifests: boolean, prefixOnly = false): HostileCase {
  return {
    name,
    kind: 'poisoning',
    hashManifests,
    setup: async (context) => {
      const media = newMedia();
      const viewer = honest(context, media);
      let chunks = 0;
      const peer = context.own(
        startPoisoningPeer({
          peerId: `-XX0001-${mode.padEnd(12, 'x').slice(0, 12)}`,
          trackerUrl: context.tracker.url,
          playlistUrl: `${context.origin.url}/vod/180p/index.m3u8`,
          original,
          mode,
          claimedSequenceNumbers: ALL_SEGMENTS,
          // One chunk, then silence: the viewer finishes the segment with a Range request. The chunk is the
          // smaller of 16 KiB and the uploads' own (about a sixteenth of the segment, send-queue-limit.ts).
          ...(prefixOnly
            ? {
                uploadPacer: { chunkBytes: 16 * 1024, delayMs: () => (chunks++ === 0 ? 0 : 600_000), refund: () => {} },
              }
            : {}),
        }),
      );
      await hears(viewer, `-XX0001-${mode.padEnd(12, 'x').slice(0, 12)}`, 30);
      return { viewer, media, note: () => `poisoner served ${peer.served.length} segments` };
    },
  };
}

// A first honest viewer takes poisoned segments from the poisoner, which then leaves; the measured
// viewer can only get them from that honest viewer's cache (or the origin).
function relay(hashManifests: boolean): HostileCase {
  return {
    name: 'poisoned cache relay',
    kind: 'poisoning',
    hashManifests,
    setup: async (context) => {
      const first = honest(context, null);
      const peer = startPoisoningPeer({
        peerId: '-XX0001-relayrelayre',
        trackerUrl: context.tracker.url,
        playlistUrl: `${context.origin.url}/vod/180p/index.m3u8`,
        original,
        mode: 'garbage-payload',
        claimedSequenceNumbers: ALL_SEGMENTS,
      });
      await hears(first, '-XX0001-relayrelayre', 30);
      let corruptAtFirst = 0;
      for (let sn = 0; sn < 8; sn++)
        if (!Buffer.from((await first.load(sn)).data).equals(fixture(sn))) corruptAtFirst++;
      const served = peer.served.length;
      peer.destroy();
      const media = newMedia();
      const viewer = honest(context, media);
      // Without a manifest the first viewer announces nothing it has not seen appended (no FRAG_BUFFERED here).
      await until(() => viewer.peercdn.peers().some((p) => p.peerId === first.peercdn.peerId), 'the first viewer');
      const note = `poisoner served the first viewer ${served} segments (${corruptAtFirst} corrupt reached its player), then left`;
      return { viewer, media, note: () => note };
    },
  };
}

function misbehaving(name: string, behaviour: (peer: () => HostilePeer) => HostileBehaviour, claimed = 1): HostileCase {
  return {
    name,
    kind: 'non-poisoning',
    hashManifests: true,
    setup: async (context) => {
      const media = newMedia();
      const viewer = honest(context, media);
      let met = false;
      viewer.peercdn.on('peer-connected', () => {
        met = true;
      });
      const peer: HostilePeer = context.own(
        new HostilePeer(
          context.tracker.url,
          swarmOf(viewer),
          behaviour(() => peer),
        ),
      );
      if (claimed > 0) await hears(viewer, peer.peerId, claimed);
      else await until(() => met, 'connected');
      return { viewer, media };
    },
  };
}

// A seeder holding every segment, under a capped upload, flooded with requests; the measured
// viewer is its honest neighbour.
const flood: HostileCase = {
  name: 'request flood (8 in flight) on a capped seeder',
  kind: 'non-poisoning',
  hashManifests: true,
  setup: async (context) => {
    const seeder = context.own(
      startPlayerViewer(context.tracker.url, context.origin.url, { uploadMaxBytesPerSecond: 400_000 }),
    );
    for (const sn of ALL_SEGMENTS) await seeder.load(sn);
    const receipt: FloodReceipt = { requests: 0, receivedBytes: 0 };
    const peer: HostilePeer = context.own(
      new HostilePeer(
        context.tracker.url,
        swarmOf(seeder),
        requestFlood(() => peer, ALL_SEGMENTS, receipt),
      ),
    );
    await until(() => receipt.receivedBytes > 100_000, 'the flood is served');
    const media = newMedia();
    const viewer = honest(context, media);
    await hears(viewer, seeder.peercdn.peerId, 30);
    return {
      viewer,
      media,
      note: () => `flood: ${receipt.requests} requests, ${(receipt.receivedBytes / 1e6).toFixed(1)} MB received`,
    };
  },
};

export function hostileCases(): HostileCase[] {
  const baseline = (hashManifests: boolean): HostileCase => ({
    name: 'no hostile peer (baseline)',
    kind: 'baseline',
    hashManifests,
    setup: async (context) => {
      const media = newMedia();
      const viewer = honest(context, media);
      // Like every other case (whose connections take seconds), start after the swarm's warm-up.
      const startMs = performance.now();
      await until(() => performance.now() - startMs > 3500, 'the swarm warm-up');
      return { viewer, media };
    },
  });
  const poisoningCases = (manifest: boolean): HostileCase[] => [
    poisoning('random bytes', 'random', manifest),
    poisoning('0x47 every 188 bytes, garbage payload', 'garbage-payload', manifest),
    poisoning('truncated at a packet boundary', 'truncate', manifest),
    poisoning('garbage prefix + HTTP Range rest', 'flip', manifest, true),
    relay(manifest),
  ];
  return [
    baseline(true),
    ...poisoningCases(true),
    ...poisoningCases(false),
    misbehaving('staller (claims all, never sends)', () => staller(ALL_SEGMENTS), 30),
    misbehaving('trickler (true headers, real bytes at 1 byte/s)', (peer) => trickler(peer, ALL_SEGMENTS, fixture), 30),
    misbehaving('loading-liar (claims it fetches all, never serves)', (peer) => loadingLiar(peer, ALL_SEGMENTS), 0),
    flood,
    misbehaving('2,048,000 have entries', () => haveFlood(1000), 0),
    misbehaving('huge declared length (64 MiB)', () => hugeLength(ALL_SEGMENTS), 30),
  ];
}
