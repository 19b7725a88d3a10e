import { ValidationError } from '../../domain/errors.ts';
import type { Queryable } from '../../storage/database.ts';
import { findComponentsByIdOrKey } from '../../storage/page-repository.ts';

/** Resolves component ids or keys to ids; an empty or missing list means "all components". */
export async function resolveComponentFilter(db: Queryable, refs: string[] | undefined, field = 'component_ids'): Promise<{ all: boolean; ids: string[] }> {
  if (!refs || refs.length === 0) return { all: true, ids: [] };
  const found = await findComponentsByIdOrKey(db, refs);
  const ids: string[] = [];
  for (const [index, ref] of refs.entries()) {
    const component = found.find((c) => c.id === ref || c.key === ref);
    if (!component) throw new ValidationError(`${field}.${index}`, `no such component ${JSON.stringify(ref)}`);
    if (!ids.includes(component.id)) ids.push(component.id);
  }
  return { all: false, ids };
}
