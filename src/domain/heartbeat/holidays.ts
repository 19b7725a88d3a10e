import { localDayBounds } from '../time.ts';
import type { Exclusion } from './types.ts';

/** The page definition's holidays (local dates) as detector exclusions: each covers that whole local day. */
export function holidayExclusions(days: readonly string[], timeZone: string): Exclusion[] {
  return days.map((day) => ({ ...localDayBounds(timeZone === 'Etc/UTC' ? 'UTC' : timeZone, day), reason: 'holiday' as const }));
}
