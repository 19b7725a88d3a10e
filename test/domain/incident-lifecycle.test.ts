import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/domain/errors.ts';
import { assertIncidentTransition, assertMaintenanceTransition, lifecycleTimestamps } from '../../src/domain/incident-lifecycle.ts';

describe('incident lifecycle', () => {
  it('allows any move while the incident is open, backwards too', () => {
    expect(() => assertIncidentTransition('investigating', 'identified')).not.toThrow();
    expect(() => assertIncidentTransition('investigating', 'resolved')).not.toThrow();
    expect(() => assertIncidentTransition('monitoring', 'investigating')).not.toThrow();
  });
  it('does not reopen a resolved incident', () => {
    expect(() => assertIncidentTransition('resolved', 'investigating')).toThrow(ConflictError);
    expect(() => assertIncidentTransition('postmortem', 'monitoring')).toThrow(/declare a new incident/);
  });
  it('takes a postmortem only once resolved', () => {
    expect(() => assertIncidentTransition('monitoring', 'postmortem')).toThrow(/resolve the incident/);
    expect(() => assertIncidentTransition('resolved', 'postmortem')).not.toThrow();
    expect(() => assertIncidentTransition('resolved', 'resolved')).not.toThrow();
  });
  it('moves maintenance forward only', () => {
    expect(() => assertMaintenanceTransition('scheduled', 'in_progress')).not.toThrow();
    expect(() => assertMaintenanceTransition('scheduled', 'completed')).not.toThrow();
    expect(() => assertMaintenanceTransition('verifying', 'in_progress')).toThrow(ConflictError);
    expect(() => assertMaintenanceTransition('completed', 'completed')).toThrow(/already completed/);
  });
  it('stamps monitoring and resolution times', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(lifecycleTimestamps('monitoring', at)).toEqual({ monitoring_at: at });
    expect(lifecycleTimestamps('resolved', at)).toEqual({ resolved_at: at });
    expect(lifecycleTimestamps('completed', at)).toEqual({ resolved_at: at });
    expect(lifecycleTimestamps('identified', at)).toEqual({});
  });
});
