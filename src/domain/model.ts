import type { ChatPlatform } from './chat-platform.ts';
import type { UserRole } from './roles.ts';
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

/** What incidents and maintenances share; each kind adds its own status vocabulary. */
interface IncidentBase {
  id: string;
  name: string;
  impact: Impact;
  /** The impact a responder chose rather than the one computed from component statuses (Statuspage's `impact_override`); null when computed. */
  impact_override: Impact | null;
  source: 'responder' | 'heartbeat';
  postmortem_url: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date;
  monitoring_at: Date | null;
  resolved_at: Date | null;
  component_ids: string[];
  /** The timeline, newest first. */
  updates: IncidentUpdate[];
}

/** An incident, declared by a responder or opened by the heartbeat detector (`source`). */
export interface ResponderIncident extends IncidentBase {
  kind: 'incident';
  status: IncidentStatus;
}

/** A scheduled maintenance: a window, opened and closed by hand or by itself (`auto_start`, `auto_complete`). */
export interface Maintenance extends IncidentBase {
  kind: 'maintenance';
  status: MaintenanceStatus;
  scheduled_for: Date;
  scheduled_until: Date;
  auto_start: boolean;
  auto_complete: boolean;
  /** Set when it was called off before it began (it is then `completed`, and never took place). */
  cancelled_at: Date | null;
  /** Subscribers are reminded this many minutes before it starts (Statuspage's scheduled_remind_prior); null: no reminder. */
  remind_prior_minutes: number | null;
  /** When the reminder went out. */
  reminded_at: Date | null;
}

/** An incident or a maintenance: one table, one timeline shape, told apart by `kind`. */
export type Incident = ResponderIncident | Maintenance;

/** The incident or maintenance type of one kind (`IncidentOfKind<'maintenance'>` is `Maintenance`). */
export type IncidentOfKind<K extends Incident['kind']> = Extract<Incident, { kind: K }>;

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
  /** An email address, a Standard Webhooks endpoint, or a chat channel's incoming webhook (ChatPlatform). */
  type: 'email' | 'webhook' | ChatPlatform;
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
  channel: Subscriber['type'];
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  sent_at: Date | null;
  last_error: string | null;
  created_at: Date;
}

// Entities the console, the API, the jobs and the presenters share. Storage fills them from its
// rows; everything else takes them from here, so no layer needs storage for a type.

/** A responder account of the console. `password_hash` never leaves the services. */
export interface ResponderUser {
  id: string;
  email: string;
  name: string | null;
  role: UserRole;
  has_password: boolean;
  created_at: Date;
  updated_at: Date;
  disabled_at: Date | null;
}

export interface ConsoleSession {
  /** SHA-256 (hex) of the cookie token. */
  id: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  method: 'password' | 'link';
  user_agent: string | null;
}

/** A ready-made incident declaration: title, status, impact, first update and component statuses. */
export interface IncidentTemplate {
  id: string;
  name: string;
  title: string;
  status: IncidentStatus;
  impact: Impact | null;
  body: string;
  /** {component id: new status} */
  component_statuses: Record<string, ComponentStatus>;
  created_at: Date;
  updated_at: Date;
}

export type TemplateFields = Omit<IncidentTemplate, 'id' | 'created_at' | 'updated_at'>;

/** An entry of the audit log, as read back. (A type, not an interface: storage reads it as a query row.) */
export type AuditEntry = {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: Record<string, unknown>;
};

/** An outbox event: committed with the change it announces, for the notification dispatcher. */
export interface OutboxEvent {
  id: number;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

/** An outbox event about an incident (one per published update, plus responder alerts). */
export interface IncidentEvent {
  id: number;
  type: string;
  update_id: string | null;
  created_at: Date;
  /** Set once every recipient's delivery row exists; null while the audience is still being expanded. */
  dispatched_at: Date | null;
}

/** Deliveries of one event and channel: targeted, sent, failed (dead-lettered), pending (incl. being sent). */
export interface EventChannelCounts {
  event_id: number;
  update_id: string | null;
  channel: string;
  targeted: number;
  sent: number;
  failed: number;
  pending: number;
}

/** Per event and channel: recipients targeted, sent, failed (dead-lettered), pending (incl. retrying). */
export interface DeliveryProgress {
  event_id: number;
  event_type: string;
  update_id: string | null;
  created_at: Date;
  channel: string;
  targeted: number;
  sent: number;
  failed: number;
  pending: number;
}

/** Dead-lettered deliveries of one notice (outbox event), with what it was about. */
export interface DeadLetterGroup {
  event_id: number;
  event_type: string;
  event_created_at: Date;
  incident_id: string | null;
  incident_name: string | null;
  dead: number;
}

/** A responder alert recipient (from the page definition's `alert:`), with the metrics it is alerted for. */
export interface AlertRecipient {
  id: string;
  type: 'email' | 'webhook';
  address: string;
  metrics: string[];
  secret: string | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
}

/** One push of a heartbeat series (metric × region) for one bucket. */
export interface HeartbeatPoint {
  metric: string;
  region: string;
  bucket: Date;
  value: number;
}

/** One alarm episode of a series: from the first fired evaluation to the recovery. (A type, not an interface: storage reads it as a query row.) */
export type HeartbeatEpisode = {
  id: number;
  metric: string;
  region: string;
  started_at: Date;
  ended_at: Date | null;
  tier: 'major' | 'critical';
  incident_id: string | null;
  outcome: 'recovered' | 'dismissed' | 'converted' | null;
  decided_by: string | null;
  decided_at: Date | null;
};
