import { ConflictError } from './errors.ts';
import type { IncidentStatus, MaintenanceStatus } from './status.ts';

const UNRESOLVED: IncidentStatus[] = ['investigating', 'identified', 'monitoring'];

export function isUnresolved(status: IncidentStatus): boolean {
  return UNRESOLVED.includes(status);
}

/**
 * Which incident status may follow which. While open, any step is allowed, backwards too
 * (a fix that does not hold goes from monitoring back to investigating). Once resolved, an
 * incident takes follow-up notes and a postmortem but is not reopened: declare a new one.
 */
export function assertIncidentTransition(from: IncidentStatus, to: IncidentStatus): void {
  if (isUnresolved(from)) {
    if (to === 'postmortem') throw new ConflictError('status: resolve the incident before posting a postmortem');
    return;
  }
  if (from === 'resolved' && (to === 'resolved' || to === 'postmortem')) return;
  if (from === 'postmortem' && to === 'postmortem') return;
  throw new ConflictError(`status: a ${from} incident cannot move to ${to}; declare a new incident instead`);
}

const MAINTENANCE_ORDER: MaintenanceStatus[] = ['scheduled', 'in_progress', 'verifying', 'completed'];

/** Maintenance moves forward only: scheduled → in_progress → verifying → completed (steps may be skipped). */
export function assertMaintenanceTransition(from: MaintenanceStatus, to: MaintenanceStatus): void {
  if (from === 'completed') throw new ConflictError('status: this maintenance is already completed');
  if (MAINTENANCE_ORDER.indexOf(to) < MAINTENANCE_ORDER.indexOf(from)) {
    throw new ConflictError(`status: maintenance cannot go back from ${from} to ${to}`);
  }
}

/** The timestamps an incident carries for a status reached at `at`. */
export function lifecycleTimestamps(status: IncidentStatus | MaintenanceStatus, at: Date): { monitoring_at?: Date; resolved_at?: Date } {
  if (status === 'monitoring' || status === 'verifying') return { monitoring_at: at };
  if (status === 'resolved' || status === 'completed') return { resolved_at: at };
  return {};
}
