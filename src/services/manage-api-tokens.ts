import { createHash } from 'node:crypto';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../domain/errors.ts';
import type { ApiToken } from '../domain/model.ts';
import { requireText } from '../domain/validation.ts';
import { insertAudit } from '../storage/audit-repository.ts';
import { findActiveTokenByHash, insertToken, listTokens, lockToken, markTokenUsed, revokeToken } from '../storage/token-repository.ts';
import type { ServiceContext } from './context.ts';

export const SCOPES = ['incidents:write', 'components:write', 'maintenances:write', 'subscribers:write', 'heartbeats:write', 'tokens:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const TOKEN_PREFIX = 'lfl_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Who is asking to grant or revoke token scopes: the scopes the caller itself holds (its token's,
 * or its console role's), or the local operator (the CLI), who may grant anything.
 */
export interface Grantor {
  scopes: readonly string[];
  operator: boolean;
}

/** The operator at the machine (CLI, setup scripts, tests): holds every scope. */
export const OPERATOR_GRANTOR: Grantor = { scopes: ['admin'], operator: true };

/** A console account's grantor: only admins reach the token pages, and an admin holds `admin`. */
export const consoleGrantor = (role: string): Grantor => ({ scopes: role === 'admin' ? ['admin'] : [], operator: false });

/**
 * A caller may hand out (or take away) only what it holds: otherwise a `tokens:write` token could
 * mint an admin token. `admin` covers every scope; only an admin or the operator grants `admin`.
 */
function assertMayGrant(grantor: Grantor, scopes: readonly string[], verb: 'grant' | 'revoke a token with'): void {
  if (grantor.operator || grantor.scopes.includes('admin')) return;
  const lacking = scopes.find((scope) => !grantor.scopes.includes(scope));
  if (lacking) throw new ForbiddenError(`you cannot ${verb} the ${lacking} scope: you do not hold it${lacking === 'admin' ? ' (only an admin can)' : ''}`);
}

/** Creates a token and returns it in clear once; only its hash is stored. */
export async function createApiToken(ctx: ServiceContext, input: { name: string; scopes: string[] }, grantor: Grantor): Promise<{ token: string; record: ApiToken }> {
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
  const record: ApiToken = { id: ctx.ids.id(), name, prefix: `${TOKEN_PREFIX}${visible}`, scopes: [...new Set(input.scopes)], created_by: ctx.actor, created_at: at, last_used_at: null, revoked_at: null };
  await ctx.db.transaction(async (tx) => {
    await insertToken(tx, { ...record, hash: hashToken(token) });
    await insertAudit(tx, { actor: ctx.actor, action: 'token.created', target_type: 'api_token', target_id: record.id, details: { name, prefix: record.prefix, scopes: record.scopes }, at });
  });
  return { token, record };
}

export function listApiTokens(ctx: ServiceContext): Promise<ApiToken[]> {
  return listTokens(ctx.db);
}

/** Revokes a token by id or prefix; a caller may revoke only a token whose scopes it holds itself. */
export async function revokeApiToken(ctx: ServiceContext, idOrPrefix: string, grantor: Grantor): Promise<ApiToken> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const found = await lockToken(tx, idOrPrefix);
    if (!found) throw new NotFoundError('token', idOrPrefix);
    assertMayGrant(grantor, found.scopes, 'revoke a token with');
    const token = (await revokeToken(tx, found.id, at)) as ApiToken;
    await insertAudit(tx, { actor: ctx.actor, action: 'token.revoked', target_type: 'api_token', target_id: token.id, details: { prefix: token.prefix }, at });
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

export function assertScope(granted: string[], needed: Scope): void {
  if (!granted.includes(needed) && !granted.includes('admin')) throw new ForbiddenError(`this token lacks the ${needed} scope`);
}
