/** Domain → view models for the responder console (Handlebars). Pure: no I/O, time passed in. */
import type { Component, ComponentGroup, Incident, Page } from '../domain/model.ts';
import { COMPONENT_STATUS_LABELS, COMPONENT_STATUSES, type ComponentStatus } from '../domain/status.ts';
import type { ConsoleSession } from '../storage/session-repository.ts';
import type { IncidentTemplate } from '../storage/template-repository.ts';
import type { ResponderUser } from '../storage/user-repository.ts';
import { formatDateTime } from './format.ts';
import { renderMarkdown } from './markdown.ts';
import { incidentView } from './status-page-view.ts';

export const STATUS_LABELS: Record<string, string> = {
  investigating: 'Investigating', identified: 'Identified', monitoring: 'Monitoring', resolved: 'Resolved', postmortem: 'Postmortem',
  scheduled: 'Scheduled', in_progress: 'In progress', verifying: 'Verifying', completed: 'Completed',
};
export const IMPACT_LABELS: Record<string, string> = { none: 'None', minor: 'Minor', major: 'Major', critical: 'Critical', maintenance: 'Maintenance' };
const ROLE_LABELS: Record<string, string> = { admin: 'Admin', responder: 'Responder', viewer: 'Viewer (read only)' };

/** The form field of a component in the status grid. */
export const componentField = (id: string) => `component:${id}`;

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
      ? { email: user.email, label: user.name ?? user.email, role: user.role, roleLabel: ROLE_LABELS[user.role], canPublish: user.role !== 'viewer', isAdmin: user.role === 'admin' }
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

export function incidentListItem(incident: Incident, components: Component[], groups: ComponentGroup[], timeZone: string) {
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
    autoText: incident.kind === 'maintenance' ? [incident.auto_start ? 'starts automatically' : 'started by hand', incident.auto_complete ? 'completes automatically' : 'completed by hand'].join(', ') : '',
  };
}

export function dashboardView(input: { open: Incident[]; maintenances: Incident[]; recent: Incident[]; components: Component[]; groups: ComponentGroup[]; timeZone: string }) {
  const item = (i: Incident) => incidentListItem(i, input.components, input.groups, input.timeZone);
  const degraded = input.components.filter((c) => c.status !== 'operational');
  return {
    title: 'Dashboard',
    open: input.open.map(item),
    maintenances: input.maintenances.map(item),
    recent: input.recent.filter((i) => i.resolved_at).slice(0, 5).map(item),
    degraded: degraded.map((c) => ({ name: c.name, group: input.groups.find((g) => g.id === c.group_id)?.name ?? null, status: c.status, statusLabel: COMPONENT_STATUS_LABELS[c.status] })),
  };
}

/** The console's incident page: the timeline as the public page shows it, plus who posted each update. */
export function incidentConsoleView(incident: Incident, components: Component[], groups: ComponentGroup[], timeZone: string) {
  const view = incidentView(incident, components, timeZone, groups);
  return {
    ...view,
    started: when(incident.started_at, timeZone),
    updates: view.updates.map((u, index) => ({ ...u, createdBy: incident.updates[index].created_by, notified: incident.updates[index].deliver_notifications })),
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
      id: 'preview', name, kind: input.kind ?? 'incident', impact: 'none', url: '#preview', automatic: false, componentsText: '',
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
