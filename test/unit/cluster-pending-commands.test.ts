import assert from 'node:assert/strict';

import { PendingCommands, forEachBounded } from '../../tracker/cluster/pending-commands.ts';

/** A command whose answer the test gives by hand. */
function heldCommand(): { promise: Promise<string>; answer: (reply: string) => void; fail: () => void } {
  let answer!: (reply: string) => void;
  let fail!: () => void;
  const promise = new Promise<string>((resolve, reject) => {
    answer = resolve;
    fail = () => reject(new Error('connection closed'));
  });
  return { promise, answer, fail };
}

describe('commands waiting on Redis', () => {
  it('sends up to the bound, sheds and counts the rest, and frees a place when one is answered or fails', async () => {
    const pending = new PendingCommands(2);
    const first = heldCommand();
    const second = heldCommand();
    const sentFirst = pending.run(() => first.promise);
    const sentSecond = pending.run(() => second.promise);
    assert.ok(sentFirst !== null && sentSecond !== null);
    let thirdSent = false;
    assert.equal(
      pending.run(() => {
        thirdSent = true;
        return Promise.resolve('never');
      }),
      null,
    );
    assert.equal(thirdSent, false);
    assert.deepEqual([pending.pending, pending.shed], [2, 1]);

    first.answer('OK');
    assert.equal(await sentFirst, 'OK');
    assert.equal(pending.pending, 1);
    second.fail();
    await assert.rejects(sentSecond, /connection closed/);
    assert.equal(pending.pending, 0);
    assert.equal(await pending.run(() => Promise.resolve('again')), 'again');
    assert.deepEqual([pending.pending, pending.shed], [0, 1]);
  });

  it('re-adds every item with at most the given number unsettled at once, failures included', async () => {
    const held: ReturnType<typeof heldCommand>[] = [];
    let unsettled = 0;
    let most = 0;
    const done = forEachBounded(
      Array.from({ length: 10 }, (_, i) => i),
      3,
      (item) => {
        const command = heldCommand();
        held.push(command);
        unsettled += 1;
        most = Math.max(most, unsettled);
        return command.promise.then(
          () => void (unsettled -= 1),
          (error: unknown) => {
            unsettled -= 1;
            if (item % 2 === 1) throw error;
          },
        );
      },
    );
    // Settle the held commands one by one as they appear; odd items fail.
    for (let settled = 0; settled < 10; settled++) {
      await new Promise((resolve) => setImmediate(resolve));
      const command = held[settled];
      assert.ok(command !== undefined, `item ${settled} was started`);
      if (settled % 2 === 1) command.fail();
      else command.answer('OK');
    }
    assert.equal(await done, 10);
    assert.equal(most, 3);
  });
});
