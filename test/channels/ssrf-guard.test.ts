import type { LookupAddress } from 'node:dns';
import { describe, expect, it, vi } from 'vitest';
import { BlockedAddressError, blockedHostnameReason, checkWebhookUrl, guardedLookup, isBlockedAddress, type LookupFn } from '../../src/channels/ssrf-guard.ts';

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

function fakeDns(table: Record<string, string[]>): LookupFn & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

describe('isBlockedAddress', () => {
  it.each([
    // IPv4 loopback, private, CGNAT, link-local and metadata addresses
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '192.168.255.255',
    '100.64.0.1',
    '100.127.255.255',
    '100.100.100.200',
    '169.254.0.1',
    '169.254.169.254',
    '169.254.170.2',
    // this network, IETF protocol assignments, benchmarking, documentation
    '0.0.0.0',
    '0.1.2.3',
    '192.0.0.1',
    '192.0.0.170',
    '198.18.0.1',
    '198.19.255.255',
    '192.0.2.1',
    '203.0.113.9',
    // multicast, reserved, broadcast
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.254',
    '255.255.255.255',
    // IPv6 loopback, unspecified, ULA, link-local, multicast, site-local
    '::1',
    '::',
    'fc00::1',
    'fd12:3456:789a::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'ff02::1',
    'ff05::1:3',
    'fec0::1',
    // IPv4-mapped forms of blocked v4 addresses
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:100.64.0.1',
    '::ffff:0.0.0.0',
    // NAT64 (even of a public v4: the translator could be inside), 6to4, teredo, documentation, v4-compatible
    '64:ff9b::7f00:1',
    '64:ff9b::808:808',
    '64:ff9b:1::a00:1',
    '2002:7f00:1::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '2001:db8::1',
    '::127.0.0.1',
    '100::1',
    // not an IP at all: fail closed
    'not-an-ip',
    '',
    'localhost',
    '1.2.3.4.5',
  ])('blocks %s', (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    PUBLIC_V4,
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '169.255.0.1',
    '192.0.1.1',
    '198.17.255.255',
    '198.20.0.1',
    '11.0.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    PUBLIC_V6,
    '::ffff:8.8.8.8',
    '[2606:4700:4700::1111]',
  ])('allows %s', (ip) => {
    expect(isBlockedAddress(ip)).toBe(false);
  });
});

describe('blockedHostnameReason', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    'localhost.',
    'api.localhost',
    'metadata',
    'metadata.google.internal',
    'metadata.google.internal.',
    'anything.internal',
    'printer.local',
  ])('refuses %s by name', (name) => {
    expect(blockedHostnameReason(name)).toMatch(/internal/);
  });

  it.each(['example.com', 'internal.example.com', 'localhost.example.com', 'metadata.example.com', 'hooks.local.example'])('leaves %s to DNS', (name) => {
    expect(blockedHostnameReason(name)).toBeNull();
  });
});

