/** Domain → view models for the responder console (Handlebars). Pure: no I/O, time passed in. */
import { CHAT_PLATFORM_LABELS, isChatPlatform } from '../domain/chat-platform.ts';
import { CONSOLE_IMPACT_LABELS, INCIDENT_STATUS_LABELS } from '../domain/labels.ts';
import type { Component, ComponentGroup, ConsoleSession, Incident, IncidentTemplate, Page, ResponderUser } from '../domain/model.ts';
import { COMPONENT_STATUS_LABELS, COMPONENT_STATUSES, impactOfComponentStatuses, type ComponentStatus, type Impact } from '../domain/status.ts';
import { formatDateTime } from '../domain/time.ts';
import { shownSubscriberUrl } from '../domain/subscriber-url.ts';
import { renderMarkdown } from './markdown.ts';
import { incidentView } from './status-page-view.ts';

// The console's names for the shared labels (domain/labels.ts), indexed by stored strings.
export const STATUS_LABELS: Record<string, string> = INCIDENT_STATUS_LABELS;
export const IMPACT_LABELS: Record<string, string> = CONSOLE_IMPACT_LABELS;
const ROLE_LABELS: Record<string, string> = { admin: 'Admin', responder: 'Responder', viewer: 'Viewer (read only)' };

/** The form field of a component in the status grid. */
export const componentField = (id: string) => `component:${id}`;

/** The impacts a responder may choose in the declare and take-over forms (maintenance has its own form). */
export const IMPACT_CHOICES = ['none', 'minor', 'major', 'critical'] as const;

/** Names a use-case's `components.<id or key>` error after the component grid's field, as the form shows it. */
export function componentErrorField(components: Component[]) {
  return (name: string) => {
    if (!name.startsWith('components.')) return name;
    const ref = name.slice('components.'.length);
    const component = components.find((c) => c.id === ref || c.key === ref);
    return component ? componentField(component.id) : 'components';
  };
}

export interface ConsoleChrome {
  chrome: { name: string; companyUrl: string };
  user: { email: string; label: string; role: string; roleLabel: string; canPublish: boolean; isAdmin: boolean } | null;
  csrf: string | null;
  nav: string;
}

export function consoleChrome(page: Page | null, user: ResponderUser | null, csrf: string | null, nav: string): ConsoleChrome {
  return {
    chrome: { name: page?.name ?? 'Status', companyUrl: page?.url ?? '/' },
    user: user
      ? {
          email: user.email,
          label: user.name ?? user.email,
          role: user.role,
          roleLabel: ROLE_LABELS[user.role],
          canPublish: user.role !== 'viewer',
          isAdmin: user.role === 'admin',
        }
      : null,
    csrf,
    nav,
  };
}

export function options(values: readonly string[], labels: Record<string, string>, selected: string | null | undefined) {
  return values.map((value) => ({ value, label: labels[value] ?? value, selected: value === selected }));
}

/**
 * The compact status grid: components grouped by region, each with "no change" or a new status.
 * `selected` maps component id → chosen status (from a template or a re-rendered form).
 */
export function componentGrid(groups: ComponentGroup[], components: Component[], selected: Record<string, string>) {
  const row = (c: Component) => ({
    id: c.id,
    name: c.name,
    field: componentField(c.id),
    status: c.status,
    statusLabel: COMPONENT_STATUS_LABELS[c.status],
    options: [
      { value: '', label: 'No change', selected: !selected[c.id] },
      ...COMPONENT_STATUSES.map((s) => ({ value: s, label: COMPONENT_STATUS_LABELS[s], selected: selected[c.id] === s })),
    ],
  });
  return [
    ...groups.map((g) => ({ name: g.name, components: components.filter((c) => c.group_id === g.id).map(row) })),
    { name: 'Other', components: components.filter((c) => c.group_id === null).map(row) },
  ].filter((g) => g.components.length > 0);
}

/** The component checkboxes of the maintenance form, grouped like the grid. */
export function componentChecklist(groups: ComponentGroup[], components: Component[], checked: string[]) {
  const row = (c: Component) => ({ id: c.id, name: c.name, checked: checked.includes(c.id) });
  return [
    ...groups.map((g) => ({ name: g.name, components: components.filter((c) => c.group_id === g.id).map(row) })),
    { name: 'Other', components: components.filter((c) => c.group_id === null).map(row) },
  ].filter((g) => g.components.length > 0);
}

