// npm run bench:heartbeat-import — `lifeline heartbeats import FILE.csv` on embedded PGlite: 6 weeks
// of 1-minute history for 6 series (3 metrics × 2 regions, 10 s buckets): 362,880 rows in the
// metric,region,timestamp,value layout, against the 30 s target of issue 14.
//
// The CLI runs in this process, as `npx lifeline` does without a server: it opens the embedded
// database in a scratch LIFELINE_DATA_DIR (migrated first by a `token list`, not timed) and posts
// the file to POST /api/v1/heartbeats/history in batches. Prints the time to read and check the
// file plus the import, the import alone (from the CLI's own progress line) and the rate.
//
// Settings: HB_IMPORT_WEEKS=6, HB_IMPORT_KEEP=1 keeps the scratch folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../src/cli/main.ts';
import { demoCount } from '../src/jobs/demo-heartbeats-job.ts';
import { fmt, setting } from './lib/settings.ts';

const WEEKS = setting('HB_IMPORT_WEEKS', 6, 1, 8);
const TARGET_S = 30;
const MINUTE_MS = 60_000;
const SERIES = ['messages-created', 'sessions-started', 'orders-placed'].flatMap((metric) => ['eu', 'us'].map((region) => ({ metric, region })));

const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-import-'));
try {
  const definition = {
    page: { name: 'Import bench', time_zone: 'Etc/UTC' },
    components: [{ key: 'api', name: 'API' }],
    heartbeats: [...new Set(SERIES.map((s) => s.metric))].map((key) => ({ key, label: key, bucket_seconds: 10, regions: ['eu', 'us'] })),
  };
  const configPath = join(dir, 'page.json');
  writeFileSync(configPath, JSON.stringify(definition));
  const env = { ...process.env, LIFELINE_DATA_DIR: join(dir, 'data'), LIFELINE_CONFIG: configPath, LOG_LEVEL: 'silent', DATABASE_URL: '' };

  // The file: every series, every minute of the last WEEKS weeks up to the minute in progress.
  const end = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const start = end - WEEKS * 7 * 1440 * MINUTE_MS;
  const lines = ['metric,region,timestamp,value'];
  for (const { metric, region } of SERIES)
    for (let at = start; at < end; at += MINUTE_MS) lines.push(`${metric},${region},${new Date(at).toISOString()},${demoCount(metric, region, at, 60)}`);
  const file = join(dir, 'history.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const rows = lines.length - 1;
  process.stderr.write(`wrote ${fmt(rows)} rows (${SERIES.length} series × ${WEEKS} weeks × 1,440 minutes) to ${file}\n`);

  const quiet = () => {};
  await run(['token', 'list'], env, quiet, quiet);
  process.stderr.write('embedded database created and migrated (not timed)\n');

  const out: string[] = [];
  let importSeconds: number | null = null;
  const t0 = performance.now();
  await run(['heartbeats', 'import', file], env, (line) => out.push(line), quiet, {
    progress: (line) => {
      if (line === '') return;
      process.stderr.write(`${line}\n`);
      if (line.includes('(100%')) importSeconds = Number(/, ([\d.]+) s\)$/.exec(line)?.[1] ?? Number.NaN);
    },
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const total = (performance.now() - t0) / 1000;
  const summary = out.at(-1) ?? '';
  const imported = Number(/^Imported ([\d,]+) points/.exec(summary)?.[1].replaceAll(',', '') ?? 0);

  console.log(`\nlifeline heartbeats import · ${new Date().toISOString()} · node ${process.version} · embedded PGlite`);
  console.log(`  ${out[0] ?? ''}`);
  console.log(`  ${summary}`);
  console.log(`  whole command (open the database, read and check ${fmt(rows)} rows, import, close): ${total.toFixed(1)} s`);
  console.log(
    `  import alone (the CLI's progress line): ${importSeconds === null ? '–' : `${(importSeconds as number).toFixed(1)} s`}; ${fmt(imported / total)} rows/s overall`,
  );
  const pass = imported === rows && total < TARGET_S;
  console.log(`${pass ? 'PASS' : 'FAIL'}  ${fmt(rows)} rows imported in under ${TARGET_S} s: ${total.toFixed(1)} s, ${fmt(imported)} imported`);
  process.exitCode = pass ? 0 : 1;
} finally {
  if (/^(1|true|yes)$/i.test(process.env.HB_IMPORT_KEEP ?? '')) process.stderr.write(`kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
