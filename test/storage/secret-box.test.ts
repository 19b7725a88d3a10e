import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createSecretBox, isSealed, PLAIN_BOX } from '../../src/storage/secret-box.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.ts';

describe('secret box', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);

  it('seals with a fresh nonce each time and opens what it sealed', () => {
    const a = box.seal('whsec_abc');
    const b = box.seal('whsec_abc');
    expect(a).not.toBe(b);
    expect(isSealed(a)).toBe(true);
    expect(a).not.toContain('abc');
    expect(box.open(a)).toBe('whsec_abc');
    // Values stored before a key was set stay readable.
    expect(box.open('whsec_plain')).toBe('whsec_plain');
  });

  it('refuses a tampered value, a wrong key, and a sealed value without a key, naming LIFELINE_SECRET_KEY', () => {
    const sealed = box.seal('whsec_abc');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered)).toThrow(/LIFELINE_SECRET_KEY/);
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow(/LIFELINE_SECRET_KEY/);
    expect(() => PLAIN_BOX.open(sealed)).toThrow(/LIFELINE_SECRET_KEY/);
  });

  it('takes the key from the environment as 32 bytes of base64, and names the variable otherwise', () => {
    expect(() => loadConfig({ LIFELINE_SECRET_KEY: 'c2hvcnQ=' })).toThrow(/^LIFELINE_SECRET_KEY must be 32 random bytes/);
    expect(loadConfig({ LIFELINE_SECRET_KEY: key.toString('base64') }).env.LIFELINE_SECRET_KEY).toEqual(key);
    expect(loadConfig({ LIFELINE_SECRET_KEY: key.toString('base64url') }).env.LIFELINE_SECRET_KEY).toEqual(key);
  });
});

describe('webhook secrets encrypted at rest (LIFELINE_SECRET_KEY)', () => {
  const key = randomBytes(32).toString('base64');
  let database: TestDatabase;
  let receiver: HttpReceiver;
  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await database.dispose();
  });

  it('seals what was stored in clear at the next start, signs deliveries with the opened secret, and needs the key to read them', async () => {
    // Before a key: the secret is stored as it is.
    const plain = await startTestApp({ database, env: { LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true' } });
    const admin = await plain.token('admin');
    const created = await plain.app.inject({
      method: 'POST',
      url: '/api/v1/subscribers',
      payload: { type: 'webhook', url: receiver.url },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(created.statusCode).toBe(201);
    const secret = created.json().secret as string;
    expect((await database.db.query<{ secret: string }>('SELECT secret FROM subscriber'))[0].secret).toBe(secret);
    await plain.close();

    // With a key: sealed at start (the subscriber's secret and the link key), deliveries still verify.
    const sealed = await startTestApp({
      database,
      clock: new ManualClock(new Date()),
      env: { LIFELINE_SECRET_KEY: key, LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true', LIFELINE_ROLES: 'web,worker' },
    });
    const [row] = await database.db.query<{ secret: string }>('SELECT secret FROM subscriber');
    expect(isSealed(row.secret)).toBe(true);
    expect(row.secret).not.toContain(secret.slice(6, 20));
    expect((await database.db.query<{ value: string }>("SELECT value FROM app_secret WHERE name = 'link-signing-key'")).every((r) => isSealed(r.value))).toBe(
      true,
    );
    const token = await sealed.token('admin');
    await sealed.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: { name: 'Sealed secrets', body: 'x' },
      headers: { authorization: `Bearer ${token}` },
    });
    await sealed.app.notifications.dispatch();
    await expect.poll(() => receiver.received.length).toBe(1);
    expect(
      (new Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers as Record<string, string>) as { incident: { name: string } }).incident
        .name,
    ).toBe('Sealed secrets');
    await sealed.close();

    // Without the key the sealed link key cannot be read: the start fails and says why.
    await expect(startTestApp({ database })).rejects.toThrow(/LIFELINE_SECRET_KEY/);
  });
});
