import type { FastifyInstance } from 'fastify';

/** The responder API's OpenAPI 3 document, generated from the route schemas (the wire contract). */
export async function openApiRoutes(app: FastifyInstance) {
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