function when(date: Date, timeZone: string) {
  return { iso: date.toISOString(), text: formatDateTime(date, timeZone) };
}

function incidentListItem(incident: Incident, components: Component[], groups: ComponentGroup[], timeZone: string) {
  const view = incidentView(incident, components, timeZone, groups);
  return {
    id: incident.id,
    name: incident.name,
    kind: incident.kind,
    consoleUrl: incident.kind === 'incident' ? `/console/incidents/${incident.id}` : `/incidents/${incident.id}`,
    publicUrl: `/incidents/${incident.id}`,
    statusLabel: view.statusLabel,
    impact: incident.impact,
    impactLabel: IMPACT_LABELS[incident.impact],
    automatic: view.automatic,
    started: when(incident.started_at, timeZone),
    scheduledFor: view.scheduledFor,
    scheduledUntil: view.scheduledUntil,
    componentsText: view.componentsText,
    autoText:
      incident.kind === 'maintenance'
        ? [incident.auto_start ? 'starts automatically' : 'started by hand', incident.auto_complete ? 'completes automatically' : 'completed by hand'].join(
            ', ',
          )
        : '',
  };
}

export function dashboardView(input: {
  open: Incident[];
  maintenances: Incident[];
  recent: Incident[];
  components: Component[];
  groups: ComponentGroup[];
  timeZone: string;
}) {
  const item = (i: Incident) => incidentListItem(i, input.components, input.groups, input.timeZone);
  const degraded = input.components.filter((c) => c.status !== 'operational');
  return {
    title: 'Dashboard',
    open: input.open.map(item),
    maintenances: input.maintenances.map(item),
    recent: input.recent
      .filter((i) => i.resolved_at)
      .slice(0, 5)
      .map(item),
    degraded: degraded.map((c) => ({
      name: c.name,
      group: input.groups.find((g) => g.id === c.group_id)?.name ?? null,
      status: c.status,
      statusLabel: COMPONENT_STATUS_LABELS[c.status],
    })),
  };
}

/** The console's incident page: the timeline as the public page shows it, plus who posted each update. */
export function incidentConsoleView(incident: Incident, components: Component[], groups: ComponentGroup[], timeZone: string) {
  const view = incidentView(incident, components, timeZone, groups);
  return {
    ...view,
    started: when(incident.started_at, timeZone),
    updates: view.updates.map((u, index) => ({
      ...u,
      id: incident.updates[index].id,
      createdBy: incident.updates[index].created_by,
      notified: incident.updates[index].deliver_notifications,
    })),
    open: incident.resolved_at === null,
  };
}

/**
 * The live preview: the update as the status page card and as the email will show it, rendered
 * by the same Markdown renderer (raw HTML off) as the page and the notification email.
 */
export function previewView(input: {
  page: Page;
  name: string;
  status: string;
  body: string;
  changes: { component: Component; status: ComponentStatus }[];
  groups: ComponentGroup[];
  now: Date;
  kind?: 'incident' | 'maintenance';
  /** The impact the responder chose, or the incident already has; else the component statuses decide, as on publishing. */
  impact?: Impact;
}) {
  const tz = input.page.time_zone;
  const label = (c: Component) => {
    const group = input.groups.find((g) => g.id === c.group_id);
    return group ? `${c.name} (${group.name})` : c.name;
  };
  const statusLabel = STATUS_LABELS[input.status] ?? input.status;
  const bodyHtml = input.body.trim() ? renderMarkdown(input.body) : '';
  const affected = input.changes.map((c) => ({ name: label(c.component), status: c.status, statusLabel: COMPONENT_STATUS_LABELS[c.status] }));
  const name = input.name.trim() || 'Untitled incident';
  return {
    empty: !bodyHtml,
    card: {
      id: 'preview',
      name,
      kind: input.kind ?? 'incident',
      impact: input.impact ?? impactOfComponentStatuses(input.changes.map((c) => c.status)),
      url: '#preview',
      automatic: false,
      componentsText: '',
      updates: [{ statusLabel, bodyHtml, at: when(input.now, tz), affected }],
    },
    email: {
      subject: `[${input.page.name}] ${statusLabel}: ${name}`,
      statusLabel,
      title: name,
      bodyHtml,
      bodyText: input.body.trim(),
      affected: affected.map((a) => ({ name: a.name, status: a.statusLabel })),
    },
  };
}

