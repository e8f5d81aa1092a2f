import assert from 'node:assert/strict';
import { resolveConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';

function engineWith(media: Partial<HTMLMediaElement> | null): Engine {
  const engine = new Engine(resolveConfig({}), {
    createTrackerClient: () => assert.fail('no tracker in this test'),
    random: () => 0.5,
    nowMs: () => 0,
  });
  engine.setPlayhead({ media: media as HTMLMediaElement | null });
  return engine;
}

describe('engine playhead', () => {
  it('knows nothing without a media element', () => {
    assert.equal(engineWith(null).secondsUntil(10), null);
  });

  it('measures from the current time, scaled by the playback rate', () => {
    assert.equal(engineWith({ readyState: 4, currentTime: 4, playbackRate: 1 }).secondsUntil(10), 6);
    assert.equal(engineWith({ readyState: 4, currentTime: 4, playbackRate: 2 }).secondsUntil(10), 3);
  });

  it('before the media has data, measures from the first segment asked for', () => {
    const media = { readyState: 0, currentTime: 0, playbackRate: 1 };
    const engine = engineWith(media);
    assert.equal(engine.secondsUntil(120), 0);
    assert.equal(engine.secondsUntil(124), 4);
    media.readyState = 4;
    media.currentTime = 121;
    assert.equal(engine.secondsUntil(124), 3);
  });

  it('drops the playhead on destroy', () => {
    const engine = engineWith({ readyState: 4, currentTime: 4, playbackRate: 1 });
    engine.destroy();
    assert.equal(engine.secondsUntil(10), null);
  });
});
