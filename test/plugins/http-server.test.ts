import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_TIMEOUT_MS } from '../../src/app.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * The server is made by our own factory (for the snapshot fast path), so Fastify's connection
 * settings do not reach it by themselves; these are the ones a proxy in front of Lifeline relies on.
 */
describe('the HTTP server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('keeps an idle connection open longer than the proxies in front of it do', () => {
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    expect(t.app.server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
  });

  it('still bounds how long a client may take to send a request (slow-loris)', () => {
    expect(t.app.server.requestTimeout).toBeGreaterThan(0);
    expect(t.app.server.headersTimeout).toBeGreaterThan(0);
    expect(t.app.server.headersTimeout).toBeLessThanOrEqual(t.app.server.requestTimeout);
  });
});
