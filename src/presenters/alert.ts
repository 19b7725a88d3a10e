/**
 * What responders are told when a heartbeat series fires, escalates or recovers: the email and
 * the webhook body for the paging tool. Pure: the payload is the outbox event's.
 */
import type { Page } from '../domain/model.ts';
import { formatDateTime } from '../domain/time.ts';
import type { TemplateRenderer } from './template-renderer.ts';

/** The outbox payload of `heartbeat.fired` / `.escalated` / `.recovered`. */
export interface AlertPayload {
  metric: string;
  region: string;
  label: string;
  tier: 'major' | 'critical' | null;
  no_data: boolean;
  since: string | null;
  observed: number;
  expected: number;
  window_seconds: number;
  incident_id: string | null;
  reopened: boolean;
  chart_url: string | null;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function buildAlert(eventType: string, payload: AlertPayload, page: Page, publicUrl: string) {
  const where = `${payload.label} in ${payload.region.toUpperCase()}`;
  const recovered = eventType === 'heartbeat.recovered';
  const ratio = payload.expected > 0 ? Math.round((payload.observed / payload.expected) * 100) : null;
  const since = payload.since ? formatDateTime(new Date(payload.since), page.time_zone) : null;
  const headline = recovered ? 'Recovered' : payload.tier === 'critical' ? 'Critical' : 'Major';
  const title = recovered
    ? `${where} is back to normal`
    : payload.no_data
      ? `No ${payload.label.toLowerCase()} data from ${payload.region.toUpperCase()}`
      : `${where} dropped to ${ratio ?? 0}% of normal`;
  const summary = recovered
    ? `Activity has returned to at least 80% of what is expected for this time of the week.`
    : `${eventType === 'heartbeat.escalated' ? 'The drop has deepened. ' : ''}${payload.observed === 0 && payload.no_data ? 'No pushes arrived' : `${count(payload.observed)} counted`} over the last ${payload.window_seconds} s where ${count(payload.expected)} were expected. ${payload.incident_id ? 'An automatic notice is on the status page.' : ''}`.trim();
  const incidentUrl = payload.incident_id ? `${publicUrl}/incidents/${payload.incident_id}` : null;
  return {
    subject: `[${page.name}] ${headline}: ${title}`,
    model: {
      pageName: page.name,
      publicUrl,
      subject: '',
      headline,
      title,
      summary,
      recovered,
      since,
      observed: count(payload.observed),
      expected: count(payload.expected),
      chartUrl: payload.chart_url,
      incidentUrl,
    },
    incidentUrl,
  };
}

export function renderAlertEmail(views: TemplateRenderer, eventType: string, payload: AlertPayload, page: Page, publicUrl: string) {
  const alert = buildAlert(eventType, payload, page, publicUrl);
  const model = { ...alert.model, subject: alert.subject };
  return { subject: alert.subject, ...views.email('alert', model) };
}

/** The paging tool's body: the event, the series and where to look, as plain JSON. */
export function buildAlertWebhookBody(eventType: string, payload: AlertPayload, page: Page, publicUrl: string, generatedAt: Date): string {
  const alert = buildAlert(eventType, payload, page, publicUrl);
  return JSON.stringify({
    event_type: eventType,
    meta: { generated_at: generatedAt.toISOString() },
    page: { id: page.id, name: page.name, url: publicUrl },
    alert: {
      summary: alert.subject,
      severity: eventType === 'heartbeat.recovered' ? 'resolved' : payload.tier,
      metric: payload.metric,
      region: payload.region,
      label: payload.label,
      since: payload.since,
      observed: payload.observed,
      expected: payload.expected,
      window_seconds: payload.window_seconds,
      no_data: payload.no_data,
      chart_url: payload.chart_url,
      incident_id: payload.incident_id,
      incident_url: alert.incidentUrl,
      reopened: payload.reopened,
    },
  });
}
