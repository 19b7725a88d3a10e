import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** Browsers ask every page load for an icon: they get a small SVG, cached, instead of a 404. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('favicon', () => {
  it.each(['/favicon.svg', '/favicon.ico'])('%s is a valid SVG icon, cacheable for a day, that may run nothing', async (url) => {
    const response = await t.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/svg+xml');
    expect(response.headers['cache-control']).toMatch(/^public, max-age=86400/);
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(XMLValidator.validate(response.body)).toBe(true);
    const svg = new XMLParser({ ignoreAttributes: false }).parse(response.body).svg;
    expect(svg['@_xmlns']).toBe('http://www.w3.org/2000/svg');
    expect(response.body).not.toMatch(/<script|on\w+=/i);
    const again = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': String(response.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('is linked from the public and console layouts', async () => {
    for (const url of ['/', '/history', '/subscribe', '/console/sign-in']) {
      const page = await t.app.inject({ method: 'GET', url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    }
  });
});
