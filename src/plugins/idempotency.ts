import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError, ValidationError } from '../domain/errors.ts';
import { joinTransaction, type ServiceContext } from '../services/context.ts';
import { claimIdempotencyKey, completeIdempotencyKey } from '../storage/idempotency-repository.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Runs a write use-case honouring the request's Idempotency-Key: the key is claimed and the
     * response stored in the use-case's own transaction, so a retry (even a concurrent one)
     * returns the first response and never repeats the write.
     */
    idempotentWrite<T>(
      request: FastifyRequest,
      reply: FastifyReply,
      status: number,
      run: (ctx: ServiceContext) => Promise<T>,
      present: (result: T) => unknown,
    ): Promise<FastifyReply>;
  }
}

/**
 * JSON with every object's keys sorted, recursively: a retry is the same request when it means
 * the same, whatever order the client's serializer wrote the keys in (arrays keep their order).
 */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

export const idempotencyPlugin = fp(async (app: FastifyInstance) => {
  app.decorate('idempotentWrite', async function idempotentWrite<
    T,
  >(request: FastifyRequest, reply: FastifyReply, status: number, run: (ctx: ServiceContext) => Promise<T>, present: (result: T) => unknown): Promise<FastifyReply> {
    const ctx = app.serviceContext(request.actor);
    const header = request.headers['idempotency-key'];
    if (header === undefined) return reply.code(status).send(present(await run(ctx)));
    const key = Array.isArray(header) ? header[0] : header;
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw new ValidationError('Idempotency-Key', 'must be 1 to 255 visible ASCII characters');
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`)
      .digest('hex');

    const outcome = await app.db.transaction(async (tx) => {
      const stored = await claimIdempotencyKey(tx, { actor: request.actor.label, key, requestHash, at: app.clock.now() });
      if (stored) return { replayed: true as const, stored };
      const body = present(await run({ ...ctx, db: joinTransaction(tx) }));
      await completeIdempotencyKey(tx, { actor: request.actor.label, key, status, body });
      return { replayed: false as const, body };
    });
    if (!outcome.replayed) return reply.code(status).send(outcome.body);
    if (outcome.stored.request_hash !== requestHash) {
      throw new DomainError('idempotency_key_reused', 'Idempotency-Key was already used with a different request; use a new key');
    }
    return reply.code(outcome.stored.response_status).header('idempotent-replayed', 'true').send(outcome.stored.response_body);
  });
});
