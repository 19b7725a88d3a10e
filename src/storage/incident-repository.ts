import type { Incident, IncidentOfKind, IncidentUpdate } from '../domain/model.ts';
import { INCIDENT_STATUSES, MAINTENANCE_STATUSES, type ComponentStatus, type Impact, type IncidentStatus, type MaintenanceStatus } from '../domain/status.ts';
import type { Queryable } from './database.ts';
import type { IncidentComponentRow, IncidentRow, IncidentUpdateRow } from './db-types.generated.ts';

type Kind = Incident['kind'];

const isIncidentStatus = (status: string): status is IncidentStatus => INCIDENT_STATUSES.some((known) => known === status);
const isMaintenanceStatus = (status: string): status is MaintenanceStatus => MAINTENANCE_STATUSES.some((known) => known === status);

/**
 * The table holds both kinds (its CHECKs allow either kind's statuses and leave the window
 * nullable); the use-cases always write a kind's own status and a maintenance's window, so a row
 * that breaks that is reported here, by id, rather than handed on half-typed.
 */
function toIncident(row: IncidentRow, updates: IncidentUpdate[], componentIds: string[]): Incident {
  const shared = {
    id: row.id,
    name: row.name,
    impact: row.impact,
    impact_override: row.impact_override,
    source: row.source,
    postmortem_url: row.postmortem_url,
    created_at: row.created_at,
    updated_at: row.updated_at,
    started_at: row.started_at,
    monitoring_at: row.monitoring_at,
    resolved_at: row.resolved_at,
    component_ids: componentIds,
    updates,
  };
  const { status, scheduled_for: scheduledFor, scheduled_until: scheduledUntil } = row;
  if (row.kind === 'incident' && isIncidentStatus(status)) return { ...shared, kind: 'incident', status };
  if (row.kind === 'maintenance' && isMaintenanceStatus(status) && scheduledFor !== null && scheduledUntil !== null) {
    return {
      ...shared,
      kind: 'maintenance',
      status,
      scheduled_for: scheduledFor,
      scheduled_until: scheduledUntil,
      auto_start: row.auto_start,
      auto_complete: row.auto_complete,
      cancelled_at: row.cancelled_at,
      remind_prior_minutes: row.remind_prior_minutes,
      reminded_at: row.reminded_at,
    };
  }
  const missingWindow = row.kind === 'maintenance' && (scheduledFor === null || scheduledUntil === null) ? ' and no window' : '';
  throw new Error(`incident ${row.id}: kind '${row.kind}' with status '${status}'${missingWindow} cannot be read`);
}

/** The ones of `kind` (the SQL already asked for that kind; this tells the type). */
function ofKind<K extends Kind>(incidents: Incident[], kind: K): IncidentOfKind<K>[] {
  return incidents.filter((incident): incident is IncidentOfKind<K> => incident.kind === kind);
}

function toUpdate(row: IncidentUpdateRow): IncidentUpdate {
  return {
    id: row.id,
    incident_id: row.incident_id,
    status: row.status,
    body: row.body,
    affected_components: row.affected_components,
    deliver_notifications: row.deliver_notifications,
    created_by: row.created_by,
    created_at: row.created_at,
    display_at: row.display_at,
  };
}

/**
 * Loads incidents matching `where` with their updates and components, in the order of `tail`.
 * A deleted incident (`deleted_at`) is never loaded: to every reader it no longer exists.
 */
async function loadIncidents(db: Queryable, where: string, params: unknown[], tail: string): Promise<Incident[]> {
  const rows = await db.query<IncidentRow>(`SELECT * FROM incident WHERE deleted_at IS NULL AND (${where}) ${tail}`, params);
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [updateRows, componentRows] = await Promise.all([
    db.query<IncidentUpdateRow>('SELECT * FROM incident_update WHERE incident_id = ANY($1) ORDER BY display_at DESC, seq DESC', [ids]),
    db.query<IncidentComponentRow>('SELECT incident_id, component_id FROM incident_component WHERE incident_id = ANY($1) ORDER BY component_id', [ids]),
  ]);
  const updates = new Map<string, IncidentUpdate[]>();
  for (const row of updateRows) {
    const update = toUpdate(row);
    updates.set(update.incident_id, [...(updates.get(update.incident_id) ?? []), update]);
  }
  const components = new Map<string, string[]>();
  for (const row of componentRows) components.set(row.incident_id, [...(components.get(row.incident_id) ?? []), row.component_id]);
  return rows.map((row) => toIncident(row, updates.get(row.id) ?? [], components.get(row.id) ?? []));
}

/** The incident or maintenance `id`; of that `kind` only, when one is given (typed as that kind). */
export async function findIncident<K extends Kind>(db: Queryable, id: string, kind: K, options?: { forUpdate?: boolean }): Promise<IncidentOfKind<K> | null>;
export async function findIncident(db: Queryable, id: string): Promise<Incident | null>;
export async function findIncident(db: Queryable, id: string, kind?: Kind, options: { forUpdate?: boolean } = {}): Promise<Incident | null> {
  if (options.forUpdate) await db.query('SELECT 1 FROM incident WHERE id = $1 FOR UPDATE', [id]);
  const found = await loadIncidents(db, kind ? 'id = $1 AND kind = $2' : 'id = $1', kind ? [id, kind] : [id], '');
  return found[0] ?? null;
}

