import { XMLBuilder } from 'fast-xml-parser';
import { Feed } from 'feed';
import type { Component, Incident } from '../domain/model.ts';
import type { PublicStatus } from '../queries/load-public-status.ts';
import { renderMarkdown } from './markdown.ts';

const atomBuilder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true });

/** One feed entry, whichever format carries it. */
interface FeedEntry {
  /** Plain text: the incident name as its responder typed it. */
  title: string;
  url: string;
  updated: Date;
  published: Date;
  /** Plain text. */
  summary: string;
  /** HTML we rendered ourselves: fixed markup around Markdown rendered with raw HTML off. */
  contentHtml: string;
}

/** A feed of one component's incidents and maintenances (`/history.rss?component=KEY`). */
interface FeedScope {
  component: Component;
  /** The component as a visitor tells it apart, with its group ("Messaging (Europe)"). */
  label: string;
}

/**
 * RSS 2.0 and Atom 1.0 of recent incidents and maintenances, one entry per incident; with a scope,
 * only those that affect its component.
 */
export function buildHistoryFeeds(status: PublicStatus, publicUrl: string, scope: FeedScope | null = null): { rss: string; atom: string } {
  const title = scope ? `${status.page.name} status history: ${scope.label}` : `${status.page.name} status history`;
  const description = scope ? `Incidents and maintenance affecting ${scope.label} on ${status.page.name}` : `Incidents and maintenance for ${status.page.name}`;
  const query = scope ? `?component=${encodeURIComponent(scope.component.key)}` : '';
  const entries: FeedEntry[] = [...status.recentIncidents, ...status.maintenances]
    .filter((incident) => !scope || incident.component_ids.includes(scope.component.id))
    .sort((a, b) => Number(b.updated_at) - Number(a.updated_at))
    .slice(0, 50)
    .map((incident: Incident) => ({
      title: incident.name,
      url: `${publicUrl}/incidents/${incident.id}`,
      updated: incident.updated_at,
      published: incident.created_at,
      summary: `${incident.kind === 'maintenance' ? 'Maintenance' : 'Incident'}: ${incident.status.replace('_', ' ')}`,
      contentHtml: incident.updates
        .map((u) => `<p><strong>${u.status.replace('_', ' ')}</strong> (${u.display_at.toISOString()})</p>${renderMarkdown(u.body)}`)
        .join('\n'),
    }));

  // RSS titles are plain text by the spec; the feed package writes them as CDATA (text to any XML reader).
  const feed = new Feed({
    title,
    description,
    id: `${publicUrl}/`,
    link: `${publicUrl}/`,
    language: 'en',
    updated: status.page.updated_at,
    copyright: status.page.name,
    feedLinks: { rss: `${publicUrl}/history.rss${query}`, atom: `${publicUrl}/history.atom${query}` },
  });
  for (const entry of entries) {
    feed.addItem({
      title: entry.title,
      id: entry.url,
      link: entry.url,
      date: entry.updated,
      published: entry.published,
      description: entry.summary,
      content: entry.contentHtml,
    });
  }
  return {
    rss: feed.rss2(),
    atom: atomFeed(
      {
        // The whole page's feed keeps the id it always had; a component's feed is named by its own address.
        id: scope ? `${publicUrl}/history.atom${query}` : `${publicUrl}/`,
        title,
        description,
        publicUrl,
        self: `${publicUrl}/history.atom${query}`,
        updated: status.page.updated_at,
        rights: status.page.name,
      },
      entries,
    ),
  };
}

/**
 * Atom written here rather than by the feed package, which declares every entry title and summary
 * type="html": a reader following the spec would then run markup typed into an incident name.
 * Titles and summaries are text (escaped by the builder); only our rendered Markdown is html.
 */
function atomFeed(
  meta: { id: string; title: string; description: string; publicUrl: string; self: string; updated: Date; rights: string },
  entries: FeedEntry[],
): string {
  const text = (value: string) => ({ '@_type': 'text', '#text': value });
  return atomBuilder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    feed: {
      '@_xmlns': 'http://www.w3.org/2005/Atom',
      id: meta.id,
      title: text(meta.title),
      subtitle: text(meta.description),
      updated: meta.updated.toISOString(),
      link: [
        { '@_rel': 'alternate', '@_href': `${meta.publicUrl}/` },
        { '@_rel': 'self', '@_href': meta.self },
      ],
      rights: text(meta.rights),
      // Atom wants an author for every entry; the page speaks for itself.
      author: { name: meta.rights },
      entry: entries.map((entry) => ({
        title: text(entry.title),
        id: entry.url,
        link: { '@_href': entry.url },
        updated: entry.updated.toISOString(),
        published: entry.published.toISOString(),
        summary: text(entry.summary),
        content: { '@_type': 'html', '#text': entry.contentHtml },
      })),
    },
  }) as string;
}
