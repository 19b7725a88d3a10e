// Incident templates through the Statuspage door: both wrappers real clients send (`template`, as
// Statuspage documents it; `incident_template`, as yannh/statuspage-go-sdk sends it), and the same
// template use-case as the console.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { UNLIMITED } from './rate-limit.ts';

let t: TestApp;
let writer: string;
let pageId: string;
let usApi: string;
let euApi: string;

const fixture = (name: string, replace: Record<string, string> = {}) =>
  JSON.parse(
    Object.entries(replace).reduce((text, [from, to]) => text.replaceAll(from, to), readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')),
  ) as object;
const v1 = (method: 'GET' | 'POST', url: string, options: { body?: object | string; token?: string; headers?: Record<string, string> } = {}) =>
  t.app.inject({ method, url, payload: options.body, headers: { authorization: `OAuth ${options.token ?? writer}`, ...options.headers } });

beforeAll(async () => {
  t = await startTestApp({ env: UNLIMITED });
  writer = await t.token('incidents:write');
  pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
  usApi = await t.componentId('us-api');
  euApi = await t.componentId('eu-api');
});
afterAll(() => t.close());

describe('/v1/pages/{page}/incident_templates', () => {
  it('creates from the documented {"template": …} body, 201 in Statuspage\'s shape', async () => {
    const response = await v1('POST', `/v1/pages/${pageId}/incident_templates`, { body: fixture('template-create.json', { COMPONENT_ID: usApi }) });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      id: expect.any(String),
      name: 'API degraded',
      title: 'Elevated API error rates',
      body: 'We are investigating elevated error rates on the API.',
      update_status: 'investigating',
      group_id: null,
      should_tweet: false,
      should_send_notifications: true,
      components: [expect.objectContaining({ id: usApi, name: 'API', page_id: pageId })],
      component_statuses: { [usApi]: 'degraded_performance' },
    });
    const audit = await t.db.query<{ action: string }>('SELECT action FROM audit_log WHERE target_id = $1', [response.json().id]);
    expect(audit.map((row) => row.action)).toEqual(['template.created']);
  });

  it("takes yannh/statuspage-go-sdk's incident_template wrapper with its title sent as suffix", async () => {
    const response = await v1('POST', `/v1/pages/${pageId}/incident_templates.json`, { body: fixture('terraform-incident-template-create.json') });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      name: 'Planned database failover',
      title: 'Database failover',
      update_status: 'identified',
      body: 'The issue has been identified and a fix is being implemented.',
      components: [],
    });
  });

  it('takes a form body, and component statuses of its own with components', async () => {
    const form = new URLSearchParams({
      'template[name]': 'EU down',
      'template[title]': 'EU API outage',
      'template[body]': 'The EU API is down.',
      [`template[components][${euApi}]`]: 'major_outage',
      'template[component_ids][]': usApi,
    });
    const response = await v1('POST', `/v1/pages/${pageId}/incident_templates`, {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().component_statuses).toEqual({ [euApi]: 'major_outage', [usApi]: 'degraded_performance' });
  });

  it('lists them by name as a bare array; the console shows the same templates', async () => {
    const list = (await v1('GET', `/v1/pages/${pageId}/incident_templates`)).json();
    expect(list.map((template: { name: string }) => template.name)).toEqual(['API degraded', 'EU down', 'Planned database failover']);
  });

  it('refuses with 422 naming the field: duplicate name, missing title, NUL byte, long name, unknown component, resolved status', async () => {
    const base = { name: 'Fresh', title: 'T', body: 'B' };
    const cases: [object, RegExp][] = [
      [{ template: { ...base, name: 'api degraded' } }, /^name: a template named/],
      [{ template: { name: 'No title', body: 'B' } }, /^title: /],
      [{ template: { ...base, title: 'a\u0000b' } }, /title/],
      [{ template: { ...base, name: 'x'.repeat(500) } }, /^name: must be at most/],
      [{ template: { ...base, component_ids: ['nope'] } }, /^components\.nope: /],
      [{ template: { ...base, update_status: 'resolved' } }, /^status: must be one of/],
      [{ name: 'unwrapped' }, /^template: is required/],
    ];
    for (const [body, error] of cases) {
      const response = await v1('POST', `/v1/pages/${pageId}/incident_templates`, { body });
      expect([400, 422], JSON.stringify(body)).toContain(response.statusCode);
      expect(response.json().error, JSON.stringify(body)).toMatch(error);
    }
    expect((await v1('GET', `/v1/pages/${pageId}/incident_templates`)).json()).toHaveLength(3);
  });

  it('asks for incidents:write, and 404 for another page', async () => {
    const components = await t.token('components:write');
    expect((await v1('GET', `/v1/pages/${pageId}/incident_templates`, { token: components })).statusCode).toBe(403);
    const refused = await v1('POST', `/v1/pages/${pageId}/incident_templates`, { body: { template: { name: 'n', title: 't', body: 'b' } }, token: components });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toContain('incidents:write');
    expect((await v1('GET', '/v1/pages/another-page/incident_templates')).statusCode).toBe(404);
  });
});
