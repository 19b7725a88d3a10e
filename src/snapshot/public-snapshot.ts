import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../data-dir.ts';
import { DatabaseUnavailableError } from '../storage/database.ts';
import type { PublicStatus } from '../queries/load-public-status.ts';
import { encodeBody, type EncodedBody } from './encoded-body.ts';

/** The rendered documents of one snapshot, by request path. */
export type Rendered = Map<string, { contentType: string; text: string }>;

export interface SnapshotSource {
  /** Reads the current state; throws DatabaseUnavailableError when the database cannot be reached. */
  load(): Promise<{ status: PublicStatus; revision: number }>;
  /** Renders every eagerly served document; `stale` marks a page served from an old snapshot. */
  render(status: PublicStatus, stale: boolean): Promise<Rendered>;
  readRevision(): Promise<number>;
}

const LAZY_LIMIT = 500;

/** JSON keeping the Dates and Maps a PublicStatus is made of, for the copy kept on disk. */
function statusToJson(status: PublicStatus): unknown {
  return JSON.parse(
    JSON.stringify(status, function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      if (raw instanceof Date) return { $date: raw.toISOString() };
      if (raw instanceof Map) return { $map: [...raw.entries()] };
      return value;
    }),
  );
}

function statusFromJson(saved: unknown): PublicStatus {
  return JSON.parse(JSON.stringify(saved), (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const tagged = value as { $date?: unknown; $map?: unknown };
      const keys = Object.keys(value);
      if (keys.length === 1 && typeof tagged.$date === 'string') return new Date(tagged.$date);
      if (keys.length === 1 && Array.isArray(tagged.$map)) return new Map(tagged.$map as [unknown, unknown][]);
    }
    return value;
  }) as PublicStatus;
}

/**
 * The public page's in-memory snapshot. Rebuilt once per change however many requests or
 * notifications arrive (single flight), served to every visitor, and kept on disk so a restart
 * during a database outage still has something to serve.
 */
export class PublicSnapshot {
  private readonly source: SnapshotSource;
  private readonly persistPath: string | null;
  private readonly log: FastifyBaseLogger | undefined;
  /** The inline scripts its pages may run: the app's own views' (`views.scriptHashes`). */
  private readonly templateScripts: ReadonlySet<string>;
  private entries = new Map<string, EncodedBody>();
  private lazy = new Map<string, Promise<EncodedBody>>();
  private previousLazy = new Map<string, Promise<EncodedBody>>();
  private building: Promise<void> | null = null;
  private dirty = false;
  /** The state the current entries were rendered from (null when loaded from disk). */
  status: PublicStatus | null = null;
  revision = -1;
  stale = false;
  builtAt: Date | null = null;

  constructor(options: { source: SnapshotSource; persistPath?: string | null; log?: FastifyBaseLogger; templateScripts?: ReadonlySet<string> }) {
    this.source = options.source;
    this.templateScripts = options.templateScripts ?? new Set();
    this.persistPath = options.persistPath ?? null;
    this.log = options.log;
  }

  get(path: string): EncodedBody | undefined {
    return this.entries.get(path);
  }

  /** The paths of the documents built eagerly (the ones the server's fast path answers). */
  paths(): string[] {
    return [...this.entries.keys()];
  }

  get ready(): boolean {
    return this.entries.size > 0;
  }

  /**
   * A document built on demand (incident permalinks, history pages), cached until the next change.
   * If building fails and an older copy exists, the older copy is served.
   */
  async getLazy(key: string, build: (status: PublicStatus | null) => Promise<{ contentType: string; text: string } | null>): Promise<EncodedBody | null> {
    let pending = this.lazy.get(key);
    if (!pending) {
      if (this.lazy.size >= LAZY_LIMIT) this.lazy.delete(this.lazy.keys().next().value as string);
      pending = build(this.status).then((doc) => {
        if (!doc) throw new LazyMissing();
        return encodeBody(doc.contentType, doc.text, new Date(), this.templateScripts);
      });
      this.lazy.set(key, pending);
    }
    try {
      return await pending;
    } catch (error) {
      this.lazy.delete(key);
      if (error instanceof LazyMissing) return null;
      const previous = this.previousLazy.get(key);
      if (previous && error instanceof DatabaseUnavailableError) return previous.catch(() => Promise.reject(error));
      throw error;
    }
  }

