/**
 * Decides whether a user-supplied webhook URL, host or address may be contacted (SSRF guard).
 * Registration calls `checkWebhookUrl`; the webhook Agent connects through `guardedLookup`, so the
 * address that was checked is the address used (no DNS-rebinding window).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Resolves every A and AAAA address of a host name (injectable for tests). */
export type LookupFn = (hostname: string) => Promise<LookupAddress[]>;

const systemLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true, order: 'verbatim' });

export type UrlCheck = { ok: true } | { ok: false; reason: string };

const BLOCKED_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal']);
const BLOCKED_SUFFIXES = ['.localhost', '.internal', '.local'];

/** Thrown (through the lookup callback) when a connection would reach a non-public address. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_BLOCKED_ADDRESS';
  readonly reason: string;
  constructor(reason: string) {
    super(`blocked: ${reason}`);
    this.name = 'BlockedAddressError';
    this.reason = reason;
  }
}

/** True for a BlockedAddressError, also when a client library wrapped it in `cause`. */
export function findBlockedAddressError(err: unknown): BlockedAddressError | undefined {
  for (let e = err, depth = 0; e != null && depth < 5; depth++) {
    if (e instanceof BlockedAddressError) return e;
    if (typeof e === 'object' && (e as { code?: unknown }).code === 'ERR_WEBHOOK_BLOCKED_ADDRESS') {
      return e as BlockedAddressError;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Why an IP address must not be contacted, or null if it is public unicast. Unparseable = blocked. */
function blockedAddressReason(ip: string): string | null {
  const text = stripBrackets(ip.trim());
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(text);
  } catch {
    return `"${ip}" is not a valid IP address`;
  }
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    // ::ffff:a.b.c.d reaches the embedded IPv4 address, so judge that instead.
    if (v6.isIPv4MappedAddress()) {
      const inner = blockedAddressReason(v6.toIPv4Address().toString());
      return inner && `${ip} maps to ${inner}`;
    }
    const range = v6.range();
    if (range !== 'unicast') return `${ip} is not a public address (${range})`;
    // Everything routable on the internet is in 2000::/3; the rest is reserved or embeds IPv4.
    if (!v6.match(ipaddr.IPv6.parse('2000::'), 3)) return `${ip} is not a public address (outside 2000::/3)`;
    return null;
  }
  const range = (addr as ipaddr.IPv4).range();
  return range === 'unicast' ? null : `${ip} is not a public address (${range})`;
}

export function isBlockedAddress(ip: string): boolean {
  return blockedAddressReason(ip) !== null;
}

/** Why a host name must not be contacted by name (before any DNS), or null. */
export function blockedHostnameReason(hostname: string): string | null {
  // Trailing dots resolve the same ("localhost." is localhost).
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  if (name === '') return 'empty host name';
  if (BLOCKED_NAMES.has(name) || BLOCKED_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
    return `host name "${hostname}" is internal`;
  }
  return null;
}

/**
 * Checks the parts of a webhook URL that need no DNS: scheme, credentials, port, blocked names and
 * IP-literal hosts (a client skips DNS lookup for those, so they must be judged here).
 */
export function checkWebhookUrlSyntax(url: string, options: { allowPrivate: boolean }): UrlCheck & { url?: URL } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (parsed.protocol !== 'https:' && (!options.allowPrivate || parsed.protocol !== 'http:')) {
    return { ok: false, reason: options.allowPrivate ? 'webhook URLs must use http or https' : 'webhook URLs must use https' };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'webhook URLs must not contain credentials' };
  }
  if (options.allowPrivate) return { ok: true, url: parsed };

  // Low ports other than 443 are other services (ssh, smtp, ...), never a webhook receiver.
  if (parsed.port !== '') {
    const port = Number(parsed.port);
    if (port !== 443 && port < 1024) return { ok: false, reason: `port ${port} is not allowed (use 443 or 1024-65535)` };
  }
  const host = stripBrackets(parsed.hostname);
  if (isIP(host) !== 0) {
    const reason = blockedAddressReason(host);
    return reason ? { ok: false, reason } : { ok: true, url: parsed };
  }
  const nameReason = blockedHostnameReason(host);
  return nameReason ? { ok: false, reason: nameReason } : { ok: true, url: parsed };
}

/** Resolves a host and refuses if ANY of its addresses is blocked (an attacker controls the order). */
async function resolveChecked(hostname: string, lookup: LookupFn): Promise<LookupAddress[]> {
  const nameReason = blockedHostnameReason(hostname);
  if (nameReason) throw new BlockedAddressError(nameReason);
  if (isIP(hostname) !== 0) {
    const reason = blockedAddressReason(hostname);
    if (reason) throw new BlockedAddressError(reason);
    return [{ address: hostname, family: isIP(hostname) }];
  }
  const addresses = await lookup(hostname);
  if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' });
  for (const { address } of addresses) {
    const reason = blockedAddressReason(address);
    if (reason) throw new BlockedAddressError(`${hostname} resolves to ${reason}`);
  }
  return addresses;
}

/** Registration-time check of a webhook URL, resolving A and AAAA records. */
export async function checkWebhookUrl(url: string, options: { allowPrivate: boolean; lookup?: LookupFn }): Promise<UrlCheck> {
  const syntax = checkWebhookUrlSyntax(url, { allowPrivate: options.allowPrivate });
  if (!syntax.ok) return { ok: false, reason: syntax.reason };
  if (options.allowPrivate) return { ok: true };
  const host = stripBrackets(syntax.url!.hostname);
  if (isIP(host) !== 0) return { ok: true };
  try {
    await resolveChecked(host, options.lookup ?? systemLookup);
    return { ok: true };
  } catch (err) {
    const blocked = findBlockedAddressError(err);
    if (blocked) return { ok: false, reason: blocked.reason };
    const code = (err as { code?: string }).code;
    return { ok: false, reason: `${host} cannot be resolved${code ? ` (${code})` : ''}` };
  }
}

/**
 * A `lookup` for `net.connect`/`tls.connect` (undici's `connect: { lookup }`): resolves every address,
 * fails with BlockedAddressError if any is blocked, and hands back only checked addresses, so the
 * socket connects to exactly what was checked while TLS still verifies the host name.
 */
export function guardedLookup(options: { lookup?: LookupFn } = {}): LookupFunction {
  const lookup = options.lookup ?? systemLookup;
  return (hostname: string, lookupOptions: LookupOptions, callback) => {
    resolveChecked(hostname, lookup).then(
      (checked) => {
        const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family;
        const usable = family === 4 || family === 6 ? checked.filter((a) => a.family === family) : checked;
        if (usable.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '');
        } else if (lookupOptions.all) {
          callback(null, usable);
        } else {
          callback(null, usable[0].address, usable[0].family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/** The same lookup contract without checks, so tests can inject a resolver with the guard off. */
export function plainLookup(lookup: LookupFn): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    lookup(hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '');
        } else if (lookupOptions.all) {
          callback(null, addresses);
        } else {
          callback(null, addresses[0].address, addresses[0].family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
