import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Attacks through what the public documents send back: an incident name or update body written as
 * markup must reach every reader as text (or as our own escaped Markdown), never as markup it runs.
 */
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';
const HOSTILE_BODY = 'Cause <script>alert(2)</script> and <img src=y onerror=alert(3)>';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  const token = await t.token('admin');
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/incidents',
    headers: { authorization: `Bearer ${token}` },
    payload: { name: HOSTILE_NAME, body: HOSTILE_BODY, components: { website: 'partial_outage' } },
  });
  expect(response.statusCode, response.body).toBe(201);
  await t.settle();
});
afterAll(() => t.close());

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', textNodeName: '#text', parseTagValue: false });
type XmlNode = string | { '#text'?: string; '@_type'?: string };
const textOf = (node: XmlNode) => (typeof node === 'string' ? node : (node['#text'] ?? ''));

describe('feeds carry incident names as text', () => {
  it('Atom declares entry titles and summaries as text, with the name escaped', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/history.atom' });
    expect(XMLValidator.validate(response.body)).toBe(true);
    const entry = [parser.parse(response.body).feed.entry].flat()[0] as Record<string, XmlNode>;
    const title = entry.title as { '#text': string; '@_type'?: string };
    // Atom's default type is text; "html" would make a reader run the name as markup.
    expect(title['@_type'] ?? 'text').toBe('text');
    expect(textOf(title)).toBe(HOSTILE_NAME);
    const summary = entry.summary as { '@_type'?: string };
    expect(summary['@_type'] ?? 'text').toBe('text');
  });

  it("Atom content is our rendered Markdown: the body's markup arrives escaped", async () => {
    const response = await t.app.inject({ method: 'GET', url: '/history.atom' });
    const entry = [parser.parse(response.body).feed.entry].flat()[0] as Record<string, XmlNode>;
    const content = entry.content as { '#text': string; '@_type'?: string };
    expect(content['@_type']).toBe('html');
    const html = textOf(content);
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|<img/i);
  });

  it('RSS titles are the name as text, and the description and content hold no markup of it', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/history.rss' });
    expect(XMLValidator.validate(response.body)).toBe(true);
    const item = [parser.parse(response.body).rss.channel.item].flat()[0] as Record<string, XmlNode>;
    expect(textOf(item.title)).toBe(HOSTILE_NAME);
    expect(textOf(item.description)).not.toMatch(/<img|<script/i);
    expect(textOf(item['content:encoded'])).not.toMatch(/<img|<script/i);
  });
});

describe('pages carry incident names and bodies as text', () => {
  it('the status page and the incident page show the markup escaped and run no script of it', async () => {
    const id = (await t.db.query<{ id: string }>('SELECT id FROM incident WHERE name = $1', [HOSTILE_NAME]))[0].id;
    for (const url of ['/', `/incidents/${id}`]) {
      const page = await t.app.inject({ method: 'GET', url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
      expect(page.body, url).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
      expect(page.body, url).not.toMatch(/<img src=x|<img src=y|<script>alert/);
      expect(String(page.headers['content-security-policy']), url).toContain("script-src 'none'");
    }
  });
});
