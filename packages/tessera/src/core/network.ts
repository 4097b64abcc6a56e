import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** A parsed CIDR block, e.g. 203.0.113.0/24 or 2001:db8::/32. */
export type Network = [Address, number];

/**
 * Parses an address as a client sends it. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) becomes the IPv4
 * address, so one allowlist entry covers a client whether the socket is dual-stack or not.
 * Returns null for anything else, including a zone index. `isIP` comes first because ipaddr.js
 * also accepts non-standard forms such as `1.2.3` and octal parts.
 */
export function parseAddress(text: string): Address | null {
  // A zone index (fe80::1%eth0) names an interface of one host, which no allowlist can mean.
  if (isIP(text) === 0 || text.includes('%')) return null;
  return ipaddr.process(text);
}

/** Parses a CIDR block or a single address (a /32 or /128); null when it is neither. */
export function parseNetwork(text: string): Network | null {
  const slash = text.indexOf('/');
  const address = parseAddress(slash === -1 ? text : text.slice(0, slash));
  if (address === null) return null;

  const written6 = text.slice(0, slash === -1 ? undefined : slash).includes(':');
  const maxBits = written6 ? 128 : 32;
  const bitsText = slash === -1 ? String(maxBits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > maxBits) return null;

  // A mapped IPv6 block (::ffff:10.0.0.0/104) applies to the IPv4 addresses it maps.
  if (address.kind() === 'ipv4' && written6) return bits >= 96 ? [address, bits - 96] : null;
  return [address, bits];
}

/** Returns whether `address` lies in any of `networks`. An unparsable address lies in none. */
export function isAddressAllowed(address: string | null, networks: readonly Network[]): boolean {
  if (address === null) return false;
  const parsed = parseAddress(address);
  if (parsed === null) return false;
  return networks.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base as never, bits));
}

/**
 * Returns the network usage is grouped by: the /24 of an IPv4 address or the /48 of an IPv6
 * address, in CIDR notation, or null for an unparsable address.
 */
export function sourceNetwork(address: string | null): string | null {
  if (address === null) return null;
  const parsed = parseAddress(address);
  if (parsed === null) return null;
  const bits = parsed.kind() === 'ipv4' ? 24 : 48;
  const base =
    parsed.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${parsed.toString()}/24`) : ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/48`);
  return `${base.toString()}/${bits}`;
}
