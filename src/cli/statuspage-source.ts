/**
 * Reading a page through Statuspage's manage API (v1): `Authorization: OAuth <key>`, lists read
 * page by page, 420/429 answered by waiting as `Retry-After` says, a 5xx or a dropped connection
 * tried again twice. What comes back is checked only for being JSON of the right outer shape; the
 * mapping (statuspage-mapping.ts) picks the fields.
 */
export const DEFAULT_STATUSPAGE_API = 'https://api.statuspage.io/v1';

type Json = Record<string, unknown>;

export interface SourceOptions {
  apiUrl: string;
  apiKey: string;
  /** Waits between attempts (injected: tests do not sleep). */
  wait: (ms: number) => Promise<void>;
  /** Told when a list moves on a page or a rate limit makes it wait. */
  progress: (line: string) => void;
  /** The largest answer read (a source sending more is refused, not buffered). */
  maxBodyBytes?: number;
  timeoutMs?: number;
}

export class SourceError extends Error {}

const ATTEMPTS = 3;
/** A list that never ends (a source ignoring `page`) stops here. */
const MAX_PAGES = 10_000;
/** Retry-After beyond this is not waited for: the import stops and says so. */
const MAX_WAIT_MS = 5 * 60_000;

/** What is safe to show of a source's answer in a message: short, one line, no control characters. */
function excerpt(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new SourceError(`answered more than ${Math.round(limit / 1024 / 1024)} MB`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function retryAfterMs(header: string | null): number {
  if (header === null) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}

export function statuspageSource(options: SourceOptions) {
  const base = options.apiUrl.replace(/\/+$/, '');
  const limit = options.maxBodyBytes ?? 50 * 1024 * 1024;

  async function get(path: string): Promise<unknown> {
    const url = `${base}${path}`;
    const shown = `GET ${path}`;
    let lastProblem = '';
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { authorization: `OAuth ${options.apiKey}`, accept: 'application/json' },
          redirect: 'error',
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
      } catch (error) {
        lastProblem = `could not be reached (${(error as Error).message})`;
        if (attempt >= ATTEMPTS) throw new SourceError(`Statuspage ${shown}: ${lastProblem}, ${ATTEMPTS} attempts`);
        await options.wait(1000 * attempt);
        continue;
      }
      if (response.status === 429 || response.status === 420) {
        const wait = retryAfterMs(response.headers.get('retry-after'));
        await response.body?.cancel();
        if (wait > MAX_WAIT_MS) throw new SourceError(`Statuspage ${shown}: rate limited for ${Math.round(wait / 1000)} s; run the import again later`);
        options.progress(`rate limited by Statuspage: waiting ${Math.ceil(wait / 1000)} s as it asks`);
        await options.wait(wait);
        attempt -= 1; // waiting as asked is not a failed attempt
        continue;
      }
      let text: string;
      try {
        text = await readLimited(response, limit);
      } catch (error) {
        throw new SourceError(`Statuspage ${shown}: ${(error as Error).message}`);
      }
      if (response.status === 401 || response.status === 403) {
        throw new SourceError(`Statuspage ${shown}: ${response.status}, the API key was refused (${excerpt(text)})`);
      }
      if (response.status === 404) throw new SourceError(`Statuspage ${shown}: 404, no such page for this API key`);
      if (response.status >= 500) {
        lastProblem = `answered ${response.status}`;
        if (attempt >= ATTEMPTS) throw new SourceError(`Statuspage ${shown}: ${lastProblem}, ${ATTEMPTS} attempts`);
        await options.wait(1000 * attempt);
        continue;
      }
      if (response.status < 200 || response.status >= 300) throw new SourceError(`Statuspage ${shown}: answered ${response.status} (${excerpt(text)})`);
      try {
        return JSON.parse(text);
      } catch {
        throw new SourceError(`Statuspage ${shown}: the answer is not JSON (${excerpt(text)})`);
      }
    }
  }

  /** One object (the page). */
  async function object(path: string): Promise<Json> {
    const value = await get(path);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SourceError(`Statuspage GET ${path}: expected an object`);
    return value as Json;
  }

  /**
   * Every entry of a list, page by page (`page` from `firstPage`, asking `size` a page). Entries
   * without an id are dropped, and one listed twice is kept once.
   */
  async function list(
    path: string,
    query: { sizeParam: string; size: number; firstPage: number; extra?: Record<string, string>; label: string },
  ): Promise<Json[]> {
    const seen = new Set<string>();
    const entries: Json[] = [];
    let longest = 0;
    for (let page = query.firstPage; page < query.firstPage + MAX_PAGES; page += 1) {
      const params = new URLSearchParams({ ...query.extra, [query.sizeParam]: String(query.size), page: String(page) });
      const value = await get(`${path}?${params}`);
      if (!Array.isArray(value)) throw new SourceError(`Statuspage GET ${path}: expected a JSON list, got ${excerpt(JSON.stringify(value) ?? '')}`);
      let fresh = 0;
      for (const entry of value) {
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
        const id = (entry as Json).id;
        if (typeof id !== 'string' || seen.has(id)) continue;
        seen.add(id);
        entries.push(entry as Json);
        fresh += 1;
      }
      options.progress(`reading ${query.label}: ${entries.length}`);
      // A server may give fewer than asked per page (its own cap): the end is an empty page, one
      // shorter than those before it, or one with nothing new.
      if (value.length === 0 || fresh === 0 || value.length < longest) return entries;
      longest = value.length;
    }
    throw new SourceError(`Statuspage GET ${path}: more than ${MAX_PAGES} pages`);
  }

  return { object, list };
}