  /** Asks for a rebuild; concurrent calls share one build, and a call during a build schedules one more. */
  invalidate(): Promise<void> {
    this.dirty = true;
    if (!this.building) {
      this.building = this.buildLoop().finally(() => {
        this.building = null;
      });
    }
    return this.building;
  }

  /** Rebuilds if the database has moved on (a NOTIFY may have been missed) or the last build failed. */
  async checkRevision(): Promise<void> {
    if (this.stale || this.revision < 0) return this.invalidate();
    try {
      if ((await this.source.readRevision()) !== this.revision) await this.invalidate();
    } catch (error) {
      this.markStale(error);
    }
  }

  private async buildLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        await this.build();
      } catch (error) {
        this.markStale(error);
      }
    }
  }

  private async build(): Promise<void> {
    const { status, revision } = await this.source.load();
    const entries = await this.encode(await this.source.render(status, false), status.readAt);
    this.entries = entries;
    this.previousLazy = this.lazy;
    this.lazy = new Map();
    this.status = status;
    this.revision = revision;
    this.builtAt = status.readAt;
    this.stale = false;
    this.persist(entries);
  }

  private async encode(rendered: Rendered, at: Date): Promise<Map<string, EncodedBody>> {
    const encoded = new Map<string, EncodedBody>();
    await Promise.all([...rendered].map(async ([path, doc]) => encoded.set(path, await encodeBody(doc.contentType, doc.text, at, this.templateScripts))));
    return encoded;
  }

  private markStale(error: unknown): void {
    const wasStale = this.stale;
    this.stale = true;
    if (!wasStale) {
      this.log?.error({ err: error }, 'public snapshot could not be rebuilt; serving the last good one');
      // Re-render the last good state with a visible "may be out of date" notice.
      if (this.status) {
        const status = this.status;
        this.source
          .render(status, true)
          .then((rendered) => this.encode(rendered, status.readAt))
          .then((entries) => {
            if (this.stale) this.entries = entries;
          })
          .catch((renderError) => this.log?.error({ err: renderError }, 'stale snapshot could not be rendered'));
      }
    }
  }

  private persist(entries: Map<string, EncodedBody>): void {
    if (!this.persistPath) return;
    try {
      const documents = Object.fromEntries([...entries].map(([path, e]) => [path, { contentType: e.contentType, text: e.identity.toString('utf8') }]));
      mkdirSync(dirname(this.persistPath), { recursive: true, mode: PRIVATE_DIR_MODE });
      const tmp = `${this.persistPath}.tmp`;
      // The state too, so a restart during an outage can render the pages again with the stale banner.
      const status = this.status ? statusToJson(this.status) : null;
      writeFileSync(tmp, JSON.stringify({ builtAt: this.builtAt, documents, status }), { mode: PRIVATE_FILE_MODE });
      renameSync(tmp, this.persistPath);
    } catch (error) {
      this.log?.warn({ err: error }, 'could not persist the public snapshot');
    }
  }

  /**
   * Loads the snapshot a previous process persisted, to serve while the database is down. Its
   * documents were rendered fresh, so they are rendered again from the saved state with the "may
   * be out of date" banner; only if that fails (or the file predates saving the state) are the
   * saved documents served as they are.
   */
  async restoreFromDisk(): Promise<boolean> {
    if (!this.persistPath) return false;
    try {
      const saved = JSON.parse(readFileSync(this.persistPath, 'utf8')) as {
        builtAt: string;
        documents: Record<string, { contentType: string; text: string }>;
        status?: unknown;
      };
      const builtAt = new Date(saved.builtAt);
      let rendered: Rendered = new Map(Object.entries(saved.documents));
      if (saved.status) {
        try {
          rendered = await this.source.render(statusFromJson(saved.status), true);
        } catch (error) {
          this.log?.warn({ err: error }, 'the saved snapshot could not be rendered again; serving it as saved');
        }
      }
      this.entries = await this.encode(rendered, builtAt);
      this.builtAt = builtAt;
      this.stale = true;
      return true;
    } catch {
      return false;
    }
  }
}

class LazyMissing extends Error {}
