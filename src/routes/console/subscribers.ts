import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parse as parseCsv } from 'csv-parse/sync';
import Type from 'typebox';
import { CHAT_PLATFORM_LABELS, CHAT_PLATFORMS } from '../../domain/chat-platform.ts';
import { ValidationError } from '../../domain/errors.ts';
import { subscriberListItem } from '../../presenters/console-view.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { DisableWebhookEndpointInput, disableWebhookEndpoint } from '../../services/subscribers/disable-webhook-endpoint.ts';
import { importEmailSubscribers, type ImportEmailSubscribersInput, type ImportResult } from '../../services/subscribers/import-email-subscribers.ts';
import { reactivateSubscriber } from '../../services/subscribers/reactivate-subscriber.ts';
import { rotateWebhookSecret } from '../../services/subscribers/rotate-webhook-secret.ts';
import { unsubscribe } from '../../services/subscribers/unsubscribe.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { loadComponents } from '../../queries/page-structure.ts';
import { listSubscribers } from '../../queries/subscriber-list.ts';
import { checked, errorsOf, field, FormBody, HTML, IdParams, newFormId, type ConsoleKit, type Form } from './kit.ts';

const PAGE_SIZE = 50;
/** A pasted list above this goes through the API (`POST /api/v1/subscribers/import`), which takes 50,000. */
const IMPORT_MAX_ROWS = 10_000;
const IMPORT_MAX_CHARS = 2_000_000;

/**
 * CSV rows with line numbers: a header row with an `email` column (and optionally `components`),
 * as the API takes, or simply one address per line.
 */
function parseSubscriberCsv(text: string): { line: number; email: string; components: string }[] {
  const trimmed = text.replace(/^\uFEFF/, '');
  const firstLine = trimmed.split(/\r?\n/, 1)[0] ?? '';
  const headed = !firstLine.includes('@');
  let records: string[][];
  try {
    records = parseCsv(trimmed, { skip_empty_lines: false, trim: true, relax_column_count: true, relax_quotes: true });
  } catch (error) {
    throw new ValidationError('csv', `not valid CSV: ${(error as Error).message}`);
  }
  let emailColumn = 0;
  let componentsColumn = -1;
  let start = 0;
  if (headed) {
    const header = (records[0] ?? []).map((h) => h.toLowerCase());
    emailColumn = header.indexOf('email');
    if (emailColumn < 0) throw new ValidationError('csv', 'the first line must be a header with an "email" column, or an email address');
    componentsColumn = header.indexOf('components');
    start = 1;
  }
  const rows: { line: number; email: string; components: string }[] = [];
  for (let index = start; index < records.length; index++) {
    const record = records[index];
    if (record.every((cell) => cell === '')) continue;
    rows.push({ line: index + 1, email: record[emailColumn] ?? '', components: componentsColumn >= 0 ? (record[componentsColumn] ?? '') : '' });
  }
  if (rows.length === 0) throw new ValidationError('csv', 'no addresses found');
  if (rows.length > IMPORT_MAX_ROWS)
    throw new ValidationError('csv', `at most ${IMPORT_MAX_ROWS.toLocaleString('en-US')} addresses at a time here; use the API for larger lists`);
  return rows;
}

const ListQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 200 })),
  type: Type.Optional(Type.String({ enum: ['', 'email', 'webhook', ...CHAT_PLATFORMS] })),
  after: Type.Optional(Type.String({ maxLength: 64 })),
  done: Type.Optional(Type.String({ maxLength: 40 })),
});

/**
 * Subscribers: search by address or URL, filter by type, page by id (keyset, like the API);
 * remove; webhook endpoints disabled, re-enabled and given a new secret (shown once); CSV import.
 */
