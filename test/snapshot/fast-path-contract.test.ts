import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { connect, type AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PUBLIC_DOCUMENTS } from '../../src/routes/public-api/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * The server answers GETs for snapshot documents before Fastify's router (src/app.ts fastPath);
 * the same documents have Fastify routes. Both must answer alike: same status, headers (but Date)
 * and bytes, whatever the client accepts, and 304 for a matching If-None-Match. And what is served
 * is what the routes' response schemas promise (the bodies are prebuilt, so no serializer checks it).
 */
let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await startTestApp();
  const token = await t.token('admin');
  const post = async (url: string, payload?: object) => {
    const response = await t.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json() as { id: string };
  };
  const resolved = await post('/api/v1/incidents', { name: 'Login failures', body: 'Investigating', components: { website: 'partial_outage' } });
  await post(`/api/v1/incidents/${resolved.id}/updates`, { status: 'resolved', body: 'Fixed.' });
  await post('/api/v1/incidents', {
    name: 'Messages delayed <b>now</b>',
    status: 'identified',
    body: 'Cause **found**.',
    components: { 'us-messaging': 'major_outage', 'eu-api': 'degraded_performance' },
  });
  const active = await post('/api/v1/maintenances', {
    name: 'DB upgrade',
    body: 'Planned',
    scheduled_for: '2026-03-10T11:00:00Z',
    scheduled_until: '2026-03-10T14:00:00Z',
    components: ['eu-api'],
  });
  await post(`/api/v1/maintenances/${active.id}/start`, {});
  await post('/api/v1/maintenances', {
    name: 'Network work',
    body: 'Planned',
    scheduled_for: '2026-03-12T10:00:00Z',
    scheduled_until: '2026-03-12T11:00:00Z',
    components: ['us-api'],
  });
  await t.settle();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(() => t?.close());

// Connection management is each transport's own; Date is the clock's.
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const comparable = (headers: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => !TRANSPORT.has(name))
      .map(([name, value]) => [name, String(value)])
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/** Through the server: the fast path answers before the router. */
async function fastPath(path: string, headers: Record<string, string>) {
  const response = await request(`${base}${path}`, { headers });
  return { status: response.statusCode, headers: comparable(response.headers), body: Buffer.from(await response.body.arrayBuffer()) };
}

/** Through Fastify's router (inject does not pass the server's request listener). */
async function route(path: string, headers: Record<string, string>) {
  const response = await t.app.inject({ method: 'GET', url: path, headers });
  return { status: response.statusCode, headers: comparable(response.headers), body: response.rawPayload };
}

describe('the fast path answers as the routes do', () => {
  it('serves the public page, every v2 document and both feeds from the snapshot', () => {
    expect(t.app.snapshot.paths().sort()).toEqual(['/', ...Object.keys(PUBLIC_DOCUMENTS)].sort());
  });

  it('answers before the router: no route handler runs for a snapshot document', async () => {
    const routeSends = vi.spyOn(t.app, 'sendEncoded');
    try {
      for (const path of t.app.snapshot.paths()) expect((await fastPath(path, {})).status, path).toBe(200);
      expect(routeSends).not.toHaveBeenCalled();
      await route('/api/v2/status.json', {});
      expect(routeSends).toHaveBeenCalledTimes(1);
    } finally {
      routeSends.mockRestore();
    }
  });

  it('answers the same status, headers and bytes for every document, encoding and If-None-Match', async () => {
    const encodings: Record<string, string>[] = [{}, { 'accept-encoding': 'gzip' }, { 'accept-encoding': 'br' }, { 'accept-encoding': 'gzip, deflate, br' }];
    for (const path of t.app.snapshot.paths()) {
      for (const encoding of encodings) {
        const what = `${path} ${JSON.stringify(encoding)}`;
        const viaFastPath = await fastPath(path, encoding);
        const viaRoute = await route(path, encoding);
        expect(viaFastPath.status, what).toBe(200);
        expect(viaFastPath.headers, what).toEqual(viaRoute.headers);
        expect(viaFastPath.body.equals(viaRoute.body), what).toBe(true);

        const revalidate = { ...encoding, 'if-none-match': viaRoute.headers.etag };
        const notModified = await fastPath(path, revalidate);
        const notModifiedRoute = await route(path, revalidate);
        expect(notModified.status, `${what} revalidated`).toBe(304);
        expect(notModified.headers, `${what} revalidated`).toEqual(notModifiedRoute.headers);
        expect(notModified.body.length + notModifiedRoute.body.length, `${what} revalidated`).toBe(0);
      }
    }
  });
});

