/** Domain → view models for the Handlebars status page. Pure: no I/O, time passed in. */
import { INCIDENT_STATUS_LABELS, PUBLIC_IMPACT_LABELS } from '../domain/labels.ts';
import type { Component, ComponentGroup, Incident } from '../domain/model.ts';
import { COMPONENT_STATUS_LABELS, pageIndicator, worstComponentStatus, type ComponentStatus } from '../domain/status.ts';
import { formatDateTime, localDayBounds } from '../domain/time.ts';
import { computeUptime, type UptimeDay } from '../domain/uptime.ts';
import { UPTIME_DAYS, type PublicStatus } from '../queries/load-public-status.ts';
import { formatDay, formatDuration, formatMonth, formatPercent } from './format.ts';
import { renderMarkdown } from './markdown.ts';

// Indexed by the stored status strings, so looked up as plain records.
const STATUS_LABELS: Record<string, string> = INCIDENT_STATUS_LABELS;
const IMPACT_LABELS: Record<string, string> = PUBLIC_IMPACT_LABELS;

export interface PageChrome {
  name: string;
  companyUrl: string;
  timeZone: string;
}

function chrome(status: PublicStatus): PageChrome {
  return { name: status.page.name, companyUrl: status.page.url, timeZone: status.page.time_zone };
}

function time(date: Date, timeZone: string) {
  return { iso: date.toISOString(), text: formatDateTime(date, timeZone) };
}

function dayView(day: UptimeDay) {
  const outages = (['major_outage', 'partial_outage', 'degraded_performance', 'under_maintenance'] as const)
    .filter((status) => day.seconds[status] > 0)
    .map((status) => `${COMPONENT_STATUS_LABELS[status]} ${formatDuration(day.seconds[status])}`);
  const summary = day.worst === 'no_data' ? 'No data' : outages.length > 0 ? outages.join(', ') : 'No downtime recorded';
  return { state: day.worst, title: `${formatDay(day.date)}: ${summary}`, hasOutage: outages.length > 0, date: formatDay(day.date), summary };
}

function componentView(component: Component, status: PublicStatus) {
  const timeZone = status.page.time_zone;
  const since = component.start_date ? new Date(localDayBounds(timeZone, component.start_date).from) : component.created_at;
  const uptime = computeUptime({ changes: status.statusChanges.get(component.id) ?? [], since, now: status.readAt, days: UPTIME_DAYS, timeZone });
  const days = uptime.days.map(dayView);
  return {
    id: component.id,
    name: component.name,
    description: component.description,
    status: component.status,
    statusLabel: COMPONENT_STATUS_LABELS[component.status],
    uptimeText: formatPercent(uptime.uptime),
    uptimeLabel: `${component.name}: ${formatPercent(uptime.uptime)} uptime over the last ${UPTIME_DAYS} days`,
    days,
    outageDays: days.filter((d) => d.hasOutage),
  };
}

/**
 * A component's name as a visitor can tell it apart: groups often repeat names
 * ("Messaging" in United States and in Europe), so grouped components carry their group.
 */
export function qualifiedName(component: Component, groups: readonly ComponentGroup[]): string {
  const group = groups.find((g) => g.id === component.group_id);
  return group ? `${component.name} (${group.name})` : component.name;
}

export function incidentView(incident: Incident, components: Component[], timeZone: string, groups: ComponentGroup[] = []) {
  const names = components.filter((c) => incident.component_ids.includes(c.id)).map((c) => qualifiedName(c, groups));
  const nameOf = (code: string, fallback: string) => {
    const component = components.find((c) => c.id === code);
    return component ? qualifiedName(component, groups) : fallback;
  };
  // A maintenance called off before it began is `completed` with cancelled_at: it reads "Cancelled".
  const cancelled = incident.kind === 'maintenance' && incident.cancelled_at !== null;
  const label = (status: Incident['status']) => (cancelled && status === 'completed' ? 'Cancelled' : STATUS_LABELS[status]);
  return {
    id: incident.id,
    name: incident.name,
    kind: incident.kind,
    impact: incident.impact,
    impactLabel: IMPACT_LABELS[incident.impact],
    status: incident.status,
    statusLabel: label(incident.status),
    url: `/incidents/${incident.id}`,
    automatic: incident.source === 'heartbeat',
    started: time(incident.started_at, timeZone),
    resolved: incident.resolved_at ? time(incident.resolved_at, timeZone) : null,
    scheduledFor: incident.kind === 'maintenance' ? time(incident.scheduled_for, timeZone) : null,
    scheduledUntil: incident.kind === 'maintenance' ? time(incident.scheduled_until, timeZone) : null,
    componentsText: names.join(', '),
    postmortemUrl: incident.postmortem_url,
    updates: incident.updates.map((update) => ({
      statusLabel: label(update.status),
      bodyHtml: renderMarkdown(update.body),
      at: time(update.display_at, timeZone),
      affected: update.affected_components.map((a) => ({
        name: nameOf(a.code, a.name),
        status: a.new_status,
        statusLabel: COMPONENT_STATUS_LABELS[a.new_status],
      })),
    })),
  };
}

