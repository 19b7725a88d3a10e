/**
 * The words shown for statuses and impacts, defined once for the status page, the console and the
 * emails. Component status labels and indicator descriptions live beside their vocabularies in
 * status.ts.
 */
import type { Impact, IncidentStatus, MaintenanceStatus } from './status.ts';

/** Incident and maintenance statuses, as the timeline, the console and the emails name them. */
export const INCIDENT_STATUS_LABELS: Record<IncidentStatus | MaintenanceStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  verifying: 'Verifying',
  completed: 'Completed',
};

/** Impact on the public status page, where the word "impact" follows it ("Minor impact"). */
export const PUBLIC_IMPACT_LABELS: Record<Impact, string> = {
  none: 'No impact',
  minor: 'Minor',
  major: 'Major',
  critical: 'Critical',
  maintenance: 'Maintenance',
};

/**
 * Impact in the console, where it follows the word "impact" ("impact None") and names a choice in
 * the forms. It differs from the public label only for `none`; whether the two should agree is an
 * open decision (issue 11, decision 7), so both are kept, named apart.
 */
export const CONSOLE_IMPACT_LABELS: Record<Impact, string> = { ...PUBLIC_IMPACT_LABELS, none: 'None' };
