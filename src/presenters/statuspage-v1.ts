/**
 * Domain → Atlassian Statuspage manage API (v1) shapes. A v1 incident is the v2 incident plus the
 * fields Statuspage's own manage API answers with (postmortem, scheduling, automation, Twitter),
 * so the tools that drive Statuspage (incident tools, alert bridges, chat bots, Terraform) read
 * Lifeline's answers unchanged. Fields Lifeline has no notion of are present with Statuspage's
 * empty values; Lifeline's own extra keys (`source`) are kept.
 */
import type { Component, ComponentGroup, Incident, IncidentTemplate, Page, Subscriber } from '../domain/model.ts';
import { shownSubscriberUrl } from '../domain/subscriber-url.ts';
import type { PublicStatus } from '../queries/load-public-status.ts';
import { presentComponent, presentComponents, presentIncident, type PresentOptions } from './statuspage-v2.ts';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function presentV1Page(page: Page, options: PresentOptions) {
  const url = new URL(options.publicUrl);
  return {
    id: page.id,
    created_at: iso(page.created_at),
    updated_at: iso(page.updated_at),
    name: page.name,
    page_description: null,
    headline: null,
    branding: 'basic',
    subdomain: null,
    domain: url.host,
    url: options.publicUrl,
    support_url: null,
    hidden_from_search: false,
    allow_page_subscribers: true,
    allow_incident_subscribers: false,
    allow_email_subscribers: true,
    allow_sms_subscribers: false,
    allow_rss_atom_feeds: true,
    allow_webhook_subscribers: true,
    notifications_from_email: null,
    notifications_email_footer: null,
    activity_score: 0,
    twitter_username: null,
    viewers_must_be_team_members: false,
    ip_restrictions: null,
    city: null,
    state: null,
    country: null,
    time_zone: page.time_zone,
    css_body_background_color: null,
    css_font_color: null,
    css_light_font_color: null,
    css_greens: null,
    css_yellows: null,
    css_oranges: null,
    css_blues: null,
    css_reds: null,
    css_border_color: null,
    css_graph_color: null,
    css_link_color: null,
    css_no_data: null,
    favicon_logo: null,
    transactional_logo: null,
    hero_cover: null,
    email_logo: null,
    twitter_logo: null,
  };
}

/** Components (groups first, each followed by its components) as `GET /pages/{id}/components` lists them. */
export function presentV1Components(status: Pick<PublicStatus, 'groups' | 'components' | 'page'>) {
  return presentComponents(status).map((component) => ({ ...component, automation_email: null }));
}

export function presentV1Component(component: Component, pageId: string, position?: number) {
  return { ...presentComponent(component, pageId, position), automation_email: null };
}

/** A component group as `GET /pages/{id}/component-groups` lists it (`position` among the groups and ungrouped components). */
export function presentV1Group(group: ComponentGroup, children: readonly Component[], pageId: string, position = group.position) {
  return {
    id: group.id,
    page_id: pageId,
    name: group.name,
    description: group.description,
    components: children.map((c) => c.id),
    position,
    created_at: iso(group.created_at),
    updated_at: iso(group.updated_at),
  };
}

export function presentV1Incident(incident: Incident, components: Component[], pageId: string, options: PresentOptions) {
  const v2 = presentIncident(incident, components, pageId, options);
  const maintenance = incident.kind === 'maintenance';
  return {
    ...v2,
    impact_override: incident.impact_override,
    metadata: {},
    postmortem_body: null,
    postmortem_body_last_updated_at: null,
    postmortem_ignored: false,
    postmortem_notified_subscribers: false,
    postmortem_notified_twitter: false,
    postmortem_published_at: null,
    scheduled_for: maintenance ? iso(incident.scheduled_for) : null,
    scheduled_until: maintenance ? iso(incident.scheduled_until) : null,
    scheduled_remind_prior: maintenance && incident.remind_prior_minutes !== null,
    scheduled_reminded_at: maintenance ? iso(incident.reminded_at) : null,
    scheduled_auto_in_progress: maintenance && incident.auto_start,
    scheduled_auto_completed: maintenance && incident.auto_complete,
    auto_transition_deliver_notifications_at_end: null,
    auto_transition_deliver_notifications_at_start: null,
    auto_transition_to_maintenance_state: null,
    auto_transition_to_operational_state: null,
    reminder_intervals: null,
    incident_updates: v2.incident_updates.map((update) => ({ ...update, twitter_updated_at: null, wants_twitter_update: false })),
  };
}

/**
 * A subscriber as Statuspage's manage API answers one. `components` lists every component for a
 * page-wide subscription (`allComponentIds`), as Statuspage does; a suppressed address or a
 * disabled endpoint is `quarantined_at`. Lifeline adds `confirmed_at`, and `secret` (a webhook's
 * signing secret) in the answer that creates it. The endpoint is whole only for a caller who may
 * manage subscribers.
 */
export function presentV1Subscriber(
  subscriber: Subscriber,
  allComponentIds: readonly string[],
  mayManage: boolean,
  extra: { skipConfirmation?: boolean; secret?: string } = {},
) {
  return {
    id: subscriber.id,
    mode: subscriber.type,
    skip_confirmation_notification: extra.skipConfirmation ?? false,
    email: subscriber.email,
    endpoint: shownSubscriberUrl(subscriber.url, mayManage),
    phone_number: null,
    phone_country: null,
    display_phone_number: null,
    obfuscated_channel_name: null,
    workspace_name: null,
    slack_channel_id: null,
    slack_user_id: null,
    page_access_user_id: null,
    components: subscriber.all_components ? [...allComponentIds] : subscriber.component_ids,
    created_at: iso(subscriber.created_at),
    quarantined_at: iso(subscriber.suppressed_at ?? subscriber.disabled_at),
    purge_at: null,
    confirmed_at: iso(subscriber.confirmed_at),
    ...(extra.secret === undefined ? {} : { secret: extra.secret }),
  };
}

/**
 * An incident template as Statuspage answers one: `title` and `body` of the incident it opens,
 * `update_status` its status, `components` the components it affects. Lifeline adds
 * `component_statuses` (the status each gets) and `impact`. Template groups and Twitter are not
 * Lifeline's (`group_id: null`, `should_tweet: false`); a template always lets the responder choose
 * whether to notify (`should_send_notifications: true`).
 */
export function presentV1Template(template: IncidentTemplate, components: readonly Component[], pageId: string, positions?: ReadonlyMap<string, number>) {
  return {
    id: template.id,
    name: template.name,
    title: template.title,
    body: template.body,
    group_id: null,
    update_status: template.status,
    should_tweet: false,
    should_send_notifications: true,
    components: components.filter((c) => c.id in template.component_statuses).map((c) => presentV1Component(c, pageId, positions?.get(c.id))),
    component_statuses: template.component_statuses,
    impact: template.impact,
    created_at: iso(template.created_at),
    updated_at: iso(template.updated_at),
  };
}
