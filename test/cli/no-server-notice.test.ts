import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnvironment } from '../helpers/lifeline-process.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/lifeline.mjs');

/**
 * Run from a shell without the server's LIFELINE_DATA_DIR, the CLI finds no server and opens a
 * database of its own; a token made there is refused by the running server. It must say so.
 */
describe('lifeline CLI with no running server', { timeout: 90_000 }, () => {
  let dataDir: string;
  let definition: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lifeline-cli-alone-'));
    definition = join(dataDir, 'lifeline.config.yaml');
    writeFileSync(definition, 'page:\n  name: CLI Co\ncomponents:\n  - { key: api, name: API }\n');
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says on stderr which embedded database it opened and where it looked for a server', async () => {
    const env = childEnvironment({ LIFELINE_DATA_DIR: dataDir, LIFELINE_CONFIG: definition, LOG_LEVEL: 'silent' });
    const { stdout, stderr } = await run(process.execPath, [BIN, 'token', 'create', '--name', 'oncall', '--scope', 'incidents:write'], {
      env,
      timeout: 60_000,
    });
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^lfl_[A-Za-z0-9_-]+$/);
    expect(stderr).toContain(`no running Lifeline server at ${join(dataDir, 'lifeline.sock')}`);
    expect(stderr).toContain(join(dataDir, 'pglite'));
    expect(stderr).toContain('LIFELINE_DATA_DIR');
    // stdout stays the command's output alone, for scripts.
    expect(stdout).not.toContain('no running Lifeline server');
  });

  it('names a DATABASE_URL it opened without its password', async () => {
    const env = childEnvironment({
      LIFELINE_DATA_DIR: dataDir,
      LIFELINE_CONFIG: definition,
      LOG_LEVEL: 'silent',
      DATABASE_URL: 'postgres://lifeline:s3cret-pw@127.0.0.1:1/lifeline',
    });
    const failure = await run(process.execPath, [BIN, 'token', 'list'], { env, timeout: 60_000 }).catch((error: { stderr: string; code: number }) => error);
    expect(failure.stderr).toContain('no running Lifeline server at');
    expect(failure.stderr).toContain('postgres://lifeline:***@127.0.0.1:1/lifeline');
    expect(failure.stderr).not.toContain('s3cret-pw');
  });
});
