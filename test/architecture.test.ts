import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { scanImports } from '../scripts/import-graph.mjs';

/**
 * Ratchet for issue 11 ("one contract per use-case"): figures that the refactor brings down, each
 * held at a ceiling. A slice that lowers a figure lowers its ceiling here in the same commit; no
 * ceiling is ever raised. Reads source files only (no app start), so it stays fast.
 *
 * `node scripts/import-graph.mjs` prints the whole import picture behind these figures.
 */
const CEILINGS = {
  /** Route files that import anything from src/storage/ (routes go through services and queries). */
  routeFilesImportingStorage: 0,
  /** SQL statements written outside src/storage/. */
  sqlOutsideStorage: 0,
  /** File-level import cycles (strongly connected components), type-only imports included. */
  importCycles: 0,
  /** Handlebars environments (one is the goal: partials and helpers registered once). */
  handlebarsEnvironments: 1,
  /** Imports from presenters into storage or services (presenters take entity types from domain, read models from queries). */
  presenterImportsOfStorageOrServices: 0,
  /** Imports from services (use-cases) into presenters (a roll-up or a date format a use-case needs is a domain rule). */
  serviceImportsOfPresenters: 0,
  /**
   * `as` casts in src/storage/ (`as const` excluded): repositories type their rows with the types
   * generated from the migrations (db-types.generated.ts) and map them without casting. The 5 left
   * are in the adapters: the drivers' untyped rows (as T[]) and the fields read off driver errors.
   */
  storageCasts: 5,
};

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string, relative = ''): string[] {
  return readdirSync(join(dir, relative), { withFileTypes: true }).flatMap((entry) => {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return sourceFiles(dir, path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each match: a string literal that opens with a SQL statement keyword. */
const SQL_LITERAL = /(['"`])\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH|SET TRANSACTION)\s/g;
const HANDLEBARS_ENVIRONMENT = /\bHandlebars\.create\(/g;

/**
 * SQL text in a literal, read with the TypeScript parser (so comments and names never count): a
 * statement's opening keyword in capitals, as all SQL here is written (so prose such as "Select a
 * component" and the HTTP method 'DELETE' are not statements), or an advisory lock or NOTIFY.
 */
const SQL_TEXT = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|LOCK|SET\s+TRANSACTION|BEGIN|COMMIT|ROLLBACK|CREATE|ALTER|DROP|TRUNCATE)\s|pg_advisory|pg_notify/;

/** `file:line  text` of every string or template literal in `files` that holds SQL text. */
function sqlLiterals(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(join(SRC, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      let text: string | null = null;
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
      else if (ts.isTemplateExpression(node)) text = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ');
      if (text !== null && SQL_TEXT.test(text)) found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}  ${text.slice(0, 80)}`);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** `file:line` of every `x as T` or `<T>x` in `files`, `as const` left out (it narrows, it does not cast). */
function casts(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(join(SRC, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (
        (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) &&
        !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'const')
      ) {
        found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}  ${node.getText(source).slice(0, 80)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

function count(pattern: RegExp, files: string[]): { total: number; where: string[] } {
  const where: string[] = [];
  for (const file of files) {
    const found = readFileSync(join(SRC, file), 'utf8').match(pattern)?.length ?? 0;
    if (found) where.push(`${file} (${found})`);
  }
  return { total: where.reduce((sum, entry) => sum + Number(/\((\d+)\)$/.exec(entry)?.[1]), 0), where };
}

describe('architecture ceilings (issue 11): these figures only go down', () => {
  const scan = scanImports(ROOT);
  const files = sourceFiles(SRC);

  it('the import scan resolves every relative import', () => {
    expect(scan.unresolved).toEqual([]);
    expect(scan.files.length).toBeGreaterThan(100);
  });

  it(`route files importing storage: at most ${CEILINGS.routeFilesImportingStorage}`, () => {
    const offenders = [...scan.edges]
      .filter(([file, imports]) => file.startsWith('routes/') && [...imports.keys()].some((to) => to.startsWith('storage/')))
      .map(([file]) => file);
    expect(offenders.length, offenders.join('\n')).toBeLessThanOrEqual(CEILINGS.routeFilesImportingStorage);
  });

  /** `from -> to` for every import from a file under one of `fromFolders` into a file under one of `toFolders`. */
  const importsBetween = (fromFolders: string[], toFolders: string[]) =>
    [...scan.edges].flatMap(([file, imports]) =>
      fromFolders.some((folder) => file.startsWith(folder))
        ? [...imports.keys()].filter((to) => toFolders.some((folder) => to.startsWith(folder))).map((to) => `${file} -> ${to}`)
        : [],
    );

  it(`imports from presenters into storage or services: at most ${CEILINGS.presenterImportsOfStorageOrServices}`, () => {
    const edges = importsBetween(['presenters/'], ['storage/', 'services/']);
    expect(edges.length, edges.join('\n')).toBeLessThanOrEqual(CEILINGS.presenterImportsOfStorageOrServices);
  });

  it(`imports from services into presenters: at most ${CEILINGS.serviceImportsOfPresenters}`, () => {
    const edges = importsBetween(['services/'], ['presenters/']);
    expect(edges.length, edges.join('\n')).toBeLessThanOrEqual(CEILINGS.serviceImportsOfPresenters);
  });

  it(`SQL statements outside src/storage: at most ${CEILINGS.sqlOutsideStorage}`, () => {
    const sql = count(
      SQL_LITERAL,
      files.filter((file) => !file.startsWith('storage/')),
    );
    expect(sql.total, sql.where.join('\n')).toBeLessThanOrEqual(CEILINGS.sqlOutsideStorage);
  });

  it('no SQL text (statements, advisory locks, NOTIFY) in any string literal outside src/storage', () => {
    expect(sqlLiterals(files.filter((file) => !file.startsWith('storage/')))).toEqual([]);
  });

  it('the SQL text detector tells SQL from prose and HTTP methods', () => {
    for (const sql of [
      'SELECT 1',
      '  UPDATE subscriber SET x = 1',
      'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      'LOCK TABLE t',
      "SELECT pg_notify('x', '')",
      'pg_advisory_xact_lock',
    ]) {
      expect(SQL_TEXT.test(sql), sql).toBe(true);
    }
    for (const text of ['DELETE', 'Select a component', 'update the page', 'WITHOUT', 'the update failed']) expect(SQL_TEXT.test(text), text).toBe(false);
    expect(sqlLiterals(files.filter((file) => file.startsWith('storage/'))).length).toBeGreaterThan(50);
  });

  it(`file-level import cycles: at most ${CEILINGS.importCycles}`, () => {
    const cycles = scan.cycles(true);
    expect(cycles.length, cycles.map((cycle) => cycle.join(' <-> ')).join('\n')).toBeLessThanOrEqual(CEILINGS.importCycles);
  });

  it(`Handlebars environments: at most ${CEILINGS.handlebarsEnvironments}`, () => {
    const environments = count(HANDLEBARS_ENVIRONMENT, files);
    expect(environments.total, environments.where.join('\n')).toBeLessThanOrEqual(CEILINGS.handlebarsEnvironments);
  });

  it(`casts in src/storage: at most ${CEILINGS.storageCasts}`, () => {
    const found = casts(files.filter((file) => file.startsWith('storage/')));
    expect(found.length, found.join('\n')).toBeLessThanOrEqual(CEILINGS.storageCasts);
  });

  it('the cast counter counts casts, not `as const` or import renames', () => {
    expect(casts(['storage/database.ts']).length).toBeGreaterThan(0);
    expect(casts(files.filter((file) => file.startsWith('storage/'))).some((line) => /as const/.test(line))).toBe(false);
  });

  it('views hold no script or CSS of their own: each <script> and <style> inlines a src/client/ file', () => {
    const views = join(ROOT, 'views');
    const templates = readdirSync(views, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.hbs'));
    const blocks = templates.flatMap((file) =>
      [...readFileSync(join(views, file), 'utf8').matchAll(/<(script|style)>([\s\S]*?)<\/\1>/g)].map((block) => ({ file, block })),
    );
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const inline = blocks.filter(({ block }) => !/^\n\{\{> client\/[\w.-]+\}\}$/.test(block[2])).map(({ file, block }) => `${file}: ${block[0].slice(0, 60)}`);
    expect(inline).toEqual([]);
  });

  it('the SQL detector finds SQL where it is (it would not hold a ceiling by finding nothing)', () => {
    expect(
      count(
        SQL_LITERAL,
        files.filter((file) => file.startsWith('storage/')),
      ).total,
    ).toBeGreaterThan(50);
  });
});
