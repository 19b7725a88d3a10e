import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { pageSecurityHeaders } from '../plugins/security-headers.ts';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

type Encoding = 'identity' | 'gzip' | 'br';

/** What to send for one request: shared by every request it fits, so it must not be changed. */
export interface Answer {
  readonly status: 200 | 304;
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: Buffer | null;
}

/** A response body compressed once, when it is built, and served as-is to every visitor. */
export interface EncodedBody {
  contentType: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
  builtAt: Date;
  /**
   * The whole answer per encoding (200, and 304 for a revalidation), built once: in a stampede
   * serving a request only picks one and allocates nothing.
   */
  answers: Record<Encoding, { ok: Answer; notModified: Answer }>;
}

const NO_SCRIPTS: ReadonlySet<string> = new Set();

// Short enough that a CDN shows a change within seconds; stale-if-error keeps the page up if we are not.
export const CACHE_CONTROL = 'public, max-age=5, stale-while-revalidate=30, stale-if-error=86400';

/**
 * Headers every public body carries. Data (JSON, feeds, CSV, SVG) may be read by scripts on other
 * sites, as Statuspage allows, so status widgets on a customer's own pages keep working. Pages get
 * the security headers every HTML page gets (a CSP allowing only the templates' own inline scripts
 * by hash: their bytes are fixed, so no nonce is needed).
 */
export function publicHeaders(contentType: string, body: Buffer, templateScripts: ReadonlySet<string> = NO_SCRIPTS): Record<string, string> {
  if (contentType.startsWith('text/html')) return pageSecurityHeaders(body.toString('utf8'), templateScripts);
  const headers: Record<string, string> = { 'x-content-type-options': 'nosniff', 'access-control-allow-origin': '*' };
  // An SVG opened on its own is a document: it may style itself, nothing more.
  if (contentType.startsWith('image/svg+xml')) headers['content-security-policy'] = "default-src 'none'; style-src 'unsafe-inline'";
  return headers;
}

/**
 * `templateScripts`: the inline scripts an HTML body may run (the app's `views.scriptHashes`);
 * other bodies run none.
 */
export async function encodeBody(
  contentType: string,
  text: string | Buffer,
  builtAt: Date,
  templateScripts: ReadonlySet<string> = NO_SCRIPTS,
): Promise<EncodedBody> {
  const identity = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const [gzipped, brotlied] = await Promise.all([
    gz(identity, { level: 9 }),
    brotli(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
  ]);
  const hash = createHash('sha256').update(identity).digest('base64url').slice(0, 22);
  const etag = `"${hash}"`;
  const common = {
    'content-type': contentType,
    'cache-control': CACHE_CONTROL,
    vary: 'Accept-Encoding',
    'last-modified': builtAt.toUTCString(),
    ...publicHeaders(contentType, identity, templateScripts),
  };
  // Content-Length given here: the server's fast path writes the body in one piece, and without it
  // Node would send it chunked while the Fastify route sends a length.
  const answers = (headers: Record<string, string>, payload: Buffer) => {
    // A 304 carries the validators and caching headers of the 200, not its encoding or length.
    const { 'content-encoding': _encoding, 'content-length': _length, ...notModified } = headers;
    return { ok: { status: 200, headers, payload }, notModified: { status: 304, headers: notModified, payload: null } } as const;
  };
  return {
    contentType,
    identity,
    gzip: gzipped,
    br: brotlied,
    etag,
    builtAt,
    answers: {
      identity: answers({ ...common, etag, 'content-length': String(identity.length) }, identity),
      gzip: answers({ ...common, etag: `"${hash}-gzip"`, 'content-encoding': 'gzip', 'content-length': String(gzipped.length) }, gzipped),
      br: answers({ ...common, etag: `"${hash}-br"`, 'content-encoding': 'br', 'content-length': String(brotlied.length) }, brotlied),
    },
  };
}

/**
 * What to answer for a prebuilt body: the encoding the client accepts, or 304 when its
 * If-None-Match names the same content (any encoding's tag). Shared by the Fastify route and the
 * server's fast path, so both answer byte for byte the same.
 */
export function chooseResponse(body: EncodedBody, acceptEncoding: string | undefined, ifNoneMatch: string | undefined): Answer {
  const accept = acceptEncoding ?? '';
  const answers = body.answers[accept.includes('br') ? 'br' : accept.includes('gzip') ? 'gzip' : 'identity'];
  return ifNoneMatch && (ifNoneMatch === '*' || ifNoneMatch.includes(body.etag.slice(1, -1))) ? answers.notModified : answers.ok;
}

const staleAnswers = new WeakMap<Answer, Answer>();

/** The answer marked as coming from a snapshot the database could not refresh (built once per answer). */
export function markedStale(answer: Answer): Answer {
  let marked = staleAnswers.get(answer);
  if (!marked) {
    marked = { ...answer, headers: { ...answer.headers, 'x-lifeline-stale': 'true' } };
    staleAnswers.set(answer, marked);
  }
  return marked;
}