/** What the main page needs of a heartbeat definition (from the page definition file). */
export interface PageHeartbeat {
  key: string;
  label: string;
  regions: string[];
  public?: boolean;
}

/**
 * "Live activity": one sparkline per public metric × region. The page is a snapshot rebuilt only on
 * changes, so it holds the static part (label, link); the live data is in the sparkline images.
 */
function liveActivity(heartbeats: readonly PageHeartbeat[]) {
  return heartbeats
    .filter((m) => m.public !== false)
    .flatMap((m) =>
      m.regions.map((region) => {
        const path = `/heartbeat/${encodeURIComponent(m.key)}/${encodeURIComponent(region)}`;
        return { label: `${m.label} in ${region.toUpperCase()}`, href: path, src: `${path}/sparkline.svg`, alt: 'chart of the last hour' };
      }),
    );
}

/** The main page. `stale` marks a snapshot served while the database is unreachable. */
export function statusPageView(status: PublicStatus, options: { stale: boolean }, heartbeats: readonly PageHeartbeat[] = []) {
  const tz = status.page.time_zone;
  const indicator = pageIndicator(status);
  const visible = (c: Component) => !c.only_show_if_degraded || c.status !== 'operational';
  const groups = status.groups
    .map((group) => {
      const members = status.components.filter((c) => c.group_id === group.id);
      const worst = worstComponentStatus(members.map((c) => c.status)) as ComponentStatus;
      return {
        id: group.id,
        name: group.name,
        description: group.description,
        status: worst,
        statusLabel: COMPONENT_STATUS_LABELS[worst],
        components: members.filter(visible).map((c) => componentView(c, status)),
      };
    })
    .filter((g) => g.components.length > 0);
  const pastWeek = new Date(status.readAt.getTime() - 7 * 86_400_000);
  return {
    chrome: chrome(status),
    title: status.page.name,
    banner: { indicator: indicator.indicator, description: indicator.description },
    stale: options.stale,
    lastUpdated: time(status.readAt, tz),
    activeIncidents: status.unresolvedIncidents.map((i) => incidentView(i, status.components, tz, status.groups)),
    activeMaintenances: status.maintenances
      .filter((m) => m.status === 'in_progress' || m.status === 'verifying')
      .map((m) => incidentView(m, status.components, tz, status.groups)),
    upcomingMaintenances: status.maintenances
      .filter((m) => m.status === 'scheduled')
      .sort((a, b) => Number(a.scheduled_for) - Number(b.scheduled_for))
      .map((m) => incidentView(m, status.components, tz, status.groups)),
    groups,
    ungrouped: status.components.filter((c) => c.group_id === null && visible(c)).map((c) => componentView(c, status)),
    recentIncidents: status.recentIncidents
      .filter((i) => i.resolved_at && i.started_at >= pastWeek)
      .map((i) => incidentView(i, status.components, tz, status.groups)),
    uptimeDays: UPTIME_DAYS,
    liveActivity: liveActivity(heartbeats),
  };
}

export function incidentPageView(status: PublicStatus, incident: Incident) {
  const view = incidentView(incident, status.components, status.page.time_zone, status.groups);
  return { chrome: chrome(status), title: `${incident.name} · ${status.page.name}`, incident: view, lastUpdated: time(status.readAt, status.page.time_zone) };
}

export function historyPageView(
  status: PublicStatus,
  history: { months: { month: Date; incidents: Incident[] }[]; hasOlder: boolean; hasNewer: boolean },
  pageNumber: number,
) {
  const tz = status.page.time_zone;
  return {
    chrome: chrome(status),
    title: `Incident history · ${status.page.name}`,
    months: history.months.map((m) => ({
      label: formatMonth(m.month),
      incidents: m.incidents.map((i) => incidentView(i, status.components, tz, status.groups)),
    })),
    olderUrl: history.hasOlder ? `/history?page=${pageNumber + 1}` : null,
    newerUrl: history.hasNewer ? (pageNumber === 2 ? '/history' : `/history?page=${pageNumber - 1}`) : null,
    lastUpdated: time(status.readAt, tz),
  };
}
