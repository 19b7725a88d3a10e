import { listDueMaintenanceIds } from '../../storage/incident-repository.ts';
import { advanceMaintenance } from './advance-maintenance.ts';
import type { ServiceContext } from '../context.ts';

/** Starts and completes maintenances whose windows say so; returns how many moved. */
export async function runDueMaintenances(ctx: ServiceContext): Promise<{ started: string[]; completed: string[] }> {
  const due = await listDueMaintenanceIds(ctx.db, ctx.clock.now());
  const started: string[] = [];
  const completed: string[] = [];
  for (const id of due.start) {
    await advanceMaintenance(ctx, id, 'in_progress').then(
      () => started.push(id),
      (error) => ctx.log?.warn({ err: error, id }, 'maintenance auto-start skipped'),
    );
  }
  for (const id of due.complete) {
    await advanceMaintenance(ctx, id, 'completed').then(
      () => completed.push(id),
      (error) => ctx.log?.warn({ err: error, id }, 'maintenance auto-complete skipped'),
    );
  }
  return { started, completed };
}
