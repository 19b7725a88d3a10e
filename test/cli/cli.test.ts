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

/** The CLI as a user runs it: a separate process on the same LIFELINE_DATA_DIR (embedded PGlite). */
describe('lifeline CLI on embedded PGlite', { timeout: 90_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lifeline-cli-'));
    const definition = join(dataDir, 'lifeline.config.yaml');
    writeFileSync(definition, 'page:\n  name: CLI Co\ncomponents:\n  - { key: api, name: API }\n');
    env = { ...process.env, LIFELINE_DATA_DIR: dataDir, LIFELINE_CONFIG: definition, LOG_LEVEL: 'silent', DATABASE_URL: '' } as Record<string, string>;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a token with the server stopped and prints it alone on the last line', async () => {
    const { stdout } = await cli('token', 'create', '--name', 'oncall', '--scope', 'incidents:write');
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^lfl_[A-Za-z0-9_-]+$/);
    expect(stdout).toContain('shown only once');
  });

  it('reaches the running server through its admin socket, and its tokens work over HTTP', async () => {
    const config = loadConfig(env, dataDir);
    const app = await buildApp({ config: { ...config, roles: ['web'] }, logger: false });
    const stop = await startAdminSocket(app);
    try {
      const { stdout } = await cli('token', 'create', '--name', 'bot', '--scope', 'incidents:write');
      const token = stdout.trim().split('\n').at(-1) as string;
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/incidents',
        payload: { name: 'From a bot', body: 'b', components: { api: 'major_outage' } },
        headers: { authorization: `Bearer ${token}` },
      });
      expect(created.statusCode).toBe(201);

      const update = await cli(
        'incident',
        'update',
        created.json().id,
        '--status',
        'monitoring',
        '--body',
        'Fix deployed',
        '--component',
        'api=degraded_performance',
      );
      expect(update.stdout).toContain('monitoring');
      const listed = await cli('token', 'list');
      expect(listed.stdout).toMatch(/oncall[\s\S]*|bot/);
      const audit = await app.db.query<{ actor: string }>("SELECT actor FROM audit_log WHERE action = 'incident.updated'");
      expect(audit[0].actor).toMatch(/^cli:/);
    } finally {
      await stop();
      await app.close();
    }
  });

  it('declares an incident from the terminal and reports bad input clearly', async () => {
    const { stdout } = await cli('incident', 'create', '--name', 'API down', '--body', 'Investigating', '--component', 'api=major_outage');
    expect(stdout).toMatch(/investigating\s+major\s+API down/);
    const failure = await cli('incident', 'create', '--name', 'x', '--body', 'y', '--component', 'api=on_fire').catch((error) => error);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('components.api');
    expect(failure.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const unknown = await cli('token', 'create', '--name', 'x', '--scope', 'everything').catch((error) => error);
    expect(unknown.stderr).toContain('scopes.0');
  });
});
