import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, opaque tokens in subscriber links (confirm, manage, unsubscribe): the link itself is the
 * credential, as RFC 8058 one-click unsubscribe requires, and it cannot be forged or retargeted.
 */
export type LinkPurpose = 'confirm' | 'manage' | 'unsubscribe';

export interface LinkClaims {
  subscriberId: string;
  purpose: LinkPurpose;
  /** Unix seconds; null for links that do not expire (manage, unsubscribe). */
  expiresAt: number | null;
}

export function signLinkToken(claims: LinkClaims, key: string): string {
  const payload = Buffer.from(JSON.stringify([claims.subscriberId, claims.purpose, claims.expiresAt])).toString('base64url');
  return `${payload}.${mac(payload, key)}`;
}

/** The claims of a valid token for `purpose` that has not expired at `now`, else null. */
export function verifyLinkToken(token: string, purpose: LinkPurpose, key: string, now: Date): LinkClaims | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(mac(payload, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const [subscriberId, tokenPurpose, expiresAt] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [string, LinkPurpose, number | null];
    if (tokenPurpose !== purpose || typeof subscriberId !== 'string') return null;
    if (expiresAt !== null && now.getTime() / 1000 > expiresAt) return null;
    return { subscriberId, purpose: tokenPurpose, expiresAt };
  } catch {
    return null;
  }
}

function mac(payload: string, key: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url').slice(0, 32);
}
