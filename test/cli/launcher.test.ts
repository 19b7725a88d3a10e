import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const LAUNCHER = join(import.meta.dirname, '../../bin/lifeline.mjs');

/**
 * bin/lifeline.mjs in a folder of its own, beside stand-in CLIs that say which one ran: the
 * repository's own dist/ and src/ are never touched.
 */
function installation(parts: { sources?: boolean; build?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'lifeline-launcher-'));
  const place = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  mkdirSync(join(root, 'bin'));
  copyFileSync(LAUNCHER, join(root, 'bin/lifeline.mjs'));
  if (parts.sources) place('src/cli/main.ts', "export async function main(): Promise<void> {\n  process.stdout.write('ran the sources\\n');\n}\n");
  if (parts.build) place('dist/cli/main.js', "export async function main() {\n  process.stdout.write('ran the build in dist\\n');\n}\n");
  return root;
}

describe('the lifeline command picks the code to run', () => {
  const roots: string[] = [];
  const launch = async (parts: { sources?: boolean; build?: boolean }) => {
    const root = installation(parts);
    roots.push(root);
    return run(process.execPath, [join(root, 'bin/lifeline.mjs'), 'help'], { timeout: 20_000 });
  };
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('runs the sources in a checkout, even when an older `npm run build` left dist/ beside them', async () => {
    const { stdout } = await launch({ sources: true, build: true });
    expect(stdout).toBe('ran the sources\n');
  });

  it('runs dist/ where only the build is shipped (the production image)', async () => {
    const { stdout } = await launch({ build: true });
    expect(stdout).toBe('ran the build in dist\n');
  });
});
