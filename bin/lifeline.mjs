#!/usr/bin/env node
// The `lifeline` command: the built CLI when there is one (Docker image), else the TypeScript
// sources run by Node 24's type stripping (a checkout; npm puts the project's Node 24 first on PATH).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
const major = Number(process.versions.node.split('.')[0]);
if (!existsSync(built) && major < 23) {
  process.stderr.write(`lifeline: needs Node 24 (this is ${process.version}); run it as "npx lifeline" from the project folder\n`);
  process.exit(1);
}
process.removeAllListeners('warning');
const { main } = await import(existsSync(built) ? built.href : new URL('../src/cli/main.ts', import.meta.url).href);
await main();
