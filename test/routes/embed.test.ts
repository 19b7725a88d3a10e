import { Script } from 'node:vm';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badgeSvg } from '../../src/presenters/badge.ts';
import { servedBannerScript } from '../../src/presenters/embed-banner.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * The product embeds (issue 13): the widget feed in incident.io's shape, checked against a JSON
 * Schema written from incident.io's widget API (not from our own route schema), and the banner
 * script as host pages get it. The banner's behaviour is test/browser/embed-banner.test.ts.
 */
let t: TestApp;
let incidentId: string;
let resolvedId: string;
let runningId: string;
let upcomingId: string;
const NAME = 'Messages delayed </script><script>alert(1)</script> "quoted"';

beforeAll(async () => {
  t = await startTestApp();
  resolvedId = (await post('/api/v1/incidents', { name: 'Login failures', body: 'Investigating', components: { website: 'partial_outage' } })).id;
  await post(`/api/v1/incidents/${resolvedId}/updates`, { status: 'resolved', body: 'Fixed.' });
  incidentId = (
    await post('/api/v1/incidents', {
      name: NAME,
      status: 'identified',
      body: 'Cause **found**.\nSecond line.',
      components: { 'eu-messaging': 'major_outage', 'us-api': 'degraded_performance' },
    })
  ).id;
  runningId = (
    await post('/api/v1/maintenances', {
      name: 'DB upgrade',
      body: 'Planned',
      scheduled_for: '2026-03-10T11:00:00Z',
      scheduled_until: '2026-03-10T14:00:00Z',
      components: ['eu-api'],
    })
  ).id;
  upcomingId = (
    await post('/api/v1/maintenances', {
      name: 'Network work',
      body: 'Planned',
      scheduled_for: '2026-03-12T10:00:00Z',
      scheduled_until: '2026-03-12T11:00:00Z',
      components: ['website'],
    })
  ).id;
  await post(`/api/v1/maintenances/${runningId}/start`);
  await t.settle();
});
afterAll(() => t?.close());

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

/** incident.io's widget API (docs.incident.io/status-pages/widget-api), every object closed except for the two keys Lifeline adds. */
const ISO = { type: 'string', format: 'date-time' };
const component = {
  type: 'object',
  required: ['id', 'name', 'key', 'current_status'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    group_name: { type: 'string' },
    current_status: { enum: ['operational', 'degraded_performance', 'partial_outage', 'full_outage'] },
    key: { type: 'string' },
  },
};
const item = (status: object, extra: Record<string, object>) => ({
  type: 'object',
  required: ['id', 'name', 'status', 'url', 'last_update_at', 'last_update_message', 'affected_components', 'last_update_id', ...Object.keys(extra)],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status,
    url: { type: 'string', format: 'uri' },
    last_update_at: ISO,
    last_update_message: { type: 'string' },
    affected_components: { type: 'array', items: component },
    last_update_id: { type: 'string' },
    ...extra,
  },
});
const WIDGET_SCHEMA = {
  type: 'object',
  required: ['page_title', 'page_url', 'ongoing_incidents', 'in_progress_maintenances', 'scheduled_maintenances'],
  additionalProperties: false,
  properties: {
    page_title: { type: 'string' },
    page_url: { type: 'string', format: 'uri' },
    ongoing_incidents: {
      type: 'array',
      items: item(
        { enum: ['investigating', 'identified', 'monitoring'] },
        { current_worst_impact: { enum: ['degraded_performance', 'partial_outage', 'full_outage'] } },
      ),
    },
    in_progress_maintenances: { type: 'array', items: item({ const: 'maintenance_in_progress' }, { started_at: ISO, scheduled_end_at: ISO }) },
    scheduled_maintenances: { type: 'array', items: item({ const: 'maintenance_scheduled' }, { starts_at: ISO, ends_at: ISO }) },
  },
};

