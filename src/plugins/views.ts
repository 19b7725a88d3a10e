import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import view from '@fastify/view';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import Handlebars from 'handlebars';

export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

/** Handlebars with the shared layout and partials; templates escape everything unless marked as trusted HTML. */
export const viewsPlugin = fp(async (app: FastifyInstance) => {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const partials: Record<string, string> = {};
  for (const file of readdirSync(`${VIEWS_DIR}/partials`)) {
    if (file.endsWith('.hbs')) partials[file.replace(/\.hbs$/, '')] = `partials/${file}`;
  }
  await app.register(view, {
    engine: { handlebars },
    root: VIEWS_DIR,
    layout: 'layouts/main.hbs',
    options: { partials },
    production: true,
  });
});
