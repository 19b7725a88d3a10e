import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { PublicStatus } from '../../src/queries/load-public-status.ts';
import { DatabaseUnavailableError } from '../../src/storage/database.ts';
import { PublicSnapshot, type SnapshotSource } from '../../src/snapshot/public-snapshot.ts';

/**
 * A process that starts while the database is down serves the snapshot a previous one saved on
 * disk. Those pages were rendered fresh; served again they must carry the "may be out of date"
 * banner, so they are rendered again from the saved state (Dates and Maps intact).
 */
describe('a snapshot restored from disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-snapshot-'));
  const persistPath = join(dir, 'public.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const readAt = new Date('2026-03-10T12:00:00Z');
  const status = {
    page: { name: 'Acme', revision: 7 },
    statusChanges: new Map([['c1', [{ status: 'major_outage', at: new Date('2026-03-09T08:00:00Z') }]]]),
    readAt,
  } as unknown as PublicStatus;

  /** The page says whether it is stale, and what it read from the state (so a lost Date or Map shows). */
  const render: SnapshotSource['render'] = async (s, stale) => {
    const change = s.statusChanges.get('c1')?.[0] as unknown as { at: Date };
    const text = `${stale ? 'This page may be out of date.' : 'Fresh.'} As of ${s.readAt.toISOString()}; c1 changed ${change.at.toISOString()}.`;
    return new Map([['/', { contentType: 'text/html; charset=utf-8', text }]]);
  };
  const page = (snapshot: PublicSnapshot) => gunzipSync((snapshot.get('/') as { gzip: Buffer }).gzip).toString('utf8');

  it('carries the stale banner, rendered again from the saved state', async () => {
    const first = new PublicSnapshot({ persistPath, source: { load: async () => ({ status, revision: 7 }), render, readRevision: async () => 7 } });
    await first.invalidate();
    expect(page(first)).toBe('Fresh. As of 2026-03-10T12:00:00.000Z; c1 changed 2026-03-09T08:00:00.000Z.');

    const down = async (): Promise<never> => {
      throw new DatabaseUnavailableError(new Error('connection refused'));
    };
    const restarted = new PublicSnapshot({ persistPath, source: { load: down, render, readRevision: down } });
    await restarted.invalidate();
    expect(restarted.ready).toBe(false);
    expect(await restarted.restoreFromDisk()).toBe(true);
    expect(restarted.stale).toBe(true);
    expect(page(restarted)).toBe('This page may be out of date. As of 2026-03-10T12:00:00.000Z; c1 changed 2026-03-09T08:00:00.000Z.');
  });
});
