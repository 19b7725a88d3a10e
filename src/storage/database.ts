/**
 * The storage port: the only thing services and repositories know about the database.
 * Two adapters implement it (PGlite embedded, `pg` server) and run the same SQL.
 */
export type Row = Record<string, unknown>;

export interface QueryOptions {
  /**
   * Keep this statement prepared on the server connection (pg only; PGlite ignores it). For the
   * hot per-delivery statements: parsing and planning them once saves about a quarter of the
   * database's CPU in a fan-out. Only for fixed SQL whose plan does not depend on the values.
   */
  prepare?: boolean;
}

export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
}

export interface Transaction extends Queryable {
  /** Runs a multi-statement SQL script (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; returns an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  readonly kind: 'pglite' | 'postgres';
}

/** Thrown when the database cannot be reached, so callers can fall back to cached data. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    // The driver's error stays out (no `cause`): it may carry the statement's parameters.
    super(`database unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * A statement the database refused, described by its SQL text and the server's error fields but
 * never its parameters: drivers attach them (PGlite `params`, PostgreSQL's `detail` such as
 * "Key (hash)=(...)" or "Failing row contains (...)"), and they hold token hashes and webhook
 * secrets that must not reach the logs.
 */
export class QueryError extends Error {
  readonly code: string | undefined;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly sql: string | undefined;

  constructor(driverError: unknown, sql: string | undefined) {
    const fields = (driverError ?? {}) as { code?: unknown; constraint?: unknown; table?: unknown; column?: unknown };
    const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
    super(driverError instanceof Error ? driverError.message : String(driverError));
    this.name = 'QueryError';
    this.code = text(fields.code);
    this.constraint = text(fields.constraint);
    this.table = text(fields.table);
    this.column = text(fields.column);
    this.sql = sql;
  }
}

/**
 * A Database view of an open transaction: code called with it joins the caller's transaction
 * (used to commit an idempotency record together with the change it protects).
 */
export function joinTransaction(tx: Transaction): Database {
  return {
    kind: 'postgres',
    query: (sql, params) => tx.query(sql, params),
    transaction: (fn) => fn(tx),
    listen: () => Promise.reject(new Error('cannot LISTEN inside a transaction')),
    close: () => Promise.resolve(),
  };
}

/** Runs `read` in one read-only, repeatable-read transaction, so what it reads never mixes two moments. */
export function readConsistently<T>(db: Database, read: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return read(tx);
  });
}
