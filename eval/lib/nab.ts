/** Loads the NAB subset (../shared/data/nab from the project root) as dense bucket series. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Series } from './replay.ts';

/**
 * Where the NAB data is, and every place looked at. NAB_DIR (the nab folder itself) or else
 * LIFELINE_SHARED (the shared folder), when set, is the only place looked at; otherwise ../shared
 * beside this checkout, then ../shared beside the main checkout when this one is a git worktree
 * (a worktree's own ../shared is often absent). A
 * directory counts only if it holds every file in `files`, so a half-copied folder is reported,
 * not half-replayed.
 */
export function findNabDir(root: string, files: readonly string[], env: NodeJS.ProcessEnv = process.env): { dir: string | null; tried: string[] } {
  const candidates: string[] = [];
  if (env.NAB_DIR) candidates.push(resolve(root, env.NAB_DIR));
  if (env.LIFELINE_SHARED) candidates.push(resolve(root, env.LIFELINE_SHARED, 'data/nab'));
  candidates.push(resolve(root, '../shared/data/nab'));
  const main = mainCheckout(root);
  if (main && main !== root) candidates.push(resolve(main, '../shared/data/nab'));
  const tried: string[] = [];
  for (const dir of new Set(candidates)) {
    const missing = files.filter((f) => !existsSync(join(dir, f)));
    if (missing.length === 0) return { dir, tried };
    tried.push(existsSync(dir) ? `${dir} (missing ${missing.join(', ')})` : `${dir} (no such directory)`);
    // A location given explicitly that is wrong is an error, not a cue to read other data instead.
    if (env.NAB_DIR || env.LIFELINE_SHARED) break;
  }
  return { dir: null, tried };
}

/** The main working tree of the repository `root` belongs to (itself unless it is a linked worktree); null without git. */
function mainCheckout(root: string): string | null {
  try {
    const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return dirname(common.trim());
  } catch {
    return null;
  }
}

/** NAB timestamps carry no zone: read them as UTC, i.e. as the wall clock they were recorded in. */
export function parseNabTime(text: string): number {
  const [date, time] = text.trim().split(' ');
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, Math.floor(s));
}

export interface NabFile extends Series {
  /** NAB time → replay time: buckets are moved to the epoch grid the detector uses (tweets start at :53 s). */
  align(t: number): number;
  /** NAB scoring windows [start, end] (ms). */
  readonly windows: ReadonlyArray<readonly [number, number]>;
  readonly labels: readonly number[];
}

/**
 * Reads `<dir>/<file>` into consecutive buckets of the file's usual step. A missing step (the ELB
 * file has 8) becomes a bucket with no push, which the detector counts as 0, as in production.
 */
export function loadNab(dir: string, file: string): NabFile {
  const lines = readFileSync(join(dir, file), 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((line) => {
    const [t, v] = line.split(',');
    return { t: parseNabTime(t), value: Number(v) };
  });
  const steps = new Map<number, number>();
  for (let i = 1; i < rows.length; i++) {
    const step = rows[i].t - rows[i - 1].t;
    steps.set(step, (steps.get(step) ?? 0) + 1);
  }
  const bucketMs = [...steps.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const shift = rows[0].t % bucketMs;
  const align = (t: number) => t - shift;
  const start = align(rows[0].t);
  const length = Math.round((align(rows[rows.length - 1].t) - start) / bucketMs) + 1;
  const counts = new Float64Array(length);
  const pushed = new Uint8Array(length);
  for (const row of rows) {
    const i = Math.round((align(row.t) - start) / bucketMs);
    counts[i] += row.value;
    pushed[i] = 1;
  }
  const windows = JSON.parse(readFileSync(join(dir, 'labels/combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const labels = JSON.parse(readFileSync(join(dir, 'labels/combined_labels.json'), 'utf8')) as Record<string, string[]>;
  return {
    name: file.replace(/^.*\//, '').replace(/\.csv$/, ''),
    start,
    bucketSeconds: bucketMs / 1000,
    counts,
    pushed,
    align,
    windows: (windows[file] ?? []).map(([a, b]) => [align(parseNabTime(a)), align(parseNabTime(b))] as const),
    labels: (labels[file] ?? []).map((t) => align(parseNabTime(t))),
  };
}
