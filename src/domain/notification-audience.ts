/**
 * Who hears about what: the event kinds the dispatcher and delivery worker route by. Which
 * subscribers get an event is SQL in storage/delivery-repository.ts (insertDeliveryChunk).
 */

/** Events that reach subscribers when the responder asked to notify (`deliver_notifications`). */
export const SUBSCRIBER_EVENTS = [
  'incident.created',
  'incident.updated',
  'incident.resolved',
  'maintenance.scheduled',
  'maintenance.started',
  'maintenance.updated',
  'maintenance.completed',
  'maintenance.cancelled',
  // Sent once, `remind_prior_minutes` before a maintenance starts.
  'maintenance.reminder',
  'component.updated',
] as const;

/**
 * Heartbeat alarms for responders (the page definition's `alert:` recipients of the metric),
 * whatever the subscriber policy; subscribers hear through the automatic notice's incident events.
 */
export const ALERT_EVENTS = ['heartbeat.fired', 'heartbeat.escalated', 'heartbeat.recovered'] as const;

/** Sent to one subscriber whatever its state: the double opt-in email. */
export const CONFIRMATION_EVENT = 'subscriber.confirmation_requested';

/** Sent by email to the owner of a webhook endpoint that was disabled after failing for days. */
export const ENDPOINT_DISABLED_EVENT = 'subscriber.disabled';
