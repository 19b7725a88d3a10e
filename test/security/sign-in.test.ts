import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { fillLayout, type EmailChannel, type EmailMessage } from '../../src/channels/channel.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Database, Transaction } from '../../src/storage/database.ts';
import { startTestApp, testConfig, type TestApp } from '../helpers/app.ts';
import { consoleClient, CONSOLE_PASSWORD, encodeForm } from '../helpers/console-client.ts';
import { createTestDatabase } from '../helpers/database.ts';

/** Attacks on console sign-in: guessing faster than the throttle, and telling accounts apart. */
let t: TestApp;
let client: ReturnType<typeof consoleClient>;
beforeAll(async () => {
  t = await startTestApp();
  client = consoleClient(t);
});
afterAll(() => t?.close());

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
let ipCounter = 0;
const nextIp = () => `192.0.2.${++ipCounter}`;
const post = (url: string, fields: Record<string, string>, ip = nextIp()) =>
  t.app.inject({ method: 'POST', url, payload: encodeForm(fields), remoteAddress: ip, headers: FORM });
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, s) => ({ ...counts, [s]: (counts[s] ?? 0) + 1 }), {});

// Each checked guess costs a real scrypt hash, on a machine shared with other test files.
describe('the failed sign-in throttle under concurrent guesses', { timeout: 90_000 }, () => {
  it('checks exactly 5 of 25 concurrent wrong passwords for one address; the other 20 get 429', async () => {
    await client.account('concurrent@example.com', 'admin');
    const guesses = await Promise.all(
      Array.from({ length: 25 }, (_, i) => post('/console/sign-in', { email: 'concurrent@example.com', password: `guess number ${i}` })),
    );
    expect(tally(guesses.map((r) => r.statusCode))).toEqual({ 401: 5, 429: 20 });
    // The right password is refused too while the address is blocked.
    expect((await post('/console/sign-in', { email: 'concurrent@example.com', password: CONSOLE_PASSWORD })).statusCode).toBe(429);
  });

  it('checks exactly 20 of 25 concurrent guesses from one IP across addresses', async () => {
    const ip = nextIp();
    const sprayed = await Promise.all(
      Array.from({ length: 25 }, (_, i) => post('/console/sign-in', { email: `spray${i}@example.com`, password: 'guess' }, ip)),
    );
    expect(tally(sprayed.map((r) => r.statusCode))).toEqual({ 401: 20, 429: 5 });
  });

  it('does not count a successful sign-in against the address or the IP', async () => {
    await client.account('regular@example.com', 'viewer');
    const ip = nextIp();
    for (let i = 0; i < 4; i++) expect((await post('/console/sign-in', { email: 'regular@example.com', password: `typo ${i}` }, ip)).statusCode).toBe(401);
    expect((await post('/console/sign-in', { email: 'regular@example.com', password: CONSOLE_PASSWORD }, ip)).statusCode).toBe(303);
    // The address starts afresh after a success; the IP has 4 failures and 16 tries left, not 15.
    const after = await Promise.all(Array.from({ length: 17 }, (_, i) => post('/console/sign-in', { email: `other${i}@example.com`, password: 'guess' }, ip)));
    expect(tally(after.map((r) => r.statusCode))).toEqual({ 401: 16, 429: 1 });
    expect((await post('/console/sign-in', { email: 'regular@example.com', password: 'typo again' })).statusCode).toBe(401);
  });
});

