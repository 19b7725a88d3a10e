/** Status vocabularies, identical to Atlassian Statuspage's so its clients work unchanged. */
export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

export const IMPACTS = ['none', 'minor', 'major', 'critical', 'maintenance'] as const;
export type Impact = (typeof IMPACTS)[number];
export type Indicator = Impact;

export const COMPONENT_STATUS_LABELS: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

const INDICATOR_DESCRIPTIONS: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
  maintenance: 'Service Under Maintenance',
};

const INDICATOR_RANK: Record<Indicator, number> = { none: 0, maintenance: 1, minor: 2, major: 3, critical: 4 };
const COMPONENT_RANK: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

function worseIndicator(a: Indicator, b: Indicator): Indicator {
  return INDICATOR_RANK[b] > INDICATOR_RANK[a] ? b : a;
}

export function worstComponentStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const status of statuses) if (COMPONENT_RANK[status] > COMPONENT_RANK[worst]) worst = status;
  return worst;
}

/** The impact a set of component statuses implies, when the responder does not set one. */
export function impactOfComponentStatuses(statuses: Iterable<ComponentStatus>): Impact {
  const worst = worstComponentStatus(statuses);
  switch (worst) {
    case 'major_outage':
      return 'major';
    case 'partial_outage':
    case 'degraded_performance':
      return 'minor';
    case 'under_maintenance':
      return 'maintenance';
    default:
      return 'none';
  }
}

/**
 * The page's overall indicator. Rules (documented in the README):
 * - an unresolved incident contributes its impact;
 * - a degraded or partially out component makes it at least `minor`, a major outage `major`,
 *   and major outages on at least half of two or more components `critical`;
 * - maintenance shows only when nothing is broken;
 * - `minor` reads "Partially Degraded Service" when only degraded components cause it.
 */
export function rollUpIndicator(input: { componentStatuses: ComponentStatus[]; unresolvedIncidentImpacts: Impact[]; maintenanceInProgress: boolean }): {
  indicator: Indicator;
  description: string;
} {
  let indicator: Indicator = 'none';
  for (const impact of input.unresolvedIncidentImpacts) {
    if (impact !== 'maintenance') indicator = worseIndicator(indicator, impact);
  }
  const statuses = input.componentStatuses;
  const majorCount = statuses.filter((s) => s === 'major_outage').length;
  if (majorCount > 0) {
    indicator = worseIndicator(indicator, statuses.length >= 2 && majorCount * 2 >= statuses.length ? 'critical' : 'major');
  }
  if (statuses.some((s) => s === 'partial_outage' || s === 'degraded_performance')) {
    indicator = worseIndicator(indicator, 'minor');
  }
  if (indicator === 'none' && (input.maintenanceInProgress || statuses.includes('under_maintenance'))) {
    indicator = 'maintenance';
  }
  // Statuspage's words for a page whose only trouble is slowness: components degraded, no outage
  // and no incident of its own (a minor incident, or a partial outage, is a "Minor Service Outage").
  const onlyDegraded =
    indicator === 'minor' &&
    !input.unresolvedIncidentImpacts.some((impact) => impact === 'minor' || impact === 'major' || impact === 'critical') &&
    !statuses.includes('partial_outage');
  return { indicator, description: onlyDegraded ? 'Partially Degraded Service' : INDICATOR_DESCRIPTIONS[indicator] };
}

/**
 * The page's indicator from what the public sees: its components, its unresolved incidents and
 * its open maintenances (only one in progress or verifying counts). Shared by the status page, the
 * v2 documents and the notices, so a notice shows the indicator the page shows.
 */
export function pageIndicator(status: {
  components: readonly { status: ComponentStatus }[];
  unresolvedIncidents: readonly { impact: Impact }[];
  maintenances: readonly { status: IncidentStatus | MaintenanceStatus }[];
}): { indicator: Indicator; description: string } {
  return rollUpIndicator({
    componentStatuses: status.components.map((c) => c.status),
    unresolvedIncidentImpacts: status.unresolvedIncidents.map((i) => i.impact),
    maintenanceInProgress: status.maintenances.some((m) => m.status === 'in_progress' || m.status === 'verifying'),
  });
}
