import assert from 'node:assert/strict';
import { swarmIdOfPlaylist } from '../../lib/hls/fragment-swarm.ts';
import { createPeerId, deriveSwarmId, stripUrlQuery, WIRE_ID_LENGTH, wireIdToHex } from '../../lib/shared/swarm-id.ts';

describe('swarm ids', () => {
  it('derives 20 printable characters', () => {
    const id = deriveSwarmId('https://cdn.example/live/180p/index.m3u8', 'main');
    assert.equal(id.length, WIRE_ID_LENGTH);
    assert.match(id, /^[0-9A-Za-z]{20}$/);
  });

  it('gives the same id for the same stream and rendition', () => {
    assert.equal(deriveSwarmId('s', 'main/0'), deriveSwarmId('s', 'main/0'));
  });

  it('gives different ids for different renditions and streams', () => {
    const ids = new Set([
      deriveSwarmId('s', 'main/0'),
      deriveSwarmId('s', 'main/1'),
      deriveSwarmId('t', 'main/0'),
      deriveSwarmId('s\nmain', '0'),
    ]);
    assert.equal(ids.size, 4);
  });

  it('maps signed URLs of one playlist to one stream id', () => {
    assert.equal(stripUrlQuery('https://a/b.m3u8?token=1#x'), 'https://a/b.m3u8');
    assert.equal(stripUrlQuery('https://a/b.m3u8#x'), 'https://a/b.m3u8');
    assert.equal(stripUrlQuery('https://a/b.m3u8'), 'https://a/b.m3u8');
  });

  it('creates peer ids with a client prefix from the injected randomness', () => {
    let n = 0;
    const id = createPeerId(() => (n++ % 62) / 62);
    assert.equal(id.length, WIRE_ID_LENGTH);
    assert.equal(id, '-PC0001-0123456789AB');
  });

  it('hex-encodes a printable id as bittorrent-tracker expects', () => {
    assert.equal(wireIdToHex('AZ'), '415a');
    assert.equal(wireIdToHex(deriveSwarmId('s', 'm')).length, 40);
  });

  it('puts viewers of one stream on different configured origins in one swarm, and no one else', () => {
    const bases = ['https://cdn-a.example/s/', 'https://cdn-b.example/mirror/'];
    const onA = swarmIdOfPlaylist('https://cdn-a.example/s/180p/index.m3u8?token=1', 'main', null, bases);
    const onB = swarmIdOfPlaylist('https://cdn-b.example/mirror/180p/index.m3u8', 'main', null, bases);
    assert.equal(onA, onB);
    assert.equal(onA, swarmIdOfPlaylist('https://cdn-a.example/s/180p/index.m3u8', 'main', null));
    assert.notEqual(onA, swarmIdOfPlaylist('https://cdn-b.example/mirror/240p/index.m3u8', 'main', null, bases));
    assert.notEqual(onA, swarmIdOfPlaylist('https://other.example/s/180p/index.m3u8', 'main', null, bases));
  });
});
