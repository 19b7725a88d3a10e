// `lifeline import statuspage`: the real CLI (run(), and once the launcher in a process of its own)
// reads a loopback replay of Statuspage's manage API (fixtures/statuspage-page.json, shaped as its
// OpenAPI document describes) and writes over HTTP into a real Lifeline, on both engines.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.ts';
import { statuspageSource } from '../../src/cli/statuspage-source.ts';
import { validatePageDefinition, type PageDefinition } from '../../src/config.ts';
import { declareIncident } from '../../src/services/incidents/declare-incident.ts';
import { labelledOperator } from '../../src/domain/actor.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { loadStatuspageFixture, startStatuspageReplay, type Fault, type StatuspagePage, type StatuspageReplay } from '../helpers/statuspage-replay.ts';

const execFileAsync = promisify(execFile);
const LAUNCHER = join(import.meta.dirname, '../../bin/lifeline.mjs');
const KEY = 'statuspage-api-key-1';
const SOURCE_PAGE = 'sp0page00001';

const CONSOLE_PAGE: PageDefinition = validatePageDefinition({
  page: { name: 'Acme Chat', url: 'https://www.acme.example', time_zone: 'Etc/UTC', components_from: 'console' },
});

interface Lifeline {
  t: TestApp;
  url: string;
  admin: string;
  pageId: string;
}

