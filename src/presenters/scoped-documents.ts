/**
 * The public documents that also come for one component (`?component=KEY`) and, for the SVG badge,
 * in a dark theme (`?theme=dark`). The snapshot builds the page-wide, light one of each eagerly;
 * the route builds the others on demand, cached until the next change (PublicSnapshot.getLazy).
 */
import type { Component } from '../domain/model.ts';
import type { PublicStatus } from '../queries/load-public-status.ts';
import { badgeJson, badgeSvg, componentBadge, pageBadge, type BadgeTheme } from './badge.ts';
import { buildHistoryFeeds } from './feeds.ts';
import { buildMaintenanceCalendar } from './maintenance-calendar.ts';
import { qualifiedName } from './status-page-view.ts';

export const SCOPED_DOCUMENTS = ['/badge.svg', '/badge.json', '/history.rss', '/history.atom', '/maintenances.ics'] as const;
export type ScopedDocument = (typeof SCOPED_DOCUMENTS)[number];

export interface DocumentScope {
  /** null: the whole page. */
  component: Component | null;
  theme: BadgeTheme;
}

export const PAGE_SCOPE: DocumentScope = { component: null, theme: 'light' };

export function renderScopedDocument(
  path: ScopedDocument,
  status: PublicStatus,
  publicUrl: string,
  scope: DocumentScope,
): { contentType: string; text: string } {
  const { component } = scope;
  const feedScope = component ? { component, label: qualifiedName(component, status.groups) } : null;
  const badge = () => (component ? componentBadge(component, status.groups) : pageBadge(status));
  switch (path) {
    case '/badge.svg':
      return { contentType: 'image/svg+xml; charset=utf-8', text: badgeSvg(badge(), scope.theme) };
    case '/badge.json':
      return { contentType: 'application/json; charset=utf-8', text: JSON.stringify(badgeJson(badge())) };
    case '/history.rss':
      return { contentType: 'application/rss+xml; charset=utf-8', text: buildHistoryFeeds(status, publicUrl, feedScope).rss };
    case '/history.atom':
      return { contentType: 'application/atom+xml; charset=utf-8', text: buildHistoryFeeds(status, publicUrl, feedScope).atom };
    case '/maintenances.ics':
      return { contentType: 'text/calendar; charset=utf-8', text: buildMaintenanceCalendar(status, publicUrl, component) };
  }
}