describe('GET /embed/status.json', () => {
  it("validates against incident.io's widget schema and tells what is wrong, in order", async () => {
    const response = await get('/embed/status.json');
    expect(response.statusCode).toBe(200);
    const feed = response.json();
    const ajv = new Ajv({ strict: true, allErrors: true });
    (addFormats as unknown as (ajv: Ajv) => void)(ajv);
    const validate = ajv.compile(WIDGET_SCHEMA);
    expect(validate(feed) ? [] : validate.errors).toEqual([]);
    // The schema can fail: a key incident.io does not have is refused.
    expect(validate({ ...feed, extra: 1 })).toBe(false);

    expect(feed.page_title).toBe('Acme Chat');
    expect(feed.page_url).toBe('https://status.acme.example');
    expect(feed.ongoing_incidents.map((i: { id: string }) => i.id)).toEqual([incidentId]);
    const [incident] = feed.ongoing_incidents;
    expect(incident).toMatchObject({
      name: NAME,
      status: 'identified',
      url: `https://status.acme.example/incidents/${incidentId}`,
      last_update_message: 'Cause **found**.\nSecond line.',
      last_update_at: '2026-03-10T12:00:00.000Z',
      // Worst of its components now: eu-messaging is a major outage.
      current_worst_impact: 'full_outage',
    });
    expect(incident.affected_components).toEqual(
      expect.arrayContaining([
        { id: await t.componentId('eu-messaging'), key: 'eu-messaging', name: 'Messaging', group_name: 'Europe', current_status: 'full_outage' },
        { id: await t.componentId('us-api'), key: 'us-api', name: 'API', group_name: 'United States', current_status: 'degraded_performance' },
      ]),
    );
    expect(feed.in_progress_maintenances).toMatchObject([
      { id: runningId, status: 'maintenance_in_progress', started_at: '2026-03-10T12:00:00.000Z', scheduled_end_at: '2026-03-10T14:00:00.000Z' },
    ]);
    // An ungrouped component has no group_name (incident.io omits it too).
    expect(feed.scheduled_maintenances).toMatchObject([
      {
        id: upcomingId,
        status: 'maintenance_scheduled',
        starts_at: '2026-03-12T10:00:00.000Z',
        ends_at: '2026-03-12T11:00:00.000Z',
        affected_components: [{ key: 'website', name: 'Website', current_status: 'operational' }],
      },
    ]);
    expect(feed.scheduled_maintenances[0].affected_components[0]).not.toHaveProperty('group_name');
    expect(JSON.stringify(feed)).not.toContain(resolvedId);
  });

  it('is served like the other public documents: precompressed, ETag and 304, cache headers, readable from any origin', async () => {
    const plain = await get('/embed/status.json');
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(plain.headers['access-control-allow-origin']).toBe('*');
    expect(plain.headers['cache-control']).toMatch(/^public, max-age=\d+/);
    expect(plain.headers['x-content-type-options']).toBe('nosniff');
    expect(plain.headers.etag).toMatch(/^"[\w-]+"$/);
    const br = await get('/embed/status.json', { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);
    const gz = await get('/embed/status.json', { 'accept-encoding': 'gzip' });
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
    const revalidated = await get('/embed/status.json', { 'accept-encoding': 'gzip', 'if-none-match': String(gz.headers.etag) });
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.rawPayload.length).toBe(0);
  });
});

