import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { ValidationError } from '../../domain/errors.ts';
import { renderScopedDocument, SCOPED_DOCUMENTS, type DocumentScope, type ScopedDocument } from '../../presenters/scoped-documents.ts';
import { ComponentSchema, IncidentSchema, PageSchema, StatusSchema, WidgetFeedSchema } from '../schemas.ts';

const Page = { page: PageSchema };
/**
 * The public documents with their response schemas: the wire contract of what the snapshot serves.
 * Those in SCOPED_DOCUMENTS also answer `?component=KEY` (and the SVG badge `?theme=dark`).
 */
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
  '/history.rss': { summary: 'RSS 2.0 feed of incidents and maintenance (?component=KEY: those affecting one component)', schema: Type.String() },
  '/history.atom': { summary: 'Atom 1.0 feed of incidents and maintenance (?component=KEY: those affecting one component)', schema: Type.String() },
  '/badge.svg': { summary: 'Status badge for the page, or one component with ?component=KEY; ?theme=light|dark', schema: Type.String() },
  '/badge.json': {
    summary: "The badge in shields.io's endpoint schema (?component=KEY for one component)",
    schema: Type.Object({ schemaVersion: Type.Literal(1), label: Type.String(), message: Type.String(), color: Type.String() }),
  },
  '/maintenances.ics': {
    summary: 'iCalendar (RFC 5545) of upcoming, current and recent maintenance (?component=KEY for one component)',
    schema: Type.String(),
  },
  '/embed/status.json': {
    summary: "Ongoing incidents, in-progress and scheduled maintenance in incident.io's widget feed shape, for a product's own banner",
    schema: WidgetFeedSchema,
  },
  '/embed/banner.js': { summary: 'The banner script a product pastes into its pages (README, "In your product")', schema: Type.String() },
};

/** What a scoped document's address may add: a component (key or id) and, for the SVG badge, a theme. */
const ScopeQuery = Type.Object({
  component: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a component key or id' })),
  theme: Type.Optional(Type.Union([Type.Literal('light'), Type.Literal('dark')])),
});
type ScopeQuery = Static<typeof ScopeQuery>;

const isScoped = (path: string): path is ScopedDocument => (SCOPED_DOCUMENTS as readonly string[]).includes(path);
const Unavailable = Type.Object({ error: Type.String(), message: Type.String() });
const Refused = Type.Object({ error: Type.String(), field: Type.Optional(Type.String()), message: Type.String() });

/** Statuspage-compatible public API v2, feeds, badges and the product embeds, served from the snapshot. */
export async function publicApiRoutes(app: FastifyInstance) {
  const unavailable = (reply: FastifyReply) =>
    reply.code(503).header('retry-after', '10').send({ error: 'unavailable', message: 'status not loaded yet; try again shortly' });

  /** One component's document, or the dark badge: built on demand and cached until the next change. */
  const sendScoped = async (request: FastifyRequest, reply: FastifyReply, path: ScopedDocument, query: ScopeQuery) => {
    const status = app.snapshot.status;
    if (!status) return unavailable(reply);
    const ref = query.component;
    const component = ref === undefined ? null : status.components.find((c) => c.key === ref || c.id === ref);
    if (component === undefined) throw new ValidationError('component', `no component has the key or id ${JSON.stringify(ref)}`);
    const scope: DocumentScope = { component, theme: path === '/badge.svg' ? (query.theme ?? 'light') : 'light' };
    const body = await app.snapshot.getLazy(`${path}|${component?.id ?? ''}|${scope.theme}`, async (current) =>
      current ? renderScopedDocument(path, current, app.config.publicUrl, scope) : null,
    );
    if (!body) return unavailable(reply);
    return app.sendEncoded(request, reply, body);
  };

  for (const [path, doc] of Object.entries(PUBLIC_DOCUMENTS)) {
    const scoped = isScoped(path);
    app.get(
      path,
      {
        schema: {
          hide: true,
          summary: doc.summary,
          ...(scoped ? { querystring: ScopeQuery } : {}),
          response: { 200: doc.schema, 304: Type.Null(), ...(scoped ? { 400: Refused } : {}), 503: Unavailable },
        },
      },
      async (request, reply) => {
        const query = request.query as ScopeQuery;
        if (scoped && (query.component !== undefined || (path === '/badge.svg' && query.theme === 'dark'))) return sendScoped(request, reply, path, query);
        const body = app.snapshot.get(path);
        if (!body) return unavailable(reply);
        return app.sendEncoded(request, reply, body);
      },
    );
  }
  // The Statuspage widget and some clients ask for the page without the .json suffix or under /api/v2/.
  app.get('/api/v2', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/api/v2/summary.json'));
}
