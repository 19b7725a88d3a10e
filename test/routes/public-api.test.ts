import { createHash } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Holds the v2 JSON to Atlassian Statuspage's public API shapes (../shared/reference/statuspage-api.md)
 * for a page with groups, an active incident, a resolved incident and a maintenance.
 */
let t: TestApp;
let incidentId: string;
let resolvedId: string;
let maintenanceId: string;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'];
const INDICATORS = ['none', 'minor', 'major', 'critical', 'maintenance'];

beforeAll(async () => {
  t = await startTestApp();
  const token = await t.token('admin');
  const post = async (url: string, payload: object) => {
    const response = await t.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json();
  };
  const resolved = await post('/api/v1/incidents', { name: 'Login failures', body: 'Investigating', components: { website: 'partial_outage' } });
  await post(`/api/v1/incidents/${resolved.id}/updates`, { status: 'resolved', body: 'Resolved' });
  resolvedId = resolved.id;
  const active = await post('/api/v1/incidents', {
    name: 'Messages delayed <script>alert(1)</script>',
    status: 'identified',
    body: 'Cause **found**: <img src=x onerror=alert(1)>',
    components: { 'us-messaging': 'major_outage', 'us-api': 'degraded_performance' },
  });
  incidentId = active.id;
  maintenanceId = (
    await post('/api/v1/maintenances', {
      name: 'DB upgrade',
      body: 'Planned',
      scheduled_for: '2026-03-12T10:00:00Z',
      scheduled_until: '2026-03-12T11:00:00Z',
      components: ['eu-api'],
    })
  ).id;
  await t.settle();
});
afterAll(() => t.close());

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

function expectPage(page: Record<string, unknown>) {
  expect(Object.keys(page).sort()).toEqual(['id', 'name', 'time_zone', 'updated_at', 'url']);
  expect(page.updated_at).toMatch(ISO);
  expect(page.url).toBe('https://status.acme.example');
}

function expectComponent(c: Record<string, unknown>) {
  for (const key of [
    'id',
    'name',
    'status',
    'created_at',
    'updated_at',
    'position',
    'description',
    'showcase',
    'start_date',
    'group_id',
    'page_id',
    'group',
    'only_show_if_degraded',
  ]) {
    expect(c, key).toHaveProperty(key);
  }
  expect(COMPONENT_STATUSES).toContain(c.status);
  expect(typeof c.position).toBe('number');
  expect(typeof c.group).toBe('boolean');
  expect(c.created_at).toMatch(ISO);
  if (c.group) expect(Array.isArray(c.components)).toBe(true);
}

function expectIncident(i: Record<string, unknown>, kind: 'incident' | 'maintenance') {
  for (const key of [
    'id',
    'name',
    'status',
    'impact',
    'created_at',
    'updated_at',
    'monitoring_at',
    'resolved_at',
    'started_at',
    'shortlink',
    'page_id',
    'incident_updates',
    'components',
  ]) {
    expect(i, key).toHaveProperty(key);
  }
  expect(
    kind === 'incident' ? ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] : ['scheduled', 'in_progress', 'verifying', 'completed'],
  ).toContain(i.status);
  expect(INDICATORS).toContain(i.impact);
  if (kind === 'maintenance')
    for (const key of ['scheduled_for', 'scheduled_until', 'scheduled_remind_prior', 'scheduled_auto_in_progress', 'scheduled_auto_completed'])
      expect(i, key).toHaveProperty(key);
  for (const u of i.incident_updates as Record<string, unknown>[]) {
    for (const key of ['id', 'status', 'body', 'incident_id', 'created_at', 'updated_at', 'display_at', 'affected_components', 'deliver_notifications'])
      expect(u, key).toHaveProperty(key);
    expect(u.incident_id).toBe(i.id);
    expect(u.display_at).toMatch(ISO);
    if (u.affected_components !== null) {
      for (const a of u.affected_components as Record<string, unknown>[]) expect(Object.keys(a).sort()).toEqual(['code', 'name', 'new_status', 'old_status']);
    }
  }
  for (const c of i.components as Record<string, unknown>[]) expectComponent(c);
}

