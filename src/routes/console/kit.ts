import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { userActor, visitorActor } from '../../domain/actor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { consoleChrome } from '../../presenters/console-view.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import type { ServiceContext } from '../../services/context.ts';
import { runOnce } from '../../services/shared/run-once.ts';
import { CSRF_FIELD } from '../../plugins/console-session.ts';
import { consoleHeaders, type ConsoleRenderer } from './render.ts';

/** Any urlencoded form: fields are read and checked by the handler, which re-renders the form with the error next to the field. */
export const FormBody = Type.Record(
  Type.String({ maxLength: 200 }),
  Type.Union([Type.String({ maxLength: 30_000 }), Type.Array(Type.String({ maxLength: 30_000 }), { maxItems: 1000 })]),
);
export type Form = Record<string, string | string[]>;
/** The signed-in account and its session, as the console-session plugin sets them on the request. */
export type ConsoleUser = NonNullable<FastifyRequest['consoleUser']>;
export type ConsoleUserSession = NonNullable<FastifyRequest['consoleSession']>;
export const HTML = {
  200: Type.String(),
  303: Type.Null(),
  400: Type.String(),
  401: Type.String(),
  403: Type.String(),
  404: Type.String(),
  409: Type.String(),
  429: Type.String(),
};
export const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

