import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import type { Actor } from '../domain/actor.ts';
import type { IdSource } from '../domain/ids.ts';
import type { Database } from '../storage/database.ts';
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

// Use-cases and their callers join a transaction through the context module; the adapter itself is storage's.
export { joinTransaction } from '../storage/database.ts';
