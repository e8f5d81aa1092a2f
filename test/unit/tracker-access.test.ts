import assert from 'node:assert/strict';
import { OriginAllowlist, SwarmAccess, checkOriginPattern } from '../../tracker/access.ts';
import { AddressConnectionCap, addressKey } from '../../tracker/address-cap.ts';
import { mintSwarmToken } from '../../tracker/token.ts';
import { FakeConnection, wireId } from '../helpers/fake-connection.ts';

const SECRET = 'test-secret-0123456789';
const OPEN_SWARM = wireId('open-swarm');
const PAID_SWARM = wireId('paid-swarm');
const OTHER_SWARM = wireId('other-swarm');
const NOW_SECONDS = 1_800_000_000;

describe('origin allowlist', () => {
  it('allows every origin when empty', () => {
    const allowlist = new OriginAllowlist([]);
    assert.ok(allowlist.empty);
    assert.ok(allowlist.allows('https://anywhere.example'));
  });

  it('matches exact origins case-insensitively, including the port', () => {
    const allowlist = new OriginAllowlist(['https://video.example.com', 'http://localhost:8080']);
    assert.ok(allowlist.allows('https://video.example.com'));
    assert.ok(allowlist.allows('HTTPS://Video.Example.com'));
    assert.ok(allowlist.allows('http://localhost:8080'));
    assert.ok(!allowlist.allows('http://video.example.com'), 'scheme matters');
    assert.ok(!allowlist.allows('http://localhost:8081'), 'port matters');
    assert.ok(!allowlist.allows('https://video.example.com.evil.test'));
    assert.ok(!allowlist.allows('null'), 'sandboxed pages and file: URLs send "null"');
  });

  it('matches a wildcard entry against subdomains only, never the apex or look-alikes', () => {
    const allowlist = new OriginAllowlist(['https://*.example.com']);
    assert.ok(allowlist.allows('https://a.example.com'));
    assert.ok(allowlist.allows('https://a.b.example.com'));
    assert.ok(!allowlist.allows('https://example.com'));
    assert.ok(!allowlist.allows('https://badexample.com'));
    assert.ok(!allowlist.allows('https://a.example.com:8443'));
    assert.ok(!allowlist.allows('http://a.example.com'));
  });

  it('lets requests without an Origin header through (not from a browser page)', () => {
    assert.ok(new OriginAllowlist(['https://video.example.com']).allows(undefined));
  });

  it('accepts only bare origins as entries', () => {
    for (const good of ['https://example.com', 'http://127.0.0.1:8080', 'https://*.example.com'])
      assert.equal(checkOriginPattern(good), null, good);
    for (const bad of [
      'https://example.com/',
      'https://example.com/path',
      'example.com',
      '*',
      'https://user@example.com',
      'https://example.com:443',
      '',
    ]) {
      assert.match(String(checkOriginPattern(bad)), /must be an origin/, bad);
    }
  });
});

