import type { FastifyReply } from 'fastify';
import { pageSecurityHeaders } from '../../plugins/security-headers.ts';
import type { Views } from '../../plugins/views.ts';

/** The console's pages (`views/console/`, in the console layout) and its sign-in email, from the views loaded at start. */
export function createConsoleRenderer(views: Views) {
  return {
    /** A whole page in the console layout. */
    page(name: string, model: Record<string, unknown>): string {
      return views.page(`console/${name}`, model, 'console');
    },
    /** A page's HTML without the layout (the preview fragment). */
    fragment(name: string, model: Record<string, unknown>): string {
      return views.render(`console/${name}`, model);
    },
    signInEmail(model: { pageName: string; publicUrl: string; url: string; email: string; minutes: number }) {
      const subject = `[${model.pageName}] Your sign-in link for the status console`;
      return { subject, ...views.email('sign-in', { ...model, subject }) };
    },
  };
}

export type ConsoleRenderer = ReturnType<typeof createConsoleRenderer>;

/**
 * Headers of every console answer: never cached, never framed, and the security headers every HTML
 * page gets (its CSP allows only the console's fixed inline script, by hash). Given the page's HTML
 * for a page; without it (redirects, fragments, JSON) no script is allowed at all.
 */
export function consoleHeaders(reply: FastifyReply, html = ''): void {
  // same-origin, not no-referrer, even where a page shows a secret or its URL holds a sign-in
  // link: nothing leaves for another site either way, and with no-referrer a browser without
  // Sec-Fetch-Site posts the page's forms with `Origin: null`, which the CSRF check refuses.
  reply.header('cache-control', 'no-store').headers(pageSecurityHeaders(html, reply.server.views.scriptHashes, { framing: 'deny', referrer: 'same-origin' }));
}
