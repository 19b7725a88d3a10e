import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { auditListItem } from '../../presenters/console-view.ts';
import { loadAuditLog } from '../../queries/audit-log.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { RowIdSchema } from '../schemas.ts';
import { HTML, type ConsoleKit } from './kit.ts';

const PAGE_SIZE = 50;
const ACTION_HINTS = ['incident.', 'maintenance.', 'component.', 'subscriber.', 'delivery.', 'heartbeat_notice.', 'token.', 'user.', 'session.', 'template.'];

/** The audit log, newest first: filter by who (exact, or a user's email / token's name) and what (action prefix); keyset pages. */
export async function auditConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/console/audit',
    {
      ...app.requireConsoleCapability('audit.read'),
      schema: {
        hide: true,
        querystring: Type.Object({
          actor: Type.Optional(Type.String({ maxLength: 300 })),
          action: Type.Optional(Type.String({ maxLength: 100 })),
          before: Type.Optional(RowIdSchema),
        }),
        response: HTML,
      },
    },
    async (request, reply) => {
      const actor = (request.query.actor ?? '').trim();
      const action = (request.query.action ?? '').trim();
      const [page, { users, entries }] = await Promise.all([
        loadPage(app.db),
        loadAuditLog(app.db, { actor: actor || undefined, actionPrefix: action || undefined, beforeId: request.query.before, limit: PAGE_SIZE + 1 }),
      ]);
      const tz = page?.time_zone ?? 'Etc/UTC';
      const shown = entries.slice(0, PAGE_SIZE);
      const link = (before: number | null) => {
        const params = new URLSearchParams();
        if (actor) params.set('actor', actor);
        if (action) params.set('action', action);
        if (before) params.set('before', String(before));
        const text = params.toString();
        return `/console/audit${text ? `?${text}` : ''}`;
      };
      return kit.send(
        request,
        reply,
        200,
        'audit',
        {
          title: 'Audit log',
          actor,
          action,
          actorHints: users.map((u) => u.email),
          actionHints: ACTION_HINTS,
          entries: shown.map((e) => auditListItem(e, tz)),
          olderUrl: entries.length > PAGE_SIZE ? link(shown[shown.length - 1].id) : null,
          newestUrl: request.query.before ? link(null) : null,
          filtered: Boolean(actor || action),
        },
        { nav: 'audit' },
      );
    },
  );
}
