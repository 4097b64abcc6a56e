import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isAddressAllowed, parseNetwork, sourceNetwork } from '../src/core/network.js';

const ipv4Octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const ipv4 = ipv4Octets.map((octets) => octets.join('.'));
const ipv6Groups = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 });
const ipv6 = ipv6Groups.map((groups) => groups.map((group) => group.toString(16)).join(':'));

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** Compares the first `bits` bits of two addresses: the reference the allowlist is checked against. */
function sameIpv4Prefix(a: string, b: string, bits: number): boolean {
  if (bits === 0) return true;
  const shift = 2 ** (32 - bits);
  return Math.floor(ipv4ToNumber(a) / shift) === Math.floor(ipv4ToNumber(b) / shift);
}

function ipv6ToBits(address: string): string {
  return address
    .split(':')
    .map((group) => parseInt(group, 16).toString(2).padStart(16, '0'))
    .join('');
}

describe('IP allowlist', () => {
  test('IPv4 membership matches a prefix comparison', () => {
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 0, max: 32 }), (address, base, bits) => {
        const network = parseNetwork(`${base}/${bits}`);
        expect(network).not.toBeNull();
        expect(isAddressAllowed(address, [network!])).toBe(sameIpv4Prefix(address, base, bits));
      }),
    );
  });

  test('IPv6 membership matches a prefix comparison', () => {
    fc.assert(
      fc.property(ipv6, ipv6, fc.integer({ min: 0, max: 128 }), (address, base, bits) => {
        const network = parseNetwork(`${base}/${bits}`);
        expect(network).not.toBeNull();
        // An IPv4-mapped address counts as IPv4, so the generated IPv6 base must not be one.
        fc.pre(!/^0:0:0:0:0:ffff:/.test(base) && !/^0:0:0:0:0:ffff:/.test(address));
        expect(isAddressAllowed(address, [network!])).toBe(ipv6ToBits(address).slice(0, bits) === ipv6ToBits(base).slice(0, bits));
      }),
    );
  });

  test('IPv4-mapped IPv6 matches the IPv4 network', () => {
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 8, max: 32 }), (address, base, bits) => {
        const network = parseNetwork(`${base}/${bits}`)!;
        const expected = sameIpv4Prefix(address, base, bits);
        expect(isAddressAllowed(`::ffff:${address}`, [network])).toBe(expected);
        expect(isAddressAllowed(`::FFFF:${address}`, [network])).toBe(expected);
        // A mapped block in the list covers the plain IPv4 address as well.
        expect(isAddressAllowed(address, [parseNetwork(`::ffff:${base}/${96 + bits}`)!])).toBe(expected);
      }),
    );
  });

  test('IPv4 and IPv6 networks never match each other', () => {
    fc.assert(
      fc.property(ipv4, ipv6, (address4, address6) => {
        fc.pre(!/^0:0:0:0:0:ffff:/.test(address6));
        expect(isAddressAllowed(address4, [parseNetwork('::/0')!])).toBe(false);
        expect(isAddressAllowed(address6, [parseNetwork('0.0.0.0/0')!])).toBe(false);
      }),
    );
  });

  test('malformed addresses are never allowed', () => {
    const everything = [parseNetwork('0.0.0.0/0')!, parseNetwork('::/0')!];
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        fc.pre(isIP(text) === 0);
        expect(isAddressAllowed(text, everything)).toBe(false);
      }),
    );
    for (const text of ['1.2.3', '01.2.3.4', '256.1.1.1', '1.2.3.4/24', ' 1.2.3.4', '::ffff:1.2.3', 'fe80::1%eth0', '']) {
      expect(isAddressAllowed(text, everything)).toBe(false);
    }
    expect(isAddressAllowed(null, everything)).toBe(false);
  });

  test('malformed networks are rejected', () => {
    for (const text of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0/8', '2001:db8::/129', '::ffff:10.0.0.0/95', 'example.com', '10.0.0.0/8/8']) {
      expect(parseNetwork(text)).toBeNull();
    }
  });

  test('source network is /24 or /48', () => {
    expect(sourceNetwork('203.0.113.77')).toBe('203.0.113.0/24');
    expect(sourceNetwork('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(sourceNetwork('2001:db8:aa:bb::1')).toBe('2001:db8:aa::/48');
    expect(sourceNetwork('not an address')).toBeNull();
    fc.assert(
      fc.property(ipv4, (address) => {
        expect(isAddressAllowed(address, [parseNetwork(sourceNetwork(address)!)!])).toBe(true);
      }),
    );
  });
});