export function templateListItem(template: IncidentTemplate, components: Component[]) {
  const named = Object.entries(template.component_statuses).map(([id, status]) => {
    const component = components.find((c) => c.id === id);
    return `${component?.name ?? id}: ${COMPONENT_STATUS_LABELS[status]}`;
  });
  return {
    id: template.id,
    name: template.name,
    title: template.title,
    statusLabel: STATUS_LABELS[template.status],
    impactLabel: template.impact ? IMPACT_LABELS[template.impact] : 'From components',
    componentsText: named.join(', '),
    declareUrl: `/console/incidents/new?template=${template.id}`,
    editUrl: `/console/templates/${template.id}`,
  };
}

export function sessionListItem(session: ConsoleSession, current: ConsoleSession, timeZone: string) {
  return {
    id: session.id,
    current: session.id === current.id,
    method: session.method === 'link' ? 'sign-in link' : 'password',
    userAgent: session.user_agent ?? 'unknown browser',
    created: when(session.created_at, timeZone),
    lastSeen: when(session.last_seen_at, timeZone),
    expires: when(session.expires_at, timeZone),
  };
}

// ---------------------------------------------------------------------------------------------
// Signal: heartbeat series and automatic notices

const SERIES_STATE: Record<string, { text: string; className: string }> = {
  ok: { text: 'Normal', className: 's-operational' },
  pending: { text: 'Lower than normal, checking', className: 's-degraded_performance' },
  major: { text: 'Below normal', className: 's-partial_outage' },
  critical: { text: 'Far below normal', className: 's-major_outage' },
  no_baseline: { text: 'Learning (baseline provisional)', className: 's-learning' },
};

/** A series' state in words, from the detector's last summary (detector_state.summary). */
export function seriesStateView(summary: Record<string, unknown> | null | undefined, timeZone: string) {
  const state = typeof summary?.state === 'string' && summary.state in SERIES_STATE ? summary.state : 'no_baseline';
  const since = typeof summary?.since === 'string' && !Number.isNaN(Date.parse(summary.since)) ? new Date(summary.since) : null;
  const noData = (state === 'pending' || state === 'major' || state === 'critical') && summary?.observed === 0;
  const base = SERIES_STATE[state];
  return {
    state,
    text: noData ? (state === 'pending' ? 'No data, checking' : 'No data') : base.text,
    className: base.className,
    since: since && state !== 'ok' && state !== 'no_baseline' ? when(since, timeZone) : null,
  };
}

export interface SignalSeries {
  metric: string;
  region: string;
  label: string;
  isPublic: boolean;
  summary: Record<string, unknown> | null;
}

/** The dashboard's signal panel: each series' state, and the open automatic notices. */
export function signalPanelView(series: SignalSeries[], notices: ReturnType<typeof automaticNoticeView>[], timeZone: string) {
  return {
    series: series.map((s) => ({ title: `${s.label} in ${s.region.toUpperCase()}`, isPublic: s.isPublic, state: seriesStateView(s.summary, timeZone) })),
    notices,
    firing: series.filter((s) => s.summary?.state === 'major' || s.summary?.state === 'critical').length,
  };
}

/** An open automatic notice with what the responder needs to decide: the series and its state. */
export function automaticNoticeView(
  incident: Incident,
  episode: { metric: string; region: string; tier: string; started_at: Date } | null,
  label: string | null,
  timeZone: string,
) {
  const latest = incident.updates[0];
  return {
    id: incident.id,
    name: incident.name,
    consoleUrl: `/console/incidents/${incident.id}`,
    convertUrl: `/console/signal/notices/${incident.id}/convert`,
    dismissAction: `/console/signal/notices/${incident.id}/dismiss`,
    statusLabel: STATUS_LABELS[incident.status] ?? incident.status,
    started: when(incident.started_at, timeZone),
    series: episode ? `${label ?? episode.metric} in ${episode.region.toUpperCase()}` : null,
    anchor: episode ? `series-${episode.metric}-${episode.region}` : null,
    tier: episode?.tier ?? null,
    latestBodyHtml: latest ? renderMarkdown(latest.body) : '',
  };
}

// ---------------------------------------------------------------------------------------------
// Reach: delivery progress and dead letters

export interface ProgressRow {
  event_id: number;
  update_id: string | null;
  channel: string;
  targeted: number;
  sent: number;
  failed: number;
  pending: number;
}

