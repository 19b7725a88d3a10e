import type { FastifyInstance, FastifyReply } from 'fastify';
import Type from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { pageSecurityHeaders } from '../../plugins/security-headers.ts';
import { historyPageView, incidentPageView } from '../../presenters/status-page-view.ts';
import { loadIncidentHistory } from '../../queries/read-incidents.ts';
import { findIncident } from '../../queries/incidents.ts';
import { faviconRoutes } from './favicon.ts';

const HTML = { 200: Type.String({ description: 'text/html' }), 304: Type.Null(), 503: Type.String() };

/** The public, server-rendered status page. Everything is served from the snapshot. */
export async function statusPageRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(faviconRoutes);

  const UNAVAILABLE =
    '<!doctype html><html lang="en"><title>Status</title><main><h1>Status temporarily unavailable</h1><p>Please try again in a moment.</p></main></html>';
  const unavailable = (reply: FastifyReply) =>
    reply
      .code(503)
      .header('retry-after', '10')
      .type('text/html; charset=utf-8')
      .headers(pageSecurityHeaders(UNAVAILABLE, app.views.scriptHashes))
      .send(UNAVAILABLE);

  app.get('/', { schema: { hide: true, response: HTML } }, async (request, reply) => {
    const body = app.snapshot.get('/');
    if (!body) return unavailable(reply);
    return app.sendEncoded(request, reply, body);
  });

  app.get(
    '/history',
    {
      schema: { hide: true, querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })) }), response: HTML },
    },
    async (request, reply) => {
      const pageNumber = request.query.page ?? 1;
      const body = await app.snapshot.getLazy(`history:${pageNumber}`, async (status) => {
        if (!status) return null;
        const history = await loadIncidentHistory(app.db, status.readAt, pageNumber);
        return { contentType: 'text/html; charset=utf-8', text: app.views.page('pages/history', historyPageView(status, history, pageNumber), 'main') };
      });
      if (!body) return unavailable(reply);
      return app.sendEncoded(request, reply, body);
    },
  );

  app.get(
    '/incidents/:id',
    {
      schema: { hide: true, params: Type.Object({ id: Type.String({ pattern: '^[a-z0-9]{1,40}$' }) }), response: { ...HTML, 404: Type.String() } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const body = await app.snapshot.getLazy(`incident:${id}`, async (status) => {
        if (!status) return null;
        // Recent incidents are in the snapshot already: no database round trip, and they render during an outage.
        const incident =
          [...status.unresolvedIncidents, ...status.recentIncidents, ...status.maintenances].find((i) => i.id === id) ?? (await findIncident(app.db, id));
        if (!incident) return null;
        return { contentType: 'text/html; charset=utf-8', text: app.views.page('pages/incident', incidentPageView(status, incident), 'main') };
      });
      if (!body) {
        if (!app.snapshot.status) return unavailable(reply);
        const html = app.views.page(
          'pages/not-found',
          { title: 'Not found', message: 'There is no such incident.', chrome: { name: app.snapshot.status.page.name } },
          'main',
        );
        return reply.code(404).type('text/html; charset=utf-8').headers(pageSecurityHeaders(html, app.views.scriptHashes)).send(html);
      }
      return app.sendEncoded(request, reply, body);
    },
  );
}
