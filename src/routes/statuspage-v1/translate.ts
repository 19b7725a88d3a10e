/**
 * Statuspage manage-API (v1) requests → Lifeline use-case inputs. Pure: no I/O, so every quirk of
 * what real tools send is pinned by the door's tests (test/statuspage-v1/door.test.ts, with real tools' bodies as fixtures).
 *
 * What tools send, and what we do with it:
 * - a wrapper (`{"incident": {…}}`, `{"component": {…}}`), in JSON or in a Rails-style form
 *   (`incident[name]=…&incident[components][id]=…`), where every value is text;
 * - fields Lifeline has no use for (`metadata`, `auto_tweet_*`, `backfill_date`,
 *   `wants_twitter_update`, `reminder_intervals`, …): ignored;
 * - `scheduled_remind_prior` (a flag): true reminds subscribers an hour before, false sends no reminder;
 * - `message` instead of `body` (hubot-statuspage);
 * - booleans as `true`/`false`, `"t"`/`"f"`, `"1"`/`"0"`;
 * - `component_ids`: components affected without a status of their own (they keep theirs).
 * Values are passed on as sent: the use-case's contract checks them and names the field.
 */
import { ValidationError } from '../../domain/errors.ts';
import { MAINTENANCE_STATUSES, type ComponentStatus, type IncidentStatus, type MaintenanceStatus } from '../../domain/status.ts';

type Fields = Record<string, unknown>;

/** Statuspage's own placeholder words, used when a tool moves an incident without writing a message. */
const DEFAULT_INCIDENT_BODIES: Record<IncidentStatus, string> = {
  investigating: 'We are currently investigating this issue.',
  identified: 'The issue has been identified and a fix is being implemented.',
  monitoring: 'A fix has been implemented and we are monitoring the results.',
  resolved: 'This incident has been resolved.',
  postmortem: 'A postmortem has been published.',
};
const DEFAULT_MAINTENANCE_BODY = 'We will be undergoing scheduled maintenance during this time.';

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The object inside the request's wrapper (`incident`, `component`, …). */
function unwrap(body: unknown, wrapper: string, alternative?: string): Fields {
  const inner = isObject(body) ? (body[wrapper] ?? (alternative ? body[alternative] : undefined)) : undefined;
  if (!isObject(inner)) throw new ValidationError(wrapper, `is required: send {"${wrapper}": {…}} as JSON, or ${wrapper}[field]=… as a form`);
  return inner;
}

/** A boolean as JSON, a form or hubot writes it; anything else is handed on for the contract to refuse. */
function flag(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  if (['true', 't', '1', 'yes', 'on'].includes(word)) return true;
  if (['false', 'f', '0', 'no', 'off', ''].includes(word)) return false;
  return value;
}

/** A list as JSON writes it, or as a form does (`x[]=a&x[]=b`, `x[0]=a`, or one value). */
function list(value: unknown): unknown[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  return [value];
}

/** Leaves out what the tool did not send, so the use-case applies its own defaults. */
export function defined(fields: Fields): Fields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

const text = (value: unknown): unknown => (value === null || value === '' ? undefined : value);

/**
 * `components` ({id: status}) plus `component_ids` (affected, status unchanged): one map for the
 * use-case. `currentStatus` gives a listed component's status as it is now; an unknown id is
 * passed on as it is, for the use-case to refuse by name.
 */
function componentChanges(fields: Fields, currentStatus: (idOrKey: string) => ComponentStatus | undefined): Fields | undefined {
  const changes: Fields = isObject(fields.components) ? { ...fields.components } : {};
  for (const id of list(fields.component_ids) ?? []) {
    if (typeof id !== 'string' || id in changes) continue;
    changes[id] = currentStatus(id) ?? 'operational';
  }
  return Object.keys(changes).length > 0 ? changes : undefined;
}

export type IncidentCreation = { kind: 'incident'; input: Fields } | { kind: 'maintenance'; input: Fields; status: MaintenanceStatus };

const isMaintenanceStatus = (status: unknown): status is MaintenanceStatus =>
  typeof status === 'string' && (MAINTENANCE_STATUSES as readonly string[]).includes(status);

/**
 * `POST /pages/{id}/incidents`. A maintenance status (or a `scheduled_for` without a status) makes
 * a maintenance, as on Statuspage; its automatic start and completion are off unless asked for
 * (Statuspage's defaults).
 */
