/**
 * What a subscriber is told about an event: the email (subject, HTML, text) and the webhook body
 * (Statuspage's webhook shape plus an explicit `event_type`). Pure: the worker loads the data.
 */
import { INCIDENT_STATUS_LABELS } from '../domain/labels.ts';
import { COMPONENT_STATUS_LABELS } from '../domain/status.ts';
import { formatDateTime } from '../domain/time.ts';
import type { NoticeData } from '../queries/load-notice-data.ts';
import { renderMarkdown } from './markdown.ts';
import { presentComponent, presentIncident, siblingPositions } from './statuspage-v2.ts';
import type { TemplateRenderer } from './template-renderer.ts';

const STATUS_LABELS: Record<string, string> = INCIDENT_STATUS_LABELS;

export interface RecipientLinks {
  manageUrl: string;
  unsubscribeUrl: string;
}

/** The parts of a notice shared by every recipient: computed once per event. */
export function buildNotice(views: TemplateRenderer, data: NoticeData) {
  const tz = data.page.time_zone;
  const groupName = new Map(data.groups.map((g) => [g.id, g.name]));
  const label = (c: { id?: string; code?: string; name: string }) => {
    const component = data.components.find((x) => x.id === (c.id ?? c.code));
    if (!component) return c.name;
    // The component's own name with its group: an update's stored name already reads "<group> - <name>".
    const group = component.group_id ? groupName.get(component.group_id) : null;
    return group ? `${component.name} (${group})` : component.name;
  };
  if (data.componentChange) {
    const { component, newStatus, oldStatus, at } = data.componentChange;
    const statusLabel = COMPONENT_STATUS_LABELS[newStatus];
    return {
      subject: `[${data.page.name}] ${label(component)}: ${statusLabel}`,
      title: `${label(component)} is now ${statusLabel.toLowerCase()}`,
      statusLabel,
      bodyHtml: `<p>${views.escape(label(component))} changed from ${COMPONENT_STATUS_LABELS[oldStatus].toLowerCase()} to ${statusLabel.toLowerCase()}.</p>`,
      bodyText: `${label(component)} changed from ${COMPONENT_STATUS_LABELS[oldStatus].toLowerCase()} to ${statusLabel.toLowerCase()}.`,
      at: formatDateTime(at, tz),
      url: `${data.publicUrl}/`,
      affected: [] as { name: string; status: string }[],
      webhookObject: {
        component_update: {
          id: `${component.id}-${at.getTime()}`,
          component_id: component.id,
          old_status: oldStatus,
          new_status: newStatus,
          created_at: at.toISOString(),
          component_type: 'Component',
        },
        component: presentComponent({ ...component, status: newStatus }, data.page.id, siblingPositions(data.groups, data.components).get(component.id)),
      },
    };
  }
  const incident = data.incident;
  // Every notice event names an incident or a component change; one naming neither is a bug upstream, not a message to send.
  if (!incident) throw new Error('a notice needs the incident it announces');
  const update = incident.updates.find((u) => u.id === data.updateId) ?? incident.updates[0];
  // A maintenance called off before it began ends `completed`; its last update says it is cancelled.
  const cancelled = incident.kind === 'maintenance' && incident.cancelled_at !== null && update.status === 'completed';
  const statusLabel = cancelled ? 'Cancelled' : (STATUS_LABELS[update.status] ?? update.status);
  const kind = incident.kind === 'maintenance' ? 'Maintenance' : 'Incident';
  // A reminder: the announcement again, led by when the window opens.
  const startsAt = data.eventType === 'maintenance.reminder' && incident.kind === 'maintenance' ? formatDateTime(incident.scheduled_for, tz) : null;
  const lead = startsAt ? `Starts ${startsAt}.\n\n` : '';
  return {
    subject: startsAt
      ? `[${data.page.name}] Reminder: ${incident.name} starts ${startsAt}`
      : `[${data.page.name}] ${cancelled ? 'Maintenance cancelled' : incident.kind === 'maintenance' ? 'Maintenance' : statusLabel}: ${incident.name}`,
    title: incident.name,
    statusLabel: startsAt ? 'Maintenance starts soon' : incident.kind === 'maintenance' ? `${kind} ${statusLabel.toLowerCase()}` : statusLabel,
    bodyHtml: renderMarkdown(`${lead}${update.body}`),
    bodyText: `${lead}${update.body}`,
    at: formatDateTime(update.display_at, tz),
    url: `${data.publicUrl}/incidents/${incident.id}`,
    scheduled: incident.kind === 'maintenance' ? `${formatDateTime(incident.scheduled_for, tz)} to ${formatDateTime(incident.scheduled_until, tz)}` : null,
    affected: update.affected_components.map((a) => ({ name: label(a), status: COMPONENT_STATUS_LABELS[a.new_status] })),
    webhookObject: {
      incident: presentIncident(incident, data.components, data.page.id, {
        publicUrl: data.publicUrl,
        positions: siblingPositions(data.groups, data.components),
      }),
    },
  };
}

export type Notice = ReturnType<typeof buildNotice>;

export function renderNoticeEmail(views: TemplateRenderer, notice: Notice, data: Pick<NoticeData, 'page' | 'publicUrl'>, links: RecipientLinks) {
  const model = { ...notice, pageName: data.page.name, publicUrl: data.publicUrl, ...links };
  return { subject: notice.subject, ...views.email('notice', model) };
}

export function renderConfirmationEmail(
  views: TemplateRenderer,
  data: { pageName: string; publicUrl: string; confirmUrl: string; manageUrl: string; alreadyConfirmed: boolean; webhookUrl?: string | null },
) {
  const what = data.webhookUrl ? 'webhook subscription' : 'subscription';
  const subject = data.alreadyConfirmed ? `[${data.pageName}] Manage your status updates ${what}` : `[${data.pageName}] Confirm your ${what} to status updates`;
  return { subject, ...views.email('confirm', data) };
}

/**
 * Tells a webhook endpoint's or chat channel's owner that nothing more is sent there. `what` names
 * it ("webhook endpoint", "Slack channel subscription"); `gone` when the receiver said it no longer
 * exists (404, 410, Slack's channel_not_found...), rather than after days of failures.
 */
export function renderEndpointDisabledEmail(
  views: TemplateRenderer,
  data: { pageName: string; publicUrl: string; url: string; reason: string; byResponder?: boolean; what?: string; gone?: boolean },
) {
  const what = data.what ?? 'webhook endpoint';
  return { subject: `[${data.pageName}] Your ${what} was disabled`, ...views.email('endpoint-disabled', { ...data, what }) };
}

/** Statuspage's webhook body, with `event_type` and the recipient's own unsubscribe link. */
export function buildWebhookBody(notice: Notice, data: Pick<NoticeData, 'page' | 'indicator' | 'eventType'>, links: RecipientLinks, generatedAt: Date): string {
  return JSON.stringify({
    event_type: data.eventType,
    meta: {
      unsubscribe: links.unsubscribeUrl,
      documentation: `${links.manageUrl.split('/manage')[0]}/api/v1/openapi.json`,
      generated_at: generatedAt.toISOString(),
    },
    page: { id: data.page.id, status_indicator: data.indicator.indicator, status_description: data.indicator.description },
    ...notice.webhookObject,
  });
}
