import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import Handlebars from 'handlebars';
import type { TemplateRenderer } from '../presenters/template-renderer.ts';
import { inlineScriptHashes } from './security-headers.ts';

const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));
/** The browser's script and CSS (src/client/; `npm run build` copies them to dist/client/). */
const CLIENT_DIR = fileURLToPath(new URL('../client/', import.meta.url));

/** Partial folders and the prefix their partials are registered under (`{{> console-grid}}`). */
const PARTIAL_FOLDERS: Record<string, string> = { partials: '', 'console/partials': 'console-', 'emails/partials': 'email-layout-' };

type Layout = 'main' | 'console';

/** Every template under views/, compiled once, in one Handlebars environment. */
export interface Views extends TemplateRenderer {
  /** A whole page: `pages/index` in the status page's layout, `console/dashboard` in the console's. */
  page(name: string, model: object, layout: Layout): string;
  /** CSP hashes of the inline scripts the web templates contain (emails are not run by a browser). */
  readonly scriptHashes: ReadonlySet<string>;
  /** The files of src/client/ by partial name (`client/banner.js`), as read once at start. */
  readonly clientFiles: ReadonlyMap<string, string>;
}

/** Every `.hbs` file under dir, as its path relative to dir with `/` separators. */
function templateFiles(dir: string, under = ''): string[] {
  return readdirSync(join(dir, under), { withFileTypes: true }).flatMap((entry) => {
    const path = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return templateFiles(dir, path);
    return entry.name.endsWith('.hbs') ? [path] : [];
  });
}

/**
 * The files in clientDir by partial name (`client/console.js`). Templates inline them between their
 * own tags, `<script>\n{{> client/console.js}}</script>`, so the page carries each file's text as it is.
 */
function clientFiles(clientDir: string): Map<string, string> {
  const files = readdirSync(clientDir).filter((name) => name.endsWith('.js') || name.endsWith('.css'));
  return new Map(files.map((name) => [`client/${name}`, readFileSync(join(clientDir, name), 'utf8')]));
}

/**
 * Reads and compiles every template under dir, once, at start: one Handlebars environment for the
 * status page, the console and the emails, with the helper `eq` and every partial registered.
 * Templates escape everything unless marked as trusted HTML (`{{{...}}}`). An inline script built
 * from template values stops the start (see inlineScriptHashes).
 */
export function loadViews(dir: string = VIEWS_DIR, clientDir: string = CLIENT_DIR): Views {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const client = clientFiles(clientDir);
  // Registered as functions, not compiled: script and CSS are text, never read as Handlebars.
  for (const [name, text] of client) handlebars.registerPartial(name, () => text);
  const templates = new Map<string, HandlebarsTemplateDelegate>();
  const scriptHashes = new Set<string>();
  for (const path of templateFiles(dir)) {
    const source = readFileSync(join(dir, path), 'utf8');
    if (!path.startsWith('emails/')) for (const hash of inlineScriptHashes(join(dir, path), source, client)) scriptHashes.add(hash);
    const folder = path.slice(0, path.lastIndexOf('/'));
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.hbs$/, '');
    if (folder in PARTIAL_FOLDERS) handlebars.registerPartial(`${PARTIAL_FOLDERS[folder]}${name}`, source);
    else templates.set(path.replace(/\.hbs$/, ''), handlebars.compile(source));
  }
  const template = (name: string) => {
    const found = templates.get(name);
    if (!found) throw new Error(`no view ${name}`);
    return found;
  };
  const render = (name: string, model: object) => template(name)(model);
  return {
    render,
    page: (name, model, layout) => render(`layouts/${layout}`, { ...model, body: render(name, model) }),
    email: (name, model) => ({ html: render(`emails/${name}.html`, model), text: render(`emails/${name}.text`, model) }),
    escape: (text) => handlebars.escapeExpression(text),
    scriptHashes,
    clientFiles: client,
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    views: Views;
  }
}

/** Loads the views once and shares them as `app.views`; their scripts are the ones page CSPs may allow. */
export const viewsPlugin = fp(async (app: FastifyInstance) => {
  app.decorate('views', loadViews());
});
