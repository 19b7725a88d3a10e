import { describe, expect, it } from 'vitest';
import { impactOfComponentStatuses, rollUpIndicator } from '../../src/domain/status.ts';

describe('status roll-up', () => {
  const roll = (componentStatuses: Parameters<typeof rollUpIndicator>[0]['componentStatuses'], impacts: Parameters<typeof rollUpIndicator>[0]['unresolvedIncidentImpacts'] = [], maintenanceInProgress = false) =>
    rollUpIndicator({ componentStatuses, unresolvedIncidentImpacts: impacts, maintenanceInProgress });

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
  it('ignores the impact of an incident with no impact', () => {
    expect(roll(['operational'], ['none']).indicator).toBe('none');
  });
  it('derives an incident impact from component statuses', () => {
    expect(impactOfComponentStatuses([])).toBe('none');
    expect(impactOfComponentStatuses(['degraded_performance'])).toBe('minor');
    expect(impactOfComponentStatuses(['partial_outage', 'major_outage'])).toBe('major');
  });
});
