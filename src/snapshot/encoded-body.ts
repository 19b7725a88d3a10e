import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

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
}

export async function encodeBody(contentType: string, text: string | Buffer, builtAt: Date): Promise<EncodedBody> {
  const identity = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const [gzipped, brotlied] = await Promise.all([
    gz(identity, { level: 9 }),
    brotli(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
  ]);
  const etag = `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`;
  return { contentType, identity, gzip: gzipped, br: brotlied, etag, builtAt };
}
