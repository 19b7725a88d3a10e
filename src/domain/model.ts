import type { ComponentStatus, Impact, IncidentStatus, MaintenanceStatus } from './status.ts';

export interface Page {
  id: string;
  name: string;
  url: string;
  time_zone: string;
  /** Who owns the groups and components: the page definition file, or the console and API. */
  components_from: 'file' | 'console';
  revision: number;
  created_at: Date;
  updated_at: Date;
}

export interface ComponentGroup {
  id: string;
  key: string;
  name: string;
  description: string | null;
  position: number;
  created_at: Date;
  updated_at: Date;
}

export interface Component {
  id: string;
  key: string;
  group_id: string | null;
  name: string;
  description: string | null;
  position: number;
  status: ComponentStatus;
  showcase: boolean;
  only_show_if_degraded: boolean;
  start_date: string | null;
  created_at: Date;
  updated_at: Date;
}

/** How Statuspage lists a component's change within an update. */
export interface AffectedComponent {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
}

export interface IncidentUpdate {
  id: string;
  incident_id: string;
  status: IncidentStatus | MaintenanceStatus;
  body: string;
  affected_components: AffectedComponent[];
  deliver_notifications: boolean;
  created_by: string;
  created_at: Date;
  display_at: Date;
}

/** An incident, or a scheduled maintenance (kind `maintenance`), with its timeline newest first. */
export interface Incident {
  id: string;
  kind: 'incident' | 'maintenance';
  name: string;
  status: IncidentStatus | MaintenanceStatus;
  impact: Impact;
  source: 'responder' | 'heartbeat';
  postmortem_url: string | null;
  scheduled_for: Date | null;
  scheduled_until: Date | null;
  auto_start: boolean;
  auto_complete: boolean;
  created_at: Date;
  updated_at: Date;
  started_at: Date;
  monitoring_at: Date | null;
  resolved_at: Date | null;
  component_ids: string[];
  updates: IncidentUpdate[];
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface Subscriber {
  id: string;
  type: 'email' | 'webhook';
  email: string | null;
  url: string | null;
  all_components: boolean;
  component_ids: string[];
  source: 'public' | 'api' | 'import';
  confirmed_at: Date | null;
  suppressed_at: Date | null;
  suppressed_reason: string | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  unsubscribed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

type DeliveryState = 'pending' | 'sending' | 'sent' | 'dead';

export interface Delivery {
  id: number;
  event_id: number;
  subscriber_id: string;
  channel: 'email' | 'webhook';
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  sent_at: Date | null;
  last_error: string | null;
  created_at: Date;
}
