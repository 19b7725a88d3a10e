import { Feed } from 'feed';
import type { Incident } from '../domain/model.ts';
import type { PublicStatus } from '../services/load-public-status.ts';
import { renderMarkdown } from './markdown.ts';

/** RSS 2.0 and Atom 1.0 of recent incidents and maintenances, one entry per incident. */
export function buildHistoryFeeds(status: PublicStatus, publicUrl: string): { rss: string; atom: string } {
  const feed = new Feed({
    title: `${status.page.name} status history`,
    description: `Incidents and maintenance for ${status.page.name}`,
    id: `${publicUrl}/`,
    link: `${publicUrl}/`,
    language: 'en',
    updated: status.page.updated_at,
    copyright: status.page.name,
    feedLinks: { rss: `${publicUrl}/history.rss`, atom: `${publicUrl}/history.atom` },
  });
  const entries: Incident[] = [...status.recentIncidents, ...status.maintenances]
    .sort((a, b) => Number(b.updated_at) - Number(a.updated_at))
    .slice(0, 50);
  for (const incident of entries) {
    const timeline = incident.updates
      .map((u) => `<p><strong>${u.status.replace('_', ' ')}</strong> (${u.display_at.toISOString()})</p>${renderMarkdown(u.body)}`)
      .join('\n');
    feed.addItem({
      title: incident.name,
      id: `${publicUrl}/incidents/${incident.id}`,
      link: `${publicUrl}/incidents/${incident.id}`,
      date: incident.updated_at,
      published: incident.created_at,
      description: `${incident.kind === 'maintenance' ? 'Maintenance' : 'Incident'}: ${incident.status.replace('_', ' ')}`,
      content: timeline,
    });
  }
  return { rss: feed.rss2(), atom: feed.atom1() };
}