describe('GET /embed/banner.js', () => {
  it('serves the banner without comments, as a script that compiles, at most 3 KB gzipped, with no cookie or third party', async () => {
    const response = await get('/embed/banner.js', { 'accept-encoding': 'gzip' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers.etag).toMatch(/-gzip"$/);
    expect(response.rawPayload.length).toBeLessThanOrEqual(3 * 1024);
    const text = gunzipSync(response.rawPayload).toString('utf8');
    expect(() => new Script(text, { filename: 'banner.js' })).not.toThrow();
    expect(text).not.toMatch(/\/\*|^\/\//m);
    expect(text).not.toMatch(/cookie|https?:\/\//i);
    expect(gzipSync(text, { level: 9 }).length).toBe(response.rawPayload.length);
  });

  it('strips comments and indentation only', () => {
    const source = "// a note\n(() => {\n  /** @type {string} */\n  const a = /** @type {string} */ ('x // y');\n  return a;\n})();\n";
    expect(servedBannerScript(source)).toBe("(() => {\nconst a =  ('x // y');\nreturn a;\n})();\n");
  });
});

let token: string | undefined;
async function post(url: string, payload: object = {}) {
  token ??= await t.token('admin');
  const response = await t.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}` } });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json() as { id: string };
}

describe('GET /badge.svg and /badge.json', () => {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  const svgOf = (text: string) => {
    expect(XMLValidator.validate(text)).toBe(true);
    return parser.parse(text).svg as Record<string, any>;
  };

  it('draws the page roll-up as an accessible SVG: role img, a <title> it is labelled by, readable from any origin', async () => {
    const response = await get('/badge.svg');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const svg = svgOf(response.body);
    expect(svg['@_xmlns']).toBe('http://www.w3.org/2000/svg');
    expect(svg['@_role']).toBe('img');
    expect(svg['@_aria-labelledby']).toBe(svg.title['@_id']);
    expect(svg.title['#text']).toBe('Acme Chat: Partial System Outage');
    expect(svg.g.text.map((t: { '#text': string }) => t['#text'])).toEqual(['Acme Chat', 'Partial System Outage']);
  });

  it('draws one component with ?component= (key or id), and a dark theme with ?theme=dark', async () => {
    const byKey = svgOf((await get('/badge.svg?component=eu-messaging')).body);
    expect(byKey.title['#text']).toBe('Messaging (Europe): Major outage');
    const byId = await get(`/badge.svg?component=${await t.componentId('eu-messaging')}`);
    expect(svgOf(byId.body).title['#text']).toBe('Messaging (Europe): Major outage');
    expect(svgOf((await get('/badge.svg?component=website')).body).title['#text']).toBe('Website: Operational');

    const light = svgOf((await get('/badge.svg?theme=light')).body);
    const dark = svgOf((await get('/badge.svg?theme=dark')).body);
    expect(dark.title['#text']).toBe(light.title['#text']);
    expect(dark.rect.map((r: Record<string, string>) => r['@_fill'])).not.toEqual(light.rect.map((r: Record<string, string>) => r['@_fill']));
    // A variant is cached and revalidated like the page-wide badge.
    const first = await get('/badge.svg?component=eu-messaging&theme=dark', { 'accept-encoding': 'gzip' });
    const again = await get('/badge.svg?component=eu-messaging&theme=dark', { 'accept-encoding': 'gzip', 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
  });

  it('escapes what it draws: a label with markup stays text in the parsed SVG', () => {
    const label = `Chat <script>alert(1)</script> & "co" 'x' \u0001`;
    const text = badgeSvg({ label, message: 'Operational', tone: 'ok' }, 'light');
    expect(text).not.toContain('<script');
    const svg = svgOf(text);
    expect(svg.title['#text']).toBe(`Chat <script>alert(1)</script> & "co" 'x' : Operational`);
    expect(svg.g.text[0]['#text']).toBe(`Chat <script>alert(1)</script> & "co" 'x'`);
  });

  it("answers shields.io's endpoint schema", async () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    // https://shields.io/badges/endpoint-badge: schemaVersion 1, label and message strings, optional color.
    const validate = ajv.compile({
      type: 'object',
      required: ['schemaVersion', 'label', 'message'],
      additionalProperties: false,
      properties: { schemaVersion: { const: 1 }, label: { type: 'string' }, message: { type: 'string', minLength: 1 }, color: { type: 'string' } },
    });
    const page = await get('/badge.json');
    expect(page.headers['access-control-allow-origin']).toBe('*');
    expect(validate(page.json()) ? [] : validate.errors).toEqual([]);
    expect(page.json()).toEqual({ schemaVersion: 1, label: 'Acme Chat', message: 'Partial System Outage', color: 'orange' });
    const component = await get('/badge.json?component=us-api');
    expect(validate(component.json()) ? [] : validate.errors).toEqual([]);
    expect(component.json()).toEqual({ schemaVersion: 1, label: 'API (United States)', message: 'Degraded performance', color: 'yellow' });
  });

  it('refuses an unknown component or theme with a 400 naming it, never a 500', async () => {
    for (const url of [
      '/badge.svg?component=nope',
      '/badge.json?component=nope',
      '/badge.svg?component=%00',
      '/history.rss?component=nope',
      '/history.atom?component=nope',
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json().field, url).toBe('component');
    }
    const theme = await get('/badge.svg?theme=blue');
    expect(theme.statusCode).toBe(400);
    expect(theme.json().message).toMatch(/theme/);
  });
});

describe('per-component history feeds', () => {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    isArray: (name) => name === 'item' || name === 'entry' || name === 'link',
  });

  it('RSS with ?component= lists only what affected that component', async () => {
    const response = await get('/history.rss?component=website');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/rss+xml; charset=utf-8');
    expect(XMLValidator.validate(response.body)).toBe(true);
    const channel = parser.parse(response.body).rss.channel;
    expect(channel.title).toBe('Acme Chat status history: Website');
    const links = channel.item.map((i: { link: string[] }) => i.link[0]);
    expect(links.sort()).toEqual([`https://status.acme.example/incidents/${resolvedId}`, `https://status.acme.example/incidents/${upcomingId}`].sort());
    // The whole page's feed still has everything.
    const whole = parser.parse((await get('/history.rss')).body).rss.channel;
    expect(whole.item.length).toBe(4);
  });

  it('Atom with ?component= names itself by its own address and lists only that component', async () => {
    const response = await get('/history.atom?component=eu-messaging');
    expect(response.statusCode).toBe(200);
    expect(XMLValidator.validate(response.body)).toBe(true);
    const feed = parser.parse(response.body).feed;
    expect(feed.title['#text']).toBe('Acme Chat status history: Messaging (Europe)');
    expect(feed.link.find((l: Record<string, string>) => l['@_rel'] === 'self')['@_href']).toBe(
      'https://status.acme.example/history.atom?component=eu-messaging',
    );
    expect(feed.id).toBe('https://status.acme.example/history.atom?component=eu-messaging');
    expect(feed.entry.map((e: { id: string }) => e.id)).toEqual([`https://status.acme.example/incidents/${incidentId}`]);
    // The incident name with markup is text in the feed, never markup.
    expect(feed.entry[0].title['@_type']).toBe('text');
    expect(feed.entry[0].title['#text']).toBe(NAME);
    expect(response.body).not.toContain('<script>');
  });
});