describe('Statuspage v2 compatibility', () => {
  it('summary.json has page, status, components, unresolved incidents and maintenances', async () => {
    const response = await get('/api/v2/summary.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const summary = response.json();
    expect(Object.keys(summary).sort()).toEqual(['components', 'incidents', 'page', 'scheduled_maintenances', 'status']);
    expectPage(summary.page);
    expect(summary.status).toEqual({ indicator: 'major', description: 'Partial System Outage' });
    summary.components.forEach(expectComponent);
    const groups = summary.components.filter((c: { group: boolean }) => c.group);
    expect(groups.map((g: { name: string }) => g.name)).toEqual(['United States', 'Europe']);
    const us = groups[0];
    expect(us.status).toBe('major_outage');
    expect(us.components).toHaveLength(2);
    expect(summary.components.filter((c: { group_id: string }) => c.group_id === us.id).map((c: { id: string }) => c.id)).toEqual(us.components);
    expect(summary.incidents.map((i: { id: string }) => i.id)).toEqual([incidentId]);
    summary.incidents.forEach((i: Record<string, unknown>) => expectIncident(i, 'incident'));
    expect(summary.scheduled_maintenances.map((m: { id: string }) => m.id)).toEqual([maintenanceId]);
    summary.scheduled_maintenances.forEach((m: Record<string, unknown>) => expectIncident(m, 'maintenance'));
  });

  it('serves the other seven documents with their keys', async () => {
    const expectations: [string, string[]][] = [
      ['/api/v2/status.json', ['page', 'status']],
      ['/api/v2/components.json', ['components', 'page']],
      ['/api/v2/incidents.json', ['incidents', 'page']],
      ['/api/v2/incidents/unresolved.json', ['incidents', 'page']],
      ['/api/v2/scheduled-maintenances.json', ['page', 'scheduled_maintenances']],
      ['/api/v2/scheduled-maintenances/upcoming.json', ['page', 'scheduled_maintenances']],
      ['/api/v2/scheduled-maintenances/active.json', ['page', 'scheduled_maintenances']],
    ];
    for (const [url, keys] of expectations) {
      const body = (await get(url)).json();
      expect(Object.keys(body).sort(), url).toEqual(keys);
      expectPage(body.page);
    }
    const all = (await get('/api/v2/incidents.json')).json().incidents;
    expect(all.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([incidentId, resolvedId]));
    const resolved = all.find((i: { id: string }) => i.id === resolvedId);
    expectIncident(resolved, 'incident');
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolved_at).toMatch(ISO);
    expect((await get('/api/v2/incidents/unresolved.json')).json().incidents.map((i: { id: string }) => i.id)).toEqual([incidentId]);
    expect((await get('/api/v2/scheduled-maintenances/upcoming.json')).json().scheduled_maintenances).toHaveLength(1);
    expect((await get('/api/v2/scheduled-maintenances/active.json')).json().scheduled_maintenances).toHaveLength(0);
  });
});

