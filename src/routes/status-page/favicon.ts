import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { chooseResponse, encodeBody } from '../../snapshot/encoded-body.ts';

/** A pulse on a green disc: the product's mark, small enough to inline here rather than ship a file. */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#1f7a3d"/>' +
  '<path d="M5 17h6l3-7 4 13 3-6h6" fill="none" stroke="#fff" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"/></svg>\n';

// It changes only with a release: a day in every cache, so a page load does not ask again.
const FAVICON_CACHE_CONTROL = 'public, max-age=86400, stale-while-revalidate=604800';

/**
 * The site icon, which browsers request on every page load (without it, each load logs a 404).
 * /favicon.ico, asked for by clients that never read the page's <link rel="icon">, gets the same SVG.
 */
export async function faviconRoutes(app: FastifyInstance) {
  // A fixed Last-Modified: every instance behind the CDN answers the same for the same bytes.
  const icon = await encodeBody('image/svg+xml', FAVICON_SVG, new Date(0));
  for (const url of ['/favicon.svg', '/favicon.ico']) {
    app.get(url, { schema: { hide: true, response: { 200: Type.String({ description: 'image/svg+xml' }), 304: Type.Null() } } }, async (request, reply) => {
      const answer = chooseResponse(icon, request.headers['accept-encoding'], request.headers['if-none-match']);
      return reply
        .code(answer.status)
        .headers({ ...answer.headers, 'cache-control': FAVICON_CACHE_CONTROL })
        .send(answer.payload ?? undefined);
    });
  }
}
