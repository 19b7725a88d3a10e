import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { pageSecurityHeaders } from '../plugins/security-headers.ts';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** A response body compressed once, when it is built, and served as-is to every visitor. */
export interface EncodedBody {
  contentType: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
  builtAt: Date;
  /** Response headers per encoding, built once so serving a request only picks one. */
  headers: Record<'identity' | 'gzip' | 'br', Record<string, string>>;
}

// Short enough that a CDN shows a change within seconds; stale-if-error keeps the page up if we are not.
export const CACHE_CONTROL = 'public, max-age=5, stale-while-revalidate=30, stale-if-error=86400';

/**
 * Headers every public body carries. Data (JSON, feeds, CSV, SVG) may be read by scripts on other
 * sites, as Statuspage allows, so status widgets on a customer's own pages keep working. Pages get
 * the security headers every HTML page gets (a CSP allowing only the templates' own inline scripts
 * by hash: their bytes are fixed, so no nonce is needed).
 */
export function publicHeaders(contentType: string, body: Buffer): Record<string, string> {
  if (contentType.startsWith('text/html')) return pageSecurityHeaders(body.toString('utf8'));
  const headers: Record<string, string> = { 'x-content-type-options': 'nosniff', 'access-control-allow-origin': '*' };
  // An SVG opened on its own is a document: it may style itself, nothing more.
  if (contentType.startsWith('image/svg+xml')) headers['content-security-policy'] = "default-src 'none'; style-src 'unsafe-inline'";
  return headers;
}

export async function encodeBody(contentType: string, text: string | Buffer, builtAt: Date): Promise<EncodedBody> {
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
    ...publicHeaders(contentType, identity),
  };
  // Content-Length given here: the server's fast path writes the body in one piece, and without it
  // Node would send it chunked while the Fastify route sends a length.
  const headers = {
    identity: { ...common, etag, 'content-length': String(identity.length) },
    gzip: { ...common, etag: `"${hash}-gzip"`, 'content-encoding': 'gzip', 'content-length': String(gzipped.length) },
    br: { ...common, etag: `"${hash}-br"`, 'content-encoding': 'br', 'content-length': String(brotlied.length) },
  };
  return { contentType, identity, gzip: gzipped, br: brotlied, etag, builtAt, headers };
}

/**
 * What to answer for a prebuilt body: the encoding the client accepts, or 304 when its
 * If-None-Match names the same content (any encoding's tag). Shared by the Fastify route and the
 * server's fast path, so both answer byte for byte the same.
 */
export function chooseResponse(
  body: EncodedBody,
  request: { acceptEncoding: string | undefined; ifNoneMatch: string | undefined },
): { status: 200 | 304; headers: Record<string, string>; payload: Buffer | null } {
  const accept = request.acceptEncoding ?? '';
  const encoding = accept.includes('br') ? 'br' : accept.includes('gzip') ? 'gzip' : 'identity';
  const headers = body.headers[encoding];
  const inm = request.ifNoneMatch;
  if (inm && (inm === '*' || inm.includes(body.etag.slice(1, -1)))) {
    const { 'content-encoding': _encoding, 'content-length': _length, ...rest } = headers;
    return { status: 304, headers: rest, payload: null };
  }
  return { status: 200, headers, payload: body[encoding] };
}
