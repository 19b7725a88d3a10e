import { claimIdempotencyKey, completeIdempotencyKey, type StoredResponse } from '../../storage/idempotency-repository.ts';
import { joinTransaction, type ServiceContext } from '../context.ts';

/** What `runOnce` did: ran the write now (its response body), or found the response of an earlier run with the same key. */
export type RunOnceOutcome<Body> = { replayed: false; body: Body } | { replayed: true; stored: StoredResponse };

/**
 * Runs a write at most once per (actor, key). The claim, the write and the stored response share
 * one transaction, so a retry either waits and gets the first response or finds none and runs it.
 * `run` gets the context joined to that transaction.
 */
export function runOnce<Body>(
  ctx: ServiceContext,
  claim: { actor: string; key: string; requestHash: string; status: number },
  run: (ctx: ServiceContext) => Promise<Body>,
): Promise<RunOnceOutcome<Body>> {
  return ctx.db.transaction(async (tx): Promise<RunOnceOutcome<Body>> => {
    const stored = await claimIdempotencyKey(tx, { actor: claim.actor, key: claim.key, requestHash: claim.requestHash, at: ctx.clock.now() });
    if (stored) return { replayed: true, stored };
    const body = await run({ ...ctx, db: joinTransaction(tx) });
    await completeIdempotencyKey(tx, { actor: claim.actor, key: claim.key, status: claim.status, body });
    return { replayed: false, body };
  });
}