/** The first value of a form field, trimmed of nothing (bodies keep their whitespace). */
export function field(form: Form | undefined, name: string): string {
  const value = form?.[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

export function fieldList(form: Form | undefined, name: string): string[] {
  const value = form?.[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export const checked = (form: Form | undefined, name: string) => field(form, name) === 'on' || field(form, name) === 'true';

/** `{component id: status}` from a component grid's selects; "no change" is left out. */
export function gridSelection(body: Form | undefined): Record<string, string> {
  const selected: Record<string, string> = {};
  for (const [name, value] of Object.entries(body ?? {})) {
    if (name.startsWith('component:') && typeof value === 'string' && value !== '') selected[name.slice('component:'.length)] = value;
  }
  return selected;
}

/** Field errors for a form, keyed by field name; a ValidationError's field is mapped to the form's name for it. */
export function errorsOf(error: ValidationError, map: (field: string) => string = (f) => f): Record<string, string> {
  const name = map(error.field);
  // The service prefixes its message with the field; the form shows it next to the field, so drop the prefix.
  const message = error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message;
  return { [name]: message, summary: `${error.field}: ${message}` };
}

/** Only local console paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | undefined): string {
  if (!next || !/^\/console(\/[A-Za-z0-9/_?=&%.-]*)?$/.test(next) || next.includes('..') || next.includes('//') || next.startsWith('/console/sign-'))
    return '/console';
  return next;
}

/** Fixed flash messages, chosen by a query parameter: nothing the URL carries is reflected. */
const FLASH: Record<string, string> = {
  published: 'Published. The status page and summary.json show it now.',
  updated: 'Update posted.',
  resolved: 'Incident resolved.',
  renamed: 'Renamed. The status page and feeds show the new name; nobody was notified.',
  replayed: 'This form was already submitted; here is the result.',
  scheduled: 'Maintenance scheduled.',
  cancelled: 'Maintenance cancelled: subscribers are told it will not take place, and calendars show it cancelled.',
  'maintenance-started': 'Maintenance started: its window had already begun, so its components are under maintenance now.',
  'template-saved': 'Template saved.',
  'template-deleted': 'Template deleted.',
  'password-saved': 'Your password is saved.',
  'session-revoked': 'That session is signed out.',
  welcome: 'You are signed in. Choose a password so you can sign in without a link next time.',
  'signed-out': 'You are signed out.',
  converted: 'Taken over: this is now a normal incident. The detector will not update or close it.',
  dismissed: 'Dismissed as a false alarm: the notice is closed, and the series stays quiet until it recovers.',
  'deliveries-replayed': 'Replayed: those deliveries are queued again and leave within seconds.',
  'nothing-replayed': 'Nothing was replayed: those deliveries are no longer dead-lettered.',
  'subscriber-removed': 'Subscriber removed: nothing more is sent to it.',
  'endpoint-disabled': 'Webhook endpoint disabled: nothing is sent to it until it is re-enabled.',
  'subscriber-reactivated': 'Re-enabled: it receives notices again.',
  'token-revoked': 'Token revoked: it stops working at once.',
  'role-changed': "Role changed: it applies from the account's next request.",
  'user-disabled': 'Account disabled: its sessions and sign-in links stopped working.',
  'component-updated': 'Component status saved. The status page shows it now.',
  'component-unchanged': 'That component already had this status: nothing changed.',
  'component-added': 'Component added. The status page shows it now.',
  'component-saved': 'Component saved.',
  'component-removed': 'Component removed from the page; its history is kept.',
  'group-added': 'Group added. Add components to it to show it on the page.',
  'group-saved': 'Group saved.',
  'group-removed': 'Group removed; its components stay on the page without a group.',
};

function flashFor(query: unknown): string | null {
  const key = (query as { done?: unknown } | undefined)?.done;
  return typeof key === 'string' ? (FLASH[key] ?? null) : null;
}

export interface ConsoleKit {
  renderer: ConsoleRenderer;
  /** Renders a console page with the layout, chrome (page name, user, CSRF token) and security headers. */
  send(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    view: string,
    model: Record<string, unknown>,
    options?: { nav?: string },
  ): Promise<FastifyReply>;
  /** The use-case context acting as the signed-in user (`user:<email>` in the audit log). */
  ctx(request: FastifyRequest): ServiceContext;
  /**
   * Runs a publishing write at most once per rendered form (its hidden `form_id`): a double click
   * or a re-sent POST returns the first result instead of publishing twice.
   */
  once<T extends { id: string }>(request: FastifyRequest, run: (ctx: ServiceContext) => Promise<T>): Promise<{ id: string; replayed: boolean }>;
}

export function createKit(app: FastifyInstance, renderer: ConsoleRenderer): ConsoleKit {
  const ctx = (request: FastifyRequest) => app.serviceContext(request.consoleUser ? userActor(request.consoleUser) : visitorActor('console'));
  return {
    renderer,
    ctx,
    async send(request, reply, status, view, model, options = {}) {
      const page = await loadPage(app.db);
      const session = request.consoleSession;
      const chrome = consoleChrome(page, request.consoleUser, session ? app.csrfTokenFor(session) : null, options.nav ?? view);
      const html = renderer.page(view, { ...chrome, flash: flashFor(request.query), ...model });
      consoleHeaders(reply, html);
      return reply.code(status).type('text/html; charset=utf-8').send(html);
    },
    async once(request, run) {
      const formId = field(request.body as Form, 'form_id');
      const context = ctx(request);
      if (!/^[A-Za-z0-9_-]{16,64}$/.test(formId)) return { id: (await run(context)).id, replayed: false };
      const actor = `console:${request.consoleUser?.id ?? 'anonymous'}`;
      const fields = Object.entries(request.body as Form)
        .filter(([name]) => name !== CSRF_FIELD)
        .sort(([a], [b]) => a.localeCompare(b));
      const requestHash = createHash('sha256')
        .update(`${request.method} ${request.url}\n${JSON.stringify(fields)}`)
        .digest('hex');
      const outcome = await runOnce(context, { actor, key: `form:${formId}`, requestHash, status: 303 }, async (joined) => ({ id: (await run(joined)).id }));
      return outcome.replayed ? { id: (outcome.stored.response_body as { id: string }).id, replayed: true } : { id: outcome.body.id, replayed: false };
    },
  };
}

export const newFormId = (app: FastifyInstance) => app.ids.bytes(18).toString('base64url');