async function startLifeline(definition: PageDefinition): Promise<Lifeline> {
  const t = await startTestApp({ definition, env: { LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  const pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
  return { t, url: `http://127.0.0.1:${port}`, admin: await t.token('admin'), pageId };
}

/** Runs the CLI's `import statuspage` as a user would, with its waits recorded instead of slept. */
async function runImport(lifeline: Lifeline, replay: StatuspageReplay, options: { apiKey?: string; apiUrl?: string } = {}) {
  const lines: string[] = [];
  const progress: string[] = [];
  const waits: number[] = [];
  await run(
    [
      'import',
      'statuspage',
      '--page-id',
      SOURCE_PAGE,
      '--api-key',
      options.apiKey ?? KEY,
      '--api-url',
      options.apiUrl ?? replay.url,
      '--lifeline-url',
      lifeline.url,
    ],
    { LIFELINE_TOKEN: lifeline.admin },
    (line) => lines.push(line),
    (line) => lines.push(`warning: ${line}`),
    { progress: (line) => progress.push(line), wait: async (ms) => void waits.push(ms) },
  );
  return { report: lines.join('\n'), progress, waits };
}

const count = async (t: TestApp, table: string) => Number((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
const history = (t: TestApp, componentId: string) =>
  t.db.query<{ status: string; changed_at: Date }>('SELECT status, changed_at FROM component_status_change WHERE component_id = $1 ORDER BY changed_at, id', [
    componentId,
  ]);

/** The first time page 2 of the incidents is asked for, answer 429 with Retry-After: 2. */
function rateLimitOnce(): Fault {
  let done = false;
  return ({ path, query }) => {
    if (done || !path.endsWith('/incidents') || query.get('page') !== '2') return null;
    done = true;
    return { status: 429, headers: { 'retry-after': '2' }, body: '{"error":"Rate limit exceeded"}' };
  };
}

describe('moving a page onto a console-managed Lifeline', () => {
  let lifeline: Lifeline;
  let replay: StatuspageReplay;
  let first: Awaited<ReturnType<typeof runImport>>;
  let outboxBefore: number;

  beforeAll(async () => {
    lifeline = await startLifeline(CONSOLE_PAGE);
    // Two records a page, as a server capping its pages would: every list takes several pages.
    replay = await startStatuspageReplay(loadStatuspageFixture(), { apiKey: KEY, maxPerPage: 2, fault: rateLimitOnce() });
    outboxBefore = await count(lifeline.t, 'outbox_event');
    first = await runImport(lifeline, replay);
  });
  afterAll(async () => {
    await replay.close();
    await lifeline.t.close();
  });

  it('reads every list page by page with Authorization: OAuth, and waits as a 429 asks', () => {
    expect(replay.requests.every((r) => r.authorization === `OAuth ${KEY}`)).toBe(true);
    const incidentPages = replay.requests.filter((r) => r.path.endsWith('/incidents')).map((r) => new URLSearchParams(r.query).get('page'));
    expect(incidentPages).toEqual(['1', '2', '2', '3', '4']);
    const activeSubscriberPages = replay.requests
      .filter((r) => r.path.endsWith('/subscribers') && r.query.includes('state=active'))
      .map((r) => new URLSearchParams(r.query).get('page'));
    expect(activeSubscriberPages).toEqual(['0', '1', '2', '3']);
    expect(first.waits).toEqual([2000]);
    expect(first.progress).toContain('rate limited by Statuspage: waiting 2 s as it asks');
    expect(first.progress).toContain('reading incidents and maintenances: 7');
  });

  it('copies groups and components with keys made from their names, keeping their ids, times and statuses', async () => {
    const rows = await lifeline.t.db.query<{ id: string; key: string; status: string; group_id: string | null; created_at: Date; start_date: string | null }>(
      'SELECT id, key, status, group_id, created_at, start_date::text AS start_date FROM component ORDER BY position',
    );
    expect(rows.map((r) => [r.id, r.key, r.status, r.group_id])).toEqual([
      ['cmpusapi0001', 'united-states-api', 'partial_outage', 'grp0us000001'],
      ['cmpusmsg0001', 'united-states-messaging', 'operational', 'grp0us000001'],
      ['cmpeuapi0001', 'europe-script-alert-1-script-api', 'operational', 'grp0eu000001'],
      ['cmpweb000001', 'website-sign-in', 'operational', null],
    ]);
    expect(rows[0].created_at.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(rows[3].start_date).toBe('2024-12-01');
    const groups = await lifeline.t.db.query<{ id: string; key: string; name: string }>('SELECT id, key, name FROM component_group ORDER BY position');
    expect(groups.map((g) => g.key)).toEqual(['united-states', 'europe-script-alert-1-script']);
  });

  it('copies incidents and maintenances with every update at its original time', async () => {
    await lifeline.t.settle();
    const { incidents } = (await lifeline.t.app.inject({ method: 'GET', url: '/api/v2/incidents.json' })).json();
    const errors = incidents.find((i: { id: string }) => i.id === 'inc000000001');
    expect(Date.parse(errors.created_at)).toBe(Date.parse('2026-02-01T10:00:00Z'));
    expect(Date.parse(errors.resolved_at)).toBe(Date.parse('2026-02-01T12:00:00Z'));
    expect(errors.impact).toBe('major');
    expect(errors.incident_updates.map((u: { id: string; status: string; display_at: string }) => [u.id, u.status, Date.parse(u.display_at)])).toEqual([
      ['upd000000013', 'resolved', Date.parse('2026-02-01T12:00:00Z')],
      ['upd000000012', 'identified', Date.parse('2026-02-01T10:30:00Z')],
      ['upd000000011', 'investigating', Date.parse('2026-02-01T10:00:00Z')],
    ]);
    // An update Statuspage shows without words gets Statuspage's own words.
    expect(errors.incident_updates[2].body).toBe('We are currently investigating this issue.');
    expect(errors.incident_updates[2].affected_components).toEqual([
      { code: 'cmpusapi0001', name: 'United States - API', old_status: 'operational', new_status: 'major_outage' },
    ]);
    expect(incidents.map((i: { id: string }) => i.id)).not.toContain('inc000000005');
    // Statuspage's impact_override comes along, read back by the /v1 door; a computed impact has none.
    const v1 = async (id: string) =>
      (
        await lifeline.t.app.inject({
          method: 'GET',
          url: `/v1/pages/${lifeline.pageId}/incidents/${id}`,
          headers: { authorization: `OAuth ${lifeline.admin}` },
        })
      ).json();
    expect(await v1('inc000000004')).toMatchObject({ impact: 'critical', impact_override: 'critical' });
    expect(await v1('inc000000001')).toMatchObject({ impact: 'major', impact_override: null });

    const unresolved = (await lifeline.t.app.inject({ method: 'GET', url: '/api/v2/incidents/unresolved.json' })).json().incidents;
    expect(unresolved.map((i: { id: string }) => i.id)).toEqual(['inc000000003']);
    const maintenances = (await lifeline.t.app.inject({ method: 'GET', url: '/api/v2/scheduled-maintenances.json' })).json().scheduled_maintenances;
    const network = maintenances.find((m: { id: string }) => m.id === 'mnt000000001');
    expect(network).toMatchObject({ status: 'completed' });
    expect(Date.parse(network.scheduled_for)).toBe(Date.parse('2026-01-15T02:00:00Z'));
    const upcoming = (await lifeline.t.app.inject({ method: 'GET', url: '/api/v2/scheduled-maintenances/upcoming.json' })).json().scheduled_maintenances;
    expect(upcoming.map((m: { id: string }) => m.id)).toEqual(['mnt000000002']);
  });

  it("backfills each component's status history from the updates, so the 90-day bars read as on Statuspage", async () => {
    expect((await history(lifeline.t, 'cmpusapi0001')).map((h) => [h.status, h.changed_at.toISOString()])).toEqual([
      ['operational', '2025-01-01T00:00:00.000Z'],
      ['major_outage', '2026-02-01T10:00:00.000Z'],
      ['operational', '2026-02-01T12:00:00.000Z'],
      ['partial_outage', '2026-03-09T06:00:00.000Z'],
      // its status as Statuspage gave it, at the time of the import
      ['partial_outage', '2026-03-10T12:00:00.000Z'],
    ]);
    await lifeline.t.settle();
    const html = (await lifeline.t.app.inject({ method: 'GET', url: '/' })).body;
    expect(html).toContain('Major outage 2 h');
    expect(html).toContain('Degraded performance 1 h');
    expect(html).toContain('Under maintenance 2 h');
  });

  it('escapes hostile names and bodies on the page, in the feeds and in the JSON', async () => {
    await lifeline.t.settle();
    for (const url of ['/', '/history', `/incidents/inc000000002`, '/history.rss', '/history.atom']) {
      const body = (await lifeline.t.app.inject({ method: 'GET', url })).body;
      // RSS titles are plain text (CDATA); everywhere else the name must arrive escaped.
      const text = url === '/history.rss' ? body.replace('<![CDATA[<img src=x onerror=alert(1)> Messaging delays]]>', '') : body;
      expect(text, url).not.toContain('<script>alert(1)</script>');
      expect(text, url).not.toContain('<img src=x onerror');
      expect(body, url).not.toContain("<script>alert('body')</script>");
      expect(body, url).not.toContain('href="javascript:');
    }
    expect((await lifeline.t.app.inject({ method: 'GET', url: '/' })).body).toContain('Europe &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('keeps email and webhook subscribers with their confirmed state and components, and notifies no one', async () => {
    const rows = await lifeline.t.db.query<{
      id: string;
      type: string;
      email: string | null;
      url: string | null;
      secret: string | null;
      all_components: boolean;
      component_ids: string[];
      confirmed_at: Date | null;
      suppressed_at: Date | null;
      disabled_at: Date | null;
      source: string;
      created_at: Date;
    }>('SELECT * FROM subscriber ORDER BY id');
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(Object.keys(byId)).toEqual(['sub000000001', 'sub000000002', 'sub000000003', 'sub000000004', 'sub000000005']);
    expect(byId.sub000000001).toMatchObject({
      type: 'email',
      email: 'alice@example.com',
      all_components: false,
      component_ids: ['cmpusapi0001'],
      source: 'import',
    });
    expect(byId.sub000000001.confirmed_at?.toISOString()).toBe('2025-02-01T00:00:00.000Z');
    expect(byId.sub000000002).toMatchObject({ all_components: true });
    expect(byId.sub000000003.confirmed_at).toBeNull();
    expect(byId.sub000000004.suppressed_at?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(byId.sub000000005).toMatchObject({ type: 'webhook', url: 'http://127.0.0.1:9/statuspage-hook', email: 'ops@example.com', all_components: true });
    expect(byId.sub000000005.confirmed_at).not.toBeNull();
    expect(byId.sub000000005.secret).toMatch(/whsec_/);

    expect(await count(lifeline.t, 'outbox_event')).toBe(outboxBefore);
    expect(await count(lifeline.t, 'delivery')).toBe(0);
    const mailDir = join(lifeline.t.dataDir, 'mail');
    expect(existsSync(mailDir) ? readdirSync(mailDir) : []).toEqual([]);
  });

  it('copies the incident templates Lifeline has a place for', async () => {
    const templates = await lifeline.t.db.query<{ id: string; name: string; title: string; status: string; component_statuses: Record<string, string> }>(
      'SELECT id, name, title, status, component_statuses FROM incident_template',
    );
    expect(templates).toEqual([
      {
        id: 'tpl000000001',
        name: 'API degraded',
        title: 'Elevated API errors',
        status: 'investigating',
        component_statuses: { cmpusapi0001: 'partial_outage' },
      },
    ]);
  });

  it('ends with a report of what it carried and what it could not', () => {
    expect(first.report).toContain('Imported Statuspage page "Acme Status" (sp0page00001):');
    expect(first.report).toMatch(/incidents\s+6 new\s+0 already there/);
    expect(first.report).toMatch(/subscribers\s+5 new/);
    for (const line of [
      'sms subscribers: not carried',
      'slack subscribers: not carried',
      'templates that set status "resolved": not carried',
      'templates that post maintenance updates: not carried',
      'postmortem texts: not carried',
      'showcase: false',
      'component automation emails',
      'maintenance reminders',
      'incidents inc000000005: name: contains a NUL byte',
      'subscribers sub000000006: webhook endpoint refused',
      'subscribers sub000000009: ',
      'deleted on Statuspage',
      'Nothing was notified',
    ]) {
      expect(first.report).toContain(line);
    }
  });

  it('runs again (the launcher, in a process of its own) without duplicating anything', async () => {
    const tables = [
      'component_group',
      'component',
      'component_status_change',
      'incident',
      'incident_update',
      'incident_template',
      'subscriber',
      'imported_record',
    ];
    const before = await Promise.all(tables.map((table) => count(lifeline.t, table)));
    const { stdout } = await execFileAsync(
      process.execPath,
      [LAUNCHER, 'import', 'statuspage', '--page-id', SOURCE_PAGE, '--api-url', replay.url, '--lifeline-url', lifeline.url],
      { env: { PATH: process.env.PATH, LIFELINE_TOKEN: lifeline.admin, STATUSPAGE_API_KEY: KEY }, timeout: 60_000 },
    );
    expect(stdout).toMatch(/incidents\s+0 new\s+6 already there/);
    expect(stdout).toMatch(/updates\s+0 new/);
    expect(await Promise.all(tables.map((table) => count(lifeline.t, table)))).toEqual(before);
  });

  it('lets a tool that opened an incident before the move update it through /v1', async () => {
    const response = await lifeline.t.app.inject({
      method: 'PATCH',
      url: `/v1/pages/${lifeline.pageId}/incidents/inc000000003`,
      headers: { authorization: `OAuth ${lifeline.admin}` },
      payload: { incident: { status: 'resolved', body: 'Latency is back to normal.', components: { cmpusapi0001: 'operational' } } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: 'inc000000003', status: 'resolved' });
    const [component] = await lifeline.t.db.query<{ status: string }>("SELECT status FROM component WHERE id = 'cmpusapi0001'");
    expect(component.status).toBe('operational');
  });
});

describe('moving a page onto a Lifeline whose components come from its definition file', () => {
  // The file names the groups and components under the keys the importer makes from the names.
  const FILE_PAGE = validatePageDefinition({
    page: { name: 'Acme Chat', url: 'https://www.acme.example', time_zone: 'Etc/UTC' },
    groups: [{ key: 'united-states', name: 'United States', components: [{ key: 'united-states-api', name: 'API' }] }],
    components: [{ key: 'website-sign-in', name: 'Website and sign-in' }],
  });
  let lifeline: Lifeline;
  let replay: StatuspageReplay;
  let fixture: StatuspagePage;
  let taken: string;

  beforeAll(async () => {
    lifeline = await startLifeline(FILE_PAGE);
    fixture = loadStatuspageFixture();
    // A Lifeline incident already has the id of one Statuspage incident, and another's id is not of
    // Lifeline's shape: both get new ids, and their old ones become aliases.
    taken = (await declareIncident(lifeline.t.app.serviceContext(labelledOperator('test')), { name: 'Local', body: 'Local.', deliver_notifications: false }))
      .id;
    fixture.incidents.find((i) => i.id === 'inc000000003')!.id = 'INC-Moved-3';
    fixture.incidents.find((i) => i.id === 'inc000000001')!.id = taken;
    replay = await startStatuspageReplay(fixture, { apiKey: KEY });
  });
  afterAll(async () => {
    await replay.close();
    await lifeline.t.close();
  });

  it('refuses structure the file lacks, naming the keys to add, and writes nothing', async () => {
    const failure = runImport(lifeline, replay);
    await expect(failure).rejects.toThrow(
      /page\.components_from: file\), which lacks: group europe-script-alert-1-script \("Europe <script>alert\(1\)<\/script>"\)/,
    );
    await expect(failure).rejects.toThrow(/component united-states-messaging \("Messaging" in group united-states\)/);
    expect(await count(lifeline.t, 'imported_record')).toBe(0);
  });

  it('joins the components the file defines, and old ids keep working through /v1', async () => {
    // Without the components the file lacks (and the history that names them).
    fixture.components = fixture.components.filter((c) => ['cmpusapi0001', 'cmpweb000001', 'grp0us000001'].includes(String(c.id)));
    fixture.component_groups = fixture.component_groups.filter((g) => g.id === 'grp0us000001');
    const { report } = await runImport(lifeline, replay);
    expect(report).toMatch(/components\s+0 new\s+2 already there/);

    const usApi = await lifeline.t.componentId('united-states-api');
    expect(usApi).not.toBe('cmpusapi0001');
    // Untouched since the file created it: it takes over the Statuspage history, from its creation there.
    const [row] = await lifeline.t.db.query<{ created_at: Date; status: string }>('SELECT created_at, status FROM component WHERE id = $1', [usApi]);
    expect(row.created_at.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect((await history(lifeline.t, usApi)).map((h) => h.status)).toEqual(['operational', 'major_outage', 'operational', 'partial_outage', 'partial_outage']);
    expect(row.status).toBe('partial_outage');

    const v1 = (method: 'GET' | 'PATCH' | 'POST', url: string, payload?: object) =>
      lifeline.t.app.inject({ method, url: `/v1/pages/${lifeline.pageId}${url}`, headers: { authorization: `OAuth ${lifeline.admin}` }, payload });
    const read = await v1('GET', '/components/cmpusapi0001');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: usApi, name: 'API' });
    const patched = await v1('PATCH', '/components/cmpusapi0001.json', { component: { status: 'major_outage' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ id: usApi, status: 'major_outage' });

    const created = await v1('POST', '/incidents', {
      incident: { name: 'API down', status: 'identified', body: 'Down.', components: { cmpusapi0001: 'major_outage' }, component_ids: ['cmpusapi0001'] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().components.map((c: { id: string }) => c.id)).toEqual([usApi]);

    const movedTo = async (oldId: string) =>
      (await lifeline.t.db.query<{ target_id: string }>("SELECT target_id FROM imported_record WHERE kind = 'incident' AND source_id = $1", [oldId]))[0]
        .target_id;
    // A tool that opened the incident on Statuspage updates it by its old id.
    const moved = await movedTo('INC-Moved-3');
    expect(moved).toMatch(/^[a-z0-9]{12}$/);
    const updated = await v1('PATCH', '/incidents/INC-Moved-3', { incident: { status: 'monitoring', body: 'A fix is out.' } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ id: moved, name: 'Elevated latency', status: 'monitoring' });
    // An old id that is also a Lifeline incident's own id addresses the Lifeline incident.
    expect(await movedTo(taken)).not.toBe(taken);
    expect((await v1('GET', `/incidents/${taken}`)).json()).toMatchObject({ id: taken, name: 'Local' });
  });
});

describe('a source that misbehaves', () => {
  let lifeline: Lifeline;
  beforeAll(async () => {
    lifeline = await startLifeline(CONSOLE_PAGE);
  });
  afterAll(() => lifeline.t.close());

  const withReplay = async (fault: Fault, check: (replay: StatuspageReplay) => Promise<void>) => {
    const replay = await startStatuspageReplay(loadStatuspageFixture(), { apiKey: KEY, fault });
    try {
      await check(replay);
    } finally {
      await replay.close();
    }
  };

  it('stops with a clear message on an answer that is not JSON, having written nothing', async () => {
    await withReplay(
      ({ path }) => (path.endsWith('/components') ? { status: 200, body: '<html>\u001b[31mnot json</html>' } : null),
      async (replay) => {
        const failure = runImport(lifeline, replay);
        await expect(failure).rejects.toThrow(/GET \/pages\/sp0page00001\/components\?.*: the answer is not JSON \(<html> \[31mnot json<\/html>\)/);
      },
    );
    expect(await count(lifeline.t, 'imported_record')).toBe(0);
  });

  it('tries a 500 three times, waiting between, then stops naming the request', async () => {
    await withReplay(
      ({ path }) => (path.endsWith('/incidents') ? { status: 500, body: '{"error":"oops"}' } : null),
      async (replay) => {
        const waits: number[] = [];
        await expect(
          run(
            ['import', 'statuspage', '--page-id', SOURCE_PAGE, '--api-key', KEY, '--api-url', replay.url, '--lifeline-url', lifeline.url],
            { LIFELINE_TOKEN: lifeline.admin },
            () => {},
            () => {},
            { progress: () => {}, wait: async (ms) => void waits.push(ms) },
          ),
        ).rejects.toThrow(/incidents\?limit=100&page=1: answered 500, 3 attempts/);
        expect(waits).toEqual([1000, 2000]);
      },
    );
  });

  it('says when the API key is refused, and never sends it to a plain-http host elsewhere', async () => {
    await withReplay(
      () => null,
      async (replay) => {
        await expect(runImport(lifeline, replay, { apiKey: 'wrong' })).rejects.toThrow(/401, the API key was refused/);
        expect(replay.requests).toHaveLength(1);
      },
    );
    await expect(runImport(lifeline, { url: '', requests: [], close: async () => {} }, { apiUrl: 'http://statuspage.example.com/v1' })).rejects.toThrow(
      /--api-url: must be https/,
    );
  });

  it('refuses an answer larger than it reads, and a list that never ends stops', async () => {
    await withReplay(
      ({ path }) => (path.endsWith('/huge') ? { status: 200, body: `[${'"x",'.repeat(5000)}"x"]` } : null),
      async (replay) => {
        const source = statuspageSource({ apiUrl: replay.url, apiKey: KEY, wait: async () => {}, progress: () => {}, maxBodyBytes: 10_000 });
        await expect(source.list('/huge', { sizeParam: 'limit', size: 100, firstPage: 1, label: 'huge' })).rejects.toThrow(/answered more than/);
      },
    );
    // A server that ignores `page` answers the same records again: the list ends there.
    await withReplay(
      ({ path }) => (path.endsWith('/same') ? { status: 200, body: JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: `r${i}` }))) } : null),
      async (replay) => {
        const source = statuspageSource({ apiUrl: replay.url, apiKey: KEY, wait: async () => {}, progress: () => {} });
        expect(await source.list('/same', { sizeParam: 'limit', size: 100, firstPage: 1, label: 'same' })).toHaveLength(100);
        expect(replay.requests).toHaveLength(2);
      },
    );
  });

  it('carries a large page in batches', async () => {
    const big = loadStatuspageFixture();
    big.subscribers.active = Array.from({ length: 1_001 }, (_, i) => ({
      id: `big${String(i).padStart(9, '0')}`,
      mode: 'email',
      email: `reader${i}@example.com`,
      components: [],
      created_at: '2025-03-01T00:00:00.000Z',
    }));
    big.subscribers.unconfirmed = [];
    big.subscribers.quarantined = [];
    big.incidents = Array.from({ length: 26 }, (_, i) => ({
      ...big.incidents[2],
      id: `bulk${String(i).padStart(8, '0')}`,
      incident_updates: (big.incidents[2].incident_updates as object[]).map((u, j) => ({ ...u, id: `bulk${i}u${j}` })),
    }));
    const replay = await startStatuspageReplay(big, { apiKey: KEY });
    try {
      const { report } = await runImport(lifeline, replay);
      expect(report).toMatch(/incidents\s+26 new/);
      expect(report).toMatch(/updates\s+78 new/);
      expect(report).toMatch(/subscribers\s+1001 new/);
    } finally {
      await replay.close();
    }
  });
});

describe('POST /api/v1/imports/statuspage', () => {
  let lifeline: Lifeline;
  beforeAll(async () => {
    lifeline = await startLifeline(CONSOLE_PAGE);
  });
  afterAll(() => lifeline.t.close());
  const post = (payload: object, token: string | null = lifeline.admin) =>
    lifeline.t.app.inject({ method: 'POST', url: '/api/v1/imports/statuspage', headers: token ? { authorization: `Bearer ${token}` } : {}, payload });
  const group = { id: 'g1', name: 'Group', description: null, position: 1, created_at: '2025-01-01T00:00:00Z' };

  it('needs the admin scope', async () => {
    expect((await post({ page_id: 'p' }, null)).statusCode).toBe(401);
    expect((await post({ page_id: 'p' }, await lifeline.t.token('incidents:write', 'components:write', 'subscribers:write'))).statusCode).toBe(403);
  });

  it('answers 400 naming the field, NUL bytes included, and writes nothing of the batch', async () => {
    const nul = await post({ page_id: 'p', groups: [group, { ...group, id: 'g2', name: 'Bad\u0000' }] });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().message).toBe('groups.1.name: contains a NUL byte, which text may not hold');
    expect(await count(lifeline.t, 'component_group')).toBe(0);
    const badTime = await post({ page_id: 'p', groups: [{ ...group, created_at: 'yesterday' }] });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().message).toMatch(/^groups\.0\.created_at: /);
    const badId = await post({ page_id: 'p', groups: [{ ...group, id: "g'; DROP TABLE page;--" }] });
    expect(badId.json().message).toMatch(/^groups\.0\.id: /);
  });
});
