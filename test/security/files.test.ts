import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, startLifeline, type LifelineProcess } from '../helpers/lifeline-process.ts';

/** Every path under `root` (itself included) with its permission bits. */
function modesUnder(root: string): { path: string; kind: 'dir' | 'file' | 'socket' | 'other'; mode: number }[] {
  const found: { path: string; kind: 'dir' | 'file' | 'socket' | 'other'; mode: number }[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    const kind = stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : stat.isSocket() ? 'socket' : 'other';
    found.push({ path: relative(root, path) || '.', kind, mode: stat.mode & 0o777 });
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return found;
}

const octal = (mode: number) => `0${mode.toString(8)}`;

/**
 * The data directory holds the embedded database (token hashes, webhook secrets, the link key),
 * mail with live sign-in links, the saved page and the admin socket: only Lifeline's OS user may
 * read or write any of it, whatever the umask of the shell that started it.
 */
describe('files Lifeline writes are private to its user', () => {
  let root: string;
  let dataDir: string;
  let server: LifelineProcess;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lifeline-files-'));
    dataDir = join(root, 'data');
    // An existing data directory that anyone may enter and write to, as `mkdir` under umask 000 leaves it.
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o777);
    // ... holding mail an earlier version wrote readable by anyone.
    mkdirSync(join(dataDir, 'mail'));
    chmodSync(join(dataDir, 'mail'), 0o755);
    writeFileSync(join(dataDir, 'mail', 'earlier.eml'), 'Subject: sign in\r\n\r\nhttps://status.example/console/sign-in/secret\r\n');
    chmodSync(join(dataDir, 'mail', 'earlier.eml'), 0o644);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    server = await startLifeline(
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        LIFELINE_DATA_DIR: dataDir,
        LIFELINE_PUBLIC_URL: baseUrl,
        LOG_LEVEL: 'info',
        LIFELINE_DETECTOR_TICK_SECONDS: '1',
      },
      baseUrl,
    );
    // A subscription makes a confirmation email, written to <data dir>/mail without SMTP_URL.
    const subscribed = await fetch(`${baseUrl}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: baseUrl },
      body: 'email=reader%40example.org',
    });
    expect(subscribed.status).toBe(200);
    await vi.waitFor(
      () => {
        expect(existsSync(join(dataDir, 'mail')) && readdirSync(join(dataDir, 'mail')).some((name) => name.endsWith('.eml'))).toBe(true);
        expect(existsSync(join(dataDir, 'snapshot', 'public.json'))).toBe(true);
      },
      { timeout: 20_000, interval: 100 },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  });

  it('tightens a data directory others could enter, with what it held, and says so', () => {
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(dataDir, 'mail', 'earlier.eml')).mode & 0o777).toBe(0o600);
    expect(server.output()).toMatch(/data directory .*0777.*0700/);
  });

  it('leaves no folder, file or socket under the data directory open to group or others', () => {
    const entries = modesUnder(dataDir);
    // The embedded database, the mail, the saved page and the admin socket are all there.
    for (const expected of ['pglite', 'mail', join('snapshot', 'public.json'), 'lifeline.sock']) expect(entries.map((e) => e.path)).toContain(expected);
    expect(entries.some((e) => e.path.startsWith('mail') && e.path.endsWith('.eml'))).toBe(true);
    const open = entries.filter((e) => (e.mode & 0o077) !== 0).map((e) => `${e.kind} ${e.path} ${octal(e.mode)}`);
    expect(open).toEqual([]);
    for (const entry of entries.filter((e) => e.kind === 'dir')) expect(octal(entry.mode), entry.path).toBe('0700');
    for (const entry of entries.filter((e) => e.kind === 'file' && (e.path.startsWith('mail') || e.path.startsWith('snapshot'))))
      expect(octal(entry.mode), entry.path).toBe('0600');
  });
});
