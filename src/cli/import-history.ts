import { readFileSync } from 'node:fs';
import type { HeartbeatDefinition } from '../config.ts';
import { CsvError, parseHistoryCsv, toSlots, type HistorySlot } from './heartbeat-csv.ts';
import type { Response } from './transport.ts';

/** The API's limits per request (POST /api/v1/heartbeats/history), with room for the JSON around the points. */
const MAX_POINTS = 10_000;
const MAX_BODY_BYTES = 1_900_000;
const MAX_AGE_MS = 8 * 7 * 86_400_000;

/** A problem with the file or a refused batch: said as it is, without the usage text. */
class ImportError extends Error {}

/**
 * `lifeline heartbeats import FILE.csv`: reads the file, sums it into slots of the resolution
 * (given, or the file's own step when that is a minute or more), checks every slot against the
 * page definition before sending anything, then posts batches under the API's limits, printing a
 * progress line. A refused batch is reported with the CSV line of the point the API named; batches
 * sent before it stay (a re-run replaces them, it never double-counts).
 */
export async function importHistoryFile(options: {
  path: string;
  resolution?: number;
  metric?: string;
  region?: string;
  metrics: readonly HeartbeatDefinition[];
  now: number;
  request: (body: unknown) => Promise<Response>;
  out: (line: string) => void;
  progress: (line: string, done: boolean) => void;
}): Promise<{ points: number; requests: number; series: string[]; from: number; to: number; skipped: number }> {
  const started = performance.now();
  const byKey = new Map(options.metrics.map((m) => [m.key, m]));
  let text: string;
  try {
    text = readFileSync(options.path, 'utf8');
  } catch (error) {
    throw new ImportError(`${options.path}: cannot be read: ${(error as Error).message}`);
  }
  let parsed: ReturnType<typeof parseHistoryCsv>;
  try {
    parsed = parseHistoryCsv(text, {
      metric: options.metric,
      region: options.region,
      bucketSeconds: (m) => byKey.get(m)?.bucket_seconds ?? (byKey.has(m) ? 10 : undefined),
    });
  } catch (error) {
    if (error instanceof CsvError) throw new ImportError(`${options.path}: ${error.message}`);
    throw error;
  }
  if (parsed.rows.length === 0) throw new ImportError(`${options.path}: no counts found`);

  const step = parsed.stepSeconds;
  let resolution = options.resolution;
  if (resolution === undefined) resolution = step !== null && step > 60 ? step : 60;
  else if (step !== null && step > resolution) {
    throw new ImportError(`rows are ${step} s apart, coarser than --resolution ${resolution}: use --resolution ${step} (or leave it out)`);
  }
  if (!Number.isInteger(resolution) || resolution < 1 || resolution > 3600 || (60 % resolution !== 0 && resolution % 60 !== 0)) {
    throw new ImportError(`a resolution of ${resolution} s is not possible: it must divide 60 or be a multiple of 60, at most 3600 (pass --resolution)`);
  }

  const cutoff = options.now - MAX_AGE_MS;
  let skipped = 0;
  const slots: HistorySlot[] = [];
  for (const slot of toSlots(parsed.rows, resolution)) {
    const metric = byKey.get(slot.metric);
    if (!metric)
      throw new ImportError(`line ${slot.line}: metric ${JSON.stringify(slot.metric)} is not declared; declared: ${[...byKey.keys()].join(', ') || 'none'}`);
    if (!metric.regions.includes(slot.region)) {
      throw new ImportError(
        `line ${slot.line}: region ${JSON.stringify(slot.region)} is not declared for ${metric.key}; declared: ${metric.regions.join(', ')}`,
      );
    }
    const bucket = metric.bucket_seconds ?? 10;
    if (resolution % bucket !== 0) throw new ImportError(`--resolution ${resolution} is not a multiple of the ${bucket} s bucket of ${metric.key}`);
    // History older than the API takes is left out, and said so, rather than refusing the file.
    if (slot.at < cutoff) {
      skipped++;
      continue;
    }
    slots.push(slot);
  }
  if (slots.length === 0) throw new ImportError(`nothing to import: every slot is more than 8 weeks old (${skipped} skipped)`);

  const series = [...new Set(slots.map((s) => `${s.metric}/${s.region}`))];
  let from = Infinity;
  let to = -Infinity;
  for (const s of slots) {
    from = Math.min(from, s.at);
    to = Math.max(to, s.at + resolution * 1000);
  }
  options.out(
    `Importing ${slots.length.toLocaleString('en-US')} points of ${resolution} s (${parsed.format} CSV) into ${series.length} series: ${series.join(', ')}; ${new Date(from).toISOString()} to ${new Date(to).toISOString()}${skipped > 0 ? `; ${skipped.toLocaleString('en-US')} slots older than 8 weeks left out` : ''}.`,
  );

  let requests = 0;
  let sent = 0;
  for (let index = 0; index < slots.length; ) {
    const batch: HistorySlot[] = [];
    let bytes = 64;
    while (index < slots.length && batch.length < MAX_POINTS) {
      const s = slots[index];
      const size = s.metric.length + s.region.length + 80;
      if (bytes + size > MAX_BODY_BYTES) break;
      bytes += size;
      batch.push(s);
      index++;
    }
    const response = await options.request({
      resolution_seconds: resolution,
      points: batch.map((s) => ({ metric: s.metric, region: s.region, timestamp: new Date(s.at).toISOString(), value: s.value })),
    });
    requests++;
    if (response.status !== 200) {
      const body = response.body as { field?: string; message?: string } | null;
      const at = /^points\.(\d+)\./.exec(body?.field ?? '');
      const slot = at ? batch[Number(at[1])] : undefined;
      const where = slot ? `line ${slot.line} (${slot.metric}/${slot.region} at ${new Date(slot.at).toISOString()}): ` : '';
      options.progress(`${sent.toLocaleString('en-US')} of ${slots.length.toLocaleString('en-US')} points imported`, true);
      throw new ImportError(
        `${where}${body?.message ?? `HTTP ${response.status}`}${sent > 0 ? ` (the ${sent.toLocaleString('en-US')} points before it were imported; fix the file and run it again: a re-run replaces, it never double-counts)` : ''}`,
      );
    }
    sent += batch.length;
    const percent = Math.floor((sent / slots.length) * 100);
    const seconds = (performance.now() - started) / 1000;
    options.progress(
      `${sent.toLocaleString('en-US')} of ${slots.length.toLocaleString('en-US')} points imported (${percent}%, ${seconds.toFixed(1)} s)`,
      sent === slots.length,
    );
  }
  return { points: sent, requests, series, from, to, skipped };
}
