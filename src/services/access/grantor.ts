import type { Actor } from '../../domain/actor.ts';
import { ALL_CAPABILITIES, capabilitiesOfRole, mayGrantScope, type ConsoleRole } from '../../domain/capabilities.ts';
import { ForbiddenError } from '../../domain/errors.ts';

/**
 * Who is asking to grant or revoke token scopes, by what it may do itself: a token (its scopes'
 * capabilities), a console account (its role's) or the local operator (everything). Any Actor is one.
 */
export type Grantor = Pick<Actor, 'capabilities'>;

/** The operator at the machine (CLI, setup scripts, tests): holds every capability. */
export const OPERATOR_GRANTOR: Grantor = { capabilities: ALL_CAPABILITIES };

/** A console account's grantor: what its role grants (only admins reach the token pages). */
export const consoleGrantor = (role: ConsoleRole): Grantor => ({ capabilities: capabilitiesOfRole(role) });

/**
 * A caller may hand out (or take away) only what it holds: otherwise a `tokens:write` token could
 * mint an admin token. A scope may be granted only by a holder of every capability it grants
 * (domain/capabilities.ts), so only an admin or the operator grants `admin`.
 */
export function assertMayGrant(grantor: Grantor, scopes: readonly string[], verb: 'grant' | 'revoke a token with'): void {
  const lacking = scopes.find((scope) => !mayGrantScope(grantor.capabilities, scope));
  if (lacking) throw new ForbiddenError(`you cannot ${verb} the ${lacking} scope: you do not hold it${lacking === 'admin' ? ' (only an admin can)' : ''}`);
}