describe('serving from the snapshot', () => {
  it('lets other sites read the data, and pages run only their own scripts', async () => {
    for (const url of ['/api/v2/summary.json', '/api/v2/components.json', '/history.rss', '/history.atom']) {
      const response = await get(url);
      expect(response.headers['access-control-allow-origin'], url).toBe('*');
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['content-security-policy'], url).toBeUndefined();
    }
    const page = await get('/');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'none'; connect-src 'self'; form-action 'self'; base-uri 'none'",
    );
    expect(page.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    // A page with an inline script allows exactly that script, by its hash.
    const charts = await get('/heartbeat');
    const script = /<script>([\s\S]*?)<\/script>/.exec(charts.body)?.[1] ?? '';
    expect(script).toContain('time zone');
    expect(charts.headers['content-security-policy']).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}';`);
    const subscribe = await get('/subscribe');
    expect(subscribe.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('serves precompressed brotli and gzip with a stable ETag and answers 304', async () => {
    const br = await get('/api/v2/summary.json', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    const plain = await get('/api/v2/summary.json');
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString())).toEqual(plain.json());
    const gz = await get('/api/v2/summary.json', { 'accept-encoding': 'gzip' });
    expect(gunzipSync(gz.rawPayload).toString()).toBe(plain.body);
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(br.headers['cache-control']).toMatch(/max-age=\d+.*stale-while-revalidate=\d+.*stale-if-error=\d+/);
    const etag = br.headers.etag as string;
    const again = await get('/api/v2/summary.json', { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('changes the ETag when the page changes', async () => {
    const before = (await get('/')).headers.etag;
    const token = await t.token('components:write');
    await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/components/website',
      payload: { status: 'degraded_performance' },
      headers: { authorization: `Bearer ${token}` },
    });
    await t.settle();
    const after = await get('/');
    expect(after.headers.etag).not.toBe(before);
    expect(after.body).toContain('Degraded performance');
  });
});

describe('unknown addresses', () => {
  it('gives a browser the site 404 page, and API clients JSON', async () => {
    for (const url of ['/no-such-page', '/console/no-such-page']) {
      const page = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(page.statusCode, url).toBe(404);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('There is no page at this address.');
      expect(page.body).toContain('Acme Chat');
    }
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/nope', headers: { accept: 'text/html' } });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: 'not_found', message: 'no route for GET /api/v1/nope' });
    expect((await t.app.inject({ method: 'GET', url: '/no-such-page' })).json().error).toBe('not_found');
  });
});

describe('the HTML page', () => {
  it('escapes names and renders Markdown without raw HTML', async () => {
    const html = (await get('/')).body;
    expect(html).toContain('Messages delayed &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('<strong>found</strong>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
  it('shows the banner, components by group, and uptime bars', async () => {
    const html = (await get('/')).body;
    expect(html).toContain('Partial System Outage');
    expect(html).toMatch(/United States[\s\S]*Messaging[\s\S]*Major outage/);
    const bars = html.match(/<div class="bars"[^>]*>([\s\S]*?)<\/div>/);
    expect(bars?.[1].match(/<span /g)).toHaveLength(90);
  });
  it('has a permalink page per incident and a 404 for unknown ones', async () => {
    const page = await get(`/incidents/${incidentId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Identified');
    expect((await get('/incidents/zzzzzzzzzzzz')).statusCode).toBe(404);
  });
  it('lists history by month with pagination', async () => {
    const history = await get('/history');
    expect(history.statusCode).toBe(200);
    expect(history.body).toContain('March 2026');
    expect(history.body).toContain('Login failures');
    expect(history.body).not.toContain('Older →'); // nothing before March 2026
    const older = await get('/history?page=2');
    expect(older.body).toContain('December 2025');
    expect(older.body).toContain('← Newer');
    expect((await get('/history?page=0')).statusCode).toBe(400);
  });
});

describe('feeds', () => {
  it.each(['/history.rss', '/history.atom'])('%s is well-formed XML listing the incidents', async (url) => {
    const response = await get(url);
    expect(response.statusCode).toBe(200);
    expect(XMLValidator.validate(response.body)).toBe(true);
    const parsed = new XMLParser().parse(response.body);
    const titles = url.endsWith('rss')
      ? [parsed.rss.channel.item].flat().map((i: { title: string }) => i.title)
      : [parsed.feed.entry].flat().map((e: { title: string }) => e.title);
    expect(titles).toEqual(expect.arrayContaining(['Login failures', 'DB upgrade']));
  });
});

/** A GET that keeps the body as sent (fetch would decompress it). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('the fast path of the listening server', () => {
  it('answers snapshot documents over HTTP exactly as the route does', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    for (const [path, encoding] of [
      ['/api/v2/summary.json', 'br'],
      ['/', 'gzip'],
      ['/history.rss', ''],
    ] as const) {
      const headers: Record<string, string> = encoding ? { 'accept-encoding': encoding } : {};
      const routed = await get(path, headers);
      const served = await rawGet(`${address}${path}`, headers);
      expect(served.status).toBe(200);
      for (const name of ['content-type', 'content-encoding', 'etag', 'cache-control', 'vary', 'last-modified'])
        expect(served.headers[name], `${path} ${name}`).toBe(routed.headers[name]);
      expect(served.body.equals(routed.rawPayload), path).toBe(true);
      const again = await rawGet(`${address}${path}`, { ...headers, 'if-none-match': served.headers.etag as string });
      expect(again.status).toBe(304);
    }
    // Anything else still goes through Fastify.
    expect((await fetch(`${address}/api/v2/summary.json?x=1`)).status).toBe(200);
    expect((await fetch(`${address}/api/v1/incidents`)).status).toBe(401);
  });
});
