import { authorize } from '../../domain/actor.ts';
import { ConflictError } from '../../domain/errors.ts';
import { archiveComponent as archiveComponentRow, openIncidentsAffecting } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { recordChange } from '../shared/record-change.ts';
import { requireComponent, structureChange } from './structure-change.ts';

/** Takes a component off the page; its history is kept. Refused while an open incident lists it. */
export async function archiveComponent(ctx: ServiceContext, idOrKey: string): Promise<{ id: string }> {
  authorize(ctx.actor, 'page_structure.edit');
  return structureChange(ctx, async (tx, _pageId, at) => {
    const component = await requireComponent(tx, idOrKey);
    const open = await openIncidentsAffecting(tx, component.id);
    if (open.length > 0) throw new ConflictError(`${component.name} is affected by an open incident or maintenance (${open.join(', ')}): resolve it first`);
    await archiveComponentRow(tx, component.id, at);
    await recordChange(
      tx,
      ctx,
      { action: 'component.archived', targetType: 'component', targetId: component.id, details: { key: component.key, name: component.name } },
      at,
    );
    return { id: component.id };
  });
}
