import { ValidationError } from '../../domain/errors.ts';
import { URL_MAX } from '../../domain/validation.ts';

/** The SSRF guard the app passes in: may this URL receive our POSTs? */
export type CheckWebhookUrl = (url: string) => Promise<{ ok: true } | { ok: false; reason: string }>;

/**
 * One endpoint, one spelling: the URL as the WHATWG parser writes it (scheme and host lower-cased,
 * default port and dot segments dropped), without the fragment, which is never sent. Otherwise
 * every spelling of one endpoint was a subscriber of its own, each sent every notice. Text that
 * is not a URL is left as it is, for the URL check to refuse.
 */
function normaliseWebhookUrl(url: string): string {
  const text = url.trim();
  if (!URL.canParse(text)) return text;
  const parsed = new URL(text);
  parsed.hash = '';
  return parsed.href;
}

/**
 * The endpoint in its one spelling, once the guard accepts it. The contract limits what was sent;
 * normalising can make it longer (an IDN host in punycode), so the limit is checked again here.
 */
export async function acceptableWebhookUrl(url: string, checkUrl: CheckWebhookUrl): Promise<string> {
  const normalised = normaliseWebhookUrl(url);
  if (normalised.length > URL_MAX) throw new ValidationError('url', `must be at most ${URL_MAX} characters`);
  const check = await checkUrl(normalised);
  if (!check.ok) throw new ValidationError('url', check.reason);
  return normalised;
}
