import assert from 'node:assert/strict';
import type { HttpThroughput } from '../../lib/policy/transfer-timing.ts';
import { peerMissesDeadline } from '../../lib/policy/peer-deadline.ts';

// HTTP measured at 1000 bytes/ms after a 50 ms first byte.
const FAST_HTTP: HttpThroughput = { bytesPerMs: 1000, firstByteMs: 50 };
// HTTP measured at 10 bytes/ms: slower than the peers below.
const SLOW_HTTP: HttpThroughput = { bytesPerMs: 10, firstByteMs: 50 };
// HTTP measured at 100 bytes/ms: the slow peer's rest (100 000 bytes) in 1050 ms, faster than the peer.
const MEDIUM_HTTP: HttpThroughput = { bytesPerMs: 100, firstByteMs: 50 };

describe('peerMissesDeadline', () => {
  // 40 000 of 140 000 bytes in 1000 ms: 40 bytes/ms, 2500 ms to go at that pace.
  const slowPeer = {
    elapsedMs: 1000,
    loadedBytes: 40_000,
    totalBytes: 140_000,
    firstByteElapsedMs: 0,
    firstChunkBytes: 0,
  };
  const silentPeer = { elapsedMs: 600, loadedBytes: 0, totalBytes: 140_000, firstByteElapsedMs: 0, firstChunkBytes: 0 };
  // A far peer: its first 8 750 bytes came after a 200-ms round trip, then 306 bytes/ms (228 ms to go).
  const farPeer = {
    elapsedMs: 400,
    loadedBytes: 70_000,
    totalBytes: 140_000,
    firstByteElapsedMs: 200,
    firstChunkBytes: 8_750,
  };
  const cases: {
    name: string;
    progress: typeof slowPeer;
    msUntilNeeded: number | null;
    http: HttpThroughput | null;
    expected: boolean;
  }[] = [
    {
      name: 'keeps a peer that finishes well before the segment plays',
      progress: slowPeer,
      msUntilNeeded: 10_000,
      http: FAST_HTTP,
      expected: false,
    },
    // The slow peer's rest over FAST_HTTP: 150 ms (three times: 450), the whole segment 190 ms; with
    // the 250-ms check interval a late transfer is cut once 700 ms of the budget are left.
    {
      name: 'keeps a late peer while HTTP has more than three times its time for the rest',
      progress: slowPeer,
      msUntilNeeded: 2000,
      http: FAST_HTTP,
      expected: false,
    },
    {
      name: 'moves a late peer to HTTP once HTTP is left three times its time for the rest',
      progress: slowPeer,
      msUntilNeeded: 1700,
      http: FAST_HTTP,
      expected: true,
    },
    {
      name: 'moves to HTTP when the peer finishes inside the last-second margin and HTTP needs the time',
      progress: slowPeer,
      msUntilNeeded: 3200,
      http: MEDIUM_HTTP,
      expected: true,
    },
    {
      name: 'keeps a peer finishing inside the last-second margin while fast HTTP has time to spare',
      progress: slowPeer,
      msUntilNeeded: 3200,
      http: FAST_HTTP,
      expected: false,
    },
    // 130 000 of 140 000 bytes in 10 s: 770 ms to go. HTTP's rest 60 ms (three times: 180), the whole
    // segment 190 ms (an origin that ignores the range sends it all): cut with 440 ms left, not 430.
    {
      name: 'leaves HTTP its time for the whole segment when that is longer than three times the rest',
      progress: { ...slowPeer, elapsedMs: 10_000, loadedBytes: 130_000 },
      msUntilNeeded: 1435,
      http: FAST_HTTP,
      expected: true,
    },
    {
      name: 'keeps a late peer when HTTP, as measured, would be later still',
      progress: slowPeer,
      msUntilNeeded: 2000,
      http: SLOW_HTTP,
      expected: false,
    },
    {
      name: 'moves a late peer to HTTP when HTTP was never measured',
      progress: slowPeer,
      msUntilNeeded: 2000,
      http: null,
      expected: true,
    },
    {
      name: 'keeps the peer when the playhead is unknown',
      progress: slowPeer,
      msUntilNeeded: null,
      http: FAST_HTTP,
      expected: false,
    },
    {
      name: 'does not judge a pace measured over less than 200 ms',
      progress: { ...slowPeer, elapsedMs: 150 },
      msUntilNeeded: 0,
      http: FAST_HTTP,
      expected: false,
    },
    {
      name: 'judges a far peer by its pace after the first bytes, not by the round trip before them',
      progress: farPeer,
      msUntilNeeded: 1350,
      http: FAST_HTTP,
      expected: false,
    },
    {
      name: 'moves a far peer to HTTP when its pace after the first bytes is too slow',
      progress: farPeer,
      msUntilNeeded: 1200,
      http: FAST_HTTP,
      expected: true,
    },
    {
      name: 'does not judge the pace until 200 ms after the first bytes',
      progress: { ...farPeer, elapsedMs: 350, loadedBytes: 20_000 },
      msUntilNeeded: 0,
      http: FAST_HTTP,
      expected: false,
    },
    // A silent peer (no byte yet) is judged by HTTP bringing a typical segment (totalBytes):
    // 140 000 bytes at FAST_HTTP take 50 + 140 ms, so HTTP needs 1190 ms with the 1-s margin.
    {
      name: 'keeps a silent peer while HTTP would still bring the segment in time',
      progress: { ...silentPeer, elapsedMs: 100 },
      msUntilNeeded: 1300,
      http: FAST_HTTP,
      expected: false,
    },
    {
      name: 'leaves a silent peer once HTTP would only just bring the segment in time',
      progress: silentPeer,
      msUntilNeeded: 1150,
      http: FAST_HTTP,
      expected: true,
    },
    {
      name: 'leaves a silent peer at once when the segment is already due',
      progress: { ...silentPeer, elapsedMs: 0 },
      msUntilNeeded: -100,
      http: FAST_HTTP,
      expected: true,
    },
    {
      name: 'keeps a silent peer when HTTP was never measured and the segment is due in more than the margin',
      progress: silentPeer,
      msUntilNeeded: 1500,
      http: null,
      expected: false,
    },
    {
      name: 'leaves a silent peer when HTTP was never measured and the segment is due within the margin',
      progress: silentPeer,
      msUntilNeeded: 900,
      http: null,
      expected: true,
    },
    {
      name: 'keeps a silent peer when the playhead is unknown',
      progress: silentPeer,
      msUntilNeeded: null,
      http: FAST_HTTP,
      expected: false,
    },
    {
      name: 'does not stop a transfer that is complete',
      progress: { ...slowPeer, loadedBytes: 140_000 },
      msUntilNeeded: 0,
      http: FAST_HTTP,
      expected: false,
    },
    {
      name: 'moves to HTTP when the segment is already due',
      progress: slowPeer,
      msUntilNeeded: -500,
      http: FAST_HTTP,
      expected: true,
    },
  ];
  for (const { name, progress, msUntilNeeded, http, expected } of cases) {
    it(name, () => {
      assert.equal(peerMissesDeadline(progress, msUntilNeeded, http), expected);
    });
  }
});
