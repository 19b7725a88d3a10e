import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../domain/errors.ts';

/**
 * CSRF defence for browser form posts: the browser says where a request comes from
 * (Sec-Fetch-Site, else Origin); a cross-site POST is refused with 403. `Origin: null` is an
 * opaque origin (a sandboxed frame, a data: URL, a cross-origin redirect): anyone can make a
 * browser send it, so it is refused too. Requests without either header (curl, old browsers, mail
 * clients) carry no ambient credentials here, so they pass.
 */
export function assertSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    if (site === 'same-origin' || site === 'none') return;
    throw new ForbiddenError('cross-site form posts are not accepted');
  }
  const origin = request.headers.origin;
  if (typeof origin === 'string') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw new ForbiddenError('cross-site form posts are not accepted');
    }
    if (host !== request.host) throw new ForbiddenError('cross-site form posts are not accepted');
  }
}
