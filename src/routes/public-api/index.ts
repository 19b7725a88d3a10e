import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ComponentSchema, IncidentSchema, PageSchema, StatusSchema } from '../schemas.ts';

const Page = { page: PageSchema };
/** The public documents with their response schemas: the wire contract of what the snapshot serves. */
export const PUBLIC_DOCUMENTS: Record<string, { summary: string; schema: Type.TSchema }> = {
  '/api/v2/summary.json': {
    summary: 'Status indicator, components, unresolved incidents, and upcoming or in-progress maintenance',
    schema: Type.Object({
      ...Page,
      components: Type.Array(ComponentSchema),
      incidents: Type.Array(IncidentSchema),
      scheduled_maintenances: Type.Array(IncidentSchema),
      status: StatusSchema,
    }),
  },
  '/api/v2/status.json': { summary: 'Status roll-up for the whole page', schema: Type.Object({ ...Page, status: StatusSchema }) },
  '/api/v2/components.json': { summary: 'Components and groups with their status', schema: Type.Object({ ...Page, components: Type.Array(ComponentSchema) }) },
  '/api/v2/incidents.json': { summary: 'The 50 most recent incidents', schema: Type.Object({ ...Page, incidents: Type.Array(IncidentSchema) }) },
  '/api/v2/incidents/unresolved.json': {
    summary: 'Incidents in investigating, identified or monitoring',
    schema: Type.Object({ ...Page, incidents: Type.Array(IncidentSchema) }),
  },
  '/api/v2/scheduled-maintenances.json': {
    summary: 'The 50 most recent maintenances',
    schema: Type.Object({ ...Page, scheduled_maintenances: Type.Array(IncidentSchema) }),
  },
  '/api/v2/scheduled-maintenances/upcoming.json': {
    summary: 'Maintenances still scheduled',
    schema: Type.Object({ ...Page, scheduled_maintenances: Type.Array(IncidentSchema) }),
  },
  '/api/v2/scheduled-maintenances/active.json': {
    summary: 'Maintenances in progress or verifying',
    schema: Type.Object({ ...Page, scheduled_maintenances: Type.Array(IncidentSchema) }),
  },
  '/history.rss': { summary: 'RSS 2.0 feed of incidents and maintenance', schema: Type.String() },
  '/history.atom': { summary: 'Atom 1.0 feed of incidents and maintenance', schema: Type.String() },
};

/** Statuspage-compatible public API v2 and feeds, served from the snapshot. */
export async function publicApiRoutes(app: FastifyInstance) {
  for (const [path, doc] of Object.entries(PUBLIC_DOCUMENTS)) {
    app.get(
      path,
      {
        schema: {
          hide: true,
          summary: doc.summary,
          response: { 200: doc.schema, 304: Type.Null(), 503: Type.Object({ error: Type.String(), message: Type.String() }) },
        },
      },
      async (request, reply) => {
        const body = app.snapshot.get(path);
        if (!body) return reply.code(503).header('retry-after', '10').send({ error: 'unavailable', message: 'status not loaded yet; try again shortly' });
        return app.sendEncoded(request, reply, body);
      },
    );
  }
  // The Statuspage widget and some clients ask for the page without the .json suffix or under /api/v2/.
  app.get('/api/v2', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/api/v2/summary.json'));
}
