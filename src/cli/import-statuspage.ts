/**
 * `lifeline import statuspage`: reads a page through Statuspage's manage API and posts it to
 * Lifeline's import endpoint in batches (structure first, then history, templates, subscribers).
 * Each batch is all or nothing and everything is remembered by its Statuspage id, so the command
 * can be stopped and run again: what was imported is left as it is, what is new is added.
 *
 * A record the endpoint refuses (400 naming it: `incidents.3.name: contains a NUL byte`) is left
 * out, reported at the end, and the rest of its batch is sent again.
 */
import type { Transport } from './transport.ts';
import { DEFAULT_STATUSPAGE_API, SourceError, statuspageSource } from './statuspage-source.ts';
import {
  isGroupEntry,
  mapComponent,
  mapGroup,
  mapIncident,
  mapSubscriber,
  mapTemplate,
  Notes,
  type MappedSubscriber,
  type SubscriberState,
} from './statuspage-mapping.ts';

const KINDS = ['groups', 'components', 'incidents', 'updates', 'templates', 'subscribers'] as const;
type Kind = (typeof KINDS)[number];
type Counts = Record<Kind, number>;
interface Outcome {
  created: Counts;
  existing: Counts;
  skipped: { kind: string; id: string; reason: string }[];
}
type Batch = Record<string, unknown[]>;

const INCIDENTS_PER_BATCH = 25;
const SUBSCRIBERS_PER_BATCH = 500;

export interface ImportStatuspageOptions {
  pageId: string;
  apiKey: string;
  apiUrl?: string;
  transport: Transport;
  out: (line: string) => void;
  progress: (line: string) => void;
  wait: (ms: number) => Promise<void>;
}

