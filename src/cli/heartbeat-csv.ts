/**
 * Reads heartbeat history from CSV for `lifeline heartbeats import`, in three shapes:
 *
 * - long: a header with `metric,region,timestamp,value` (any order, more columns ignored);
 * - Lifeline's own `/heartbeat/<metric>/<region>/data.csv` (`bucket_start,observed,…`): needs
 *   --metric and --region; `observed` is a count per bucket averaged over the step, so a row's
 *   count is observed × step ÷ bucket;
 * - wide, as Datadog's and Grafana's (Prometheus) CSV exports are: a `timestamp` (or `time`)
 *   column, then one column per series named `metric{region="eu"}` (Prometheus labels) or
 *   `sum:metric{region:eu}.as_count()` (Datadog tags); --metric renames every column's metric,
 *   --region names the region of columns without one.
 *
 * Timestamps are ISO 8601 with a zone, or Unix seconds or milliseconds. Rows are summed into slots
 * of the resolution (the row's start decides its slot), which the API then takes as history.
 */

interface HistoryRow {
  readonly metric: string;
  readonly region: string;
  /** Epoch ms. */
  readonly at: number;
  readonly value: number;
  /** 1-based line in the file, for error messages. */
  readonly line: number;
}

interface ParsedHistory {
  readonly format: 'long' | 'lifeline' | 'wide';
  readonly rows: HistoryRow[];
  /** Shortest gap between two rows of one series (s), the file's own resolution; null with one row per series. */
  readonly stepSeconds: number | null;
}

/** A problem with the file, naming its line. */
export class CsvError extends Error {}

/** RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks. */
export function* csvRecords(text: string): Generator<{ fields: string[]; line: number }> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  // Where the next quote is (found once, not once per line: a file without quotes is scanned once).
  let nextQuote = text.indexOf('"', i);
  while (i < text.length) {
    const start = line;
    // Most lines hold no quote: split them at once (an export has hundreds of thousands).
    const newline = text.indexOf('\n', i);
    const lineEnd = newline === -1 ? text.length : newline;
    if (nextQuote !== -1 && nextQuote < i) nextQuote = text.indexOf('"', i);
    if (nextQuote === -1 || nextQuote > lineEnd) {
      const raw = text.slice(i, text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd);
      i = lineEnd + 1;
      line++;
      if (raw.trim() !== '') yield { fields: raw.split(',').map((f) => f.trim()), line: start };
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new CsvError(`line ${start}: a quoted field is not closed`);
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
      } else {
        let end = i;
        while (end < text.length && text[end] !== ',' && text[end] !== '\n' && text[end] !== '\r') end++;
        field = text.slice(i, end);
        i = end;
      }
      fields.push(field.trim());
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    if (fields.length > 1 || fields[0] !== '') yield { fields, line: start };
  }
}

/** ISO 8601 with a zone, or Unix seconds (up to 11 digits, decimals allowed) or milliseconds. */
export function parseTimestamp(text: string): number | null {
  // The common case first: what toISOString() and most exports write.
  if (text.length === 24 && text[10] === 'T' && text[23] === 'Z' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(text)) {
    const at = Date.parse(text);
    return Number.isNaN(at) ? null : at;
  }
  if (/^\d{1,11}(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (/^\d{12,14}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return null;
  const at = Date.parse(text.replace(' ', 'T'));
  return Number.isNaN(at) ? null : at;
}

/** `metric{region="eu"}`, `sum:metric{region:eu,env:prod}.as_count()`, `metric`: the metric and its region, if named. */
export function parseSeriesName(name: string): { metric: string; region: string | null } {
  const brace = name.indexOf('{');
  let metric = (brace >= 0 ? name.slice(0, brace) : name).trim();
  // Datadog's space aggregator (`sum:`) goes; so does a trailing function (`.as_count()`) after the tags.
  metric = metric.replace(/^(sum|avg|min|max|count):/i, '');
  const labels = brace >= 0 ? name.slice(brace + 1, name.lastIndexOf('}') > brace ? name.lastIndexOf('}') : undefined) : '';
  const region = /(?:^|[,\s])region\s*[=:]\s*"?([^",}\s]+)"?/.exec(labels)?.[1] ?? null;
  return { metric, region };
}

function parseCount(text: string, line: number, what: string): number | null {
  if (text === '' || /^(nan|null|none)$/i.test(text)) return null;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new CsvError(`line ${line}: ${what} must be a count of 0 or more, got ${JSON.stringify(text)}`);
  return value;
}

/**
 * Parses a history file. `options.bucketSeconds(metric)` is the metric's bucket (for Lifeline's own
 * data.csv, whose `observed` is per bucket); undefined for an undeclared metric.
 */
