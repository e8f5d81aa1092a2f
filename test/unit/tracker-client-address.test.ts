import assert from 'node:assert/strict';
import { ClientAddresses, checkProxyEntry } from '../../tracker/client-address.ts';
import { resolveTrackerConfig } from '../../tracker/config.ts';

describe('tracker client address behind trusted proxies', () => {
  it('ignores X-Forwarded-For unless the TCP peer is a trusted proxy', () => {
    const none = new ClientAddresses([]);
    assert.equal(none.resolve('203.0.113.9', '198.51.100.1'), '203.0.113.9');
    const trusting = new ClientAddresses(['10.0.0.0/8', 'fd00::1']);
    assert.equal(
      trusting.resolve('203.0.113.9', '198.51.100.1'),
      '203.0.113.9',
      'a client cannot pick its own address',
    );
    assert.deepEqual(trusting.counters, { forwarded: 0, forwardedInvalid: 0 });
  });

  it('takes the rightmost hop that is not a trusted proxy, whatever the client wrote to its left', () => {
    const trusting = new ClientAddresses(['10.0.0.0/8', 'fd00::1']);
    assert.equal(trusting.resolve('10.1.2.3', '198.51.100.1'), '198.51.100.1');
    assert.equal(
      trusting.resolve('fd00::1', '1.2.3.4, 2001:db8::7, 10.9.9.9'),
      '2001:db8::7',
      'forged first entry and an inner proxy skipped',
    );
    assert.equal(
      trusting.resolve('::ffff:10.0.0.5', ['198.51.100.2', '10.0.0.6']),
      '198.51.100.2',
      'IPv4-mapped proxy, header sent twice',
    );
    assert.deepEqual(trusting.counters, { forwarded: 3, forwardedInvalid: 0 });
  });

  it('falls back to the proxy address when the header is missing or holds no address, and counts it', () => {
    const trusting = new ClientAddresses(['10.0.0.1']);
    assert.equal(trusting.resolve('10.0.0.1', undefined), '10.0.0.1');
    assert.equal(trusting.resolve('10.0.0.1', 'unknown'), '10.0.0.1');
    assert.equal(
      trusting.resolve('10.0.0.1', 'evil, 198.51.100.3'),
      '198.51.100.3',
      'a bad entry left of the client does not matter',
    );
    assert.deepEqual(trusting.counters, { forwarded: 1, forwardedInvalid: 2 });
  });

  // Proxies write ports, brackets and RFC 7239 forms too; these resolved to the proxy before.
  it('reads entries with a port, a bracketed IPv6 address, quotes, or the for= form of RFC 7239', () => {
    const trusting = new ClientAddresses(['10.0.0.0/8']);
    const cases: [string, string][] = [
      ['198.51.100.7:51234', '198.51.100.7'],
      ['[2001:db8::7]:443', '2001:db8::7'],
      ['[2001:db8::8]', '2001:db8::8'],
      ['"198.51.100.9"', '198.51.100.9'],
      ['for=198.51.100.10', '198.51.100.10'],
      ['For="[2001:db8::9]:4711";proto=https', '2001:db8::9'],
      ['proto=https;for=198.51.100.11:80', '198.51.100.11'],
      ['198.51.100.12, 10.0.0.9:8080', '198.51.100.12'],
    ];
    for (const [header, client] of cases) assert.equal(trusting.resolve('10.0.0.2', header), client, header);
    assert.deepEqual(trusting.counters, { forwarded: cases.length, forwardedInvalid: 0 });
    for (const header of ['198.51.100.7:port', '[2001:db8::7', '[198.51.100.7]:80', 'for=_hidden', '2001:db8::7:99999'])
      assert.equal(trusting.resolve('10.0.0.2', header), '10.0.0.2', header);
  });

  it('checks trustedProxies entries at startup, naming the bad one', () => {
    assert.equal(checkProxyEntry('10.0.0.0/8'), null);
    assert.equal(checkProxyEntry('fd00::/8'), null);
    assert.notEqual(checkProxyEntry('10.0.0.0/33'), null);
    assert.notEqual(checkProxyEntry('proxy.local'), null);
    assert.throws(
      () => resolveTrackerConfig({ trustedProxies: ['10.0.0.1', 'lb'] }),
      /trustedProxies.*entry 1 \("lb"\)/,
    );
  });
});
