// The reference for bench/page.ts: Node's bare http server answering, from memory, the exact
// precompressed bodies Lifeline served, choosing the encoding the way Lifeline does.
// usage: node reference-server.ts PORT MANIFEST_JSON   (listens on 127.0.0.1 only)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';

interface ManifestEntry {
  contentType: string;
  br: string;
  gzip: string;
  identity: string;
}

const [portArg, manifestPath] = process.argv.slice(2);
if (!portArg || !manifestPath) {
  console.error('usage: node reference-server.ts PORT MANIFEST_JSON');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, ManifestEntry>;
const base = dirname(resolve(manifestPath));

type Headers = Record<string, string | number>;
const routes = new Map<string, { br: [Buffer, Headers]; gzip: [Buffer, Headers]; identity: [Buffer, Headers] }>();
for (const [path, entry] of Object.entries(manifest)) {
  const variant = (file: string, encoding: string | null): [Buffer, Headers] => {
    const body = readFileSync(resolve(base, file));
    const headers: Headers = { 'content-type': entry.contentType, 'content-length': body.length, vary: 'Accept-Encoding' };
    if (encoding) headers['content-encoding'] = encoding;
    return [body, headers];
  };
  routes.set(path, { br: variant(entry.br, 'br'), gzip: variant(entry.gzip, 'gzip'), identity: variant(entry.identity, null) });
}

const server = createServer((req, res) => {
  const route = routes.get(req.url ?? '');
  if (!route) {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
    return;
  }
  const accept = req.headers['accept-encoding'] ?? '';
  const [body, headers] = accept.includes('br') ? route.br : accept.includes('gzip') ? route.gzip : route.identity;
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), '127.0.0.1', () => console.log(`listening ${portArg}`));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
