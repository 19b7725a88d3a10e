#!/usr/bin/env node
// The import picture of src/: which folder imports which, and every file-level import cycle.
//
//   node scripts/import-graph.mjs [root] [--files]
//
// It reads static `import`/`export … from` and dynamic `import('…')` of every src/**/*.ts file,
// resolves the relative ones, and prints the folder → folder matrix (edges = distinct file → file
// imports; "t" = how many of them are type-only), the external packages each folder uses, the
// cycles (Tarjan's strongly connected components) and the folder pairs that import each other.
// test/architecture.test.ts uses scanImports() to hold the figures at their ceilings (issue 11).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders shown on their own, most specific first; anything else under routes/ or services/ is grouped at that level. */
export const GROUPS = [
  'routes/api',
  'routes/console',
  'routes/status-page',
  'routes/public-api',
  'routes/subscriptions',
  'routes/ingest',
  'services/shared',
  'queries',
  'domain',
  'storage',
  'presenters',
  'channels',
  'jobs',
  'plugins',
  'snapshot',
  'cli',
];
const ORDER = ['(top-level)', 'routes(top)', ...GROUPS.slice(0, 6), 'services', ...GROUPS.slice(6)];

const IMPORT = /\b(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Source text without comments, so commented-out imports do not count. */
const stripComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

function listSourceFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSourceFiles(full));
    else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(full);
  }
  return found;
}

/** `import { type A, type B } from` imports types only, like `import type`. */
function importsOnlyTypes(clause) {
  const braces = /\{([^}]*)\}/.exec(clause);
  if (!braces || /^\s*(import|export)\s+\w+\s*,/.test(clause)) return false;
  return braces[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .every((s) => s.startsWith('type '));
}

/**
 * Scans `<root>/src`. Files are reported relative to src/ with forward slashes.
 * @param {string} root
 */
export function scanImports(root) {
  const src = path.join(path.resolve(root), 'src');
  const absolute = listSourceFiles(src).sort();
  const rel = (file) => path.relative(src, file).split(path.sep).join('/');
  const files = absolute.map(rel);
  /** @type {Map<string, Map<string, { typeOnly: boolean }>>} file → imported file */
  const edges = new Map();
  /** @type {Map<string, Set<string>>} folder → external packages */
  const packages = new Map();
  const unresolved = [];

  for (const file of absolute) {
    const from = rel(file);
    const imports = new Map();
    for (const match of stripComments(fs.readFileSync(file, 'utf8')).matchAll(IMPORT)) {
      const specifier = match[3] ?? match[4];
      if (!specifier.startsWith('.')) {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
        const folder = groupOf(from);
        if (!packages.has(folder)) packages.set(folder, new Set());
        packages.get(folder).add(name);
        continue;
      }
      const target = path.resolve(path.dirname(file), specifier);
      if (!fs.existsSync(target)) {
        unresolved.push(`${from}: ${specifier}`);
        continue;
      }
      const typeOnly = (Boolean(match[2]) && !match[4]) || importsOnlyTypes(match[0]);
      const previous = imports.get(rel(target));
      imports.set(rel(target), { typeOnly: previous ? previous.typeOnly && typeOnly : typeOnly });
    }
    edges.set(from, imports);
  }

  /** @type {Map<string, { n: number, t: number }>} "a -> b" → edge counts */
  const matrix = new Map();
  for (const [from, imports] of edges) {
    for (const [to, { typeOnly }] of imports) {
      const a = groupOf(from);
      const b = groupOf(to);
      if (a === b) continue;
      const cell = matrix.get(`${a} -> ${b}`) ?? { n: 0, t: 0 };
      cell.n++;
      if (typeOnly) cell.t++;
      matrix.set(`${a} -> ${b}`, cell);
    }
  }
  return { files, edges, matrix, packages, unresolved, cycles: (includeTypeOnly = true) => findCycles(files, edges, includeTypeOnly) };
}

/** The folder a file (relative to src/) is counted under. */
export function groupOf(file) {
  for (const group of GROUPS) if (file.startsWith(`${group}/`)) return group;
  if (file.startsWith('routes/')) return 'routes(top)';
  if (file.startsWith('services/')) return 'services';
  if (file.startsWith('domain/')) return 'domain';
  return '(top-level)';
}

/** Every strongly connected component of more than one file (or a file importing itself), Tarjan's algorithm. */
function findCycles(files, edges, includeTypeOnly) {
  let counter = 0;
  const stack = [];
  const onStack = new Set();
  const index = new Map();
  const low = new Map();
  const cycles = [];
  const next = (file) => [...(edges.get(file) ?? [])].filter(([, edge]) => includeTypeOnly || !edge.typeOnly).map(([to]) => to);
  const visit = (file) => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const to of next(file)) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file), low.get(to)));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file), index.get(to)));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || next(file).includes(file)) cycles.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return cycles;
}

function print(root, withFiles) {
  const scan = scanImports(root);
  const edgeCount = [...scan.edges.values()].reduce((sum, imports) => sum + imports.size, 0);
  console.log(`files: ${scan.files.length}, relative import edges: ${edgeCount}`);
  for (const line of scan.unresolved) console.error(`unresolved: ${line}`);

  console.log('\n## Folder -> folder (edges; t = type-only)');
  for (const from of ORDER) {
    const row = [...scan.matrix]
      .filter(([key]) => key.startsWith(`${from} -> `))
      .sort((x, y) => y[1].n - x[1].n)
      .map(([key, cell]) => `${key.split(' -> ')[1]} ${cell.n}${cell.t ? ` (${cell.t}t)` : ''}`);
    console.log(`- ${from} [${scan.files.filter((file) => groupOf(file) === from).length} files]: ${row.join(', ') || '—'}`);
  }

  console.log('\n## External packages per folder');
  for (const folder of ORDER) if (scan.packages.has(folder)) console.log(`- ${folder}: ${[...scan.packages.get(folder)].sort().join(', ')}`);

  console.log('\n## File-level cycles, all imports');
  for (const cycle of scan.cycles(true)) console.log(`- ${cycle.join(' <-> ')}`);
  console.log('\n## File-level cycles, runtime imports only (type-only excluded)');
  for (const cycle of scan.cycles(false)) console.log(`- ${cycle.join(' <-> ')}`);

  console.log('\n## Folder pairs importing each other');
  const seen = new Set();
  for (const key of scan.matrix.keys()) {
    const [a, b] = key.split(' -> ');
    const back = scan.matrix.get(`${b} -> ${a}`);
    if (!back || seen.has(`${b} -> ${a}`)) continue;
    seen.add(key);
    console.log(`- ${a} <-> ${b} (${scan.matrix.get(key).n} / ${back.n})`);
  }

  if (withFiles) {
    console.log('\n## File edges');
    for (const [from, imports] of scan.edges) for (const [to, edge] of imports) console.log(`${from} -> ${to}${edge.typeOnly ? ' (type)' : ''}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  print(args.find((arg) => !arg.startsWith('--')) ?? '.', args.includes('--files'));
}