/** Through the server, with the header lines exactly as given (case, repeats): what undici would normalise. */
function rawGet(path: string, lines: string[]): Promise<{ status: number; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const { port } = t.app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: status.test\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head] = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n');
      const [statusLine, ...fields] = head.split('\r\n');
      const headers = Object.fromEntries(fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers });
    });
  });
}

describe('the fast path reads the request headers it needs as the routes do', () => {
  const path = '/api/v2/status.json';

  it('whatever their case, and repeated ones joined with ", "', async () => {
    expect((await rawGet(path, ['ACCEPT-ENCODING: gzip'])).headers['content-encoding']).toBe('gzip');
    // Joined, "deflate, br" and "br, deflate" both ask for br; only the first or only the last would not.
    expect((await rawGet(path, ['Accept-Encoding: deflate', 'accept-encoding: br'])).headers['content-encoding']).toBe('br');
    expect((await rawGet(path, ['accept-encoding: br', 'Accept-Encoding: deflate'])).headers['content-encoding']).toBe('br');
    expect((await rawGet(path, ['X-Accept-Encoding: br'])).headers['content-encoding']).toBeUndefined();

    const etag = (await route(path, { 'accept-encoding': 'br' })).headers.etag;
    for (const lines of [
      [`IF-NONE-MATCH: ${etag}`],
      ['If-None-Match: "other"', `if-none-match: ${etag}`],
      [`if-none-match: ${etag}`, 'If-None-Match: "other"'],
    ]) {
      const answer = await rawGet(path, ['Accept-Encoding: br', ...lines]);
      expect(answer.status, lines.join(' | ')).toBe(304);
      expect(answer.headers.etag, lines.join(' | ')).toBe(etag);
    }
    expect((await rawGet(path, ['Accept-Encoding: br', 'If-None-Match: "other"'])).status).toBe(200);
  });
});

/**
 * The schema with every object closed to undeclared keys: a route's serializer would drop such a
 * key, but these bodies are prebuilt, so a key the schema does not declare would reach clients.
 */
function closed<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(closed) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, closed(sub)])) : closed(value),
    ]),
  );
  if (copy.type === 'object' && copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  return copy as T;
}

describe('the v2 documents keep their schema', () => {
  it("validates every /api/v2 document as served against its route's response schema, with no undeclared key", async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: Ajv) => void)(ajv);
    const documents = Object.entries(PUBLIC_DOCUMENTS).filter(([path]) => path.startsWith('/api/v2/'));
    expect(documents).toHaveLength(8);
    for (const [path, { schema }] of documents) {
      const validate = ajv.compile(closed(schema));
      const response = await request(`${base}${path}`);
      expect(response.statusCode, path).toBe(200);
      const body = await response.body.json();
      expect(validate(body) ? [] : validate.errors, path).toEqual([]);
      expect(validate({ ...(body as object), undeclared: true }), `${path} with an undeclared key`).toBe(false);
    }
    // The fixtures reach every shape: groups, an unresolved incident, an active and an upcoming maintenance.
    const summary = (await (await request(`${base}/api/v2/summary.json`)).body.json()) as {
      components: { group: boolean }[];
      incidents: unknown[];
      scheduled_maintenances: { status: string }[];
    };
    expect(summary.components.some((c) => c.group)).toBe(true);
    expect(summary.incidents).toHaveLength(1);
    expect(summary.scheduled_maintenances.map((m) => m.status).sort()).toEqual(['in_progress', 'scheduled']);
  });
});
