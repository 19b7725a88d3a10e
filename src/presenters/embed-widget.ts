/**
 * The widget feed (`/embed/status.json`) in the shape incident.io's widget API made common
 * (`{page_title, page_url, ongoing_incidents, in_progress_maintenances, scheduled_maintenances}`),
 * so code written for it (Supabase's banner, the OpenAI Codex CLI, Materialize's console) reads
 * Lifeline unchanged, and the banner script (src/client/banner.js) reads it too.
 */
import type { Component, ComponentGroup, Incident, Maintenance, ResponderIncident } from '../domain/model.ts';
import type { ComponentStatus, Impact } from '../domain/status.ts';
import type { PublicStatus } from '../queries/load-public-status.ts';

/** incident.io's impact vocabulary; its consumers parse exactly these three words. */
type WidgetImpact = 'degraded_performance' | 'partial_outage' | 'full_outage';
/** incident.io's component status vocabulary (its consumers validate against these four). */
type WidgetComponentStatus = WidgetImpact | 'operational';

const COMPONENT_IMPACT: Record<ComponentStatus, WidgetComponentStatus> = {
  operational: 'operational',
  degraded_performance: 'degraded_performance',
  partial_outage: 'partial_outage',
  major_outage: 'full_outage',
  // Maintenance is told by the maintenance lists, not as a component fault.
  under_maintenance: 'operational',
};
const IMPACT_RANK: Record<WidgetComponentStatus, number> = { operational: 0, degraded_performance: 1, partial_outage: 2, full_outage: 3 };
/** The incident's own impact, when none of its components is marked down (e.g. a heartbeat notice). */
const INCIDENT_IMPACT: Record<Impact, WidgetImpact> = {
  none: 'degraded_performance',
  minor: 'degraded_performance',
  maintenance: 'degraded_performance',
  major: 'partial_outage',
  critical: 'full_outage',
};

interface WidgetComponent {
  id: string;
  /** Lifeline's addition: the key a product team names in `data-components`. */
  key: string;
  name: string;
  group_name?: string;
  current_status: WidgetComponentStatus;
}

interface WidgetItem {
  id: string;
  name: string;
  status: string;
  url: string;
  last_update_at: string;
  last_update_message: string;
  /** Lifeline's addition: what the banner's dismissal is remembered by (the next update shows it again). */
  last_update_id: string;
  affected_components: WidgetComponent[];
}

interface WidgetFeed {
  page_title: string;
  page_url: string;
  ongoing_incidents: (WidgetItem & { current_worst_impact: WidgetImpact })[];
  in_progress_maintenances: (WidgetItem & { started_at: string; scheduled_end_at: string })[];
  scheduled_maintenances: (WidgetItem & { starts_at: string; ends_at: string })[];
}

export function presentWidgetFeed(status: PublicStatus, publicUrl: string): WidgetFeed {
  const groups = new Map<string, ComponentGroup>(status.groups.map((g) => [g.id, g]));
  const byId = new Map<string, Component>(status.components.map((c) => [c.id, c]));
  const affected = (incident: Incident): WidgetComponent[] =>
    incident.component_ids.flatMap((id) => {
      const component = byId.get(id);
      if (!component) return [];
      const group = component.group_id ? groups.get(component.group_id) : undefined;
      return [
        {
          id: component.id,
          key: component.key,
          name: component.name,
          ...(group ? { group_name: group.name } : {}),
          current_status: COMPONENT_IMPACT[component.status],
        },
      ];
    });
  const item = (incident: Incident): WidgetItem => {
    const latest = incident.updates[0];
    return {
      id: incident.id,
      name: incident.name,
      status: incident.status,
      url: `${publicUrl}/incidents/${incident.id}`,
      last_update_at: (latest?.display_at ?? incident.updated_at).toISOString(),
      last_update_message: latest?.body ?? '',
      last_update_id: latest?.id ?? incident.id,
      affected_components: affected(incident),
    };
  };
  const incident = (i: ResponderIncident) => {
    const base = item(i);
    const worst = base.affected_components.reduce<WidgetComponentStatus>(
      (at, c) => (IMPACT_RANK[c.current_status] > IMPACT_RANK[at] ? c.current_status : at),
      'operational',
    );
    return { ...base, current_worst_impact: worst === 'operational' ? INCIDENT_IMPACT[i.impact] : worst };
  };
  const inProgress = (m: Maintenance) => ({
    ...item(m),
    status: 'maintenance_in_progress',
    started_at: m.started_at.toISOString(),
    scheduled_end_at: m.scheduled_until.toISOString(),
  });
  const scheduled = (m: Maintenance) => ({
    ...item(m),
    status: 'maintenance_scheduled',
    starts_at: m.scheduled_for.toISOString(),
    ends_at: m.scheduled_until.toISOString(),
  });
  return {
    page_title: status.page.name,
    page_url: publicUrl,
    ongoing_incidents: status.unresolvedIncidents.map(incident),
    in_progress_maintenances: status.maintenances.filter((m) => m.status === 'in_progress' || m.status === 'verifying').map(inProgress),
    scheduled_maintenances: status.maintenances
      .filter((m) => m.status === 'scheduled')
      .sort((a, b) => Number(a.scheduled_for) - Number(b.scheduled_for))
      .map(scheduled),
  };
}
