import assert from 'node:assert/strict';
import { parseRange } from '../../demo/http-range.ts';

const range = (start: number, end: number) => ({ kind: 'range', range: { start, end } });

describe('HTTP Range header parsing', () => {
  it('parses bytes=a-b, clamping the end to the body', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), range(0, 9));
    assert.deepEqual(parseRange('bytes=99-99', 100), range(99, 99));
    assert.deepEqual(parseRange('bytes=50-500', 100), range(50, 99));
  });

  it('parses bytes=a- as from a to the end', () => {
    assert.deepEqual(parseRange('bytes=90-', 100), range(90, 99));
    assert.deepEqual(parseRange('bytes=0-', 100), range(0, 99));
  });

  it('parses bytes=-n as the last n bytes, or the whole body when n exceeds it', () => {
    assert.deepEqual(parseRange('bytes=-10', 100), range(90, 99));
    assert.deepEqual(parseRange('bytes=-1000', 100), range(0, 99));
  });

  it('tolerates surrounding whitespace', () => {
    assert.deepEqual(parseRange('  bytes=1-2 ', 100), range(1, 2));
  });

  it('reports ranges that start beyond the body or ask for zero bytes as unsatisfiable', () => {
    assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=100-200', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-5', 0), { kind: 'unsatisfiable' });
  });

  it('ignores absent, malformed, reversed and multi-range headers, so the whole body is sent', () => {
    for (const header of [
      undefined,
      '',
      'bytes=',
      'bytes=-',
      'bytes=a-b',
      'bytes=1.5-2',
      'items=0-1',
      'bytes 0-1',
      'bytes=0-1,5-6',
      'bytes=9-2',
      'bytes=--1',
    ]) {
      assert.deepEqual(parseRange(header, 100), { kind: 'none' }, String(header));
    }
  });
});
