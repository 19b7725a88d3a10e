/**
 * Domain → Atlassian Statuspage public API v2 shapes (same keys, enums and nesting), so existing
 * Statuspage clients, widgets and Grafana's data source work unchanged.
 */
import type { Component, ComponentGroup, Incident, IncidentUpdate, Page } from '../domain/model.ts';
import { pageIndicator, worstComponentStatus, type ComponentStatus } from '../domain/status.ts';
import type { PublicStatus } from '../queries/load-public-status.ts';

export interface PresentOptions {
  publicUrl: string;
  /** Each component's and group's `position` among its siblings (`siblingPositions`); its stored one when missing. */
  positions?: ReadonlyMap<string, number>;
}

/**
 * `position` as Statuspage counts it: 1-based among siblings. Groups and the components outside any
 * group are siblings at the top (groups first, as Lifeline lists them); a group's components count
 * within it. Stored positions are an order, not these numbers (the page definition numbers them
 * across the whole page), so the numbers are made here, from the page's order.
 */
export function siblingPositions(groups: readonly ComponentGroup[], components: readonly Component[]): Map<string, number> {
  const positions = new Map<string, number>();
  groups.forEach((group, index) => positions.set(group.id, index + 1));
  const counts = new Map<string | null, number>([[null, groups.length]]);
  for (const component of components) {
    const place = (counts.get(component.group_id) ?? 0) + 1;
    counts.set(component.group_id, place);
    positions.set(component.id, place);
  }
  return positions;
}

function iso(date: Date): string;
function iso(date: Date | null): string | null;
function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

export function presentPage(page: Page, options: PresentOptions) {
  return { id: page.id, name: page.name, url: options.publicUrl, time_zone: page.time_zone, updated_at: iso(page.updated_at) };
}

export function presentComponent(component: Component, pageId: string, position = component.position) {
  return {
    id: component.id,
    name: component.name,
    status: component.status,
    created_at: iso(component.created_at),
    updated_at: iso(component.updated_at),
    position,
    description: component.description,
    showcase: component.showcase,
    start_date: component.start_date,
    group_id: component.group_id,
    page_id: pageId,
    group: false,
    only_show_if_degraded: component.only_show_if_degraded,
  };
}

export function presentGroup(group: ComponentGroup, children: Component[], pageId: string, positions?: ReadonlyMap<string, number>) {
  const latest = children.reduce((at, c) => (c.updated_at > at ? c.updated_at : at), group.updated_at);
  return {
    id: group.id,
    name: group.name,
    status: worstComponentStatus(children.map((c) => c.status)) as ComponentStatus,
    created_at: iso(group.created_at),
    updated_at: iso(latest),
    position: positions?.get(group.id) ?? group.position,
    description: group.description,
    showcase: false,
    start_date: null,
    group_id: null,
    page_id: pageId,
    group: true,
    only_show_if_degraded: false,
    components: children.map((c) => c.id),
  };
}

/** Groups first in their order, each followed by its components, then ungrouped components. */
export function presentComponents(status: Pick<PublicStatus, 'groups' | 'components' | 'page'>) {
  const positions = siblingPositions(status.groups, status.components);
  const list: (ReturnType<typeof presentComponent> | ReturnType<typeof presentGroup>)[] = [];
  for (const group of status.groups) {
    const children = status.components.filter((c) => c.group_id === group.id);
    list.push(presentGroup(group, children, status.page.id, positions));
    for (const child of children) list.push(presentComponent(child, status.page.id, positions.get(child.id)));
  }
  for (const component of status.components.filter((c) => c.group_id === null)) {
    list.push(presentComponent(component, status.page.id, positions.get(component.id)));
  }
  return list;
}

function presentIncidentUpdate(update: IncidentUpdate) {
  return {
    id: update.id,
    status: update.status,
    body: update.body,
    incident_id: update.incident_id,
    created_at: iso(update.created_at),
    updated_at: iso(update.created_at),
    display_at: iso(update.display_at),
    affected_components: update.affected_components.length > 0 ? update.affected_components : null,
    deliver_notifications: update.deliver_notifications,
    custom_tweet: null,
    tweet_id: null,
  };
}

export function presentIncident(incident: Incident, components: Component[], pageId: string, options: PresentOptions) {
  const base = {
    id: incident.id,
    name: incident.name,
    status: incident.status,
    created_at: iso(incident.created_at),
    updated_at: iso(incident.updated_at),
    monitoring_at: iso(incident.monitoring_at),
    resolved_at: iso(incident.resolved_at),
    impact: incident.impact,
    shortlink: `${options.publicUrl}/incidents/${incident.id}`,
    // Statuspage: a maintenance not yet begun has started_at = its creation; once begun, when it began.
    started_at: iso(incident.kind === 'maintenance' && incident.status === 'scheduled' ? incident.created_at : incident.started_at),
    page_id: pageId,
    incident_updates: incident.updates.map(presentIncidentUpdate),
    components: components.filter((c) => incident.component_ids.includes(c.id)).map((c) => presentComponent(c, pageId, options.positions?.get(c.id))),
    postmortem_url: incident.postmortem_url,
    source: incident.source,
  };
  if (incident.kind === 'incident') return base;
  return {
    ...base,
    scheduled_for: iso(incident.scheduled_for),
    scheduled_until: iso(incident.scheduled_until),
    scheduled_remind_prior: incident.remind_prior_minutes !== null,
    scheduled_reminded_at: iso(incident.reminded_at),
    scheduled_auto_in_progress: incident.auto_start,
    scheduled_auto_completed: incident.auto_complete,
  };
}

/** The eight public v2 documents, keyed by path. */
export function presentV2Documents(status: PublicStatus, options: PresentOptions): Record<string, unknown> {
  const page = presentPage(status.page, options);
  const positioned = { ...options, positions: siblingPositions(status.groups, status.components) };
  const incident = (i: Incident) => presentIncident(i, status.components, status.page.id, positioned);
  const components = presentComponents(status);
  const upcoming = status.maintenances.filter((m) => m.status === 'scheduled').sort((a, b) => Number(a.scheduled_for) - Number(b.scheduled_for));
  const active = status.maintenances.filter((m) => m.status === 'in_progress' || m.status === 'verifying');
  const indicator = pageIndicator(status);
  return {
    '/api/v2/summary.json': {
      page,
      components,
      incidents: status.unresolvedIncidents.map(incident),
      scheduled_maintenances: [...active, ...upcoming].map(incident),
      status: indicator,
    },
    '/api/v2/status.json': { page, status: indicator },
    '/api/v2/components.json': { page, components },
    '/api/v2/incidents.json': { page, incidents: status.recentIncidents.map(incident) },
    '/api/v2/incidents/unresolved.json': { page, incidents: status.unresolvedIncidents.map(incident) },
    '/api/v2/scheduled-maintenances.json': { page, scheduled_maintenances: status.maintenances.slice(0, 50).map(incident) },
    '/api/v2/scheduled-maintenances/upcoming.json': { page, scheduled_maintenances: upcoming.map(incident) },
    '/api/v2/scheduled-maintenances/active.json': { page, scheduled_maintenances: active.map(incident) },
  };
}
