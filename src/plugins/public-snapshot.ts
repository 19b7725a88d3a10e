import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { servedBannerScript } from '../presenters/embed-banner.ts';
import { presentWidgetFeed } from '../presenters/embed-widget.ts';
import { buildHistoryFeeds } from '../presenters/feeds.ts';
import { PAGE_SCOPE, renderScopedDocument } from '../presenters/scoped-documents.ts';
import { statusPageView } from '../presenters/status-page-view.ts';
import { presentV2Documents } from '../presenters/statuspage-v2.ts';
import { loadPublicStatus } from '../queries/load-public-status.ts';
import { chooseResponse, markedStale, type EncodedBody } from '../snapshot/encoded-body.ts';
import { PublicSnapshot, type Rendered } from '../snapshot/public-snapshot.ts';
import { readRevision } from '../storage/page-repository.ts';

declare module 'fastify' {
  interface FastifyInstance {
    snapshot: PublicSnapshot;
    /** Sends a prebuilt body with the encoding the client accepts, ETag/304 and CDN cache headers. */
    sendEncoded(request: FastifyRequest, reply: FastifyReply, body: EncodedBody): FastifyReply;
  }
}

const PAGE_CHANGED_CHANNEL = 'lifeline_page_changed';

export const publicSnapshotPlugin = fp(async (app: FastifyInstance) => {
  const publicUrl = app.config.publicUrl;
  const bannerSource = app.views.clientFiles.get('client/banner.js');
  if (bannerSource === undefined) throw new Error('src/client/banner.js is missing');
  const bannerScript = servedBannerScript(bannerSource);
  const snapshot = new PublicSnapshot({
    log: app.log,
    persistPath: join(app.config.dataDir, 'snapshot', 'public.json'),
    templateScripts: app.views.scriptHashes,
    source: {
      load: async () => {
        const status = await loadPublicStatus(app.db, app.clock.now());
        return { status, revision: status.page.revision };
      },
      readRevision: () => readRevision(app.db),
      render: async (status, stale) => {
        const rendered: Rendered = new Map();
        rendered.set('/', {
          contentType: 'text/html; charset=utf-8',
          text: app.views.page('pages/index', statusPageView(status, { stale }, app.config.pageDefinition.heartbeats), 'main'),
        });
        for (const [path, document] of Object.entries(presentV2Documents(status, { publicUrl }))) {
          rendered.set(path, { contentType: 'application/json; charset=utf-8', text: JSON.stringify(document) });
        }
        const feeds = buildHistoryFeeds(status, publicUrl);
        rendered.set('/history.rss', { contentType: 'application/rss+xml; charset=utf-8', text: feeds.rss });
        rendered.set('/history.atom', { contentType: 'application/atom+xml; charset=utf-8', text: feeds.atom });
        for (const path of ['/badge.svg', '/badge.json', '/maintenances.ics'] as const)
          rendered.set(path, renderScopedDocument(path, status, publicUrl, PAGE_SCOPE));
        // The product team's embeds ride the same path: one build per change, precompressed, ETag, CORS.
        rendered.set('/embed/status.json', { contentType: 'application/json; charset=utf-8', text: JSON.stringify(presentWidgetFeed(status, publicUrl)) });
        rendered.set('/embed/banner.js', { contentType: 'text/javascript; charset=utf-8', text: bannerScript });
        return rendered;
      },
    },
  });
  app.decorate('snapshot', snapshot);

  app.decorate('sendEncoded', (request: FastifyRequest, reply: FastifyReply, body: EncodedBody) => {
    const fitting = chooseResponse(body, request.headers['accept-encoding'], request.headers['if-none-match']);
    const answer = snapshot.stale ? markedStale(fitting) : fitting;
    return reply
      .code(answer.status)
      .headers(answer.headers)
      .send(answer.payload ?? undefined);
  });

  let unlisten: (() => Promise<void>) | null = null;
  const timer = setInterval(() => void snapshot.checkRevision(), app.config.env.LIFELINE_REVISION_POLL_SECONDS * 1000);
  timer.unref();
  app.addHook('onReady', async () => {
    await snapshot.invalidate();
    if (!snapshot.ready && (await snapshot.restoreFromDisk())) app.log.warn('serving the snapshot saved on disk');
    try {
      unlisten = await app.db.listen(PAGE_CHANGED_CHANNEL, () => void snapshot.invalidate());
    } catch (error) {
      app.log.warn({ err: error }, 'LISTEN failed; relying on the periodic revision check');
    }
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    if (unlisten) await unlisten();
  });
});
