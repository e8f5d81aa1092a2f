import assert from 'node:assert/strict';
import { MAX_PICKS_PER_SWARM, PICK_MAX_AGE_MS, RemotePicks, splitPicks } from '../../tracker/cluster/remote-picks.ts';

const peer = (n: number): { peerId: string; node: string } => ({ peerId: `peer-${n}`, node: `node-${n % 2}` });
const ids = (peers: readonly { peerId: string }[]): string[] => peers.map((one) => one.peerId);

describe('cluster: peers on other nodes picked by earlier announce scripts', () => {
  it('gives each pick once, newest first, up to the count asked', () => {
    const picks = new RemotePicks();
    picks.store('swarm', [peer(1), peer(2)], 0);
    picks.store('swarm', [peer(3)], 10);
    assert.deepEqual(ids(picks.take('swarm', 2, 20)), ['peer-3', 'peer-2']);
    assert.deepEqual(ids(picks.take('swarm', 5, 20)), ['peer-1']);
    assert.deepEqual(picks.take('swarm', 5, 20), []);
    assert.equal(picks.swarms, 0, 'an emptied swarm is dropped');
  });

  it('keeps a peer once however many replies picked it, and each swarm apart', () => {
    const picks = new RemotePicks();
    picks.store('a', [peer(1), peer(2)], 0);
    picks.store('a', [peer(2), peer(1)], 5);
    picks.store('b', [peer(1)], 5);
    assert.deepEqual(ids(picks.take('a', 10, 6)).sort(), ['peer-1', 'peer-2']);
    assert.deepEqual(ids(picks.take('b', 10, 6)), ['peer-1']);
  });

  it('gives out no pick older than the age limit (a peer that left meanwhile would get an offer in vain)', () => {
    const picks = new RemotePicks();
    picks.store('swarm', [peer(1)], 0);
    picks.store('swarm', [peer(2)], 600);
    assert.deepEqual(ids(picks.take('swarm', 5, PICK_MAX_AGE_MS + 300)), ['peer-2']);
    picks.store('swarm', [peer(3)], 0);
    assert.deepEqual(picks.take('swarm', 5, PICK_MAX_AGE_MS + 1), []);
    assert.equal(picks.swarms, 0);
  });

  it('holds at most MAX_PICKS_PER_SWARM per swarm, the newest; forget() and clear() drop them', () => {
    const picks = new RemotePicks();
    picks.store(
      'swarm',
      Array.from({ length: MAX_PICKS_PER_SWARM + 5 }, (_, n) => peer(n)),
      0,
    );
    const taken = picks.take('swarm', 100, 0);
    assert.equal(taken.length, MAX_PICKS_PER_SWARM);
    assert.ok(!ids(taken).includes('peer-0'), 'the oldest went first');
    picks.store('a', [peer(1)], 0);
    picks.store('b', [peer(1)], 0);
    picks.forget('a');
    assert.equal(picks.swarms, 1);
    picks.clear();
    assert.equal(picks.swarms, 0);
  });

  it("splits a script's picks into this announce's targets and spares, skipping peers it already sent an early offer", () => {
    const reply = [8, 1, 0, 'peer-1', 'node-1', 'peer-2', 'node-0', 'peer-3', 'node-1', 'peer-4', 'node-0'];
    assert.deepEqual(splitPicks(reply, [], 2), {
      targets: [peer(1), peer(2)],
      spare: [peer(3), peer(4)],
    });
    assert.deepEqual(splitPicks(reply, [peer(2)], 1), { targets: [peer(1)], spare: [peer(3), peer(4)] });
    assert.deepEqual(
      splitPicks([8, 1, 0, 'peer-1'], [], 1),
      { targets: [], spare: [] },
      'a peer without its node is no pick',
    );
  });
});
