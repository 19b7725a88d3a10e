/** Who hears about what: the rules the dispatcher turns into SQL, kept here to be read and tested. */

/** Events that reach subscribers when the responder asked to notify (`deliver_notifications`). */
export const SUBSCRIBER_EVENTS = [
  'incident.created',
  'incident.updated',
  'incident.resolved',
  'maintenance.scheduled',
  'maintenance.started',
  'maintenance.updated',
  'maintenance.completed',
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

export interface AudienceSubscriber {
  confirmed: boolean;
  suppressed: boolean;
  disabled: boolean;
  unsubscribed: boolean;
  allComponents: boolean;
  componentIds: string[];
}

/**
 * Whether a subscriber gets an event: confirmed, not suppressed, disabled or unsubscribed, and
 * subscribed to one of the affected components. An event that names no component concerns
 * everybody (better to over-inform during an outage than to leave someone guessing).
 */
export function wantsEvent(subscriber: AudienceSubscriber, event: { componentIds: string[] }): boolean {
  if (!subscriber.confirmed || subscriber.suppressed || subscriber.disabled || subscriber.unsubscribed) return false;
  if (subscriber.allComponents || event.componentIds.length === 0) return true;
  return event.componentIds.some((id) => subscriber.componentIds.includes(id));
}
