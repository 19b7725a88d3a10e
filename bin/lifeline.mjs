#!/usr/bin/env node
// The `lifeline` command. In a checkout it runs the TypeScript sources with Node 24's type
// stripping, so a dist/ left by an earlier `npm run build` never runs stale code; the Docker image
// ships only dist/ and runs the build.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);
const stripsTypes = Boolean(process.features.typescript);
const entry = existsSync(sources) && stripsTypes ? sources : existsSync(built) ? built : null;
if (!entry) {
  process.stderr.write(`lifeline: needs Node 24 (this is ${process.version}); run it as "npx lifeline" from the project folder\n`);
  process.exit(1);
}
process.removeAllListeners('warning');
const { main } = await import(entry.href);
await main();