const CHANNEL_LABELS: Record<string, string> = { email: 'Email', webhook: 'Webhooks', ...CHAT_PLATFORM_LABELS };
const nf = new Intl.NumberFormat('en-US');
export const formatNumber = (n: number) => nf.format(n);

function channelRows(rows: ProgressRow[]) {
  const byChannel = new Map<string, { targeted: number; sent: number; failed: number; pending: number }>();
  for (const r of rows) {
    const sum = byChannel.get(r.channel) ?? { targeted: 0, sent: 0, failed: 0, pending: 0 };
    sum.targeted += r.targeted;
    sum.sent += r.sent;
    sum.failed += r.failed;
    sum.pending += r.pending;
    byChannel.set(r.channel, sum);
  }
  return [...byChannel.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([channel, n]) => ({
      channel,
      label: CHANNEL_LABELS[channel] ?? channel,
      ...n,
      targetedText: formatNumber(n.targeted),
      sentText: formatNumber(n.sent),
      failedText: formatNumber(n.failed),
      pendingText: formatNumber(n.pending),
      donePercent: n.targeted === 0 ? 100 : Math.floor(((n.sent + n.failed) / n.targeted) * 100),
    }));
}

/**
 * Delivery progress of one incident, per published update and channel: targeted, sent, failed
 * (dead-lettered, with a link to the reasons), pending (incl. retrying). `active` while anything is
 * pending or a notice's audience is still being expanded: the page keeps polling until then.
 */
export function deliveryProgressView(
  updates: { id: string; deliver_notifications: boolean }[],
  events: { id: number; update_id: string | null; dispatched_at: Date | null }[],
  progress: ProgressRow[],
) {
  const byUpdate = new Map<string, { state: string; text: string; channels: ReturnType<typeof channelRows>; deadUrl: string | null }>();
  let active = false;
  for (const update of updates) {
    const mine = events.filter((e) => e.update_id === update.id);
    const rows = progress.filter((p) => mine.some((e) => e.id === p.event_id));
    const channels = channelRows(rows);
    const pending = channels.reduce((n, c) => n + c.pending, 0);
    const failed = channels.reduce((n, c) => n + c.failed, 0);
    const expanding = mine.some((e) => e.dispatched_at === null);
    let state: string;
    let text: string;
    if (!update.deliver_notifications) [state, text] = ['off', 'Subscribers were not notified of this update.'];
    else if (mine.length === 0) [state, text] = ['none', 'No notice was recorded for this update.'];
    else if (expanding) [state, text] = ['waiting', 'Choosing recipients…'];
    else if (channels.length === 0) [state, text] = ['done', 'No subscriber follows the affected components.'];
    else if (pending > 0) [state, text] = ['sending', `Sending: ${formatNumber(pending)} to go.`];
    else [state, text] = ['done', failed > 0 ? `Done, ${formatNumber(failed)} failed.` : 'Done: every notice was delivered.'];
    if (state === 'waiting' || state === 'sending') active = true;
    const deadEvent = failed > 0 ? mine.find((e) => rows.some((r) => r.event_id === e.id && r.failed > 0)) : undefined;
    byUpdate.set(update.id, { state, text, channels, deadUrl: deadEvent ? `/console/deliveries/dead?event=${deadEvent.id}` : null });
  }
  const other = progress.filter((p) => !updates.some((u) => events.some((e) => e.id === p.event_id && e.update_id === u.id)));
  const otherChannels = channelRows(other);
  if (otherChannels.some((c) => c.pending > 0)) active = true;
  return { byUpdate, other: otherChannels, active };
}

/** A dead-lettered delivery with why it failed. */
export function deadLetterItem(
  d: {
    id: number;
    event_id: number;
    event_type: string;
    recipient: string | null;
    channel: string;
    attempts: number;
    last_error: string | null;
    created_at: Date;
  },
  timeZone: string,
  mayManageSubscribers: boolean,
) {
  const recipient = d.channel === 'email' ? d.recipient : shownSubscriberUrl(d.recipient, mayManageSubscribers);
  return {
    id: d.id,
    eventId: d.event_id,
    eventType: d.event_type,
    recipient: recipient ?? '(removed subscriber)',
    channel: CHANNEL_LABELS[d.channel] ?? d.channel,
    attempts: d.attempts,
    lastError: d.last_error ?? 'no reason recorded',
    created: when(d.created_at, timeZone),
  };
}

