import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Behind a proxy, the client's address is the X-Forwarded-For entry the proxy appended: the
 * right-most one, or further left by one per trusted hop. Entries left of that are whatever the
 * client wrote; believing them lets anyone choose a fresh address per request and walk past the
 * per-IP limits on sign-up, sign-in and links.
 */
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function signUps(t: TestApp, forwardedFor: (n: number) => string, count: number, who: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let n = 0; n < count; n++) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { ...FORM, 'x-forwarded-for': forwardedFor(n) },
      remoteAddress: '127.0.0.1',
      payload: `email=${who}${n}%40example.com`,
    });
    statuses.push(response.statusCode);
  }
  return statuses;
}

describe('LIFELINE_TRUST_PROXY', () => {
  it('reads false, true (one proxy) or a hop count, and names anything else', () => {
    expect(readEnvironment({ LIFELINE_TRUST_PROXY: 'false' }).LIFELINE_TRUST_PROXY).toBe(0);
    expect(readEnvironment({ LIFELINE_TRUST_PROXY: 'true' }).LIFELINE_TRUST_PROXY).toBe(1);
    expect(readEnvironment({ LIFELINE_TRUST_PROXY: '2' }).LIFELINE_TRUST_PROXY).toBe(2);
    expect(() => readEnvironment({ LIFELINE_TRUST_PROXY: '10.0.0.0/8' })).toThrow(/LIFELINE_TRUST_PROXY must be false, true/);
  });

  describe('behind one proxy', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { LIFELINE_TRUST_PROXY: 'true' } });
    });
    afterAll(() => t.close());

    it('a client writing a new left-most X-Forwarded-For entry per request is still one address to the limits', async () => {
      const statuses = await signUps(t, (n) => `10.9.${n}.1, 198.51.100.7`, 23, 'spoofer');
      expect(statuses.slice(0, 20).every((status) => status === 200)).toBe(true);
      expect(statuses.slice(20)).toEqual([429, 429, 429]);
    });

    it('visitors the proxy tells apart are limited apart', async () => {
      const statuses = await signUps(t, (n) => `203.0.113.${n + 1}`, 23, 'visitor');
      expect(statuses).toEqual(statuses.map(() => 200));
    });
  });

  it('without a trusted proxy X-Forwarded-For is ignored', async () => {
    const t = await startTestApp({ env: { LIFELINE_TRUST_PROXY: 'false' } });
    try {
      const statuses = await signUps(t, (n) => `203.0.113.${n + 1}`, 21, 'direct');
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await t.close();
    }
  });
});