describe('checkWebhookUrl', () => {
  const dns = fakeDns({
    'hooks.example.com': [PUBLIC_V4, PUBLIC_V6],
    'mixed.example.com': [PUBLIC_V4, '10.0.0.7'],
    'mixed6.example.com': [PUBLIC_V6, '::ffff:127.0.0.1'],
    'loop.example.com': ['127.0.0.1'],
    'meta.example.com': ['169.254.169.254'],
    'nat64.example.com': ['64:ff9b::a9fe:a9fe'],
    'empty.example.com': [],
  });
  const guarded = { allowPrivate: false, lookup: dns };

  it('accepts an https URL whose every address is public', async () => {
    expect(await checkWebhookUrl('https://hooks.example.com/lifeline?x=1', guarded)).toEqual({ ok: true });
    expect(await checkWebhookUrl('https://hooks.example.com:8443/hook', guarded)).toEqual({ ok: true });
    expect(await checkWebhookUrl('https://8.8.8.8/hook', guarded)).toEqual({ ok: true });
    expect(await checkWebhookUrl('https://[2606:4700:4700::1111]/hook', guarded)).toEqual({ ok: true });
  });

  it.each([
    ['http://hooks.example.com/', /https/],
    ['ftp://hooks.example.com/', /https/],
    ['not a url', /not a valid URL/],
    ['https://user:secret@hooks.example.com/', /credentials/],
    ['https://token@hooks.example.com/', /credentials/],
    ['https://hooks.example.com:22/', /port 22/],
    ['https://hooks.example.com:80/', /port 80/],
  ])('refuses %s', async (url, reason) => {
    const result = await checkWebhookUrl(url, guarded);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it.each([
    'https://127.0.0.1/',
    'https://[::1]/',
    'https://2130706433/',
    'https://0x7f.1/',
    'https://0177.0.0.1/',
    'https://127.1:8443/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://169.254.169.254/latest/meta-data',
    'https://[fd00::1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://0.0.0.0/',
    'https://10.1.2.3/',
  ])('refuses the IP literal %s without DNS', async (url) => {
    const calls = dns.calls.length;
    const result = await checkWebhookUrl(url, guarded);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/not a public address|maps to/);
    expect(dns.calls.length).toBe(calls);
  });

  it.each([
    'https://localhost/',
    'https://LocalHost./',
    'https://x.localhost/',
    'https://metadata/',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://db.internal/',
    'https://nas.local/',
  ])('refuses %s by name without DNS', async (url) => {
    const calls = dns.calls.length;
    const result = await checkWebhookUrl(url, guarded);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/internal/);
    expect(dns.calls.length).toBe(calls);
  });

  it.each([
    ['https://mixed.example.com/', /10\.0\.0\.7/],
    ['https://mixed6.example.com/', /127\.0\.0\.1/],
    ['https://loop.example.com/', /loopback/],
    ['https://meta.example.com/', /linkLocal/],
    ['https://nat64.example.com/', /rfc6052/],
    ['https://empty.example.com/', /cannot be resolved/],
    ['https://nxdomain.example.com/', /cannot be resolved \(ENOTFOUND\)/],
  ])('refuses %s when any resolved address is blocked or none resolve', async (url, reason) => {
    const result = await checkWebhookUrl(url, guarded);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('with allowPrivate, accepts http and loopback but still refuses credentials and other schemes', async () => {
    const open = { allowPrivate: true, lookup: dns };
    expect(await checkWebhookUrl('http://127.0.0.1:3000/hook', open)).toEqual({ ok: true });
    expect(await checkWebhookUrl('http://localhost:3000/hook', open)).toEqual({ ok: true });
    expect((await checkWebhookUrl('http://a:b@127.0.0.1/', open)).ok).toBe(false);
    expect((await checkWebhookUrl('file:///etc/passwd', open)).ok).toBe(false);
  });
});

describe('guardedLookup', () => {
  const dns = fakeDns({
    'hooks.example.com': [PUBLIC_V4, PUBLIC_V6],
    'mixed.example.com': [PUBLIC_V4, '127.0.0.1'],
  });
  const lookup = guardedLookup({ lookup: dns });

  function call(hostname: string, options: Parameters<typeof lookup>[1]) {
    return new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => {
      lookup(hostname, options, (err, address, family) => resolve({ err, address, family }));
    });
  }

  it('hands back all checked addresses when asked for all (happy eyeballs)', async () => {
    const result = await call('hooks.example.com', { all: true });
    expect(result.err).toBeNull();
    expect(result.address).toEqual([
      { address: PUBLIC_V4, family: 4 },
      { address: PUBLIC_V6, family: 6 },
    ]);
  });

  it('hands back one checked address, honouring the requested family', async () => {
    expect(await call('hooks.example.com', {})).toMatchObject({ err: null, address: PUBLIC_V4, family: 4 });
    expect(await call('hooks.example.com', { family: 6 })).toMatchObject({ err: null, address: PUBLIC_V6, family: 6 });
  });

  it('fails with BlockedAddressError if any address is blocked, or the name is internal', async () => {
    const mixed = await call('mixed.example.com', { all: true });
    expect(mixed.err).toBeInstanceOf(BlockedAddressError);
    expect((mixed.err as BlockedAddressError).reason).toMatch(/127\.0\.0\.1.*loopback/);
    const byName = vi.fn(dns);
    const named = guardedLookup({ lookup: byName });
    const err = await new Promise((resolve) => named('metadata.google.internal', {}, (e) => resolve(e)));
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect(byName).not.toHaveBeenCalled();
  });

  it('passes resolver errors through', async () => {
    const result = await call('nxdomain.example.com', {});
    expect(result.err?.code).toBe('ENOTFOUND');
  });
});
