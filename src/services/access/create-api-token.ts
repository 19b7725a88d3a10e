import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { SCOPES } from '../../domain/capabilities.ts';
import type { ApiToken } from '../../domain/model.ts';
import { requireText } from '../../domain/validation.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { insertToken } from '../../storage/token-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { Enum, limitsOf, TokenName } from '../shared/fields.ts';
import { assertMayGrant, type Grantor } from './grantor.ts';
import { hashToken, TOKEN_PREFIX } from '../../domain/secret-hash.ts';

/** A new token: the API's request body, the console form's fields (ticked scopes as a list). */
export const CreateApiTokenInput = Type.Object(
  {
    name: TokenName,
    scopes: Type.Array(Enum(SCOPES), { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type CreateApiTokenInput = Static<typeof CreateApiTokenInput>;
/** The schema counts characters, the text rule UTF-16 units after trimming: both hold the contract's number. */
const NAME_MAX = limitsOf(CreateApiTokenInput).name;

/**
 * Creates a token and returns it in clear once; only its hash is stored. `grantor` is what the
 * caller holds (its actor, or `OPERATOR_GRANTOR`): it may grant only scopes within that.
 */
export async function createApiToken(ctx: ServiceContext, raw: unknown, grantor: Grantor): Promise<{ token: string; record: ApiToken }> {
  authorize(ctx.actor, 'token.grant');
  const input = parseInput(CreateApiTokenInput, raw);
  const name = requireText('name', input.name, { max: NAME_MAX });
  assertMayGrant(grantor, input.scopes, 'grant');
  // lfl_<8 chars shown in listings>_<secret>: the prefix makes a leaked token recognisable and revocable.
  const visible = ctx.ids.bytes(6).toString('base64url').slice(0, 8);
  const secret = ctx.ids.bytes(32).toString('base64url');
  const token = `${TOKEN_PREFIX}${visible}_${secret}`;
  const at = ctx.clock.now();
  const record: ApiToken = {
    id: ctx.ids.id(),
    name,
    prefix: `${TOKEN_PREFIX}${visible}`,
    scopes: [...new Set(input.scopes)],
    created_by: ctx.actor.label,
    created_at: at,
    last_used_at: null,
    revoked_at: null,
  };
  await ctx.db.transaction(async (tx) => {
    await insertToken(tx, { ...record, hash: hashToken(token) });
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'token.created',
      target_type: 'api_token',
      target_id: record.id,
      details: { name, prefix: record.prefix, scopes: record.scopes },
      at,
    });
  });
  return { token, record };
}
