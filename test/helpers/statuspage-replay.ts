import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

type Json = Record<string, unknown>;

/** A Statuspage page as its manage API (v1) hands it out: test/statuspage-v1/fixtures/statuspage-page.json. */
export interface StatuspagePage {
  page: Json;
  component_groups: Json[];
  components: Json[];
  incidents: Json[];
  incident_templates: Json[];
  subscribers: { active: Json[]; unconfirmed: Json[]; quarantined: Json[] };
}

export function loadStatuspageFixture(): StatuspagePage {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'statuspage-v1', 'fixtures', 'statuspage-page.json'), 'utf8')) as StatuspagePage;
}

/** An answer the replay gives instead of the page's data (a fault), or null to answer normally. */
export type Fault = (request: {
  path: string;
  query: URLSearchParams;
  count: number;
}) => { status: number; headers?: Record<string, string>; body: string } | null;

export interface StatuspageReplay {
  url: string;
  requests: { path: string; query: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A loopback server answering Statuspage's manage API (v1) from a fixture, as its OpenAPI document
 * describes it: `Authorization: OAuth <key>`, bare JSON arrays, `page` counted from 1 with
 * `per_page` (components, groups, templates) or `limit` (incidents), and from 0 for subscribers,
 * filtered by `state`. Like a real server it caps a page (`maxPerPage`), whatever the client asks.
 */
export async function startStatuspageReplay(data: StatuspagePage, options: { apiKey: string; maxPerPage?: number; fault?: Fault }): Promise<StatuspageReplay> {
  const requests: StatuspageReplay['requests'] = [];
  const cap = options.maxPerPage ?? 100;
  const pageId = String(data.page.id);
  let count = 0;

  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const slice = (list: Json[], query: URLSearchParams, sizeParam: string, firstPage: number) => {
    const size = Math.min(cap, Math.max(1, Number(query.get(sizeParam) ?? 100)));
    const page = Math.max(firstPage, Number(query.get('page') ?? firstPage));
    return list.slice((page - firstPage) * size, (page - firstPage + 1) * size);
  };

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://replay');
    count += 1;
    requests.push({ path: url.pathname, query: url.search, authorization: request.headers.authorization });
    const fault = options.fault?.({ path: url.pathname, query: url.searchParams, count });
    if (fault) {
      response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      response.end(fault.body);
      return;
    }
    if (request.headers.authorization !== `OAuth ${options.apiKey}`)
      return send(response, 401, { error: 'Could not authenticate', message: 'Could not authenticate' });
    const base = `/v1/pages/${pageId}`;
    const q = url.searchParams;
    switch (url.pathname) {
      case base:
        return send(response, 200, data.page);
      case `${base}/component-groups`:
        return send(response, 200, slice(data.component_groups, q, 'per_page', 1));
      case `${base}/components`:
        return send(response, 200, slice(data.components, q, 'per_page', 1));
      case `${base}/incidents`:
        return send(response, 200, slice(data.incidents, q, 'limit', 1));
      case `${base}/incident_templates`:
        return send(response, 200, slice(data.incident_templates, q, 'per_page', 1));
      case `${base}/subscribers`: {
        const state = (q.get('state') ?? 'active') as keyof StatuspagePage['subscribers'] | 'all';
        const list = state === 'all' ? Object.values(data.subscribers).flat() : (data.subscribers[state] ?? []);
        return send(response, 200, slice(list, q, 'limit', 0));
      }
      default:
        return send(response, 404, { error: 'The requested resource could not be found.', message: 'not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