export function parseHistoryCsv(
  text: string,
  options: { metric?: string; region?: string; bucketSeconds: (metric: string) => number | undefined },
): ParsedHistory {
  const records = csvRecords(text);
  const first = records.next();
  if (first.done) throw new CsvError('the file is empty');
  const header = first.value.fields.map((f) => f.toLowerCase());
  const column = (name: string) => header.indexOf(name);
  const rows: HistoryRow[] = [];
  const at = (text: string, line: number) => {
    const value = parseTimestamp(text);
    if (value === null) throw new CsvError(`line ${line}: ${JSON.stringify(text)} is not a timestamp (ISO 8601 with a zone, or Unix seconds)`);
    return value;
  };

  let format: ParsedHistory['format'];
  if (['metric', 'region', 'timestamp', 'value'].every((name) => column(name) >= 0)) {
    format = 'long';
    const [m, r, ts, v] = ['metric', 'region', 'timestamp', 'value'].map(column);
    for (const { fields, line } of records) {
      const value = parseCount(fields[v] ?? '', line, 'value');
      if (value === null) continue;
      rows.push({ metric: options.metric ?? fields[m], region: fields[r] || options.region || '', at: at(fields[ts] ?? '', line), value, line });
    }
  } else if (header[0] === 'bucket_start' && column('observed') >= 0) {
    format = 'lifeline';
    if (!options.metric || !options.region) throw new CsvError('this is a Lifeline data.csv, which names no series: say which with --metric KEY --region KEY');
    const bucket = options.bucketSeconds(options.metric);
    if (bucket === undefined) throw new CsvError(`--metric ${options.metric} is not declared in the page definition`);
    const observed = column('observed');
    const parsed: { at: number; perBucket: number; line: number }[] = [];
    for (const { fields, line } of records) {
      const perBucket = parseCount(fields[observed] ?? '', line, 'observed');
      if (perBucket !== null) parsed.push({ at: at(fields[0], line), perBucket, line });
    }
    const step = shortestGap(parsed.map((p) => p.at)) ?? bucket * 1000;
    for (const p of parsed)
      rows.push({ metric: options.metric, region: options.region, at: p.at, value: (p.perBucket * step) / (bucket * 1000), line: p.line });
  } else if (header[0] === 'timestamp' || header[0] === 'time' || header[0] === 'date') {
    format = 'wide';
    const series = first.value.fields.slice(1).map((name, index) => {
      const parsed = parseSeriesName(name);
      const region = parsed.region ?? options.region;
      if (!region) throw new CsvError(`column ${index + 2} (${JSON.stringify(name)}) names no region: label it region="…" or pass --region`);
      return { metric: options.metric ?? parsed.metric, region };
    });
    if (series.length === 0) throw new CsvError('the file has a timestamp column but no series columns');
    for (const { fields, line } of records) {
      const time = at(fields[0], line);
      for (const [index, s] of series.entries()) {
        const value = parseCount(fields[index + 1] ?? '', line, `column ${index + 2}`);
        if (value !== null) rows.push({ metric: s.metric, region: s.region, at: time, value, line });
      }
    }
  } else {
    throw new CsvError(
      'unknown layout: expected a header metric,region,timestamp,value (long), bucket_start,observed,… (Lifeline data.csv), or timestamp,<series>… (Datadog / Prometheus export)',
    );
  }

  const bySeries = new Map<string, number[]>();
  for (const row of rows) {
    const key = `${row.metric}\u0000${row.region}`;
    let list = bySeries.get(key);
    if (!list) bySeries.set(key, (list = []));
    list.push(row.at);
  }
  let gap: number | null = null;
  for (const times of bySeries.values()) {
    const g = shortestGap(times);
    if (g !== null) gap = gap === null ? g : Math.min(gap, g);
  }
  return { format, rows, stepSeconds: gap === null ? null : gap / 1000 };
}

function shortestGap(times: number[]): number | null {
  const sorted = [...times].sort((a, b) => a - b);
  let gap: number | null = null;
  for (let i = 1; i < sorted.length; i++) {
    const g = sorted[i] - sorted[i - 1];
    if (g > 0 && (gap === null || g < gap)) gap = g;
  }
  return gap;
}

export interface HistorySlot {
  readonly metric: string;
  readonly region: string;
  /** Slot start, epoch ms. */
  readonly at: number;
  readonly value: number;
  /** First line that contributed, for error messages. */
  readonly line: number;
}

/**
 * Sums rows into slots of `resolutionSeconds` (by where each row starts), one per series and slot,
 * sorted by series then time; counts are rounded to whole numbers at the end.
 */
export function toSlots(rows: readonly HistoryRow[], resolutionSeconds: number): HistorySlot[] {
  const ms = resolutionSeconds * 1000;
  // By series, then by slot start (numeric keys: a file has hundreds of thousands of rows).
  const bySeries = new Map<string, { metric: string; region: string; slots: Map<number, { value: number; line: number }> }>();
  for (const row of rows) {
    const key = `${row.metric}\u0000${row.region}`;
    let series = bySeries.get(key);
    if (!series) bySeries.set(key, (series = { metric: row.metric, region: row.region, slots: new Map() }));
    const at = Math.floor(row.at / ms) * ms;
    const slot = series.slots.get(at);
    if (slot) slot.value += row.value;
    else series.slots.set(at, { value: row.value, line: row.line });
  }
  const ordered = [...bySeries.values()].sort((a, b) =>
    a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : a.region < b.region ? -1 : a.region > b.region ? 1 : 0,
  );
  const out: HistorySlot[] = [];
  for (const series of ordered) {
    const starts = [...series.slots.keys()].sort((a, b) => a - b);
    for (const at of starts) {
      const slot = series.slots.get(at) as { value: number; line: number };
      out.push({ metric: series.metric, region: series.region, at, value: Math.round(slot.value), line: slot.line });
    }
  }
  return out;
}