export async function listRecent<K extends Kind>(db: Queryable, kind: K, limit: number): Promise<IncidentOfKind<K>[]> {
  const order = kind === 'maintenance' ? 'scheduled_for DESC' : 'started_at DESC';
  return ofKind(await loadIncidents(db, 'kind = $1', [kind, limit], `ORDER BY ${order}, id LIMIT $2`), kind);
}

export async function listUnresolved<K extends Kind>(db: Queryable, kind: K): Promise<IncidentOfKind<K>[]> {
  return ofKind(await loadIncidents(db, 'kind = $1 AND resolved_at IS NULL', [kind], 'ORDER BY started_at DESC, id'), kind);
}

/** Incidents that started in [from, to), newest first: one page of the history. */
export async function listStartedBetween<K extends Kind>(db: Queryable, kind: K, from: Date, to: Date): Promise<IncidentOfKind<K>[]> {
  return ofKind(await loadIncidents(db, 'kind = $1 AND started_at >= $2 AND started_at < $3', [kind, from, to], 'ORDER BY started_at DESC, id'), kind);
}

export async function oldestStart(db: Queryable, kind: Kind): Promise<Date | null> {
  const rows = await db.query<{ at: IncidentRow['started_at'] | null }>('SELECT min(started_at) AS at FROM incident WHERE kind = $1 AND deleted_at IS NULL', [
    kind,
  ]);
  return rows[0]?.at ?? null;
}

/** Scheduled maintenances whose automatic start or completion is due at `now`. */
export async function listDueMaintenanceIds(db: Queryable, now: Date): Promise<{ start: string[]; complete: string[] }> {
  const rows = await db.query<Pick<IncidentRow, 'id'> & { action: 'start' | 'complete' }>(
    `SELECT id, 'start' AS action FROM incident
       WHERE kind = 'maintenance' AND status = 'scheduled' AND auto_start AND scheduled_for <= $1 AND deleted_at IS NULL
     UNION ALL
     SELECT id, 'complete' AS action FROM incident
       WHERE kind = 'maintenance' AND status IN ('in_progress', 'verifying') AND auto_complete AND scheduled_until <= $1 AND deleted_at IS NULL`,
    [now],
  );
  return { start: rows.filter((r) => r.action === 'start').map((r) => r.id), complete: rows.filter((r) => r.action === 'complete').map((r) => r.id) };
}

export async function insertIncident(
  db: Queryable,
  incident: {
    id: string;
    page_id: string;
    kind: Kind;
    name: string;
    status: IncidentStatus | MaintenanceStatus;
    impact: Impact;
    /** Set when the impact was chosen, not computed. */
    impact_override?: Impact | null;
    source: Incident['source'];
    scheduled_for: Date | null;
    scheduled_until: Date | null;
    auto_start: boolean;
    auto_complete: boolean;
    /** A maintenance's reminder, minutes before it starts; null for none (and for incidents). */
    remind_prior_minutes?: number | null;
    started_at: Date;
    at: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO incident (id, page_id, kind, name, status, impact, source, scheduled_for, scheduled_until, auto_start, auto_complete,
       created_at, updated_at, started_at, remind_prior_minutes, impact_override)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15)`,
    [
      incident.id,
      incident.page_id,
      incident.kind,
      incident.name,
      incident.status,
      incident.impact,
      incident.source,
      incident.scheduled_for,
      incident.scheduled_until,
      incident.auto_start,
      incident.auto_complete,
      incident.at,
      incident.started_at,
      incident.remind_prior_minutes ?? null,
      incident.impact_override ?? null,
    ],
  );
}

/**
 * Marks the maintenances whose reminder is due as reminded and returns them: still scheduled, not
 * begun, reminder time reached (and after they were announced: one scheduled less than its reminder
 * ahead has just been announced). One conditional UPDATE, so however many instances tick at once,
 * each reminder is claimed by exactly one transaction, once, and stays claimed across restarts.
 */
export async function claimDueReminders(db: Queryable, now: Date): Promise<string[]> {
  const rows = await db.query<Pick<IncidentRow, 'id'>>(
    `UPDATE incident SET reminded_at = $1
     WHERE kind = 'maintenance' AND status = 'scheduled' AND reminded_at IS NULL AND remind_prior_minutes IS NOT NULL
       AND scheduled_for > $1 AND scheduled_for - make_interval(mins => remind_prior_minutes) <= $1
       AND created_at < scheduled_for - make_interval(mins => remind_prior_minutes)
     RETURNING id`,
    [now],
  );
  return rows.map((row) => row.id).sort();
}

export async function updateIncidentState(
  db: Queryable,
  change: {
    id: string;
    status: string;
    impact: Impact;
    /** Given when the impact was chosen in this change; an earlier choice otherwise stays. */
    impact_override?: Impact;
    at: Date;
    monitoring_at?: Date;
    resolved_at?: Date;
    started_at?: Date;
    postmortem_url?: string;
  },
): Promise<void> {
  await db.query(
    `UPDATE incident SET status = $2, impact = $3, updated_at = $4,
       monitoring_at = COALESCE(monitoring_at, $5), resolved_at = COALESCE($6, resolved_at),
       started_at = COALESCE($7, started_at), postmortem_url = COALESCE($8, postmortem_url),
       impact_override = COALESCE($9, impact_override)
     WHERE id = $1`,
    [
      change.id,
      change.status,
      change.impact,
      change.at,
      change.monitoring_at ?? null,
      change.resolved_at ?? null,
      change.started_at ?? null,
      change.postmortem_url ?? null,
      change.impact_override ?? null,
    ],
  );
}

/** Marks a maintenance, completed in the same transaction, as called off before it began. */
export async function markMaintenanceCancelled(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query(`UPDATE incident SET cancelled_at = $2 WHERE id = $1 AND kind = 'maintenance'`, [id, at]);
}

export async function addIncidentComponents(db: Queryable, incidentId: string, componentIds: string[]): Promise<void> {
  if (componentIds.length === 0) return;
  await db.query(`INSERT INTO incident_component (incident_id, component_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [incidentId, componentIds]);
}

