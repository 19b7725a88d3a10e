import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { INCIDENT_STATUSES } from '../../domain/status.ts';
import {
  automaticNoticeView,
  componentErrorField,
  componentGrid,
  IMPACT_CHOICES,
  IMPACT_LABELS,
  options,
  seriesStateView,
  STATUS_LABELS,
} from '../../presenters/console-view.ts';
import { heartbeatChartView, RANGE_SHORT, seriesPath } from '../../presenters/heartbeat-chart.ts';
import { convertHeartbeatNotice, ConvertHeartbeatNoticeInput } from '../../services/incidents/convert-heartbeat-notice.ts';
import { dismissHeartbeatNotice, DismissHeartbeatNoticeInput } from '../../services/incidents/dismiss-heartbeat-notice.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { CHART_RANGES, createHeartbeatChartLoader, type ChartRange } from '../../queries/load-heartbeat-chart.ts';
import { findNotice, loadAutomaticNotices, type AutomaticNotice } from '../../queries/heartbeat-notices.ts';
import { loadComponents, loadPageStructure } from '../../queries/page-structure.ts';
import { checked, errorsOf, field, FormBody, gridSelection, HTML, IdParams, newFormId, type ConsoleKit, type Form } from './kit.ts';

const OPEN_STATUSES = INCIDENT_STATUSES.filter((s) => s !== 'resolved' && s !== 'postmortem');
// The forms' maxlength attributes: the browser stops where the use-case would refuse.
const DISMISS_LIMITS = limitsOf(DismissHeartbeatNoticeInput);
const CONVERT_LIMITS = limitsOf(ConvertHeartbeatNoticeInput);

const noticeView = (notice: AutomaticNotice, timeZone: string) => automaticNoticeView(notice.incident, notice.episode, notice.label, timeZone);

/**
 * See the signal: every heartbeat series' chart (internal ones too: responders are signed in),
 * its state, and the open automatic notices with the two decisions: take it over as an incident
 * (convertHeartbeatNotice) or dismiss it as a false alarm (dismissHeartbeatNotice).
 */
