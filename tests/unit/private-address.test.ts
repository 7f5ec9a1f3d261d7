/**
 * The address policy (src/net/private-address.ts), range by range: each refused range is named for an
 * address at each of its ends, and the addresses just outside it are public. IPv6 text is parsed in
 * every written form, and every form that carries an IPv4 address is refused whatever that address.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blockedRangeOf, isBlockedAddress, parseIPv4, parseIPv6 } from '../../src/net/private-address.ts';
import { resolveAllowedAddresses } from '../../src/net/host-addresses.ts';

/** [range, an address at its start, one at its end, public neighbours (or none at the edge of the space)] */
const V4_CASES: readonly [string, string, string, string[]][] = [
  ['0.0.0.0/8', '0.0.0.0', '0.255.255.255', ['1.0.0.0']],
  ['10.0.0.0/8', '10.0.0.0', '10.255.255.255', ['9.255.255.255', '11.0.0.0']],
  ['100.64.0.0/10', '100.64.0.0', '100.127.255.255', ['100.63.255.255', '100.128.0.0']],
  ['127.0.0.0/8', '127.0.0.1', '127.255.255.255', ['126.255.255.255', '128.0.0.0']],
  ['169.254.0.0/16', '169.254.0.0', '169.254.255.255', ['169.253.255.255', '169.255.0.0']],
  ['172.16.0.0/12', '172.16.0.0', '172.31.255.255', ['172.15.255.255', '172.32.0.0']],
  ['192.0.0.0/24', '192.0.0.0', '192.0.0.255', ['191.255.255.255', '192.0.1.0']],
  ['192.0.2.0/24', '192.0.2.0', '192.0.2.255', ['192.0.3.0']],
  ['192.88.99.0/24', '192.88.99.0', '192.88.99.255', ['192.88.98.255', '192.88.100.0']],
  ['192.168.0.0/16', '192.168.0.0', '192.168.255.255', ['192.167.255.255', '192.169.0.0']],
  ['198.18.0.0/15', '198.18.0.0', '198.19.255.255', ['198.17.255.255', '198.20.0.0']],
  ['198.51.100.0/24', '198.51.100.0', '198.51.100.255', ['198.51.99.255', '198.51.101.0']],
  ['203.0.113.0/24', '203.0.113.0', '203.0.113.255', ['203.0.112.255', '203.0.114.0']],
  ['224.0.0.0/4', '224.0.0.0', '239.255.255.255', ['223.255.255.255']],
  ['240.0.0.0/4', '240.0.0.0', '255.255.255.255', []],
];