/**
 * The statuses the other holders of these components imply, per component: every unresolved incident
 * that set the component's status (the status its latest update gave it) and every maintenance in
 * progress or verifying on it (`under_maintenance`). `releasingId` is the incident or maintenance
 * letting go, left out. A component no one else holds has no entry.
 */
export async function statusesImpliedByOtherHolders(db: Queryable, releasingId: string, componentIds: string[]): Promise<Map<string, ComponentStatus[]>> {
  const implied = new Map<string, ComponentStatus[]>();
  if (componentIds.length === 0) return implied;
  const rows = await db.query<{ component_id: string; status: ComponentStatus | null }>(
    `SELECT ic.component_id,
            CASE WHEN i.kind = 'maintenance' THEN 'under_maintenance'
                 ELSE (SELECT change->>'new_status' FROM incident_update u CROSS JOIN LATERAL jsonb_array_elements(u.affected_components) change
                        WHERE u.incident_id = i.id AND change->>'code' = ic.component_id ORDER BY u.seq DESC LIMIT 1)
            END AS status
       FROM incident_component ic JOIN incident i ON i.id = ic.incident_id
      WHERE i.id <> $1 AND i.resolved_at IS NULL AND i.deleted_at IS NULL AND i.status <> 'scheduled' AND ic.component_id = ANY($2)`,
    [releasingId, componentIds],
  );
  for (const row of rows) {
    if (row.status !== null) implied.set(row.component_id, [...(implied.get(row.component_id) ?? []), row.status]);
  }
  return implied;
}

export async function insertUpdate(db: Queryable, update: Omit<IncidentUpdate, 'display_at'> & { display_at?: Date }): Promise<void> {
  await db.query(
    `INSERT INTO incident_update (id, incident_id, status, body, affected_components, deliver_notifications, created_by, created_at, display_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      update.id,
      update.incident_id,
      update.status,
      update.body,
      JSON.stringify(update.affected_components),
      update.deliver_notifications,
      update.created_by,
      update.created_at,
      update.display_at ?? update.created_at,
    ],
  );
}

/** Takes an incident or maintenance off every list and document; the row stays for the record (migration 012). */
export async function markIncidentDeleted(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE incident SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL', [id, at]);
}

/** A new name for an incident or maintenance; its timeline is untouched. */
export async function renameIncidentRow(db: Queryable, id: string, name: string, at: Date): Promise<void> {
  await db.query('UPDATE incident SET name = $2, updated_at = $3 WHERE id = $1', [id, name, at]);
}

/** A responder took over an automatic notice: it is theirs now, no longer marked automatic. */
export async function setIncidentSource(db: Queryable, id: string, source: Incident['source'], at: Date): Promise<void> {
  await db.query('UPDATE incident SET source = $2, updated_at = $3 WHERE id = $1', [id, source, at]);
}

/**
 * Incidents and maintenances together, newest first (the Statuspage manage API's list): `search`
 * matches the name or any update's body, case-insensitively, as plain text (no wildcards).
 */
export function searchIncidents(db: Queryable, options: { search?: string; limit: number; offset: number }): Promise<Incident[]> {
  if (!options.search) return loadIncidents(db, 'TRUE', [options.limit, options.offset], 'ORDER BY created_at DESC, id LIMIT $1 OFFSET $2');
  const pattern = `%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return loadIncidents(
    db,
    `(name ILIKE $1 OR EXISTS (SELECT 1 FROM incident_update u WHERE u.incident_id = incident.id AND u.body ILIKE $1))`,
    [pattern, options.limit, options.offset],
    'ORDER BY created_at DESC, id LIMIT $2 OFFSET $3',
  );
}
