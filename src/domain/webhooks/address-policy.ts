import { isIP } from 'node:net';

/** An address range: `10.0.0.0/8`, `127.0.0.1/32`, `fc00::/7`. */
export interface Cidr {
  text: string;
  family: 4 | 6;
  /** The address as a 32- or 128-bit number. */
  base: bigint;
  bits: number;
}

export class BadCidr extends Error {
  override name = 'BadCidr';
}

function ipv4ToBig(address: string): bigint {
  return address
    .split('.')
    .reduce((acc, part) => (acc << 8n) | BigInt(Number.parseInt(part, 10)), 0n);
}

function ipv6ToBig(address: string): bigint {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted quad (`::ffff:10.0.0.1`) is two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToBig(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts =
    tail === undefined
      ? headParts
      : [...headParts, ...Array<string>(missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(Number.parseInt(part || '0', 16)), 0n);
}

/** The address as a number and its family; null when `address` is not an IP address. */
export function addressValue(address: string): { family: 4 | 6; value: bigint } | null {
  const family = isIP(address.split('%')[0]!);
  if (family === 4) return { family: 4, value: ipv4ToBig(address) };
  if (family === 6) return { family: 6, value: ipv6ToBig(address) };
  return null;
}

export function parseCidr(text: string): Cidr {
  const [address, prefix, extra] = text.trim().split('/');
  const parsed = address === undefined ? null : addressValue(address);
  if (!parsed || extra !== undefined) throw new BadCidr(`${text} is not an address range`);
  const max = parsed.family === 4 ? 32 : 128;
  const bits = prefix === undefined ? max : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || !/^\d*$/.test(prefix ?? '')) {
    throw new BadCidr(`${text}: the prefix length must be 0 to ${max}`);
  }
  return { text: text.trim(), family: parsed.family, base: parsed.value, bits };
}

/** `HERALD_WEBHOOK_ALLOW`: ranges separated by commas or spaces. */
export function parseAllowList(text: string | undefined): Cidr[] {
  if (!text) return [];
  return text
    .split(/[\s,]+/)
    .filter((t) => t.length > 0)
    .map(parseCidr);
}

function contains(range: Cidr, family: 4 | 6, value: bigint): boolean {
  if (range.family !== family) return false;
  const width = BigInt(family === 4 ? 32 : 128);
  const shift = width - BigInt(range.bits);
  return value >> shift === range.base >> shift;
}

/**
 * Ranges a subscriber may not make Herald call: this host, private networks, link-local (where
 * cloud metadata services answer: 169.254.169.254, fd00:ec2::254), carrier-grade NAT (Alibaba's
 * metadata at 100.100.100.200), multicast, reserved and documentation ranges.
 */
const REFUSED: Array<[string, string]> = [
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.169.254/32', 'cloud metadata'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fd00:ec2::254/128', 'cloud metadata'],
  ['fc00::/7', 'private (unique local)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
  ['2001:db8::/32', 'documentation'],
  ['100::/64', 'discard'],
].map(([range, why]) => [range!, why!]);
const REFUSED_RANGES = REFUSED.map(([range, why]) => ({ range: parseCidr(range), why }));

/** IPv6 forms that carry an IPv4 address: checked as that IPv4 address. */
const EMBEDDING = ['::ffff:0:0/96', '64:ff9b::/96', '::/96'].map(parseCidr);

export type AddressVerdict = { ok: true; allowedRange: boolean } | { ok: false; reason: string };

/**
 * Whether Herald may connect to `address`. A range in the operator's allow list opens it (and, for
 * the URL, plain http); otherwise any refused range closes it. Pure: the resolver and the
 * connection are elsewhere, and connect only to an address that passed here.
 */
export function checkAddress(address: string, allow: Cidr[]): AddressVerdict {
  const parsed = addressValue(address);
  if (!parsed) return { ok: false, reason: `${address} is not an IP address` };
  let { family, value } = parsed;
  if (family === 6 && value !== 0n && value !== 1n) {
    const embedding = EMBEDDING.find((range) => contains(range, 6, value));
    if (embedding) {
      family = 4;
      value = value & 0xffffffffn;
    }
  }
  if (allow.some((range) => contains(range, family, value)))
    return { ok: true, allowedRange: true };
  const refused = REFUSED_RANGES.find(({ range }) => contains(range, family, value));
  if (refused) return { ok: false, reason: `${address} is a ${refused.why} address` };
  return { ok: true, allowedRange: false };
}

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/** The URL's own rules, before any name is resolved: https (or http, decided per address), no credentials. */
export function checkUrlShape(text: string): UrlVerdict {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: 'must be an https URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not contain credentials' };
  if (text.length > 2000) return { ok: false, reason: 'must be at most 2000 characters' };
  return { ok: true, url };
}

/** The host as an address or a name (`[::1]` → `::1`). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * The decision for a URL and the addresses its host resolved to: every address must pass (a name
 * that resolves to one private address among public ones is refused), and plain http only to
 * addresses the operator allowed. Returns the address to connect to.
 */
export function checkTarget(
  url: URL,
  addresses: Array<{ address: string; family: number }>,
  allow: Cidr[],
): { ok: true; address: string; family: 4 | 6 } | { ok: false; reason: string } {
  if (addresses.length === 0) return { ok: false, reason: `${hostOf(url)} does not resolve` };
  for (const { address } of addresses) {
    const verdict = checkAddress(address, allow);
    if (!verdict.ok) return { ok: false, reason: `refused: ${verdict.reason}` };
    if (url.protocol === 'http:' && !verdict.allowedRange) {
      return { ok: false, reason: 'must be an https URL (plain http only to allowed ranges)' };
    }
  }
  const first = addresses[0]!;
  return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
}
