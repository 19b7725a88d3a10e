import type { Component, ComponentGroup, Page } from '../domain/model.ts';
import type { ComponentStatus } from '../domain/status.ts';
import type { StatusChange } from '../domain/uptime.ts';
import type { Queryable } from './database.ts';
import type { ComponentGroupRow, ComponentRow, ComponentStatusChangeRow, IncidentRow, PageRow } from './db-types.generated.ts';

// start_date as text ('2026-01-31'): pg would read a date column as a Date at the server's local midnight.
const COMPONENT_COLUMNS = `id, key, group_id, name, description, position, status, showcase, only_show_if_degraded,
  start_date::text AS start_date, created_at, updated_at`;
type ComponentColumns = Pick<
  ComponentRow,
  'id' | 'key' | 'group_id' | 'name' | 'description' | 'position' | 'status' | 'showcase' | 'only_show_if_degraded' | 'created_at' | 'updated_at'
> & { start_date: string | null };

function toPage(row: PageRow): Page {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    time_zone: row.time_zone,
    components_from: row.components_from,
    revision: row.revision,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toGroup(row: ComponentGroupRow): ComponentGroup {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    position: row.position,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toComponent(row: ComponentColumns): Component {
  return {
    id: row.id,
    key: row.key,
    group_id: row.group_id,
    name: row.name,
    description: row.description,
    position: row.position,
    status: row.status,
    showcase: row.showcase,
    only_show_if_degraded: row.only_show_if_degraded,
    start_date: row.start_date,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function findPage(db: Queryable): Promise<Page | null> {
  const rows = await db.query<PageRow>('SELECT * FROM page ORDER BY created_at LIMIT 1');
  return rows.length > 0 ? toPage(rows[0]) : null;
}

type PageFields = { id: string; name: string; url: string; time_zone: string; components_from: Page['components_from']; at: Date };

export async function insertPage(db: Queryable, page: PageFields): Promise<void> {
  await db.query('INSERT INTO page (id, name, url, time_zone, components_from, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)', [
    page.id,
    page.name,
    page.url,
    page.time_zone,
    page.components_from,
    page.at,
  ]);
}

export async function updatePage(db: Queryable, page: PageFields): Promise<void> {
  await db.query(
    `UPDATE page SET name = $2, url = $3, time_zone = $4, components_from = $5, updated_at = $6
     WHERE id = $1 AND (name, url, time_zone, components_from) IS DISTINCT FROM ($2, $3, $4, $5)`,
    [page.id, page.name, page.url, page.time_zone, page.components_from, page.at],
  );
}

/** Marks the public page as changed: bumps its revision and tells every instance (delivered on commit). */
export async function touchPage(db: Queryable, at: Date): Promise<void> {
  const rows = await db.query<Pick<PageRow, 'revision'>>('UPDATE page SET revision = revision + 1, updated_at = $1 RETURNING revision', [at]);
  await db.query("SELECT pg_notify('lifeline_page_changed', $1)", [String(rows[0]?.revision ?? 0)]);
}

export async function readRevision(db: Queryable): Promise<number> {
  const rows = await db.query<Pick<PageRow, 'revision'>>('SELECT revision FROM page ORDER BY created_at LIMIT 1');
  return rows.length > 0 ? rows[0].revision : 0;
}

export async function listGroups(db: Queryable, options: { includeArchived?: boolean } = {}): Promise<(ComponentGroup & { archived: boolean })[]> {
  const rows = await db.query<ComponentGroupRow & { archived: boolean }>(
    `SELECT *, archived_at IS NOT NULL AS archived FROM component_group ${options.includeArchived ? '' : 'WHERE archived_at IS NULL'} ORDER BY position, name`,
  );
  return rows.map((row) => ({ ...toGroup(row), archived: row.archived }));
}

export async function upsertGroup(
  db: Queryable,
  group: { id: string; page_id: string; key: string; name: string; description: string | null; position: number; at: Date },
): Promise<string> {
  const rows = await db.query<Pick<ComponentGroupRow, 'id'>>(
    `INSERT INTO component_group (id, page_id, key, name, description, position, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
     ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, position = EXCLUDED.position,
       archived_at = NULL, updated_at = EXCLUDED.updated_at
     RETURNING id`,
    [group.id, group.page_id, group.key, group.name, group.description, group.position, group.at],
  );
  return rows[0].id;
}

export async function listComponents(db: Queryable): Promise<Component[]> {
  const rows = await db.query<ComponentColumns>(`SELECT ${COMPONENT_COLUMNS} FROM component WHERE archived_at IS NULL ORDER BY position, name`);
  return rows.map(toComponent);
}

export async function findComponentsByIdOrKey(db: Queryable, idsOrKeys: string[], options: { forUpdate?: boolean } = {}): Promise<Component[]> {
  if (idsOrKeys.length === 0) return [];
  const rows = await db.query<ComponentColumns>(
    `SELECT ${COMPONENT_COLUMNS} FROM component WHERE archived_at IS NULL AND (id = ANY($1) OR key = ANY($1)) ORDER BY id ${options.forUpdate ? 'FOR UPDATE' : ''}`,
    [idsOrKeys],
  );
  return rows.map(toComponent);
}

/** Inserts or updates a component by key; returns its id and whether it is new. */
export async function upsertComponent(
  db: Queryable,
  component: {
    id: string;
    page_id: string;
    key: string;
    group_id: string | null;
    name: string;
    description: string | null;
    position: number;
    only_show_if_degraded: boolean;
    start_date: string | null;
    at: Date;
  },
): Promise<{ id: string; created: boolean }> {
  const rows = await db.query<Pick<ComponentRow, 'id'> & { created: boolean }>(
    `INSERT INTO component (id, page_id, key, group_id, name, description, position, only_show_if_degraded, start_date, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10, $10)
     ON CONFLICT (key) DO UPDATE SET group_id = EXCLUDED.group_id, name = EXCLUDED.name, description = EXCLUDED.description,
       position = EXCLUDED.position, only_show_if_degraded = EXCLUDED.only_show_if_degraded, start_date = EXCLUDED.start_date,
       archived_at = NULL, updated_at = EXCLUDED.updated_at
     RETURNING id, (xmax = 0) AS created`,
    [
      component.id,
      component.page_id,
      component.key,
      component.group_id,
      component.name,
      component.description,
      component.position,
      component.only_show_if_degraded,
      component.start_date,
      component.at,
    ],
  );
  return { id: rows[0].id, created: rows[0].created };
}

/** Archives what the definition no longer lists; history is kept. Returns the keys archived. */
export async function archiveMissing(db: Queryable, table: 'component' | 'component_group', keepKeys: string[], at: Date): Promise<string[]> {
  const rows = await db.query<Pick<ComponentRow | ComponentGroupRow, 'key'>>(
    `UPDATE ${table} SET archived_at = $2 WHERE archived_at IS NULL AND NOT (key = ANY($1)) RETURNING key`,
    [keepKeys, at],
  );
  return rows.map((row) => row.key);
}

export async function setComponentStatus(db: Queryable, change: { id: string; status: ComponentStatus; at: Date; incidentId: string | null }): Promise<void> {
  await db.query('UPDATE component SET status = $2, updated_at = $3 WHERE id = $1', [change.id, change.status, change.at]);
  await db.query('INSERT INTO component_status_change (component_id, status, changed_at, incident_id) VALUES ($1, $2, $3, $4)', [
    change.id,
    change.status,
    change.at,
    change.incidentId,
  ]);
}

/** Status history since `since`, plus the last change before it (the status the window opens with). */
export async function listStatusChanges(db: Queryable, since: Date): Promise<Map<string, StatusChange[]>> {
  const rows = await db.query<Pick<ComponentStatusChangeRow, 'component_id' | 'status' | 'changed_at'>>(
    `(SELECT component_id, status, changed_at FROM component_status_change WHERE changed_at >= $1)
     UNION ALL
     (SELECT DISTINCT ON (component_id) component_id, status, changed_at FROM component_status_change
       WHERE changed_at < $1 ORDER BY component_id, changed_at DESC)
     ORDER BY component_id, changed_at`,
    [since],
  );
  const byComponent = new Map<string, StatusChange[]>();
  for (const row of rows) {
    const list = byComponent.get(row.component_id) ?? [];
    list.push({ status: row.status, at: row.changed_at });
    byComponent.set(row.component_id, list);
  }
  return byComponent;
}

// ---- structure edits (pages whose components are managed in the console) --------------------

/** Whether a group or component key is taken, archived ones included (keys are never reused). */
export async function keyTaken(db: Queryable, table: 'component' | 'component_group', key: string): Promise<boolean> {
  const rows = await db.query(`SELECT 1 FROM ${table} WHERE key = $1`, [key]);
  return rows.length > 0;
}

export async function findGroup(db: Queryable, idOrKey: string, options: { forUpdate?: boolean } = {}): Promise<ComponentGroup | null> {
  const rows = await db.query<ComponentGroupRow>(
    `SELECT * FROM component_group WHERE archived_at IS NULL AND (id = $1 OR key = $1) ${options.forUpdate ? 'FOR UPDATE' : ''}`,
    [idOrKey],
  );
  return rows.length > 0 ? toGroup(rows[0]) : null;
}

export async function nextPosition(db: Queryable, table: 'component' | 'component_group'): Promise<number> {
  const rows = await db.query<{ next: ComponentRow['position'] }>(`SELECT COALESCE(MAX(position), 0) + 1 AS next FROM ${table}`);
  return rows[0].next;
}

export async function updateGroupFields(db: Queryable, id: string, fields: { name: string; description: string | null; at: Date }): Promise<void> {
  await db.query('UPDATE component_group SET name = $2, description = $3, updated_at = $4 WHERE id = $1', [id, fields.name, fields.description, fields.at]);
}

/** Archives a group; its components stay on the page, ungrouped (as Statuspage does). */
export async function archiveGroup(db: Queryable, id: string, at: Date): Promise<string[]> {
  const moved = await db.query<Pick<ComponentRow, 'id'>>(
    'UPDATE component SET group_id = NULL, updated_at = $2 WHERE group_id = $1 AND archived_at IS NULL RETURNING id',
    [id, at],
  );
  await db.query('UPDATE component_group SET archived_at = $2, updated_at = $2 WHERE id = $1', [id, at]);
  return moved.map((row) => row.id);
}

export async function updateComponentFields(
  db: Queryable,
  id: string,
  fields: { name: string; description: string | null; group_id: string | null; only_show_if_degraded: boolean; at: Date },
): Promise<void> {
  await db.query('UPDATE component SET name = $2, description = $3, group_id = $4, only_show_if_degraded = $5, updated_at = $6 WHERE id = $1', [
    id,
    fields.name,
    fields.description,
    fields.group_id,
    fields.only_show_if_degraded,
    fields.at,
  ]);
}

export async function archiveComponent(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE component SET archived_at = $2, updated_at = $2 WHERE id = $1', [id, at]);
}

/** Gives rows new positions (ids in their new order take the given position numbers). */
export async function setPositions(db: Queryable, table: 'component' | 'component_group', ids: string[], positions: number[], at: Date): Promise<void> {
  await db.query(
    `UPDATE ${table} AS t SET position = v.position, updated_at = $3
     FROM unnest($1::text[], $2::int[]) AS v(id, position) WHERE t.id = v.id`,
    [ids, positions, at],
  );
}

/** Ids of unresolved incidents or maintenances that list this component as affected. */
export async function openIncidentsAffecting(db: Queryable, componentId: string): Promise<string[]> {
  const rows = await db.query<Pick<IncidentRow, 'id'>>(
    `SELECT i.id FROM incident i JOIN incident_component ic ON ic.incident_id = i.id
     WHERE ic.component_id = $1 AND i.resolved_at IS NULL AND i.deleted_at IS NULL ORDER BY i.created_at`,
    [componentId],
  );
  return rows.map((row) => row.id);
}
