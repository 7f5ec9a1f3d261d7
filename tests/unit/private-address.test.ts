import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isBlockedAddress, parseIPv6 } from '../../src/net/private-address.ts';
import { checkMediaUrl } from '../../src/platforms/media-fetch.ts';

describe('private address check', () => {
  it('blocks loopback, private, link-local, CGNAT, unique-local, multicast and unspecified addresses', () => {
    for (
      const address of [
        '127.0.0.1',
        '10.1.2.3',
        '172.16.0.1',
        '172.31.255.255',
        '192.168.1.1',
        '169.254.169.254',
        '100.64.0.1',
        '0.0.0.0',
        '224.0.0.1',
        '::1',
        '::',
        'fd00::1',
        'fe80::1%eth0',
        'ff02::1',
        '::ffff:127.0.0.1',
        '::ffff:10.0.0.1',
        '64:ff9b::192.168.0.1',
      ]
    ) assert.equal(isBlockedAddress(address), true, address);
  });

  it('allows public addresses, also IPv4-mapped ones', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(isBlockedAddress(address), false, address);
    }
  });

  it('refuses text that is not an address', () => {
    assert.equal(isBlockedAddress('example.com'), true);
    assert.equal(parseIPv6('1:2:3'), null);
  });

  it('checks every address a host name resolves to, and refuses when any is private', async () => {
    const check = (url: string, addresses: string[]) =>
      checkMediaUrl(url, { platform: 'x', resolveHost: () => Promise.resolve(addresses) });
    await check('https://cdn.example/a.png', ['93.184.216.34']);
    await assert.rejects(check('https://cdn.example/a.png', ['93.184.216.34', '10.0.0.1']), {
      code: 'media_unreachable',
    });
    await assert.rejects(check('http://cdn.example/a.png', ['93.184.216.34']), { code: 'media_unreachable' });
    await assert.rejects(check('https://user:pw@cdn.example/a.png', ['93.184.216.34']), {
      code: 'media_unreachable',
    });
  });

  it('allows private hosts and http when MEDIA_ALLOW_PRIVATE_HOSTS is on', async () => {
    const url = await checkMediaUrl('http://127.0.0.1:4010/a.png', {
      platform: 'x',
      allowPrivateHosts: true,
    });
    assert.equal(url.hostname, '127.0.0.1');
  });
});
