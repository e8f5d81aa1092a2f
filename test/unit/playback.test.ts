import assert from 'node:assert/strict';
import { resolveConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { Playback } from '../../lib/engine/playback.ts';

function playbackOf(media: Partial<HTMLMediaElement> | null): Playback {
  const playback = new Playback();
  playback.follow({ media: media as HTMLMediaElement | null });
  return playback;
}

describe('playback (the engine playhead)', () => {
  it('knows nothing without a media element', () => {
    assert.equal(playbackOf(null).secondsUntil(10), null);
    assert.equal(playbackOf(null).startingUp, false);
  });

  it('measures from the current time, scaled by the playback rate', () => {
    assert.equal(playbackOf({ readyState: 4, currentTime: 4, playbackRate: 1 }).secondsUntil(10), 6);
    assert.equal(playbackOf({ readyState: 4, currentTime: 4, playbackRate: 2 }).secondsUntil(10), 3);
  });

  it('before the media has data, measures from the first segment asked for', () => {
    const media = { readyState: 0, currentTime: 0, playbackRate: 1 };
    const playback = playbackOf(media);
    assert.equal(playback.startingUp, true);
    assert.equal(playback.secondsUntil(120), 0);
    assert.equal(playback.secondsUntil(124), 4);
    media.readyState = 4;
    media.currentTime = 121;
    assert.equal(playback.startingUp, false);
    assert.equal(playback.secondsUntil(124), 3);
  });

  it('tells what lies further behind the playhead than a given margin', () => {
    const playback = playbackOf({ readyState: 4, currentTime: 30, playbackRate: 1 });
    assert.equal(playback.isBehind(19, 10), true);
    assert.equal(playback.isBehind(20, 10), false);
    assert.equal(playbackOf({ readyState: 0, currentTime: 30, playbackRate: 1 }).isBehind(0, 10), false);
  });

  it('is dropped when the engine is destroyed', () => {
    const engine = new Engine(resolveConfig({}), {
      createTrackerClient: () => assert.fail('no tracker in this test'),
      random: () => 0.5,
      nowMs: () => 0,
    });
    engine.playback.follow({ media: { readyState: 4, currentTime: 4, playbackRate: 1 } as HTMLMediaElement });
    assert.equal(engine.playback.secondsUntil(10), 6);
    engine.destroy();
    assert.equal(engine.playback.secondsUntil(10), null);
  });
});
