import { authorize } from '../../domain/actor.ts';
import { archiveGroup } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { recordChange } from '../shared/record-change.ts';
import { requireGroup, structureChange } from './structure-change.ts';

/** Archives a group; its components stay on the page without a group. */
export async function archiveComponentGroup(ctx: ServiceContext, idOrKey: string): Promise<{ id: string; ungrouped: string[] }> {
  authorize(ctx.actor, 'page_structure.edit');
  return structureChange(ctx, async (tx, _pageId, at) => {
    const group = await requireGroup(tx, idOrKey);
    const ungrouped = await archiveGroup(tx, group.id, at);
    await recordChange(
      tx,
      ctx,
      { action: 'component_group.archived', targetType: 'component_group', targetId: group.id, details: { key: group.key, ungrouped } },
      at,
    );
    return { id: group.id, ungrouped };
  });
}
