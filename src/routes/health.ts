import type { FastifyInstance } from 'fastify';
import Type from 'typebox';

/**
 * 200 once the page can be served, even from the saved snapshot during a database outage
 * (restarting the instance would not help then); 503 only when there is nothing to serve.
 */
export async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/healthz',
    {
      schema: {
        hide: true,
        response: {
          200: Type.Object({ status: Type.String(), database: Type.String(), snapshot_age_seconds: Type.Union([Type.Number(), Type.Null()]) }),
          503: Type.Object({ status: Type.String(), database: Type.String(), snapshot_age_seconds: Type.Union([Type.Number(), Type.Null()]) }),
        },
      },
    },
    async (_request, reply) => {
      if (!app.hasDecorator('snapshot')) return { status: 'ok', database: 'unknown', snapshot_age_seconds: null };
      const snapshot = app.snapshot;
      const age = snapshot.builtAt ? Math.round((app.clock.now().getTime() - snapshot.builtAt.getTime()) / 1000) : null;
      const body = { status: snapshot.stale ? 'degraded' : 'ok', database: snapshot.stale ? 'unreachable' : 'ok', snapshot_age_seconds: age };
      return reply.code(snapshot.ready ? 200 : 503).send(snapshot.ready ? body : { ...body, status: 'starting' });
    },
  );
}