export async function subscriberConsoleRoutes(
  parent: FastifyInstance,
  { kit, generateWebhookSecret }: { kit: ConsoleKit; generateWebhookSecret: () => string },
) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/console/subscribers',
    { ...app.requireConsoleCapability('subscriber.read'), schema: { hide: true, querystring: ListQuery, response: HTML } },
    async (request, reply) => {
      const search = (request.query.search ?? '').trim();
      const type = request.query.type || undefined;
      const mayManage = kit.ctx(request).actor.capabilities.has('subscriber.manage');
      const [page, components, list] = await Promise.all([
        loadPage(app.db),
        loadComponents(app.db),
        listSubscribers(app.db, { type, search: search || undefined, searchUrls: mayManage, limit: PAGE_SIZE + 1, afterId: request.query.after || undefined }),
      ]);
      const tz = page?.time_zone ?? 'Etc/UTC';
      const more = list.length > PAGE_SIZE;
      const shown = list.slice(0, PAGE_SIZE);
      const query = (after: string | null) => {
        const params = new URLSearchParams();
        if (search) params.set('search', search);
        if (type) params.set('type', type);
        if (after) params.set('after', after);
        const text = params.toString();
        return `/console/subscribers${text ? `?${text}` : ''}`;
      };
      return kit.send(
        request,
        reply,
        200,
        'subscribers',
        {
          title: 'Subscribers',
          search,
          typeOptions: [
            { value: '', label: 'Every type', selected: !type },
            { value: 'email', label: 'Email', selected: type === 'email' },
            { value: 'webhook', label: 'Webhooks', selected: type === 'webhook' },
            ...CHAT_PLATFORMS.map((platform) => ({ value: platform, label: CHAT_PLATFORM_LABELS[platform], selected: type === platform })),
          ],
          subscribers: shown.map((s) => ({ ...subscriberListItem(s, components, tz, mayManage), formId: newFormId(app) })),
          currentUrl: query(request.query.after ?? null),
          nextUrl: more ? query(shown[shown.length - 1].id) : null,
          firstUrl: request.query.after ? query(null) : null,
          filtered: Boolean(search || type),
          limits: { disable: limitsOf(DisableWebhookEndpointInput) },
        },
        { nav: 'subscribers' },
      );
    },
  );

  const back = (request: FastifyRequest, done: string) => {
    const from = field(request.body as Form, 'back');
    const safe = /^\/console\/subscribers(\?[A-Za-z0-9_=&%.@+-]*)?$/.test(from) ? from : '/console/subscribers';
    return `${safe}${safe.includes('?') ? '&' : '?'}done=${done}`;
  };

  app.post(
    '/console/subscribers/:id/remove',
    { ...app.requireConsoleCapability('subscriber.manage'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      await unsubscribe(kit.ctx(request), request.params.id, 'removed');
      return reply.redirect(back(request, 'subscriber-removed'), 303);
    },
  );

  app.post(
    '/console/subscribers/:id/disable',
    { ...app.requireConsoleCapability('subscriber.manage'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const reason = field(request.body as Form, 'reason');
      try {
        // An empty box means no reason given (the use-case records the default one).
        await disableWebhookEndpoint(kit.ctx(request), request.params.id, reason === '' ? {} : { reason });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return kit.send(
          request,
          reply,
          400,
          'message',
          {
            title: 'Please check your request',
            heading: 'Please check your request',
            message: error.message,
            link: { href: '/console/subscribers', text: 'Back to the subscribers' },
          },
          { nav: 'subscribers' },
        );
      }
      return reply.redirect(back(request, 'endpoint-disabled'), 303);
    },
  );

  app.post(
    '/console/subscribers/:id/reactivate',
    { ...app.requireConsoleCapability('subscriber.manage'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      await reactivateSubscriber(kit.ctx(request), request.params.id);
      return reply.redirect(back(request, 'subscriber-reactivated'), 303);
    },
  );

  app.post(
    '/console/subscribers/:id/rotate-secret',
    { ...app.requireConsoleCapability('subscriber.manage'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      let secret: string | null = null;
      const result = await kit.once(request, async (ctx) => {
        secret = await rotateWebhookSecret(ctx, request.params.id, () => generateWebhookSecret());
        return { id: request.params.id };
      });
      return kit.send(
        request,
        reply,
        200,
        'shown-once',
        {
          script: true,
          title: 'New signing secret',
          heading: 'New signing secret',
          replayed: result.replayed,
          lead: "The old secret stopped verifying at once. Give this one to the endpoint's owner now: it is shown only this once.",
          label: 'Signing secret (Standard Webhooks)',
          value: secret,
          link: { href: '/console/subscribers?type=webhook', text: 'Back to the webhook endpoints' },
        },
        { nav: 'subscribers' },
      );
    },
  );

  // ---- import --------------------------------------------------------------------------------

  const importPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: { csv: string; confirmed: boolean },
    extra: { errors?: Record<string, string>; result?: ImportResult } = {},
  ) =>
    kit.send(
      request,
      reply,
      status,
      'subscriber-import',
      {
        title: 'Import subscribers',
        form: { ...form, formId: newFormId(app) },
        errors: extra.errors ?? {},
        result: extra.result
          ? {
              created: extra.result.created,
              existing: extra.result.existing,
              invalidCount: extra.result.invalid.length,
              invalid: extra.result.invalid.slice(0, 200),
              more: Math.max(0, extra.result.invalid.length - 200),
            }
          : null,
        script: true,
      },
      { nav: 'subscribers' },
    );

  app.get(
    '/console/subscribers/import',
    { ...app.requireConsoleCapability('subscriber.manage'), schema: { hide: true, response: HTML } },
    async (request, reply) => importPage(request, reply, 200, { csv: '', confirmed: false }),
  );

  app.post(
    '/console/subscribers/import',
    {
      ...app.requireConsoleCapability('subscriber.manage'),
      bodyLimit: IMPORT_MAX_CHARS * 3 + 10_000,
      schema: {
        hide: true,
        body: Type.Object(
          {
            _csrf: Type.Optional(Type.String({ maxLength: 200 })),
            form_id: Type.Optional(Type.String({ maxLength: 100 })),
            csv: Type.Optional(Type.String({ maxLength: IMPORT_MAX_CHARS })),
            confirmed: Type.Optional(Type.String({ maxLength: 10 })),
            intent: Type.Optional(Type.String({ maxLength: 20 })),
          },
          { additionalProperties: false },
        ),
        response: HTML,
      },
    },
    async (request, reply) => {
      const body = request.body as Form;
      const form = { csv: field(body, 'csv'), confirmed: checked(body, 'confirmed') };
      let result: ImportResult | null = null;
      try {
        const rows = parseSubscriberCsv(form.csv);
        await kit.once(request, async (ctx) => {
          const input: ImportEmailSubscribersInput = { rows, confirmed: form.confirmed };
          result = await importEmailSubscribers(ctx, input);
          return { id: 'import' };
        });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return importPage(request, reply, 400, form, { errors: errorsOf(error) });
      }
      if (!result) {
        return kit.send(
          request,
          reply,
          200,
          'message',
          {
            title: 'Already imported',
            heading: 'This list was already imported',
            message: 'The form was sent twice; the first import counted.',
            link: { href: '/console/subscribers', text: 'See the subscribers' },
          },
          { nav: 'subscribers' },
        );
      }
      return importPage(request, reply, 200, { csv: '', confirmed: form.confirmed }, { result });
    },
  );
}
