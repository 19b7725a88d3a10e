/**
 * Subscriber endpoint URLs (webhooks, chat incoming-webhook URLs) carry their secret in the path
 * or query: whoever reads one can post to it. Only a holder of subscriber.manage sees one whole;
 * everyone else gets scheme and host, and the last few characters so an owner can still tell two
 * endpoints apart.
 */

/** Fewer characters than this after the host: show none of them (the tail would be most of the secret). */
const MIN_HIDDEN = 12;
const SHOWN_TAIL = 4;

/** `https://host/…abcd`: the origin, an ellipsis and the last 4 characters of the rest. */
export function elideSubscriberUrl(url: string): string {
  if (!URL.canParse(url)) return '…';
  const parsed = new URL(url);
  // A chat URL is stored already elided (`…` in place of its token): leave the ellipses out of the tail.
  const rest = `${parsed.pathname}${parsed.search}`
    .replaceAll('%E2%80%A6', '')
    .replaceAll('…', '')
    .replace(/[/?&=]+$/, '');
  const tail = rest.length >= MIN_HIDDEN ? rest.slice(-SHOWN_TAIL) : '';
  return `${parsed.origin}/…${tail}`;
}

/** The URL as this caller may see it: whole with subscriber.manage, elided without. */
export function shownSubscriberUrl(url: string | null, mayManage: boolean): string | null {
  if (url === null) return null;
  return mayManage ? url : elideSubscriberUrl(url);
}