export function incidentCreation(body: unknown, currentStatus: (idOrKey: string) => ComponentStatus | undefined, now: Date): IncidentCreation {
  const fields = unwrap(body, 'incident');
  const words = text(fields.body) ?? text(fields.message);
  const maintenance = isMaintenanceStatus(fields.status) || (fields.status === undefined && text(fields.scheduled_for) !== undefined);
  if (!maintenance) {
    const status = text(fields.status);
    const body =
      words ?? DEFAULT_INCIDENT_BODIES[(typeof status === 'string' && status in DEFAULT_INCIDENT_BODIES ? status : 'investigating') as IncidentStatus];
    return {
      kind: 'incident',
      input: defined({
        name: fields.name,
        status,
        impact: text(fields.impact_override),
        body,
        components: componentChanges(fields, currentStatus),
        deliver_notifications: flag(fields.deliver_notifications),
      }),
    };
  }
  const status: MaintenanceStatus = isMaintenanceStatus(fields.status) ? fields.status : 'scheduled';
  const changes = componentChanges(fields, currentStatus);
  const startsNow = status !== 'scheduled';
  return {
    kind: 'maintenance',
    status,
    input: defined({
      name: fields.name,
      body: words ?? DEFAULT_MAINTENANCE_BODY,
      scheduled_for: text(fields.scheduled_for) ?? (startsNow ? now.toISOString() : undefined),
      scheduled_until: text(fields.scheduled_until),
      components: changes ? Object.keys(changes) : undefined,
      auto_start: flag(fields.scheduled_auto_in_progress) ?? startsNow,
      auto_complete: flag(fields.scheduled_auto_completed) ?? false,
      deliver_notifications: flag(fields.deliver_notifications),
      scheduled_remind_prior: flag(fields.scheduled_remind_prior),
    }),
  };
}

export type IncidentChange = { kind: 'nothing' } | { kind: 'incident-update'; input: Fields } | { kind: 'maintenance-step'; status: string; input: Fields };

/**
 * `PATCH|PUT /pages/{id}/incidents/{incident_id}`: one update, when the request moves anything.
 * A message without a status keeps the status; a status without a message gets Statuspage's
 * placeholder words. A new `name` is `incidentRename`'s.
 */
export function incidentChange(
  body: unknown,
  current: { kind: 'incident' | 'maintenance'; status: string },
  currentStatus: (idOrKey: string) => ComponentStatus | undefined,
): IncidentChange {
  const fields = unwrap(body, 'incident');
  const words = text(fields.body) ?? text(fields.message);
  const status = text(fields.status);
  const moves = status !== undefined && status !== current.status;
  if (current.kind === 'maintenance') {
    if (!moves) {
      if (words === undefined) return { kind: 'nothing' };
      throw new ValidationError('incident.status', 'a maintenance update must move it on: give status in_progress, verifying or completed');
    }
    return { kind: 'maintenance-step', status: String(status), input: defined({ body: words, deliver_notifications: flag(fields.deliver_notifications) }) };
  }
  const components = componentChanges(fields, currentStatus);
  const impact = text(fields.impact_override);
  if (!moves && words === undefined && components === undefined && impact === undefined) return { kind: 'nothing' };
  const next = (typeof status === 'string' && status in DEFAULT_INCIDENT_BODIES ? status : current.status) as IncidentStatus;
  return {
    kind: 'incident-update',
    input: defined({
      status,
      body: words ?? DEFAULT_INCIDENT_BODIES[next] ?? DEFAULT_INCIDENT_BODIES.investigating,
      impact,
      components,
      deliver_notifications: flag(fields.deliver_notifications),
    }),
  };
}

/**
 * `PATCH|PUT /pages/{id}/incidents/{incident_id}` with `name`: the new name, or undefined when the
 * tool sent none or sent the incident's own back (tools PUT the whole incident).
 */
export function incidentRename(body: unknown, current: { name: string }): unknown {
  const name = unwrap(body, 'incident').name;
  return name === undefined || name === null || name === current.name ? undefined : name;
}

/** `PATCH|PUT /pages/{id}/components/{component_id}`: a status change, and structure edits if any. */
export function componentChange(body: unknown): { status?: unknown; edits: Fields } {
  const fields = unwrap(body, 'component');
  const edits = defined({
    name: text(fields.name),
    description: fields.description === '' ? null : fields.description,
    group_id: fields.group_id === '' ? null : fields.group_id,
    only_show_if_degraded: flag(fields.only_show_if_degraded),
  });
  return { status: text(fields.status), edits };
}