const V6_CASES: readonly [string, string, string, string[]][] = [
  ['::/128', '::', '0:0:0:0:0:0:0:0', []],
  ['::1/128', '::1', '0000:0000:0000:0000:0000:0000:0000:0001', []],
  ['::ffff:0:0/96', '::ffff:0.0.0.0', '::ffff:255.255.255.255', []],
  ['::ffff:0:0:0/96', '::ffff:0:0.0.0.0', '::ffff:0:ffff:ffff', []],
  ['::/96', '::0.0.0.2', '::255.255.255.255', []],
  ['64:ff9b::/96', '64:ff9b::', '64:ff9b::255.255.255.255', []],
  ['64:ff9b:1::/48', '64:ff9b:1::', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff', []],
  ['100::/64', '100::', '100::ffff:ffff:ffff:ffff', []],
  ['2001::/23', '2001::', '2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', ['2001:200::', '2000:ffff::1']],
  ['2001:db8::/32', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', [
    '2001:db7:ffff::1',
    '2001:db9::',
  ]],
  ['2002::/16', '2002::', '2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', ['2003::1', '2001:ffff::1']],
  ['3fff::/20', '3fff::', '3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', ['3fff:1000::', '3ffe:ffff::1']],
  ['fc00::/7', 'fc00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', []],
  ['fe80::/10', 'fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', []],
  ['fec0::/10', 'fec0::', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', []],
  ['ff00::/8', 'ff00::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', []],
];

describe('private address ranges', () => {
  for (const [cidr, first, last, neighbours] of [...V4_CASES, ...V6_CASES]) {
    it(`refuses ${cidr} from ${first} to ${last}${neighbours.length ? `, not ${neighbours.join(' or ')}` : ''}`, () => {
      assert.equal(blockedRangeOf(first)?.cidr, cidr, first);
      assert.equal(blockedRangeOf(last)?.cidr, cidr, last);
      for (const address of neighbours) assert.equal(blockedRangeOf(address), null, address);
    });
  }

  it('refuses the cloud metadata address as link-local', () => {
    assert.deepEqual(blockedRangeOf('169.254.169.254'), {
      cidr: '169.254.0.0/16',
      name: 'link-local (cloud metadata)',
    });
    assert.equal(isBlockedAddress('fd00:ec2::254'), true, 'the IPv6 metadata address (unique local)');
  });

  it('refuses every IPv6 form that carries an IPv4 address, even a public one', () => {
    for (
      const address of [
        '::ffff:8.8.8.8', // IPv4-mapped
        '::ffff:808:808', // the same, in hex
        '::ffff:0:8.8.8.8', // IPv4-translated
        '::8.8.8.8', // IPv4-compatible
        '64:ff9b::8.8.8.8', // NAT64
        '64:ff9b:1::808:808', // local-use NAT64
        '2002:808:808::1', // 6to4
        '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
        '::ffff:127.0.0.1',
        '::ffff:7f00:1',
        '64:ff9b::169.254.169.254',
      ]
    ) assert.equal(isBlockedAddress(address), true, address);
  });

  it('refuses IPv6 outside global unicast (2000::/3) that no special range names', () => {
    assert.deepEqual(blockedRangeOf('4000::1'), { cidr: '2000::/3', name: 'not global unicast' });
    assert.equal(isBlockedAddress('1fff:ffff::1'), true);
    assert.equal(isBlockedAddress('5f00::1'), true);
  });

  it('allows public IPv4 and global unicast IPv6', () => {
    for (
      const address of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700::1111', '2a00:1450:4001::200e']
    ) {
      assert.equal(blockedRangeOf(address), null, address);
    }
  });

  it('refuses text that is not an address', () => {
    for (const text of ['example.com', '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1:2:3', 'localhost']) {
      assert.equal(isBlockedAddress(text), true, text);
    }
  });
});

describe('IP address parsing', () => {
  it('reads IPv4 in dotted decimal only, without leading zeros', () => {
    assert.deepEqual(parseIPv4('192.168.0.1'), [192, 168, 0, 1]);
    for (const text of ['010.0.0.1', '0x7f.0.0.1', '2130706433', '127.1', '1.2.3.4 ', '-1.2.3.4']) {
      assert.equal(parseIPv4(text), null, text);
    }
  });

  it('reads IPv6 with ::, an IPv4 tail, brackets and a zone id', () => {
    const cases: [string, number[]][] = [
      ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
      ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
      ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
      ['1:2:3:4:5:6:7::', [1, 2, 3, 4, 5, 6, 7, 0]],
      ['::2:3:4:5:6:7:8', [0, 2, 3, 4, 5, 6, 7, 8]],
      ['2001:DB8::A', [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xa]],
      ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]],
      ['::1.2.3.4', [0, 0, 0, 0, 0, 0, 0x102, 0x304]],
      ['1:2:3:4:5:6:1.2.3.4', [1, 2, 3, 4, 5, 6, 0x102, 0x304]],
      ['[fe80::1]', [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
      ['fe80::1%eth0', [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
    ];
    for (const [text, words] of cases) assert.deepEqual(parseIPv6(text), words, text);
  });

  it('rejects malformed IPv6', () => {
    for (
      const text of [
        '1:2:3',
        '1:2:3:4:5:6:7:8:9',
        '1::2::3',
        ':1:2:3:4:5:6:7',
        '1:2:3:4:5:6:7:',
        '12345::1',
        '1:2:3:4:5:6:7:1.2.3.4',
        '::1.2.3',
        '1.2.3.4::',
        'fe80::1%',
        '[::1',
        'g::1',
      ]
    ) assert.equal(parseIPv6(text), null, text);
  });
});

describe('resolving a host for a connection', () => {
  const resolveTo = (addresses: string[]) => () => Promise.resolve(addresses);

  it('returns every address of a public host, in the resolver order', async () => {
    const addresses = await resolveAllowedAddresses('cdn.example', {
      allowPrivateHosts: false,
      resolveHost: resolveTo(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']),
    });
    assert.deepEqual(addresses, ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
  });

  it('refuses a host when any of its addresses is private, naming it and its range', async () => {
    await assert.rejects(
      resolveAllowedAddresses('cdn.example', {
        allowPrivateHosts: false,
        resolveHost: resolveTo(['93.184.215.14', '10.0.0.1']),
      }),
      {
        name: 'HostAddressError',
        code: 'blocked_address',
        address: '10.0.0.1',
        message: 'the host cdn.example resolves to a private address (10.0.0.1), in private 10.0.0.0/8',
      },
    );
  });

  it('takes an IP literal as it is, without asking the resolver', async () => {
    let asked = false;
    const resolveHost = () => {
      asked = true;
      return Promise.resolve(['8.8.8.8']);
    };
    await assert.rejects(resolveAllowedAddresses('[::1]', { allowPrivateHosts: false, resolveHost }), {
      code: 'blocked_address',
    });
    assert.deepEqual(
      await resolveAllowedAddresses('[2606:4700::1111]', { allowPrivateHosts: false, resolveHost }),
      [
        '2606:4700::1111',
      ],
    );
    assert.equal(asked, false);
  });

  it('allows private addresses when private hosts are allowed (MEDIA_/NOTIFY_ALLOW_PRIVATE_HOSTS)', async () => {
    assert.deepEqual(
      await resolveAllowedAddresses('media.test', {
        allowPrivateHosts: true,
        resolveHost: resolveTo(['127.0.0.1']),
      }),
      ['127.0.0.1'],
    );
  });
});
