import type { Transaction } from '../../storage/database.ts';
import type { ServiceContext } from '../context.ts';

/** The kinds of record one batch can carry, as the outcome counts them. */
export const IMPORTED_KINDS = ['groups', 'components', 'incidents', 'updates', 'templates', 'subscribers'] as const;
type ImportedKindName = (typeof IMPORTED_KINDS)[number];

/** What a batch did: created, found already there (a re-run, or matched by key or address), and left out with the reason. */
export interface ImportOutcome {
  created: Record<ImportedKindName, number>;
  existing: Record<ImportedKindName, number>;
  skipped: { kind: ImportedKindName; id: string; reason: string }[];
}

const zero = (): Record<ImportedKindName, number> => ({ groups: 0, components: 0, incidents: 0, updates: 0, templates: 0, subscribers: 0 });

export function emptyOutcome(): ImportOutcome {
  return { created: zero(), existing: zero(), skipped: [] };
}

/** What each part of a batch works with: its transaction, the caller, the source page, the batch's time and its outcome. */
export interface ImportScope {
  tx: Transaction;
  ctx: ServiceContext;
  sourcePage: string;
  at: Date;
  outcome: ImportOutcome;
}

/** A Lifeline id for a record: its Statuspage id when free and of Lifeline's shape, else a new one. */
export function idFor(ctx: ServiceContext, sourceId: string, taken: Set<string>): string {
  if (/^[a-z0-9]{1,64}$/.test(sourceId) && !taken.has(sourceId)) {
    taken.add(sourceId);
    return sourceId;
  }
  return ctx.ids.id();
}

/**
 * The key a name makes before any `-2` (chooseKey in services/components/structure-change.ts makes
 * keys the same way), to find a group or component already on the page under it.
 */
export function keyFromName(name: string, table: 'component' | 'component_group'): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || (table === 'component' ? 'component' : 'group')
  );
}