/** `POST /pages/{id}/components`: a new component (`showcase`, `start_date` and the like are ignored). */
export function componentCreation(body: unknown): Fields {
  const fields = unwrap(body, 'component');
  return defined({
    name: fields.name,
    description: fields.description === '' || fields.description === null ? undefined : fields.description,
    status: text(fields.status),
    group_id: fields.group_id === '' ? undefined : (fields.group_id ?? undefined),
    only_show_if_degraded: flag(fields.only_show_if_degraded),
  });
}

/**
 * `POST|PATCH|PUT /pages/{id}/component-groups[/{id}]`: `{"component_group": {name, components}, "description": …}`.
 * Statuspage takes the description beside the wrapper; inside it is accepted too.
 */
export function groupChange(body: unknown): Fields {
  const fields = unwrap(body, 'component_group');
  const outer = isObject(body) ? body : {};
  const description = fields.description !== undefined ? fields.description : outer.description;
  return defined({
    name: text(fields.name),
    description: description === '' ? null : description,
    components: list(fields.components),
  });
}

export type SubscriberCreation = { kind: 'email' | 'webhook'; input: Fields; skipConfirmation: boolean };

/**
 * `POST /pages/{id}/subscribers`: `{"subscriber": {email | endpoint, component_ids, skip_confirmation_notification}}`.
 * An `endpoint` makes a webhook subscriber (its `email` is where failures are reported); otherwise
 * an email subscriber, confirmed at once with `skip_confirmation_notification` (no email is sent).
 * SMS, Slack and Teams subscribers are not Lifeline's: refused by name.
 */
export function subscriberCreation(body: unknown): SubscriberCreation {
  const fields = unwrap(body, 'subscriber');
  const componentIds = list(fields.component_ids);
  const skip = flag(fields.skip_confirmation_notification);
  const skipConfirmation = skip === true;
  const endpoint = text(fields.endpoint);
  if (endpoint !== undefined) {
    return { kind: 'webhook', skipConfirmation, input: defined({ type: 'webhook', url: endpoint, email: text(fields.email), component_ids: componentIds }) };
  }
  if (text(fields.email) === undefined && (text(fields.phone_number) !== undefined || text(fields.slack_channel_id) !== undefined)) {
    throw new ValidationError('subscriber', 'only email and webhook (endpoint) subscribers are supported');
  }
  return {
    kind: 'email',
    skipConfirmation,
    input: defined({ type: 'email', email: fields.email ?? '', component_ids: componentIds, confirmed: skip }),
  };
}

/** The status a template gives a component listed in `component_ids` without one of its own: the mildest that says "affected". */
export const TEMPLATE_DEFAULT_COMPONENT_STATUS = 'degraded_performance';

/**
 * `POST /pages/{id}/incident_templates`: `{"template": {name, title, body, update_status, component_ids, …}}`,
 * also wrapped as `incident_template` (yannh/statuspage-go-sdk, which also sends the title as `suffix`).
 * `components` ({id: status}) is taken too, as for incidents. Without a body, Statuspage's placeholder words.
 */
export function templateCreation(request: unknown): Fields {
  const fields = unwrap(request, 'template', 'incident_template');
  const components: Fields = isObject(fields.components) ? { ...fields.components } : {};
  for (const id of list(fields.component_ids) ?? []) {
    if (typeof id === 'string' && !(id in components)) components[id] = TEMPLATE_DEFAULT_COMPONENT_STATUS;
  }
  const status = text(fields.update_status);
  // Without a body (that SDK sends it under a numeric key), Statuspage's placeholder words for the status.
  const body =
    text(fields.body) ??
    DEFAULT_INCIDENT_BODIES[(typeof status === 'string' && status in DEFAULT_INCIDENT_BODIES ? status : 'investigating') as IncidentStatus];
  return defined({
    name: fields.name,
    title: fields.title ?? (typeof fields.suffix === 'string' ? fields.suffix : undefined),
    body,
    status,
    impact: text(fields.impact_override) ?? text(fields.impact),
    components: Object.keys(components).length > 0 ? components : undefined,
  });
}
