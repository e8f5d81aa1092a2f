import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { infoHashToHex, infoHashToWireId, mintSwarmToken, verifySwarmToken } from '../../tracker/token.ts';
import { wireId } from '../helpers/fake-connection.ts';

const SECRET = 'a-shared-secret-of-some-length';
const SWARM = wireId('token-swarm');
const HEX = Buffer.from(SWARM, 'latin1').toString('hex');

describe('swarm tokens', () => {
  it('round-trips: a minted token verifies to its swarm (as a wire id) and expiry', () => {
    const token = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: 1_700_000_000 });
    assert.deepEqual(verifySwarmToken(token, SECRET), {
      ok: true,
      claims: { infoHash: SWARM, expiresAtSeconds: 1_700_000_000 },
    });
  });

  it('has the documented format: v1.<hex>.<expiry>.<base64url HMAC-SHA256 of "v1.<hex>.<expiry>">', () => {
    const token = mintSwarmToken({ secret: SECRET, infoHash: HEX.toUpperCase(), expiresAtSeconds: 42 });
    const signature = createHmac('sha256', SECRET).update(`v1.${HEX}.42`).digest('base64url');
    assert.equal(token, `v1.${HEX}.42.${signature}`);
    assert.equal(
      token,
      mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: 42 }),
      'hex and wire id name the same swarm',
    );
  });

  it('refuses a token whose swarm, expiry or signature was changed, or that was signed with another secret', () => {
    const token = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: 1000 });
    const [version, hex, expiry, signature] = token.split('.') as [string, string, string, string];
    const otherHex = Buffer.from(wireId('other-swarm'), 'latin1').toString('hex');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    for (const forged of [
      `${version}.${otherHex}.${expiry}.${signature}`,
      `${version}.${hex}.9999999999.${signature}`,
      `${version}.${hex}.${expiry}.${flipped}`,
    ]) {
      assert.deepEqual(verifySwarmToken(forged, SECRET), { ok: false, reason: 'bad-signature' }, forged);
    }
    assert.deepEqual(verifySwarmToken(token, 'another-secret-entirely'), { ok: false, reason: 'bad-signature' });
  });

  it('calls anything not in the v1 form malformed, without throwing', () => {
    const token = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: 1000 });
    for (const bad of [
      '',
      'v1',
      token.replace('v1.', 'v2.'),
      `${token}x`,
      token.slice(0, -1),
      `${token}.extra`,
      token.replace(/\.1000\./, '.-1000.'),
      'x'.repeat(10_000),
    ]) {
      assert.deepEqual(verifySwarmToken(bad, SECRET), { ok: false, reason: 'malformed' }, bad.slice(0, 60));
    }
  });

  it('refuses to mint with a short secret, a bad info hash or a bad expiry', () => {
    assert.throws(() => mintSwarmToken({ secret: 'short', infoHash: SWARM, expiresAtSeconds: 1 }), /secret/);
    assert.throws(() => mintSwarmToken({ secret: SECRET, infoHash: 'abc', expiresAtSeconds: 1 }), /infoHash/);
    assert.throws(() => mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: 1.5 }), /expiresAtSeconds/);
  });

  it('converts info hashes between hex and wire ids, and rejects characters beyond one byte', () => {
    assert.equal(infoHashToHex(SWARM), HEX);
    assert.equal(infoHashToWireId(HEX), SWARM);
    assert.equal(infoHashToWireId(SWARM), SWARM);
    assert.equal(infoHashToHex('\u0100'.padEnd(20, 'a')), null);
    assert.equal(infoHashToHex('g'.repeat(40)), null);
  });
});
