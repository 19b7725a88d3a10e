import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { FastifyReply } from 'fastify';
import Handlebars from 'handlebars';
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
 * Headers of every console page: never cached, not framed, and a Content-Security-Policy that lets
 * only the page's own inline script (by nonce) run. Returns the nonce for the template.
 */
export function consoleHeaders(reply: FastifyReply, options: { referrer?: 'no-referrer' | 'same-origin' } = {}): string {
  const nonce = randomBytes(16).toString('hex');
  reply
    .header('cache-control', 'no-store')
    .header('referrer-policy', options.referrer ?? 'same-origin')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header(
      'content-security-policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
  return nonce;
}
