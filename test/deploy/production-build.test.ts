import { execFile, spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** What the Dockerfile does: compile with tsc, run `node dist/server.js` with production dependencies only. */
describe('the production build (Dockerfile steps)', { timeout: 120_000 }, () => {
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lifeline-build-'));
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(work, 'dist')]);
    // `npm run build` then copies the browser's script and CSS, which the views inline, beside the server.
    cpSync(join(ROOT, 'src/client'), join(work, 'dist/client'), { recursive: true });
    for (const name of ['node_modules', 'migrations', 'views', 'package.json', 'lifeline.config.yaml']) symlinkSync(join(ROOT, name), join(work, name));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('imports only production dependencies, so `npm prune --omit=dev` keeps what it needs', () => {
    const dependencies = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies);
    const missing = new Set<string>();
    for (const file of filesUnder(join(work, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from ['"]([^'".][^'"]*)['"]/g)) {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
        if (!specifier.startsWith('node:') && !builtinModules.includes(name) && !dependencies.includes(name))
          missing.add(`${name} (${file.slice(work.length)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('runs the lifeline command from dist/ where there are no sources (the image copies bin/ and dist/)', async () => {
    mkdirSync(join(work, 'bin'));
    copyFileSync(join(ROOT, 'bin/lifeline.mjs'), join(work, 'bin/lifeline.mjs'));
    const { stdout } = await run(process.execPath, [join(work, 'bin/lifeline.mjs'), 'help'], { cwd: work });
    expect(stdout).toContain('Usage: lifeline <command>');
  });

  it('starts with `node dist/server.js` on the embedded database and serves the page', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/server.js'], {
      cwd: work,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LIFELINE_DATA_DIR: join(work, 'data'), DATABASE_URL: '', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    try {
      await vi.waitFor(
        async () => {
          const health = await fetch(`http://127.0.0.1:${port}/healthz`);
          expect(health.status).toBe(200);
        },
        { timeout: 60_000, interval: 200 },
      );
      const summary = await (await fetch(`http://127.0.0.1:${port}/api/v2/summary.json`)).json();
      expect(summary.page.name).toBe('Acme Chat');
      expect(summary.components.length).toBeGreaterThan(3);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(stderr).not.toMatch(/Error/);
  });

  it('fails fast naming a bad variable', async () => {
    const failure = await run(process.execPath, ['dist/server.js'], { cwd: work, env: { ...process.env, LIFELINE_ROLES: 'web,cron' } }).catch((error) => error);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain('LIFELINE_ROLES');
    const url = await run(process.execPath, ['dist/server.js'], { cwd: work, env: { ...process.env, DATABASE_URL: 'mysql://x' } }).catch((error) => error);
    expect(url.stderr).toContain('DATABASE_URL');
  });
});
