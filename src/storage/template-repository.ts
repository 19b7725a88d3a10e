import type { IncidentTemplate, TemplateFields } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { IncidentTemplateRow } from './db-types.generated.ts';

function toTemplate(row: IncidentTemplateRow): IncidentTemplate {
  return {
    id: row.id,
    name: row.name,
    title: row.title,
    status: row.status,
    impact: row.impact,
    body: row.body,
    component_statuses: row.component_statuses,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Inserts a template; null when another template already has that name (case-insensitive). */
export async function insertTemplate(db: Queryable, template: TemplateFields & { id: string; at: Date }): Promise<IncidentTemplate | null> {
  const rows = await db.query<IncidentTemplateRow>(
    `INSERT INTO incident_template (id, name, title, status, impact, body, component_statuses, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (lower(name)) DO NOTHING RETURNING *`,
    [template.id, template.name, template.title, template.status, template.impact, template.body, JSON.stringify(template.component_statuses), template.at],
  );
  return rows.length > 0 ? toTemplate(rows[0]) : null;
}

/** Updates a template; null when it does not exist. Throws on a name clash (unique index). */
export async function updateTemplate(db: Queryable, id: string, template: TemplateFields & { at: Date }): Promise<IncidentTemplate | null> {
  const rows = await db.query<IncidentTemplateRow>(
    `UPDATE incident_template SET name = $2, title = $3, status = $4, impact = $5, body = $6, component_statuses = $7, updated_at = $8
     WHERE id = $1 RETURNING *`,
    [id, template.name, template.title, template.status, template.impact, template.body, JSON.stringify(template.component_statuses), template.at],
  );
  return rows.length > 0 ? toTemplate(rows[0]) : null;
}

export async function findTemplateByName(db: Queryable, name: string): Promise<IncidentTemplate | null> {
  const rows = await db.query<IncidentTemplateRow>('SELECT * FROM incident_template WHERE lower(name) = lower($1)', [name]);
  return rows.length > 0 ? toTemplate(rows[0]) : null;
}

export async function findTemplate(db: Queryable, id: string): Promise<IncidentTemplate | null> {
  const rows = await db.query<IncidentTemplateRow>('SELECT * FROM incident_template WHERE id = $1', [id]);
  return rows.length > 0 ? toTemplate(rows[0]) : null;
}

export async function listTemplates(db: Queryable): Promise<IncidentTemplate[]> {
  const rows = await db.query<IncidentTemplateRow>('SELECT * FROM incident_template ORDER BY lower(name), id');
  return rows.map(toTemplate);
}

export async function deleteTemplate(db: Queryable, id: string): Promise<IncidentTemplate | null> {
  const rows = await db.query<IncidentTemplateRow>('DELETE FROM incident_template WHERE id = $1 RETURNING *', [id]);
  return rows.length > 0 ? toTemplate(rows[0]) : null;
}
