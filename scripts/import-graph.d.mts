// Types for scripts/import-graph.mjs (used by test/architecture.test.ts).
export declare const GROUPS: readonly string[];
export declare function groupOf(file: string): string;
export interface ImportScan {
  /** Every scanned file, relative to src/ with forward slashes. */
  files: string[];
  /** file → imported file (both relative to src/) → whether only types are imported. */
  edges: Map<string, Map<string, { typeOnly: boolean }>>;
  /** "folder -> folder" → distinct file edges (n), of which type-only (t). */
  matrix: Map<string, { n: number; t: number }>;
  packages: Map<string, Set<string>>;
  unresolved: string[];
  cycles(includeTypeOnly?: boolean): string[][];
}
export declare function scanImports(root: string): ImportScan;
