// A client generated from Statuspage's own published OpenAPI document (test/fixtures/statuspage-openapi.json,
// types by openapi-typescript: `npm run statuspage:client`; calls by openapi-fetch) drives a Lifeline listening
// on loopback, with only its base URL changed, through an incident's life and a component's status.
// What it does is then read back from Lifeline's public v2 JSON, as a visitor's widget would.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { UNLIMITED } from './rate-limit.ts';
import type { components, paths } from './statuspage-api.generated.ts';

type Incident = components['schemas']['Incident'];
type Client = ReturnType<typeof createClient<paths>>;

let t: TestApp;
let base: string;
let client: Client;
let page_id: string;
let usApi: string;
let euApi: string;
let website: string;

beforeAll(async () => {
  t = await startTestApp({ env: UNLIMITED });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const token = await t.token('incidents:write', 'components:write');
  client = createClient<paths>({ baseUrl: `${base}/v1`, headers: { Authorization: `OAuth ${token}` } });
  page_id = (await (await fetch(`${base}/api/v2/summary.json`)).json()).page.id;
  [usApi, euApi, website] = await Promise.all([t.componentId('us-api'), t.componentId('eu-api'), t.componentId('website')]);
});
afterAll(() => t.close());

/** Lifeline's public v2 JSON once the snapshot has caught up with every write. */
async function v2(path: string) {
  await t.settle();
  const response = await fetch(`${base}/api/v2/${path}`);
  expect(response.status).toBe(200);
  return response.json();
}

const v2Component = async (id: string) => (await v2('components.json')).components.find((c: { id: string }) => c.id === id);