// ---------------------------------------------------------------------------------------------
// Manage

export function subscriberListItem(
  s: {
    id: string;
    type: string;
    email: string | null;
    url: string | null;
    all_components: boolean;
    component_ids: string[];
    source: string;
    confirmed_at: Date | null;
    suppressed_at: Date | null;
    suppressed_reason: string | null;
    disabled_at: Date | null;
    disabled_reason: string | null;
    created_at: Date;
  },
  components: Component[],
  timeZone: string,
  mayManageSubscribers: boolean,
) {
  const state = s.disabled_at
    ? { key: 'disabled', text: `Disabled: ${s.disabled_reason ?? 'no reason given'}` }
    : s.suppressed_at
      ? { key: 'suppressed', text: `Suppressed: ${s.suppressed_reason ?? 'no reason given'}` }
      : s.confirmed_at
        ? { key: 'active', text: 'Active' }
        : { key: 'unconfirmed', text: 'Waiting for confirmation' };
  const names = s.all_components ? 'All components' : s.component_ids.map((id) => components.find((c) => c.id === id)?.name ?? id).join(', ');
  return {
    id: s.id,
    type: s.type,
    isWebhook: s.type === 'webhook',
    kindLabel: isChatPlatform(s.type) ? CHAT_PLATFORM_LABELS[s.type] : s.type === 'webhook' ? 'Webhook' : 'Email',
    // A chat channel's URL is stored with its secret parts elided; a webhook's whole, shown so only to who may manage it.
    address: s.type === 'email' ? (s.email ?? '') : (shownSubscriberUrl(s.url, mayManageSubscribers) ?? ''),
    owner: s.type === 'email' ? null : s.email,
    components: names,
    source: s.source,
    state: state.key,
    stateText: state.text,
    canDisable: s.type !== 'email' && !s.disabled_at,
    canReactivate: Boolean(s.disabled_at || s.suppressed_at),
    created: when(s.created_at, timeZone),
  };
}

export function tokenListItem(
  t: { id: string; name: string; prefix: string; scopes: string[]; created_by: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null },
  timeZone: string,
) {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes.join(', '),
    createdBy: t.created_by,
    created: when(t.created_at, timeZone),
    lastUsed: t.last_used_at ? when(t.last_used_at, timeZone) : null,
    revoked: t.revoked_at ? when(t.revoked_at, timeZone) : null,
  };
}

export function userListItem(u: ResponderUser, currentUserId: string, timeZone: string) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    roleLabel: ROLE_LABELS[u.role],
    hasPassword: u.has_password,
    disabled: u.disabled_at ? when(u.disabled_at, timeZone) : null,
    created: when(u.created_at, timeZone),
    isYou: u.id === currentUserId,
    roleOptions: options(['admin', 'responder', 'viewer'], ROLE_LABELS, u.role),
  };
}

export function auditListItem(
  e: { id: number; at: Date; actor: string; action: string; target_type: string; target_id: string | null; details: Record<string, unknown> },
  timeZone: string,
) {
  const details = Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : '';
  return {
    id: e.id,
    at: when(e.at, timeZone),
    actor: e.actor,
    action: e.action,
    target: e.target_id ? `${e.target_type} ${e.target_id}` : e.target_type,
    details: details.length > 300 ? `${details.slice(0, 300)}…` : details,
  };
}

/**
 * Components by group with their current status and the status choices (the status form); empty
 * groups are kept where the structure is edited in the console.
 */
export function componentStatusView(groups: ComponentGroup[], components: Component[], options: { keepEmptyGroups?: boolean } = {}) {
  const row = (c: Component) => ({
    id: c.id,
    key: c.key,
    name: c.name,
    description: c.description,
    status: c.status,
    statusLabel: COMPONENT_STATUS_LABELS[c.status],
    options: COMPONENT_STATUSES.map((s) => ({ value: s, label: COMPONENT_STATUS_LABELS[s], selected: s === c.status })),
  });
  return [
    ...groups.map((g) => ({ id: g.id as string | null, name: g.name, key: g.key, components: components.filter((c) => c.group_id === g.id).map(row) })),
    { id: null, name: 'Not in a group', key: null, components: components.filter((c) => c.group_id === null).map(row) },
  ].filter((g) => g.components.length > 0 || (options.keepEmptyGroups && g.id !== null));
}
