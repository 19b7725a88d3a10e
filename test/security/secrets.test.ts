import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import type { IdSource } from '../../src/domain/ids.ts';
import { redactUrl } from '../../src/redact.ts';
import { hashToken } from '../../src/domain/secret-hash.ts';
import { testConfig } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { childEnvironment, freePort, REPO_ROOT } from '../helpers/lifeline-process.ts';

/** Every byte of every "random" secret is 0x5a, so the test knows the token (and its hash) the app makes. */
const FIXED_BYTES = 0x5a;
const predictableIds: IdSource = {
  id: (() => {
    let next = 0;
    return () => `id${String(++next).padStart(10, '0')}`;
  })(),
  bytes: (n) => Buffer.alloc(n, FIXED_BYTES),
};
const EXPECTED_TOKEN = `lfl_${Buffer.alloc(6, FIXED_BYTES).toString('base64url').slice(0, 8)}_${Buffer.alloc(32, FIXED_BYTES).toString('base64url')}`;

describe('secrets never reach the logs', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let dataDir: string;
  let logged = '';
  let admin: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const made = testConfig({ LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true' });
    dataDir = made.dataDir;
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    app = await buildApp({
      config: made.config,
      db: database.db,
      clock: new ManualClock('2026-03-10T12:00:00Z'),
      ids: predictableIds,
      random: () => 0.5,
      logger: { level: 'info', stream },
    });
    await app.ready();
    // The caller's own token, stored directly (its row is the only one the constraint below lets by).
    admin = 'lfl_adminkey_thetestsadminsecretthetestsadminsecret';
    await database.db.query('INSERT INTO api_token (id, name, prefix, hash, scopes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      'admintoken01',
      'admin',
      'lfl_adminkey',
      hashToken(admin),
      JSON.stringify(['admin']),
      'test',
      new Date('2026-03-10T12:00:00Z'),
    ]);
    // Every new token or subscriber row is refused, as a unique or check violation would be: the
    // server's error then carries the statement's parameters (and "Failing row contains (...)").
    await database.db.query("ALTER TABLE api_token ADD CONSTRAINT test_refuses_new_tokens CHECK (id = 'admintoken01') NOT VALID");
    await database.db.query('ALTER TABLE subscriber ADD CONSTRAINT test_refuses_new_subscribers CHECK (false) NOT VALID');
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs a failed token write without the token, its hash or any parameter', async () => {
    logged = '';
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: { authorization: `Bearer ${admin}` },
      payload: { name: 'deploy bot', scopes: ['incidents:write'] },
    });
    expect(response.statusCode).toBe(500);
    expect(logged).toContain('test_refuses_new_tokens');
    expect(logged).toContain('INSERT INTO api_token');
    expect(logged).not.toContain(hashToken(EXPECTED_TOKEN));
    expect(logged).not.toContain(EXPECTED_TOKEN.slice(-20));
    expect(logged).not.toContain('deploy bot');
    expect(logged).not.toMatch(/Failing row|"params"|"detail"/);
  });

  it('logs a failed webhook subscriber write without the fresh whsec_ secret', async () => {
    logged = '';
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/subscribers',
      headers: { authorization: `Bearer ${admin}` },
      payload: { type: 'webhook', url: 'http://127.0.0.1:9/hook' },
    });
    expect(response.statusCode).toBe(500);
    expect(logged).toContain('test_refuses_new_subscribers');
    expect(logged).not.toContain('whsec_');
    expect(logged).not.toMatch(/Failing row|"params"|"detail"/);
  });

  it('redacts credentials and secret-named fields in anything logged', () => {
    logged = '';
    app.log.warn(
      {
        req: { headers: { authorization: `Bearer ${admin}`, cookie: 'lifeline_session=abc123session' } },
        token: admin,
        secret: 'whsec_leaked',
        password: 'hunter2-password',
        subscriber: { secret: 'whsec_nested' },
      },
      'something happened',
    );
    expect(logged).toContain('something happened');
    for (const value of [admin, 'abc123session', 'whsec_', 'hunter2-password']) expect(logged).not.toContain(value);
  });
});

describe('URLs in messages never show their password', () => {
  it.each([
    ['postgres://user:s3cret@host:5432/db', 'postgres://user:***@host:5432/db'],
    ['postgres://user:s3cret@host:notaport/db', 'postgres://user:***@host:notaport/db'],
    ['postgres://user:s3c#ret@host/db', 'postgres://user:***@host/db'],
    ['postgres://user:12#s3cret@host/db', 'postgres://user:***@host/db'],
    ['smtp://apikey:s3cret@smtp.example.org:587', 'smtp://apikey:***@smtp.example.org:587'],
    ['user:s3cret@host:25', 'user:***@host:25'],
    ['postgres://postgres@127.0.0.1:5432/lifeline', 'postgres://postgres@127.0.0.1:5432/lifeline'],
    ['https://status.example.org/page', 'https://status.example.org/page'],
  ])('redactUrl(%s)', (raw, shown) => {
    expect(redactUrl(raw)).toBe(shown);
  });

  it.each([
    ['DATABASE_URL', 'postgres://user:s3cret@host:notaport/db'],
    ['DATABASE_URL', 'postgres://user:s3c#ret@host/db'],
    ['SMTP_URL', 'smtp://apikey:s3cret@smtp.example.org:notaport'],
    ['SMTP_FALLBACK_URL', 'smtp://apikey:s3cret@smtp example.org'],
    ['LIFELINE_PUBLIC_URL', 'https://user:s3cret@status example.org'],
  ])('an unparseable %s is named in the configuration error without its password', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).not.toContain('s3c');
  });

  it('the server names its database in the start-up log without the password', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-secrets-'));
    const port = await freePort();
    // Nothing listens on port 1: the server starts anyway (it serves what it can during an outage).
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/server.ts'], {
      cwd: REPO_ROOT,
      env: childEnvironment({
        PORT: String(port),
        HOST: '127.0.0.1',
        LIFELINE_DATA_DIR: dataDir,
        DATABASE_URL: 'postgres://lifeline:s3cret-pw@127.0.0.1:1/lifeline',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await vi.waitFor(() => expect(output).toContain('Lifeline is serving'), { timeout: 20_000, interval: 100 });
      expect(output).toContain('postgres://lifeline:***@127.0.0.1:1/lifeline');
      expect(output).not.toContain('s3cret-pw');
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('the server prints the configuration error without the password', () => {
    const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/server.ts'], {
      cwd: REPO_ROOT,
      env: childEnvironment({ DATABASE_URL: 'postgres://lifeline:s3cret-pw@db.internal:notaport/lifeline' }),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).toContain('postgres://lifeline:***@db.internal:notaport/lifeline');
    expect(result.stdout + result.stderr).not.toContain('s3cret-pw');
  });
});
