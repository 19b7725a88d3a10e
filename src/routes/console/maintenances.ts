import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ConflictError, ValidationError } from '../../domain/errors.ts';
import { componentChecklist } from '../../presenters/console-view.ts';
import { advanceMaintenance } from '../../services/maintenances/advance-maintenance.ts';
import { cancelMaintenance } from '../../services/maintenances/cancel-maintenance.ts';
import { getIncident } from '../../queries/read-incidents.ts';
import { scheduleMaintenance, ScheduleMaintenanceInput } from '../../services/maintenances/schedule-maintenance.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { loadPageStructure } from '../../queries/page-structure.ts';
import { checked, errorsOf, field, fieldList, FormBody, HTML, IdParams, newFormId, type ConsoleKit, type Form } from './kit.ts';

interface MaintenanceForm {
  name: string;
  body: string;
  from: string;
  until: string;
  components: string[];
  autoStart: boolean;
  autoComplete: boolean;
  notify: boolean;
  /** Remind subscribers an hour before the start (the API takes any number of minutes). */
  remind: boolean;
}

/** `<input type="datetime-local">` gives "2026-03-12T02:00" without a zone: the form says it is UTC. */
function utcFromLocalInput(value: string): string {
  const trimmed = value.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(trimmed)) return `${trimmed}:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(trimmed)) return `${trimmed}Z`;
  return trimmed;
}

const FIELD_NAMES: Record<string, string> = { scheduled_for: 'from', scheduled_until: 'until' };
const SCHEDULE_LIMITS = limitsOf(ScheduleMaintenanceInput);

/** Schedule maintenance (auto-start and auto-complete by default), start or complete it by hand, or cancel it before it begins. */
export async function maintenanceConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  const page = async (request: FastifyRequest, reply: FastifyReply, status: number, form: MaintenanceForm, errors: Record<string, string> = {}) => {
    const { groups, components } = await loadPageStructure(app.db);
    return kit.send(
      request,
      reply,
      status,
      'maintenance-new',
      {
        title: 'Schedule maintenance',
        form: { ...form, formId: newFormId(app) },
        limits: SCHEDULE_LIMITS,
        checklist: componentChecklist(groups, components, form.components),
        errors,
      },
      { nav: 'maintenance' },
    );
  };

  app.get(
    '/console/maintenances/new',
    { ...app.requireConsoleCapability('maintenance.schedule'), schema: { hide: true, response: HTML } },
    async (request, reply) =>
      page(request, reply, 200, { name: '', body: '', from: '', until: '', components: [], autoStart: true, autoComplete: true, notify: true, remind: true }),
  );

  app.post(
    '/console/maintenances',
    { ...app.requireConsoleCapability('maintenance.schedule'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const form: MaintenanceForm = {
        name: field(body, 'name'),
        body: field(body, 'body'),
        from: field(body, 'from'),
        until: field(body, 'until'),
        components: fieldList(body, 'components'),
        autoStart: checked(body, 'auto_start'),
        autoComplete: checked(body, 'auto_complete'),
        notify: checked(body, 'notify'),
        remind: checked(body, 'remind'),
      };
      let scheduled: { id: string };
      try {
        scheduled = await kit.once(request, (ctx) =>
          scheduleMaintenance(ctx, {
            name: form.name,
            body: form.body,
            scheduled_for: utcFromLocalInput(form.from),
            scheduled_until: utcFromLocalInput(form.until),
            components: form.components,
            auto_start: form.autoStart,
            auto_complete: form.autoComplete,
            deliver_notifications: form.notify,
            scheduled_remind_prior: form.remind,
          }),
        );
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return page(
          request,
          reply,
          400,
          form,
          errorsOf(error, (name) => FIELD_NAMES[name] ?? (name.startsWith('components') ? 'components' : name)),
        );
      }
      // A window that had already begun started at once: say so rather than "scheduled".
      const { status } = await getIncident(app.db, scheduled.id, 'maintenance');
      return reply.redirect(`/console?done=${status === 'scheduled' ? 'scheduled' : 'maintenance-started'}`, 303);
    },
  );

  app.post(
    '/console/maintenances/:id/advance',
    { ...app.requireConsoleCapability('maintenance.advance'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      try {
        await advanceMaintenance(kit.ctx(request), request.params.id, field(body, 'status'), { deliver_notifications: checked(body, 'notify') });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        return kit.send(request, reply, 409, 'message', {
          title: 'Maintenance',
          heading: 'That did not change anything',
          message: error.message,
          link: { href: '/console', text: 'Back to the dashboard' },
        });
      }
      return reply.redirect('/console?done=updated', 303);
    },
  );

  app.post(
    '/console/maintenances/:id/cancel',
    { ...app.requireConsoleCapability('maintenance.advance'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      try {
        await cancelMaintenance(kit.ctx(request), request.params.id, { deliver_notifications: checked(body, 'notify') });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        return kit.send(request, reply, 409, 'message', {
          title: 'Maintenance',
          heading: 'That did not change anything',
          message: error.message,
          link: { href: '/console', text: 'Back to the dashboard' },
        });
      }
      return reply.redirect('/console?done=cancelled', 303);
    },
  );
}