describe('a client generated from Statuspage’s OpenAPI document', () => {
  it('reads the page and its components', async () => {
    const page = await client.GET('/pages/{page_id}', { params: { path: { page_id } } });
    expect(page.response.status).toBe(200);
    expect(page.data).toMatchObject({ id: page_id, name: 'Acme Chat', time_zone: 'Etc/UTC' });

    const list = await client.GET('/pages/{page_id}/components', { params: { path: { page_id } } });
    expect(list.response.status).toBe(200);
    const api = list.data?.find((component) => component.id === usApi);
    expect(api).toMatchObject({ name: 'API', status: 'operational', page_id, group: false });
    expect(list.data?.filter((component) => component.group).map((group) => group.name)).toEqual(['United States', 'Europe']);
  });

  let incident: Incident;

  it('creates an incident with components', async () => {
    const created = await client.POST('/pages/{page_id}/incidents', {
      params: { path: { page_id } },
      body: {
        incident: {
          name: 'Elevated API errors',
          status: 'investigating',
          impact_override: 'major',
          body: 'We are seeing errors from the API in the United States.',
          components: { [usApi]: 'partial_outage' },
          component_ids: [usApi, euApi],
          deliver_notifications: false,
          // Sent by real tools and ignored by Lifeline.
          metadata: { pagerduty: { incident_id: 'PD1' } },
          auto_tweet_on_creation: false,
        },
      },
    });
    expect(created.error).toBeUndefined();
    expect(created.response.status).toBe(201);
    incident = created.data as Incident;
    expect(incident).toMatchObject({ name: 'Elevated API errors', status: 'investigating', impact: 'major', impact_override: 'major', page_id });
    expect(incident.components?.map((component) => [component.id, component.status]).sort()).toEqual(
      [
        [usApi, 'partial_outage'],
        [euApi, 'operational'],
      ].sort(),
    );
    expect(incident.incident_updates).toHaveLength(1);
    expect(incident.incident_updates?.[0]).toMatchObject({ status: 'investigating', body: 'We are seeing errors from the API in the United States.' });

    const read = await client.GET('/pages/{page_id}/incidents/{incident_id}', { params: { path: { page_id, incident_id: incident.id as string } } });
    expect(read.data).toMatchObject({ id: incident.id, status: 'investigating' });
    expect((await v2Component(usApi)).status).toBe('partial_outage');
  });

  it('lists it among the unresolved incidents', async () => {
    const unresolved = await client.GET('/pages/{page_id}/incidents/unresolved', { params: { path: { page_id } } });
    expect(unresolved.response.status).toBe(200);
    expect(unresolved.data?.map((open) => open.id)).toEqual([incident.id]);
    const v2Unresolved = await v2('incidents/unresolved.json');
    expect(v2Unresolved.incidents.map((open: { id: string }) => open.id)).toEqual([incident.id]);
  });

  it('updates it: a new name, a message, a new status and component statuses in one PATCH', async () => {
    const updated = await client.PATCH('/pages/{page_id}/incidents/{incident_id}', {
      params: { path: { page_id, incident_id: incident.id as string } },
      body: {
        incident: {
          name: 'API errors in the US and Europe',
          status: 'identified',
          body: 'A bad deploy; rolling back. Europe is affected too.',
          components: { [usApi]: 'major_outage', [euApi]: 'degraded_performance' },
          deliver_notifications: false,
        },
      },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toMatchObject({ id: incident.id, name: 'API errors in the US and Europe', status: 'identified', impact_override: 'major' });
    expect(updated.data?.incident_updates?.map((update) => update.status)).toEqual(['identified', 'investigating']);
    expect(updated.data?.incident_updates?.[0].affected_components).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: usApi, old_status: 'partial_outage', new_status: 'major_outage' })]),
    );

    const v2Incident = (await v2('incidents.json')).incidents.find((i: { id: string }) => i.id === incident.id);
    // The impact the tool set stays until it sets another (as Statuspage's override does).
    expect(v2Incident).toMatchObject({ name: 'API errors in the US and Europe', status: 'identified', impact: 'major' });
    expect(v2Incident.incident_updates[0].body).toBe('A bad deploy; rolling back. Europe is affected too.');
    expect((await v2Component(usApi)).status).toBe('major_outage');
    expect((await v2Component(euApi)).status).toBe('degraded_performance');
  });

  it('resolves it, which empties the unresolved list and brings its components back', async () => {
    const resolved = await client.PATCH('/pages/{page_id}/incidents/{incident_id}', {
      params: { path: { page_id, incident_id: incident.id as string } },
      body: { incident: { status: 'resolved', components: { [usApi]: 'operational', [euApi]: 'operational' } } },
    });
    expect(resolved.response.status).toBe(200);
    expect(resolved.data).toMatchObject({ status: 'resolved', resolved_at: t.clock.now().toISOString() });
    // No message given: Statuspage's own words for the status.
    expect(resolved.data?.incident_updates?.[0]).toMatchObject({ status: 'resolved', body: 'This incident has been resolved.' });

    const unresolved = await client.GET('/pages/{page_id}/incidents/unresolved', { params: { path: { page_id } } });
    expect(unresolved.data).toEqual([]);
    const all = await client.GET('/pages/{page_id}/incidents', { params: { path: { page_id }, query: { q: 'deploy', limit: 10, page: 1 } } });
    expect(all.data?.map((found) => [found.id, found.status])).toEqual([[incident.id, 'resolved']]);

    expect((await v2('incidents/unresolved.json')).incidents).toEqual([]);
    const status = await v2('status.json');
    expect(status.status).toMatchObject({ indicator: 'none' });
    expect((await v2Component(usApi)).status).toBe('operational');
  });

  it("changes a component's status outside an incident, and reads it back", async () => {
    const changed = await client.PATCH('/pages/{page_id}/components/{component_id}', {
      params: { path: { page_id, component_id: website } },
      body: { component: { status: 'degraded_performance' } },
    });
    expect(changed.response.status).toBe(200);
    expect(changed.data).toMatchObject({ id: website, name: 'Website', status: 'degraded_performance' });

    const read = await client.GET('/pages/{page_id}/components/{component_id}', { params: { path: { page_id, component_id: website } } });
    expect(read.data).toMatchObject({ id: website, status: 'degraded_performance' });
    expect((await v2Component(website)).status).toBe('degraded_performance');
    expect((await v2('status.json')).status.indicator).toBe('minor');
  });

  it('gets Statuspage’s error shape for a page that is not this one', async () => {
    const missing = await client.GET('/pages/{page_id}/components/{component_id}', { params: { path: { page_id: 'not-this-page', component_id: website } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ message: expect.stringContaining('not-this-page') });
  });
});

describe('test/statuspage-v1/statuspage-api.generated.ts', () => {
  it('is what openapi-typescript makes of the document (a change to the document comes with `npm run statuspage:client`)', async () => {
    const root = join(import.meta.dirname, '../..');
    // The npm script's own arguments, so the check and the script cannot drift apart.
    const script: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['statuspage:client'];
    const [command, ...args] = script.split(/\s+/);
    expect(command).toBe('openapi-typescript');
    const cli = join(root, 'node_modules/openapi-typescript/bin/cli.js');
    await expect(promisify(execFile)(process.execPath, [cli, ...args, '--check'], { cwd: root })).resolves.toMatchObject({ stderr: '' });
  }, 60_000);
});
