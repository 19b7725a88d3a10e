import { createHash } from 'node:crypto';

/**
 * The stored form of a bearer secret (API token, session cookie, sign-in link): its sha256, so a
 * copy of the database holds nothing a caller could present.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Every API token starts with it: a leaked token is recognisable (secret scanners) and revocable by its prefix. */
export const TOKEN_PREFIX = 'lfl_';
