import { describe, expect, it } from 'vitest';
import {
  checkAddress,
  checkTarget,
  parseAllowList,
  parseCidr,
} from '../../src/domain/webhooks/address-policy.ts';
import { resolveTarget, type Resolver } from '../../src/webhooks/resolve.ts';

/** Names resolved from a table: no test asks real DNS, and nothing here connects anywhere. */
function tableResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = async (host: string) => {
    asked.push(host);
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`${host} not found`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolver, { asked });
}

const LOOPBACK_ONLY = parseAllowList('127.0.0.1/32');

describe('the address check', () => {
  it('refuses loopback, private, link-local and metadata addresses when nothing is allowed', () => {
    for (const address of [
      '127.0.0.1',
      '127.0.0.2',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '169.254.1.1',
      '100.100.100.200',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      'fc00::5',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a00:1',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      const verdict = checkAddress(address, []);
      expect(verdict.ok, address).toBe(false);
    }
  });

  it('names why an address is refused', () => {
    expect(checkAddress('169.254.169.254', [])).toEqual({
      ok: false,
      reason: '169.254.169.254 is a cloud metadata address',
    });
    expect(checkAddress('10.0.0.1', [])).toEqual({
      ok: false,
      reason: '10.0.0.1 is a private address',
    });
    expect(checkAddress('127.0.0.1', [])).toEqual({
      ok: false,
      reason: '127.0.0.1 is a loopback address',
    });
  });

  it('accepts public addresses, v4 and v6', () => {
    for (const address of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '::ffff:1.1.1.1']) {
      expect(checkAddress(address, [])).toEqual({ ok: true, allowedRange: false });
    }
  });

  it('with 127.0.0.1/32 allowed, opens 127.0.0.1 only: 127.0.0.2, 10.0.0.1 and 169.254.169.254 stay refused', () => {
    expect(checkAddress('127.0.0.1', LOOPBACK_ONLY)).toEqual({ ok: true, allowedRange: true });
    expect(checkAddress('::ffff:127.0.0.1', LOOPBACK_ONLY)).toEqual({
      ok: true,
      allowedRange: true,
    });
    for (const address of ['127.0.0.2', '10.0.0.1', '169.254.169.254', '::1']) {
      expect(checkAddress(address, LOOPBACK_ONLY).ok, address).toBe(false);
    }
  });

  it('reads ranges and refuses malformed ones', () => {
    expect(parseCidr('10.1.2.0/24')).toMatchObject({ family: 4, bits: 24 });
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 6, bits: 8 });
    expect(parseAllowList('127.0.0.1/32, 10.9.0.0/16').map((c) => c.text)).toEqual([
      '127.0.0.1/32',
      '10.9.0.0/16',
    ]);
    expect(checkAddress('10.9.200.1', parseAllowList('10.9.0.0/16')).ok).toBe(true);
    expect(checkAddress('10.10.0.1', parseAllowList('10.9.0.0/16')).ok).toBe(false);
    for (const bad of ['10.0.0.0/33', 'example.com/8', '10.0.0.0/8/1', '::/129', '1.2.3.4/x']) {
      expect(() => parseCidr(bad), bad).toThrow();
    }
  });

  it('allows plain http only to allowed ranges, and refuses a name when any of its addresses is refused', () => {
    const http = new URL('http://hooks.example.test/x');
    const https = new URL('https://hooks.example.test/x');
    expect(checkTarget(http, [{ address: '93.184.216.34', family: 4 }], []).ok).toBe(false);
    expect(checkTarget(https, [{ address: '93.184.216.34', family: 4 }], [])).toEqual({
      ok: true,
      address: '93.184.216.34',
      family: 4,
    });
    expect(checkTarget(http, [{ address: '127.0.0.1', family: 4 }], LOOPBACK_ONLY).ok).toBe(true);
    const mixed = checkTarget(
      https,
      [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ],
      [],
    );
    expect(mixed).toEqual({ ok: false, reason: 'refused: 10.0.0.1 is a private address' });
  });
});

describe('resolving a webhook URL through an injected resolver', () => {
  const resolver = tableResolver({
    'hooks.example.test': ['93.184.216.34'],
    'metadata.example.test': ['169.254.169.254'],
    'intranet.example.test': ['10.0.0.1'],
    'sneaky.example.test': ['93.184.216.34', '127.0.0.2'],
    'local.example.test': ['127.0.0.1'],
  });

  it('refuses names that resolve to metadata, private or second-loopback addresses, even with 127.0.0.1/32 allowed', async () => {
    for (const host of ['metadata.example.test', 'intranet.example.test', 'sneaky.example.test']) {
      const target = await resolveTarget(`https://${host}/hook`, LOOPBACK_ONLY, resolver);
      expect(target.ok, host).toBe(false);
    }
  });

  it('refuses loopback without the operator setting and opens it (with plain http) with it', async () => {
    expect((await resolveTarget('http://local.example.test:8080/h', [], resolver)).ok).toBe(false);
    expect((await resolveTarget('https://127.0.0.1/h', [], resolver)).ok).toBe(false);
    const opened = await resolveTarget('http://local.example.test:8080/h', LOOPBACK_ONLY, resolver);
    expect(opened).toMatchObject({ ok: true, address: '127.0.0.1', family: 4 });
  });

  it('checks IP literals as they are, without asking the resolver', async () => {
    resolver.asked.length = 0;
    expect((await resolveTarget('https://10.0.0.1/h', LOOPBACK_ONLY, resolver)).ok).toBe(false);
    expect(
      (await resolveTarget('https://[::ffff:169.254.169.254]/h', LOOPBACK_ONLY, resolver)).ok,
    ).toBe(false);
    expect((await resolveTarget('http://127.0.0.2:9/h', LOOPBACK_ONLY, resolver)).ok).toBe(false);
    expect(resolver.asked).toEqual([]);
  });

  it('returns the checked address for the connection to use', async () => {
    expect(await resolveTarget('https://hooks.example.test/h', [], resolver)).toMatchObject({
      ok: true,
      address: '93.184.216.34',
    });
  });

  it('refuses other schemes, credentials and names that do not resolve', async () => {
    for (const url of [
      'ftp://hooks.example.test/',
      'https://u:p@hooks.example.test/',
      'https://nowhere.example.test/',
      'not a url',
    ]) {
      expect((await resolveTarget(url, [], resolver)).ok, url).toBe(false);
    }
  });
});