export async function signalConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const metrics = app.config.pageDefinition.heartbeats ?? [];
  const timeZone = app.config.pageDefinition.page.time_zone ?? 'Etc/UTC';
  // Points are computed once per plotted step and shared by every responder's request.
  const loader = createHeartbeatChartLoader(app.db, { timeZone, holidays: app.config.pageDefinition.holidays });

  const signalPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    range: ChartRange,
    dismissErrors: { id: string; errors: Record<string, string>; reason: string } | null = null,
  ) => {
    const now = app.clock.now();
    const [notices, ...charts] = await Promise.all([
      loadAutomaticNotices(app.db, metrics).then((open) => open.map((n) => noticeView(n, timeZone))),
      ...metrics.flatMap((m) => m.regions.map((region) => loader.load(m, region, range, now).then((data) => ({ metric: m, data })))),
    ]);
    return kit.send(
      request,
      reply,
      status,
      'signal',
      {
        title: 'Signal',
        range,
        ranges: CHART_RANGES.map((r) => ({ label: RANGE_SHORT[r], href: `/console/signal?range=${r}`, current: r === range })),
        zone: timeZone === 'Etc/UTC' ? 'UTC' : timeZone,
        notices: notices.map((n) => ({
          ...n,
          formId: newFormId(app),
          errors: dismissErrors?.id === n.id ? dismissErrors.errors : {},
          reason: dismissErrors?.id === n.id ? dismissErrors.reason : '',
        })),
        errors: dismissErrors?.errors ?? {},
        dismissLimits: DISMISS_LIMITS,
        charts: charts.map(({ metric, data }) => {
          const view = heartbeatChartView(data, { timeZone, tz: null });
          const notice = notices.find((n) => n.anchor === `series-${data.metric}-${data.region}`);
          return {
            ...view,
            anchor: `series-${data.metric}-${data.region}`,
            isPublic: metric.public !== false,
            publicUrl: metric.public !== false ? seriesPath(data.metric, data.region) : null,
            state: seriesStateView(
              data.summary
                ? { state: data.summary.state, observed: data.summary.observed, since: data.summary.since ? new Date(data.summary.since).toISOString() : null }
                : null,
              timeZone,
            ),
            notice: notice ? { id: notice.id, name: notice.name, consoleUrl: notice.consoleUrl } : null,
          };
        }),
      },
      { nav: 'signal' },
    );
  };

  app.get(
    '/console/signal',
    {
      ...app.requireConsoleCapability('status.read'),
      schema: {
        hide: true,
        querystring: Type.Object({ range: Type.Optional(Type.String({ enum: [...CHART_RANGES] })), done: Type.Optional(Type.String({ maxLength: 40 })) }),
        response: HTML,
      },
    },
    async (request, reply) => signalPage(request, reply, 200, (request.query.range ?? '24h') as ChartRange),
  );

  const conflict = (request: FastifyRequest, reply: FastifyReply, error: ConflictError, id: string) =>
    kit.send(
      request,
      reply,
      409,
      'message',
      {
        title: 'Already decided',
        heading: 'This notice cannot be changed that way',
        message: error.message,
        link: { href: `/console/incidents/${id}`, text: 'See the incident' },
      },
      { nav: 'signal' },
    );

  app.post(
    '/console/signal/notices/:id/dismiss',
    { ...app.requireConsoleCapability('heartbeat_notice.decide'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const id = request.params.id;
      const reason = field(request.body as Form, 'reason');
      try {
        await kit.once(request, (ctx) => dismissHeartbeatNotice(ctx, id, { reason: reason.trim() ? reason : undefined }, metrics));
      } catch (error) {
        if (error instanceof ConflictError) return conflict(request, reply, error, id);
        if (!(error instanceof ValidationError)) throw error;
        const errors = errorsOf(error, () => 'reason');
        return signalPage(request, reply, 400, '24h', { id, errors, reason });
      }
      return reply.redirect('/console/signal?done=dismissed', 303);
    },
  );

  // ---- take over as an incident -------------------------------------------------------------

  interface ConvertForm {
    status: string;
    impact: string;
    body: string;
    notify: boolean;
    selected: Record<string, string>;
  }

  const loadNotice = async (id: string): Promise<AutomaticNotice> => {
    const notice = await findNotice(app.db, metrics, id);
    if (!notice) throw new NotFoundError('incident', id);
    return notice;
  };

  const convertPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    notice: AutomaticNotice,
    form: ConvertForm,
    errors: Record<string, string> = {},
  ) => {
    const { incident } = notice;
    const { groups, components } = await loadPageStructure(app.db);
    return kit.send(
      request,
      reply,
      status,
      'notice-convert',
      {
        title: `Take over: ${incident.name}`,
        notice: noticeView(notice, timeZone),
        automatic: incident.source === 'heartbeat' && incident.resolved_at === null,
        form: { ...form, formId: newFormId(app) },
        limits: CONVERT_LIMITS,
        statusOptions: options(OPEN_STATUSES, STATUS_LABELS, form.status),
        impactOptions: options(['', ...IMPACT_CHOICES], { '': 'From the component statuses', ...IMPACT_LABELS }, form.impact),
        grid: componentGrid(groups, components, form.selected),
        errors,
      },
      { nav: 'signal' },
    );
  };

  app.get(
    '/console/signal/notices/:id/convert',
    { ...app.requireConsoleCapability('heartbeat_notice.decide'), schema: { hide: true, params: IdParams, response: HTML } },
    async (request, reply) => {
      const notice = await loadNotice(request.params.id);
      return convertPage(request, reply, 200, notice, { status: 'identified', impact: '', body: '', notify: true, selected: {} });
    },
  );

  app.post(
    '/console/signal/notices/:id/convert',
    { ...app.requireConsoleCapability('heartbeat_notice.decide'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const id = request.params.id;
      const body = request.body as Form;
      const form: ConvertForm = {
        status: field(body, 'status') || 'identified',
        impact: field(body, 'impact'),
        body: field(body, 'body'),
        notify: checked(body, 'notify'),
        selected: gridSelection(body),
      };
      // A blank body takes the notice over without an update, so the update's other fields go too;
      // components chosen without a body stay, so the use-case says the body is missing.
      const update = form.body.trim() !== '';
      const input = {
        body: update ? form.body : undefined,
        status: update ? form.status : undefined,
        impact: update && form.impact !== '' ? form.impact : undefined,
        deliver_notifications: update ? form.notify : undefined,
        components: Object.keys(form.selected).length > 0 ? form.selected : undefined,
      };
      try {
        const result = await kit.once(request, (ctx) => convertHeartbeatNotice(ctx, id, input));
        return reply.redirect(`/console/incidents/${result.id}?done=${result.replayed ? 'replayed' : 'converted'}`, 303);
      } catch (error) {
        if (error instanceof ConflictError) return conflict(request, reply, error, id);
        if (!(error instanceof ValidationError)) throw error;
        const components = await loadComponents(app.db);
        return convertPage(request, reply, 400, await loadNotice(id), form, errorsOf(error, componentErrorField(components)));
      }
    },
  );
}
