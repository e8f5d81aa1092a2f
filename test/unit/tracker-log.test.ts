import assert from 'node:assert/strict';
import { createLogger, type LogLevel } from '../../tracker/log.ts';

function capture(level: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(line),
    nowUnixMs: () => Date.UTC(2030, 0, 2, 3, 4, 5),
  });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('tracker logs', () => {
  it('writes one JSON object per line with time, level, message and the fields', () => {
    const { logger, lines, parsed } = capture('info');
    logger.info('listening', { url: 'ws://127.0.0.1:1', sockets: 0 });
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('\n'));
    assert.deepEqual(parsed(), [
      { time: '2030-01-02T03:04:05.000Z', level: 'info', message: 'listening', url: 'ws://127.0.0.1:1', sockets: 0 },
    ]);
  });

  it('writes only levels at or above its own, and nothing when off', () => {
    const info = capture('info');
    info.logger.debug('hidden');
    info.logger.warn('shown');
    info.logger.error('shown too');
    assert.deepEqual(
      info.parsed().map((line) => line['level']),
      ['warn', 'error'],
    );
    assert.deepEqual([info.logger.enabled('debug'), info.logger.enabled('info')], [false, true]);
    const off = capture('off');
    off.logger.error('nothing');
    assert.deepEqual([off.lines.length, off.logger.enabled('error')], [0, false]);
    const debug = capture('debug');
    debug.logger.debug('per message');
    assert.equal(debug.lines.length, 1);
  });

  it('never lets a field replace time, level or message, and prints errors by their message', () => {
    const { logger, parsed } = capture('debug');
    logger.warn('real', {
      level: 'fake',
      message: 'fake',
      error: Object.assign(new Error('boom'), { code: 'EMFILE' }),
    });
    assert.deepEqual(parsed()[0], {
      time: '2030-01-02T03:04:05.000Z',
      level: 'warn',
      message: 'real',
      error: { name: 'Error', message: 'boom', code: 'EMFILE' },
    });
  });
});
