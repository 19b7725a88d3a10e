/**
 * Statuspage's manage-API records → the fields Lifeline's import batch takes
 * (`POST /api/v1/imports/statuspage`). Pure. What has no place in Lifeline is not sent but counted
 * in `notes`, for the report at the end. Values are passed on as the source had them: the
 * endpoint checks them and names the field it refuses.
 */
type Json = Record<string, unknown>;

const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'];
const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'];
const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'];
const IMPACTS = ['none', 'minor', 'major', 'critical', 'maintenance'];
/** The impacts an incident's `impact_override` may hold in Lifeline (migration 016). */
const IMPACT_OVERRIDES = ['none', 'minor', 'major', 'critical'];
/** The statuses a Lifeline template may open an incident with. */
const TEMPLATE_STATUSES = ['investigating', 'identified', 'monitoring'];

/** Statuspage's own words for an update posted without any (its page shows them too). */
const DEFAULT_BODIES: Record<string, string> = {
  investigating: 'We are currently investigating this issue.',
  identified: 'The issue has been identified and a fix is being implemented.',
  monitoring: 'A fix has been implemented and we are monitoring the results.',
  resolved: 'This incident has been resolved.',
  postmortem: 'A postmortem has been published.',
  scheduled: 'We will be undergoing scheduled maintenance during this time.',
  in_progress: 'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
  verifying: 'Verification is currently underway for the maintenance items.',
  completed: 'The scheduled maintenance has been completed.',
};

/** Things the import could not carry, counted by what they are (`"showcase: false (hidden components)"` → 3). */
export class Notes {
  readonly counts = new Map<string, number>();
  add(what: string, n = 1) {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value));
const textOrNull = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const int = (value: unknown): number => {
  const n = typeof value === 'number' ? value : Number.parseInt(text(value), 10);
  return Number.isSafeInteger(n) ? n : 0;
};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const idOf = (value: unknown): string | null =>
  typeof value === 'string'
    ? value
    : typeof value === 'object' && value !== null && typeof (value as Json).id === 'string'
      ? ((value as Json).id as string)
      : null;
const ids = (value: unknown): string[] =>
  list(value)
    .map(idOf)
    .filter((id): id is string => id !== null);
const isSet = (value: unknown) => value !== null && value !== undefined && value !== '' && value !== false;

export function mapGroup(group: Json) {
  return {
    id: text(group.id),
    name: text(group.name),
    description: textOrNull(group.description),
    position: int(group.position),
    created_at: text(group.created_at),
  };
}

/** Statuspage lists groups among its components (`group: true`); those are the groups, read from /component-groups. */
export const isGroupEntry = (component: Json) => component.group === true;

export function mapComponent(component: Json, notes: Notes) {
  const status = text(component.status);
  if (!COMPONENT_STATUSES.includes(status)) notes.add(`component status "${status}" unknown to Lifeline: imported as operational`);
  if (component.showcase === false) notes.add('showcase: false (a component shown without uptime bars): Lifeline shows bars for every component');
  if (isSet(component.automation_email)) notes.add('component automation emails (updates by email): not carried; use the API or /v1');
  const startDate = textOrNull(component.start_date);
  return {
    id: text(component.id),
    name: text(component.name),
    description: textOrNull(component.description),
    group_id: textOrNull(component.group_id),
    position: int(component.position),
    status: COMPONENT_STATUSES.includes(status) ? status : 'operational',
    only_show_if_degraded: component.only_show_if_degraded === true,
    start_date: startDate && /^\d{4}-\d{2}-\d{2}/.test(startDate) ? startDate.slice(0, 10) : null,
    created_at: text(component.created_at),
  };
}

function mapUpdate(update: Json, kind: 'incident' | 'maintenance', fallbackStatus: string) {
  const own = text(update.status);
  const status = (kind === 'incident' ? INCIDENT_STATUSES : MAINTENANCE_STATUSES).includes(own) ? own : fallbackStatus;
  const body = text(update.body).trim() === '' ? DEFAULT_BODIES[status] : text(update.body);
  const createdAt = text(update.created_at);
  return {
    id: text(update.id),
    status,
    body,
    created_at: createdAt,
    display_at: textOrNull(update.display_at) ?? createdAt,
    deliver_notifications: update.deliver_notifications !== false,
    affected_components: list(update.affected_components)
      .filter((change): change is Json => typeof change === 'object' && change !== null)
      .filter((change) => COMPONENT_STATUSES.includes(text(change.old_status)) && COMPONENT_STATUSES.includes(text(change.new_status)))
      .map((change) => ({ code: text(change.code), name: text(change.name), old_status: text(change.old_status), new_status: text(change.new_status) })),
  };
}

