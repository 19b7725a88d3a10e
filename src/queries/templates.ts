import type { Queryable } from '../storage/database.ts';
import { findTemplate as findTemplateRow } from '../storage/template-repository.ts';
import type { IncidentTemplate } from '../domain/model.ts';

export type { IncidentTemplate };

/** One incident template by id, or null. */
export function findTemplate(db: Queryable, id: string): Promise<IncidentTemplate | null> {
  return findTemplateRow(db, id);
}
