import assert from 'node:assert/strict';
import { LEAVE_CHUNK, LeaveBatches } from '../../tracker/cluster/leave-batches.ts';

describe('cluster leave batches', () => {
  const recorder = () => {
    const sent: string[] = [];
    const batches = new LeaveBatches(
      (key, peerIds) => sent.push(`leave ${key} ${peerIds.length}: ${peerIds.slice(0, 3).join(',')}`),
      (key) => sent.push(`unregister ${key}`),
    );
    return { sent, batches };
  };

  it("sends one turn's leaves of a swarm together once the turn's synchronous work is done, the registration after them", async () => {
    const { sent, batches } = recorder();
    batches.add('s1', 'a', false);
    batches.add('s2', 'x', true);
    batches.add('s1', 'b', true);
    assert.deepEqual(sent, [], 'nothing before the turn ends');
    await Promise.resolve();
    assert.deepEqual(sent, ['leave s1 2: a,b', 'unregister s1', 'leave s2 1: x', 'unregister s2']);
  });

  it(`splits a swarm's leaves into scripts of ${LEAVE_CHUNK} peers`, () => {
    const { sent, batches } = recorder();
    for (let i = 0; i < 2 * LEAVE_CHUNK + 1; i++) batches.add('s', `p${i}`, false);
    batches.flush();
    assert.deepEqual(
      sent.map((line) => line.split(':')[0]),
      [`leave s ${LEAVE_CHUNK}`, `leave s ${LEAVE_CHUNK}`, 'leave s 1'],
    );
  });

  it('drops the leave of a peer that announced again before it went out, and the swarm keeps its registration', async () => {
    const { sent, batches } = recorder();
    batches.add('s', 'a', false);
    batches.add('s', 'b', true);
    batches.cancel('s', 'b');
    batches.cancel('other', 'b');
    await Promise.resolve();
    assert.deepEqual(sent, ['leave s 1: a']);
  });

  it('sends nothing for a swarm whose only leaver came back', async () => {
    const { sent, batches } = recorder();
    batches.add('s', 'a', true);
    batches.cancel('s', 'a');
    await Promise.resolve();
    assert.deepEqual(sent, []);
  });
});
