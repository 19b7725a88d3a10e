import { createHash } from 'node:crypto';
import { authorize, type Actor } from '../../domain/actor.ts';
import { ALL_CAPABILITIES, capabilitiesOfRole, mayGrantScope, SCOPES, type ConsoleRole } from '../../domain/capabilities.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../domain/errors.ts';
import type { ApiToken } from '../../domain/model.ts';
import { requireText } from '../../domain/validation.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findActiveTokenByHash, insertToken, listTokens, lockToken, markTokenUsed, revokeToken } from '../../storage/token-repository.ts';
import type { ServiceContext } from '../context.ts';

// The scopes live with the capability table; re-exported for the API, the console and the CLI.
export { SCOPES, type Scope } from '../../domain/capabilities.ts';

const TOKEN_PREFIX = 'lfl_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

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
function assertMayGrant(grantor: Grantor, scopes: readonly string[], verb: 'grant' | 'revoke a token with'): void {
  const lacking = scopes.find((scope) => !mayGrantScope(grantor.capabilities, scope));
  if (lacking) throw new ForbiddenError(`you cannot ${verb} the ${lacking} scope: you do not hold it${lacking === 'admin' ? ' (only an admin can)' : ''}`);
}

/** Creates a token and returns it in clear once; only its hash is stored. */
export async function createApiToken(ctx: ServiceContext, input: { name: string; scopes: string[] }, grantor: Grantor): Promise<{ token: string; record: ApiToken }> {
  authorize(ctx.actor, 'token.grant');
  const name = requireText('name', input.name, { max: 100 });
  if (!Array.isArray(input.scopes) || input.scopes.length === 0) throw new ValidationError('scopes', `must list at least one of ${SCOPES.join(', ')}`);
  for (const [index, scope] of input.scopes.entries()) {
    if (!(SCOPES as readonly string[]).includes(scope)) throw new ValidationError(`scopes.${index}`, `unknown scope ${JSON.stringify(scope)}; use ${SCOPES.join(', ')}`);
  }
  assertMayGrant(grantor, input.scopes, 'grant');
  // lfl_<8 chars shown in listings>_<secret>: the prefix makes a leaked token recognisable and revocable.
  const visible = ctx.ids.bytes(6).toString('base64url').slice(0, 8);
  const secret = ctx.ids.bytes(32).toString('base64url');
  const token = `${TOKEN_PREFIX}${visible}_${secret}`;
  const at = ctx.clock.now();
  const record: ApiToken = { id: ctx.ids.id(), name, prefix: `${TOKEN_PREFIX}${visible}`, scopes: [...new Set(input.scopes)], created_by: ctx.actor.label, created_at: at, last_used_at: null, revoked_at: null };
  await ctx.db.transaction(async (tx) => {
    await insertToken(tx, { ...record, hash: hashToken(token) });
    await insertAudit(tx, { actor: ctx.actor.label, action: 'token.created', target_type: 'api_token', target_id: record.id, details: { name, prefix: record.prefix, scopes: record.scopes }, at });
  });
  return { token, record };
}

export function listApiTokens(ctx: ServiceContext): Promise<ApiToken[]> {
  authorize(ctx.actor, 'token.read');
  return listTokens(ctx.db);
}

/** Revokes a token by id or prefix; a caller may revoke only a token whose scopes it holds itself. */
export async function revokeApiToken(ctx: ServiceContext, idOrPrefix: string, grantor: Grantor): Promise<ApiToken> {
  authorize(ctx.actor, 'token.revoke');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const found = await lockToken(tx, idOrPrefix);
    if (!found) throw new NotFoundError('token', idOrPrefix);
    assertMayGrant(grantor, found.scopes, 'revoke a token with');
    const token = (await revokeToken(tx, found.id, at)) as ApiToken;
    await insertAudit(tx, { actor: ctx.actor.label, action: 'token.revoked', target_type: 'api_token', target_id: token.id, details: { prefix: token.prefix }, at });
    return token;
  });
}

/** Checks a bearer token; throws 401 for unknown or revoked ones. */
export async function authenticateApiToken(ctx: Omit<ServiceContext, 'actor'>, token: string): Promise<ApiToken> {
  if (!token.startsWith(TOKEN_PREFIX)) throw new UnauthorizedError();
  const found = await findActiveTokenByHash(ctx.db, hashToken(token));
  if (!found) throw new UnauthorizedError();
  await markTokenUsed(ctx.db, found.id, ctx.clock.now());
  return found;
}