export function mapIncident(incident: Json, notes: Notes) {
  const status = text(incident.status);
  const kind: 'incident' | 'maintenance' = MAINTENANCE_STATUSES.includes(status) || isSet(incident.scheduled_for) ? 'maintenance' : 'incident';
  const ownStatus = (kind === 'incident' ? INCIDENT_STATUSES : MAINTENANCE_STATUSES).includes(status) ? status : kind === 'incident' ? 'resolved' : 'completed';
  if (ownStatus !== status) notes.add(`${kind} status "${status}" unknown to Lifeline: imported as ${ownStatus}`);
  if (isSet(incident.postmortem_body)) notes.add('postmortem texts: not carried (Lifeline links a postmortem by URL; add it with the next update)');
  if (typeof incident.metadata === 'object' && incident.metadata !== null && Object.keys(incident.metadata).length > 0)
    notes.add('incident metadata: not carried');
  if (incident.scheduled_remind_prior === true) notes.add('maintenance reminders ("remind subscribers 60 minutes before"): not carried');
  const impact = text(incident.impact_override) || text(incident.impact);
  const createdAt = text(incident.created_at);
  const updates = list(incident.incident_updates)
    .filter((u): u is Json => typeof u === 'object' && u !== null)
    .map((u) => mapUpdate(u, kind, ownStatus));
  if (updates.length === 0) notes.add(`${kind}s without any update: imported with none`);
  return {
    id: text(incident.id),
    kind,
    name: text(incident.name),
    status: ownStatus,
    impact: IMPACTS.includes(impact) ? impact : kind === 'maintenance' ? 'maintenance' : 'none',
    impact_override: IMPACT_OVERRIDES.includes(text(incident.impact_override)) ? text(incident.impact_override) : null,
    created_at: createdAt,
    updated_at: textOrNull(incident.updated_at) ?? createdAt,
    started_at: textOrNull(incident.started_at),
    monitoring_at: textOrNull(incident.monitoring_at),
    resolved_at: textOrNull(incident.resolved_at),
    scheduled_for: textOrNull(incident.scheduled_for),
    scheduled_until: textOrNull(incident.scheduled_until),
    auto_start: incident.scheduled_auto_in_progress === true,
    auto_complete: incident.scheduled_auto_completed === true,
    component_ids: ids(incident.components),
    updates,
  };
}

/** A template, or null when Lifeline has no place for it (a maintenance template, or one that resolves). */
export function mapTemplate(template: Json, notes: Notes) {
  const status = text(template.update_status) || 'investigating';
  if (!TEMPLATE_STATUSES.includes(status)) {
    notes.add(
      `templates that ${MAINTENANCE_STATUSES.includes(status) ? 'post maintenance updates' : `set status "${status}"`}: not carried (Lifeline templates open incidents)`,
    );
    return null;
  }
  if (isSet(template.group_id)) notes.add('template groups: not carried (the templates are kept, ungrouped)');
  if (template.should_send_notifications === false) notes.add('"do not notify" on templates: not carried (the responder chooses when declaring)');
  const components: Record<string, string> = {};
  for (const component of list(template.components)) {
    if (typeof component !== 'object' || component === null) continue;
    const id = idOf(component);
    const componentStatus = text((component as Json).status);
    if (id !== null) components[id] = COMPONENT_STATUSES.includes(componentStatus) ? componentStatus : 'operational';
  }
  return { id: text(template.id), name: text(template.name), title: text(template.title), body: text(template.body), status, components };
}

export type SubscriberState = 'active' | 'unconfirmed' | 'quarantined';

/** An email or webhook subscriber, or null for the channels Lifeline has not (SMS, Slack, Teams, …). */
export function mapSubscriber(subscriber: Json, state: SubscriberState, notes: Notes) {
  const mode = text(subscriber.mode) || (isSet(subscriber.endpoint) ? 'webhook' : isSet(subscriber.email) ? 'email' : 'unknown');
  if (mode !== 'email' && mode !== 'webhook') {
    notes.add(`${mode} subscribers: not carried (Lifeline notifies by email and webhook)`);
    return null;
  }
  const components = subscriber.components;
  return {
    id: text(subscriber.id),
    mode: mode as 'email' | 'webhook',
    email: textOrNull(subscriber.email),
    endpoint: textOrNull(subscriber.endpoint),
    state,
    component_ids: Array.isArray(components) && components.length > 0 ? ids(components) : null,
    created_at: text(subscriber.created_at),
    quarantined_at: textOrNull(subscriber.quarantined_at),
  };
}

export type MappedSubscriber = NonNullable<ReturnType<typeof mapSubscriber>>;