describe('swarm access', () => {
  const clock = { nowUnixMs: NOW_SECONDS * 1000 };
  const access = (allowedInfoHashes: string[], swarmTokenSecret: string): SwarmAccess =>
    new SwarmAccess({ allowedInfoHashes, swarmTokenSecret, nowUnixMs: () => clock.nowUnixMs });
  const token = (infoHash: string, expiresAtSeconds = NOW_SECONDS + 60): string =>
    mintSwarmToken({ secret: SECRET, infoHash, expiresAtSeconds });
  const connect = (gate: SwarmAccess, url: string): FakeConnection => {
    const connection = new FakeConnection();
    gate.register(connection, url);
    return connection;
  };
  beforeEach(() => {
    clock.nowUnixMs = NOW_SECONDS * 1000;
  });

  it('is open with neither an allowlist nor a secret', () => {
    const gate = access([], '');
    assert.ok(gate.open);
    assert.equal(gate.admit(OTHER_SWARM, connect(gate, '/')), null);
  });

  it('admits only allowlisted swarms, given as hex or as wire ids, when there is no secret', () => {
    const gate = access([Buffer.from(OPEN_SWARM, 'latin1').toString('hex'), PAID_SWARM], '');
    const connection = connect(gate, '/');
    assert.equal(gate.admit(OPEN_SWARM, connection), null);
    assert.equal(gate.admit(PAID_SWARM, connection), null);
    assert.equal(gate.admit(OTHER_SWARM, connection)?.reason, 'swarm-not-allowed');
  });

  it('admits a swarm whose token is in the URL until the token expires', () => {
    const gate = access([], SECRET);
    const connection = connect(gate, `/?token=${token(PAID_SWARM)}`);
    assert.equal(gate.admit(PAID_SWARM, connection), null);
    clock.nowUnixMs = (NOW_SECONDS + 60) * 1000;
    assert.deepEqual(gate.admit(PAID_SWARM, connection), {
      reason: 'token-expired',
      message: 'swarm token expired: reconnect with a fresh token',
    });
  });

  it('names what is wrong: no token, a token for another swarm, a forged token', () => {
    const gate = access([], SECRET);
    assert.equal(gate.admit(PAID_SWARM, connect(gate, '/'))?.reason, 'token-missing');
    assert.equal(
      gate.admit(PAID_SWARM, new FakeConnection())?.reason,
      'token-missing',
      'a connection never registered',
    );
    assert.equal(
      gate.admit(PAID_SWARM, connect(gate, `/announce?token=${token(OTHER_SWARM)}`))?.reason,
      'token-wrong-swarm',
    );
    const forged = token(OTHER_SWARM).replace(
      Buffer.from(OTHER_SWARM, 'latin1').toString('hex'),
      Buffer.from(PAID_SWARM, 'latin1').toString('hex'),
    );
    assert.equal(gate.admit(PAID_SWARM, connect(gate, `/?token=${forged}`))?.reason, 'token-invalid');
    assert.equal(gate.admit(PAID_SWARM, connect(gate, '/?token=nonsense'))?.reason, 'token-invalid');
    const otherSecret = mintSwarmToken({
      secret: 'some-other-secret-value',
      infoHash: PAID_SWARM,
      expiresAtSeconds: NOW_SECONDS + 60,
    });
    assert.equal(gate.admit(PAID_SWARM, connect(gate, `/?token=${otherSecret}`))?.reason, 'token-invalid');
  });

  it('takes one token per swarm from repeated token parameters, and allowlisted swarms without one', () => {
    const gate = access([OPEN_SWARM], SECRET);
    const connection = connect(gate, `/?token=${token(PAID_SWARM)}&token=${token(OTHER_SWARM)}`);
    assert.equal(gate.admit(PAID_SWARM, connection), null);
    assert.equal(gate.admit(OTHER_SWARM, connection), null);
    assert.equal(gate.admit(OPEN_SWARM, connect(gate, '/')), null);
  });
});

describe('connections per address', () => {
  it('caps open connections per address and frees a slot on release', () => {
    const cap = new AddressConnectionCap(2);
    assert.ok(cap.admits('10.0.0.1'));
    cap.acquire('10.0.0.1');
    cap.acquire('::ffff:10.0.0.1');
    assert.ok(!cap.admits('10.0.0.1'), 'an IPv4-mapped address is the same address');
    assert.ok(cap.admits('10.0.0.2'));
    cap.release('10.0.0.1');
    assert.ok(cap.admits('10.0.0.1'));
    cap.release('10.0.0.1');
    assert.equal(cap.addresses, 0, 'no entry is kept for an address with no connections');
  });

  it('has no cap at 0', () => {
    const cap = new AddressConnectionCap(0);
    for (let i = 0; i < 1000; i++) cap.acquire('10.0.0.1');
    assert.ok(cap.admits('10.0.0.1'));
  });

  it('counts IPv6 addresses per /64', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('127.0.0.1'), '127.0.0.1');
    const cap = new AddressConnectionCap(1);
    cap.acquire('2001:db8:1:2::1');
    assert.ok(!cap.admits('2001:db8:1:2::99'));
    assert.ok(cap.admits('2001:db8:1:3::1'));
  });
});
