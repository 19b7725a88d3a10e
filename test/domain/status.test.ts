import { describe, expect, it } from 'vitest';
import { impactOfComponentStatuses, pageIndicator, rollUpIndicator } from '../../src/domain/status.ts';
import { formatDateTime } from '../../src/domain/time.ts';

describe('status roll-up', () => {
  const roll = (
    componentStatuses: Parameters<typeof rollUpIndicator>[0]['componentStatuses'],
    impacts: Parameters<typeof rollUpIndicator>[0]['unresolvedIncidentImpacts'] = [],
    maintenanceInProgress = false,
  ) => rollUpIndicator({ componentStatuses, unresolvedIncidentImpacts: impacts, maintenanceInProgress });

  it('is operational with everything up and nothing open', () => {
    expect(roll(['operational', 'operational'])).toEqual({ indicator: 'none', description: 'All Systems Operational' });
  });
  it('follows the worst of components and open incidents', () => {
    expect(roll(['operational', 'degraded_performance']).indicator).toBe('minor');
    expect(roll(['operational', 'partial_outage', 'operational']).indicator).toBe('minor');
    expect(roll(['major_outage', 'operational', 'operational']).indicator).toBe('major');
    expect(roll(['operational'], ['critical']).indicator).toBe('critical');
    expect(roll(['degraded_performance'], ['major']).description).toBe('Partial System Outage');
  });
  it('is critical when at least half of the components are down', () => {
    expect(roll(['major_outage', 'major_outage', 'operational', 'operational']).indicator).toBe('critical');
    expect(roll(['major_outage', 'operational', 'operational']).indicator).toBe('major');
    // a single component down is a major outage, not a critical one
    expect(roll(['major_outage']).indicator).toBe('major');
  });
  it('shows maintenance only when nothing is broken', () => {
    expect(roll(['under_maintenance', 'operational']).indicator).toBe('maintenance');
    expect(roll(['operational'], [], true)).toEqual({ indicator: 'maintenance', description: 'Service Under Maintenance' });
    expect(roll(['under_maintenance', 'partial_outage']).indicator).toBe('minor');
  });
  it('says "Partially Degraded Service" when only degraded components make it minor, as Statuspage does', () => {
    expect(roll(['operational', 'degraded_performance'])).toEqual({ indicator: 'minor', description: 'Partially Degraded Service' });
    expect(roll(['degraded_performance'], ['none']).description).toBe('Partially Degraded Service');
    expect(roll(['degraded_performance'], ['minor']).description).toBe('Minor Service Outage');
    expect(roll(['partial_outage', 'degraded_performance']).description).toBe('Minor Service Outage');
    expect(roll(['operational'], ['minor']).description).toBe('Minor Service Outage');
  });
  it('ignores the impact of an incident with no impact', () => {
    expect(roll(['operational'], ['none']).indicator).toBe('none');
  });
  it('derives an incident impact from component statuses', () => {
    expect(impactOfComponentStatuses([])).toBe('none');
    expect(impactOfComponentStatuses(['degraded_performance'])).toBe('minor');
    expect(impactOfComponentStatuses(['partial_outage', 'major_outage'])).toBe('major');
  });
});

describe('the page indicator (status page, v2 documents and notices share it)', () => {
  it('counts a maintenance only while it is in progress or verifying', () => {
    const components = [{ status: 'operational' as const }];
    expect(pageIndicator({ components, unresolvedIncidents: [], maintenances: [{ status: 'scheduled' }] }).indicator).toBe('none');
    expect(pageIndicator({ components, unresolvedIncidents: [], maintenances: [{ status: 'in_progress' }] }).indicator).toBe('maintenance');
    expect(pageIndicator({ components, unresolvedIncidents: [], maintenances: [{ status: 'verifying' }] }).indicator).toBe('maintenance');
    expect(pageIndicator({ components, unresolvedIncidents: [], maintenances: [{ status: 'completed' }] }).indicator).toBe('none');
  });
  it('takes the worst of the components and the unresolved incidents', () => {
    expect(
      pageIndicator({
        components: [{ status: 'degraded_performance' }],
        unresolvedIncidents: [{ impact: 'major' }],
        maintenances: [{ status: 'in_progress' }],
      }),
    ).toEqual({ indicator: 'major', description: 'Partial System Outage' });
  });
});

describe('formatDateTime', () => {
  it("writes a date and time in the page's time zone, with the zone", () => {
    const at = new Date('2026-03-04T14:05:00Z');
    expect(formatDateTime(at, 'UTC')).toBe('Mar 4, 2026, 14:05 UTC');
    expect(formatDateTime(at, 'Europe/Berlin')).toBe('Mar 4, 2026, 15:05 GMT+1');
  });
});
