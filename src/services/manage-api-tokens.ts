import { createHash } from 'node:crypto';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../domain/errors.ts';
import type { ApiToken } from '../domain/model.ts';
import { requireText } from '../domain/validation.ts';
import { insertAudit } from '../storage/audit-repository.ts';
import { findActiveTokenByHash, insertToken, listTokens, markTokenUsed, revokeToken } from '../storage/token-repository.ts';
import type { ServiceContext } from './context.ts';

export const SCOPES = ['incidents:write', 'components:write', 'maintenances:write', 'subscribers:write', 'heartbeats:write', 'tokens:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const TOKEN_PREFIX = 'lfl_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates a token and returns it in clear once; only its hash is stored. */
export async function createApiToken(ctx: ServiceContext, input: { name: string; scopes: string[] }): Promise<{ token: string; record: ApiToken }> {
  const name = requireText('name', input.name, { max: 100 });
  if (!Array.isArray(input.scopes) || input.scopes.length === 0) throw new ValidationError('scopes', `must list at least one of ${SCOPES.join(', ')}`);
  for (const [index, scope] of input.scopes.entries()) {
    if (!(SCOPES as readonly string[]).includes(scope)) throw new ValidationError(`scopes.${index}`, `unknown scope ${JSON.stringify(scope)}; use ${SCOPES.join(', ')}`);
  }
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

export async function revokeApiToken(ctx: ServiceContext, idOrPrefix: string): Promise<ApiToken> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const token = await revokeToken(tx, idOrPrefix, at);
    if (!token) throw new NotFoundError('token', idOrPrefix);
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
