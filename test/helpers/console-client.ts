import { expect } from 'vitest';
import { createUser } from '../../src/services/access/create-user.ts';
import { setPassword } from '../../src/services/access/set-password.ts';
import type { UserRole } from '../../src/domain/roles.ts';
import type { TestApp } from './app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/** A signed-in console user as app.inject sees it: cookie, CSRF token and a source address of its own. */
export interface ConsoleSession {
  cookie: string;
  csrf: string;
  ip: string;
}

export const CONSOLE_PASSWORD = 'correct horse battery staple';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export function encodeForm(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  return params.toString();
}

/** Attribute values as the browser reads them (Handlebars escapes `=` and friends). */
export const unescapeHtml = (text: string) =>
  text
    .replace(/&#x3D;/g, '=')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Form posts, page loads and sign-in against the console of a test app. */
export function consoleClient(t: TestApp) {
  let ipCounter = 0;
  const post = (url: string, fields: Record<string, string | string[]>, session: ConsoleSession, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, payload: encodeForm(fields), remoteAddress: session.ip, headers: { ...FORM, cookie: session.cookie, ...headers } });
  const get = (url: string, session?: ConsoleSession) =>
    t.app.inject({ method: 'GET', url, headers: session ? { cookie: session.cookie } : {}, remoteAddress: session?.ip ?? '203.0.113.1' });
  return {
    post,
    get,
    async account(email: string, role: UserRole) {
      const created = await createUser(t.app.serviceContext(labelledOperator('test')), { email, role });
      await setPassword(t.app.serviceContext(labelledOperator('test')), created.user.id, { password: CONSOLE_PASSWORD, confirm: CONSOLE_PASSWORD });
      return created.user;
    },
    async signIn(email: string): Promise<ConsoleSession> {
      const ip = `198.51.100.${++ipCounter}`;
      const response = await t.app.inject({
        method: 'POST',
        url: '/console/sign-in',
        payload: encodeForm({ email, password: CONSOLE_PASSWORD }),
        remoteAddress: ip,
        headers: FORM,
      });
      expect(response.statusCode, response.body).toBe(303);
      const cookie = String(response.headers['set-cookie']).split(';')[0];
      const dashboard = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie }, remoteAddress: ip });
      expect(dashboard.statusCode, dashboard.body).toBe(200);
      return { cookie, csrf: (/name="_csrf" value="([^"]+)"/.exec(dashboard.body) as RegExpExecArray)[1], ip };
    },
  };
}
