import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { startAdminSocket } from '../../src/cli/admin-socket.ts';
import { loadConfig } from '../../src/config.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/lifeline.mjs');
const PUBLIC_URL = 'https://status.cli.example';

/** `lifeline user ...` as an operator runs it: a separate process on the same data directory (embedded PGlite). */
describe('lifeline user commands', { timeout: 90_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
  const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1) as string;
  const app = async () => {
    const instance = await buildApp({ config: { ...loadConfig(env, dataDir), roles: ['web'] }, logger: false });
    await instance.ready();
    return instance;
  };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lifeline-user-cli-'));
    const definition = join(dataDir, 'lifeline.config.yaml');
    writeFileSync(definition, 'page:\n  name: CLI Co\ncomponents:\n  - { key: api, name: API }\n');
    env = {
      ...process.env,
      LIFELINE_DATA_DIR: dataDir,
      LIFELINE_CONFIG: definition,
      LOG_LEVEL: 'silent',
      DATABASE_URL: '',
      LIFELINE_PUBLIC_URL: PUBLIC_URL,
    } as Record<string, string>;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates the first admin with the server stopped and prints a working one-time sign-in link alone on the last line', async () => {
    const { stdout } = await cli('user', 'create', '--email', 'first@example.com', '--role', 'admin', '--name', 'First Admin');
    const link = lastLine(stdout);
    expect(link).toMatch(new RegExp(`^${PUBLIC_URL}/console/sign-in/[A-Za-z0-9_-]{43}$`));
    expect(stdout).toContain('Created admin account first@example.com');

    const server = await app();
    try {
      const path = link.slice(PUBLIC_URL.length);
      expect((await server.inject({ method: 'GET', url: path })).body).toContain('Sign in as first@example.com?');
      const signedIn = await server.inject({ method: 'POST', url: path, headers: form, payload: '' });
      expect(signedIn.statusCode).toBe(303);
      expect(signedIn.headers.location).toBe('/console/account?done=welcome');
      const cookie = String(signedIn.headers['set-cookie']).split(';')[0];
      const dashboard = await server.inject({ method: 'GET', url: '/console', headers: { cookie } });
      expect(dashboard.statusCode).toBe(200);
      expect(dashboard.body).toContain('Signed in as first@example.com · Admin');
      expect((await server.inject({ method: 'POST', url: path, headers: form, payload: '' })).statusCode).toBe(404); // single use
      const audit = await server.db.query<{ actor: string }>("SELECT actor FROM audit_log WHERE action = 'user.created'");
      expect(audit[0].actor).toMatch(/^cli:/);
    } finally {
      await server.close();
    }
  });

  it('creates, lists and disables accounts through the running server (admin socket)', async () => {
    const server = await app();
    const stop = await startAdminSocket(server);
    try {
      const created = await cli('user', 'create', '--email', 'Viewer@Example.com', '--role', 'viewer');
      const path = lastLine(created.stdout).slice(PUBLIC_URL.length);
      expect((await server.inject({ method: 'GET', url: path })).statusCode).toBe(200);

      const listed = await cli('user', 'list');
      expect(listed.stdout).toMatch(/admin\s+active\s+no password\s+first@example\.com \(First Admin\)/);
      // The domain is stored lower-cased (one address rule); the local part as typed.
      expect(listed.stdout).toMatch(/viewer\s+active\s+no password\s+Viewer@example\.com/);

      const disabled = await cli('user', 'disable', '--email', 'viewer@example.com');
      expect(disabled.stdout).toContain('Disabled Viewer@example.com');
      expect((await server.inject({ method: 'POST', url: path, headers: form, payload: '' })).statusCode).toBe(404);
      expect((await cli('user', 'list')).stdout).toMatch(/viewer\s+disabled/);
    } finally {
      await stop();
      await server.close();
    }
  });

  it('reports bad input clearly, naming the option, without a stack trace', async () => {
    const badRole = await cli('user', 'create', '--email', 'x@example.com', '--role', 'owner').catch((error) => error);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('role');
    expect(badRole.stderr).not.toMatch(/\n\s+at /);
    const badEmail = await cli('user', 'create', '--email', 'not-an-address', '--role', 'viewer').catch((error) => error);
    expect(badEmail.stderr).toContain('email: must be an email address');
    const duplicate = await cli('user', 'create', '--email', 'FIRST@example.com', '--role', 'viewer').catch((error) => error);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('an account for FIRST@example.com already exists');
    const missing = await cli('user', 'create', '--role', 'viewer').catch((error) => error);
    expect(missing.stderr).toContain('user create needs --email');
    const unknown = await cli('user', 'disable', '--email', 'nobody@example.com').catch((error) => error);
    expect(unknown.stderr).toContain('not found');
  });
});