/** Only over HTTPS, unless to this machine (tests, a local replay): the API key travels in a header. */
function checkApiUrl(apiUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new SourceError(`--api-url: not a URL: ${JSON.stringify(apiUrl)}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new SourceError('--api-url: must be https:// (the API key is sent with every request)');
  return apiUrl;
}

export async function importStatuspage(options: ImportStatuspageOptions): Promise<void> {
  const { pageId, out, progress } = options;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(pageId))
    throw new SourceError('--page-id: a Statuspage page id is letters and digits (as in https://manage.statuspage.io/pages/<id>)');
  const source = statuspageSource({ apiUrl: checkApiUrl(options.apiUrl ?? DEFAULT_STATUSPAGE_API), apiKey: options.apiKey, wait: options.wait, progress });
  const notes = new Notes();
  const total: Outcome = { created: zero(), existing: zero(), skipped: [] };
  const pagePath = `/pages/${pageId}`;

  /** Posts a batch; a record refused by name is left out (and reported) and the rest is sent again. */
  const send = async (label: string, batch: Batch) => {
    for (;;) {
      const response = await options.transport.request('POST', '/api/v1/imports/statuspage', { page_id: pageId, ...batch });
      const body = response.body as (Outcome & { message?: string }) | null;
      if (response.status === 200 && body) {
        for (const kind of KINDS) {
          total.created[kind] += body.created[kind] ?? 0;
          total.existing[kind] += body.existing[kind] ?? 0;
        }
        total.skipped.push(...body.skipped);
        return;
      }
      const message = body?.message ?? `HTTP ${response.status}`;
      if (response.status !== 400 || !dropRefused(batch, message, total)) throw new Error(`Lifeline refused the ${label}: ${message}`);
    }
  };

  const page = await source.object(pagePath);
  progress(`importing Statuspage page ${JSON.stringify(String(page.name ?? pageId))} (${pageId})`);

  const groups = await source.list(`${pagePath}/component-groups`, { sizeParam: 'per_page', size: 100, firstPage: 1, label: 'component groups' });
  const components = (await source.list(`${pagePath}/components`, { sizeParam: 'per_page', size: 100, firstPage: 1, label: 'components' })).filter(
    (component) => !isGroupEntry(component),
  );
  progress(`writing ${groups.length} groups and ${components.length} components`);
  await send('groups and components', { groups: groups.map(mapGroup), components: components.map((c) => mapComponent(c, notes)) });

  const incidents = await source.list(`${pagePath}/incidents`, { sizeParam: 'limit', size: 100, firstPage: 1, label: 'incidents and maintenances' });
  for (let start = 0; start < incidents.length; start += INCIDENTS_PER_BATCH) {
    progress(`writing incidents and maintenances: ${Math.min(start + INCIDENTS_PER_BATCH, incidents.length)} of ${incidents.length}`);
    await send('incidents', { incidents: incidents.slice(start, start + INCIDENTS_PER_BATCH).map((incident) => mapIncident(incident, notes)) });
  }

  const templates = await source.list(`${pagePath}/incident_templates`, { sizeParam: 'per_page', size: 100, firstPage: 1, label: 'incident templates' });
  const mappedTemplates = templates.map((template) => mapTemplate(template, notes)).filter((template) => template !== null);
  if (mappedTemplates.length > 0) await send('templates', { templates: mappedTemplates });

  const subscribers: MappedSubscriber[] = [];
  for (const state of ['active', 'unconfirmed', 'quarantined'] as SubscriberState[]) {
    // Statuspage counts subscriber pages from 0.
    const listed = await source.list(`${pagePath}/subscribers`, {
      sizeParam: 'limit',
      size: 100,
      firstPage: 0,
      extra: { state },
      label: `${state} subscribers`,
    });
    subscribers.push(...listed.map((subscriber) => mapSubscriber(subscriber, state, notes)).filter((subscriber) => subscriber !== null));
  }
  for (let start = 0; start < subscribers.length; start += SUBSCRIBERS_PER_BATCH) {
    progress(`writing subscribers: ${Math.min(start + SUBSCRIBERS_PER_BATCH, subscribers.length)} of ${subscribers.length}`);
    await send('subscribers', { subscribers: subscribers.slice(start, start + SUBSCRIBERS_PER_BATCH) });
  }

  progress('');
  report(out, String(page.name ?? pageId), pageId, total, notes, subscribers.filter((s) => s.mode === 'webhook').length);
}

const zero = (): Counts => ({ groups: 0, components: 0, incidents: 0, updates: 0, templates: 0, subscribers: 0 });

/**
 * Leaves out the record a 400 names (`incidents.3…`, or one update: `incidents.3.updates.1…`) and
 * reports it; false when the message names no record of the batch.
 */
function dropRefused(batch: Batch, message: string, total: Outcome): boolean {
  const match = /^(groups|components|incidents|templates|subscribers)\.(\d+)(?:\.updates\.(\d+))?[.:]/.exec(message);
  if (!match) return false;
  const [, kind, index, updateIndex] = match;
  const records = batch[kind];
  const record = records?.[Number(index)] as { id?: string; updates?: { id?: string }[] } | undefined;
  if (!records || !record) return false;
  const reason = message.slice(message.indexOf(':') + 1).trim();
  if (updateIndex !== undefined && record.updates?.[Number(updateIndex)]) {
    const [update] = record.updates.splice(Number(updateIndex), 1);
    total.skipped.push({
      kind: 'updates',
      id: `${record.id} / ${update.id}`,
      reason: `${message.split(':')[0].replace(/^incidents\.\d+\.updates\.\d+\.?/, '') || 'update'}: ${reason}`,
    });
    return true;
  }
  records.splice(Number(index), 1);
  const field = message.split(':')[0].replace(/^\w+\.\d+\.?/, '');
  total.skipped.push({ kind, id: String(record.id), reason: `${field || 'record'}: ${reason}` });
  return true;
}

function report(out: (line: string) => void, name: string, pageId: string, total: Outcome, notes: Notes, webhooks: number) {
  out(`Imported Statuspage page ${JSON.stringify(name)} (${pageId}):`);
  for (const kind of KINDS) {
    out(`  ${kind.padEnd(12)} ${String(total.created[kind]).padStart(6)} new  ${String(total.existing[kind]).padStart(6)} already there`);
  }
  out('Nothing was notified: no subscriber heard of the import.');
  if (webhooks > 0) {
    out(
      `Webhook subscribers get Lifeline's signed deliveries (Standard Webhooks headers, Statuspage-shaped bodies). Statuspage never signed, so each endpoint has a new secret nobody holds yet; rotate it in the console (Subscribers) to give a receiver one.`,
    );
  }
  out("Old Statuspage ids keep working in /v1 calls (PATCH /v1/pages/<this page's id>/components/<old id>, …).");
  const notCarried = [...notes.counts.entries()].map(([what, count]) => `${count} × ${what}`);
  const skipped = total.skipped.map((s) => `${s.kind} ${s.id}: ${s.reason}`);
  if (notCarried.length === 0 && skipped.length === 0) {
    out('Everything was carried over.');
    return;
  }
  out('Not carried over:');
  for (const line of [...notCarried, ...skipped]) out(`  - ${line}`);
}