/** Records every statement the app runs (also inside transactions), for comparing two requests. */
function recordStatements(db: Database) {
  const statements: string[] = [];
  const query = db.query.bind(db);
  const transaction = db.transaction.bind(db);
  const recordingTx = (tx: Transaction): Transaction =>
    new Proxy(tx, {
      get(target, property) {
        if (property === 'query')
          return (sql: string, ...rest: unknown[]) => (statements.push(sql), (target.query as (...args: unknown[]) => unknown)(sql, ...rest));
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  db.query = ((sql: string, ...rest: unknown[]) => (statements.push(sql), (query as (...args: unknown[]) => unknown)(sql, ...rest))) as Database['query'];
  db.transaction = ((fn: (tx: Transaction) => Promise<unknown>) => (
    statements.push('BEGIN'), transaction((tx) => fn(recordingTx(tx)))
  )) as Database['transaction'];
  return {
    statements,
    restore: () => {
      db.query = query;
      db.transaction = transaction;
    },
  };
}

describe('"Email me a sign-in link" does not tell accounts apart', () => {
  it('answers before any account lookup or email, with the same answer and the same statements for a known and an unknown address', async () => {
    await client.account('real-person@example.com', 'responder');
    const sent: EmailMessage[] = [];
    // A relay that never answers: the response must not wait for it.
    const stuck: EmailChannel = {
      send: (message) => {
        sent.push(message);
        return new Promise(() => {});
      },
      sendCopy(layout, recipient) {
        return this.send(fillLayout(layout, recipient));
      },
      close: async () => {},
    };
    const original = t.app.notifications.email;
    t.app.notifications.email = stuck;
    const recorder = recordStatements(t.app.db);
    try {
      const ask = async (email: string) => {
        recorder.statements.length = 0;
        const response = await post('/console/sign-in/link', { email });
        // Taken at once, before anything scheduled after the answer can run.
        return { response, statements: [...recorder.statements] };
      };
      const unknown = await ask('nobody-here@example.com');
      // The lookup runs for an unknown address too, after the answer; let it pass before the next request.
      await vi.waitFor(() => expect(recorder.statements.some((sql) => sql.includes('responder_user'))).toBe(true));
      const known = await ask('real-person@example.com');
      expect(known.response.statusCode).toBe(200);
      expect(unknown.response.statusCode).toBe(200);
      const strip = (body: string) =>
        body.replace(/real-person@example\.com|nobody-here@example\.com/g, 'EMAIL').replace(/nonce-[^']+'|nonce="[^"]+"/g, 'NONCE');
      expect(strip(known.response.body)).toBe(strip(unknown.response.body));
      expect(known.statements).toEqual(unknown.statements);
      expect(known.statements.join('\n')).not.toMatch(/responder_user|sign_in_link/);

      // After the answer, the real account still gets its link (to the relay that never answers).
      await vi.waitFor(() => expect(sent).toHaveLength(1));
      expect(sent[0].to).toBe('real-person@example.com');
      expect(sent[0].text).toMatch(/\/console\/sign-in\/[A-Za-z0-9_-]{20,}/);
    } finally {
      recorder.restore();
      t.app.notifications.email = original;
    }
  });
});

describe('a fresh install says how to create the first account', () => {
  const COMMAND = 'npx lifeline user create --email you@example.com --role admin';

  it('shows the CLI command on the sign-in page while no account exists, and not once one does', async () => {
    const fresh = await startTestApp();
    try {
      const empty = await fresh.app.inject({ method: 'GET', url: '/console/sign-in' });
      expect(empty.statusCode).toBe(200);
      expect(empty.body).toContain(COMMAND);
      await consoleClient(fresh).account('first@example.com', 'admin');
      const withAccount = await fresh.app.inject({ method: 'GET', url: '/console/sign-in' });
      expect(withAccount.statusCode).toBe(200);
      expect(withAccount.body).not.toContain('lifeline user create');
      expect(withAccount.body).not.toMatch(/first account|no account/i);
    } finally {
      await fresh.close();
    }
  });

  it('logs the command when the server starts listening with no account', async () => {
    const database = await createTestDatabase();
    const { config, dataDir } = testConfig();
    let logged = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const app = await buildApp({
      config,
      db: database.db,
      clock: new ManualClock('2026-03-10T12:00:00Z'),
      random: () => 0.5,
      logger: { level: 'info', stream },
    });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      await vi.waitFor(() => expect(logged).toContain(COMMAND));
    } finally {
      await app.close();
      await database.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
