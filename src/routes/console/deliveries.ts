import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { deadLetterItem, deliveryProgressView, formatNumber } from '../../presenters/console-view.ts';
import { formatDateTime } from '../../domain/time.ts';
import { replayDeadLetters } from '../../services/notifications/replay-dead-deliveries.ts';
import { loadDeadLetters, loadIncidentDeliveryCounts } from '../../queries/delivery-progress.ts';
import { findIncident } from '../../queries/incidents.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { RowIdSchema } from '../schemas.ts';
import { field, fieldList, FormBody, HTML, IdParams, type ConsoleKit, type Form } from './kit.ts';

/** How many dead letters the page lists (the newest); "replay all" of a notice covers every one. */
const DEAD_LIST_LIMIT = 100;

const Channel = Type.Object({
  channel: Type.String(),
  label: Type.String(),
  targeted: Type.Integer(),
  sent: Type.Integer(),
  failed: Type.Integer(),
  pending: Type.Integer(),
  donePercent: Type.Integer(),
  targetedText: Type.String(),
  sentText: Type.String(),
  failedText: Type.String(),
  pendingText: Type.String(),
});

/**
 * See the reach: the incident page's live delivery progress (a small JSON document its script polls
 * while anything is pending), and the dead letters with their reasons and a replay.
 */
export async function deliveryConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/console/incidents/:id/progress.json',
    {
      ...app.requireConsoleCapability('status.read'),
      schema: {
        hide: true,
        params: IdParams,
        response: {
          200: Type.Object({
            active: Type.Boolean(),
            updates: Type.Array(
              Type.Object({
                update_id: Type.String(),
                state: Type.String(),
                text: Type.String(),
                dead_url: Type.Union([Type.String(), Type.Null()]),
                channels: Type.Array(Channel),
              }),
            ),
            other: Type.Array(Channel),
          }),
          404: Type.String(),
        },
      },
    },
    async (request, reply) => {
      const incident = await findIncident(app.db, request.params.id);
      if (!incident) throw new NotFoundError('incident', request.params.id);
      const { events, counts } = await loadIncidentDeliveryCounts(app.db, incident.id);
      const progress = deliveryProgressView(incident.updates, events, counts);
      reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
      return {
        active: progress.active,
        updates: [...progress.byUpdate.entries()].map(([id, p]) => ({
          update_id: id,
          state: p.state,
          text: p.text,
          dead_url: p.deadUrl,
          channels: p.channels,
        })),
        other: progress.other,
      };
    },
  );

  app.get(
    '/console/deliveries/dead',
    {
      ...app.requireConsoleCapability('delivery.read'),
      schema: {
        hide: true,
        querystring: Type.Object({ event: Type.Optional(RowIdSchema), done: Type.Optional(Type.String({ maxLength: 40 })) }),
        response: HTML,
      },
    },
    async (request, reply) => {
      const eventId = request.query.event;
      const [page, { groups, deliveries: dead }] = await Promise.all([
        loadPage(app.db),
        loadDeadLetters(app.db, { groupLimit: 50, limit: DEAD_LIST_LIMIT, eventId }),
      ]);
      const tz = page?.time_zone ?? 'Etc/UTC';
      const mayManageSubscribers = kit.ctx(request).actor.capabilities.has('subscriber.manage');
      const total = groups.reduce((n, g) => n + g.dead, 0);
      const shown = eventId === undefined ? total : (groups.find((g) => g.event_id === eventId)?.dead ?? dead.length);
      return kit.send(
        request,
        reply,
        200,
        'dead-letters',
        {
          title: 'Failed deliveries',
          eventId: eventId ?? null,
          groups: groups.map((g) => ({
            eventId: g.event_id,
            eventType: g.event_type,
            dead: formatNumber(g.dead),
            incidentName: g.incident_name,
            incidentUrl: g.incident_id ? `/console/incidents/${g.incident_id}` : null,
            created: { iso: g.event_created_at.toISOString(), text: formatDateTime(g.event_created_at, tz) },
            current: g.event_id === eventId,
            filterUrl: `/console/deliveries/dead?event=${g.event_id}`,
          })),
          deliveries: dead.map((d) => deadLetterItem(d, tz, mayManageSubscribers)),
          totalText: formatNumber(total),
          shownText: dead.length < shown ? `Showing the newest ${formatNumber(dead.length)} of ${formatNumber(shown)}.` : null,
        },
        { nav: 'deliveries' },
      );
    },
  );

  app.post(
    '/console/deliveries/replay',
    { ...app.requireConsoleCapability('delivery.replay'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const eventText = field(body, 'event_id');
      const ids = [...fieldList(body, 'ids'), ...fieldList(body, 'id')].map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
      const back = field(body, 'back') === 'event' && /^\d+$/.test(eventText) ? `/console/deliveries/dead?event=${eventText}&` : '/console/deliveries/dead?';
      let replayed: number[];
      try {
        replayed = await replayDeadLetters(kit.ctx(request), ids.length > 0 ? { ids } : /^\d{1,15}$/.test(eventText) ? { event_id: Number(eventText) } : {});
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return kit.send(
          request,
          reply,
          400,
          'message',
          {
            title: 'Nothing to replay',
            heading: 'Nothing to replay',
            message: 'Choose the deliveries to replay.',
            link: { href: '/console/deliveries/dead', text: 'Back to the failed deliveries' },
          },
          { nav: 'deliveries' },
        );
      }
      return reply.redirect(`${back}done=${replayed.length > 0 ? 'deliveries-replayed' : 'nothing-replayed'}`, 303);
    },
  );
}
