import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import type { Actor } from '../domain/actor.ts';
import type { IdSource } from '../domain/ids.ts';
import type { Database, Transaction } from '../storage/database.ts';
import { PLAIN_BOX, type SecretBox } from '../storage/secret-box.ts';

/** What every use-case receives: where to read and write, what time it is, and who is acting. */
export interface ServiceContext {
  db: Database;
  clock: Clock;
  ids: IdSource;
  /** Who is acting: what they may do (checked by the use-case) and `label`, written to the audit log. */
  actor: Actor;
  log?: FastifyBaseLogger;
  /** Seals secrets the app must read back (webhook signing secrets); unencrypted when absent. */
  secrets?: SecretBox;
}

/** The context's secret box (plain when the context has none). */
export const secretsOf = (ctx: ServiceContext): SecretBox => ctx.secrets ?? PLAIN_BOX;

/**
 * A Database view of an open transaction: services called with it join the caller's transaction
 * (used to commit an idempotency record together with the change it protects).
 */
export function joinTransaction(tx: Transaction): Database {
  return {
    kind: 'postgres',
    query: (sql, params) => tx.query(sql, params),
    transaction: (fn) => fn(tx),
    listen: () => Promise.reject(new Error('cannot LISTEN inside a transaction')),
    close: () => Promise.resolve(),
  };
}
