import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { ConflictError, ValidationError } from '../../domain/errors.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { subscribeByEmail } from './subscribe-by-email.ts';

/** The most rows one import takes (the API's CSV limit; the console's paste is smaller). */
const IMPORT_MAX_ROWS = 50_000;

/**
 * Rows parsed from a CSV (by the API or the console, each from its own format). A row's fields are
 * plain text here: each row meets `SubscribeByEmailInput` on its own, so one bad row is reported
 * with its line instead of refusing the whole list.
 */
export const ImportEmailSubscribersInput = Type.Object(
  {
    rows: Type.Array(
      Type.Object(
        {
          line: Type.Integer({ minimum: 1 }),
          email: Type.String(),
          components: Type.String({ description: 'component keys or ids separated by spaces or semicolons; empty for all' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: IMPORT_MAX_ROWS },
    ),
    confirmed: Type.Optional(Type.Boolean({ description: 'an already-consented list: no confirmation emails' })),
  },
  { additionalProperties: false },
);
export type ImportEmailSubscribersInput = Static<typeof ImportEmailSubscribersInput>;

export interface ImportResult {
  created: number;
  existing: number;
  invalid: { line: number; error: string }[];
}

/**
 * Imports email subscribers from parsed CSV rows (`email`, optional `components`: keys or ids
 * separated by spaces or semicolons). Valid rows are added even when others are invalid; each
 * invalid row is reported with its line and reason. `confirmed` marks an already-consented list.
 */
export async function importEmailSubscribers(ctx: ServiceContext, raw: unknown): Promise<ImportResult> {
  authorize(ctx.actor, 'subscriber.manage');
  const input = parseInput(ImportEmailSubscribersInput, raw);
  const result: ImportResult = { created: 0, existing: 0, invalid: [] };
  for (const row of input.rows) {
    try {
      const componentIds = row.components.split(/[\s;]+/).filter(Boolean);
      await subscribeByEmail(ctx, { type: 'email', email: row.email, component_ids: componentIds, confirmed: input.confirmed ?? false }, { source: 'import' });
      result.created += 1;
    } catch (error) {
      if (error instanceof ConflictError) result.existing += 1;
      else if (error instanceof ValidationError) result.invalid.push({ line: row.line, error: error.message });
      else throw error;
    }
  }
  return result;
}
