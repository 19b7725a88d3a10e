import { readdirSync, readFileSync } from 'node:fs';
import type { FastifyReply } from 'fastify';
import Handlebars from 'handlebars';
import { pageSecurityHeaders } from '../../plugins/security-headers.ts';
import { VIEWS_DIR } from '../../plugins/views.ts';

/**
 * The console's own Handlebars instance. @fastify/view has the status page's layout set globally
 * (it cannot be overridden per render), so the console compiles its layout, pages and the shared
 * partials (styles, the incident card) itself, once at start.
 */
export function createConsoleRenderer() {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const read = (path: string) => readFileSync(`${VIEWS_DIR}/${path}`, 'utf8');
  for (const file of readdirSync(`${VIEWS_DIR}/partials`)) {
    if (file.endsWith('.hbs')) handlebars.registerPartial(file.replace(/\.hbs$/, ''), read(`partials/${file}`));
  }
  for (const file of readdirSync(`${VIEWS_DIR}/console/partials`)) {
    if (file.endsWith('.hbs')) handlebars.registerPartial(`console-${file.replace(/\.hbs$/, '')}`, read(`console/partials/${file}`));
  }
  handlebars.registerPartial('email-layout-top', read('emails/partials/top.hbs'));
  const compile = (path: string) => handlebars.compile(read(path), { strict: false });
  const layout = compile('layouts/console.hbs');
  const pages = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of readdirSync(`${VIEWS_DIR}/console`)) {
    if (file.endsWith('.hbs')) pages.set(file.replace(/\.hbs$/, ''), compile(`console/${file}`));
  }
  const emails = { signInHtml: compile('emails/sign-in.html.hbs'), signInText: compile('emails/sign-in.text.hbs') };
  const template = (name: string) => {
    const found = pages.get(name);
    if (!found) throw new Error(`no console view ${name}`);
    return found;
  };

  return {
    /** A whole page in the console layout. */
    page(name: string, model: Record<string, unknown>): string {
      return layout({ ...model, body: template(name)(model) });
    },
    /** A page's HTML without the layout (the preview fragment). */
    fragment(name: string, model: Record<string, unknown>): string {
      return template(name)(model);
    },
    signInEmail(model: { pageName: string; publicUrl: string; url: string; email: string; minutes: number }) {
      const subject = `[${model.pageName}] Your sign-in link for the status console`;
      return { subject, html: emails.signInHtml({ ...model, subject }), text: emails.signInText(model) };
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
  reply.header('cache-control', 'no-store').headers(pageSecurityHeaders(html, { framing: 'deny', referrer: 'same-origin' }));
}
