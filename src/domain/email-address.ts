import { domainToASCII } from 'node:url';
import { ValidationError } from './errors.ts';

/**
 * The one rule for email addresses (subscribers, webhook owners, console accounts): a plain
 * `local@domain` and nothing else. No display name, comment, quotes, angle brackets, lists or
 * whitespace: mail libraries parse those into a different mailbox than the one we checked and
 * rate-limited. The local part is RFC 5322 dot-atom text (ASCII; internationalised local parts
 * are refused); an internationalised domain is stored in its punycode (xn--) form.
 */
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*$`);
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** RFC 5321's limit on a forward path: no mail system delivers to a longer address. */
export const EMAIL_ADDRESS_MAX = 254;
const MAX_LOCAL_LENGTH = 64;
const EXAMPLE = 'ops@example.com';

/** The address normalised (domain lower-cased, punycoded), or null when it is not a plain address. */
function normalise(candidate: string): string | null {
  const at = candidate.indexOf('@');
  if (at <= 0 || at !== candidate.lastIndexOf('@')) return null;
  const local = candidate.slice(0, at);
  const rawDomain = candidate.slice(at + 1);
  if (local.length > MAX_LOCAL_LENGTH || !LOCAL_PART.test(local)) return null;
  // Refuse address literals ([192.0.2.1]) and anything a URL parser would read as more than a host.
  if (!/^[^\s@"<>()[\]\\,;:/?#%]+$/u.test(rawDomain)) return null;
  const domain = domainToASCII(rawDomain);
  const labels = domain.split('.');
  if (domain.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label))) return null;
  // A top-level label of digits only is an IP address, not a mail domain.
  if (/^\d+$/.test(labels[labels.length - 1])) return null;
  const address = `${local}@${domain}`;
  return address.length > EMAIL_ADDRESS_MAX ? null : address;
}

/** Checks an address typed by a person (surrounding whitespace is forgiven) and returns it normalised. */
export function parseEmailAddress(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
  const candidate = value.trim();
  if (candidate === '') throw new ValidationError(field, `must be an email address such as ${EXAMPLE}`);
  const address = normalise(candidate);
  if (address === null)
    throw new ValidationError(field, `must be an email address such as ${EXAMPLE}, and only the address (no name, quotes, comments, brackets or spaces)`);
  return address;
}

/**
 * True when `value` is one plain ASCII address (any letter case), exactly as a sender may put it in
 * an envelope: what sign-up stored, or an address from the page definition.
 */
export function isPlainEmailAddress(value: string): boolean {
  return normalise(value)?.toLowerCase() === value.toLowerCase();
}

/**
 * The key under which two spellings of one mailbox compare equal (duplicates, rate limits): local
 * parts are case-insensitive in practice, whatever RFC 5321 allows, and the stored domain is lower-case.
 */
export function emailAddressKey(address: string): string {
  return address.toLowerCase();
}
