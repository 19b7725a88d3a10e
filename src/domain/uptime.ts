import { worstComponentStatus, type ComponentStatus } from './status.ts';
import { DAY_MS, localDayBounds, zoneOffsetMs } from './time.ts';

export interface StatusChange {
  status: ComponentStatus;
  at: Date;
}

export interface UptimeDay {
  /** Calendar day in the page's time zone, YYYY-MM-DD. */
  date: string;
  /** Worst status seen that day, or `no_data` before the component existed. */
  worst: ComponentStatus | 'no_data';
  /** Fraction of the observed part of the day counted as up; null without data. */
  uptime: number | null;
  /** Seconds spent in each non-operational status. */
  seconds: { major_outage: number; partial_outage: number; degraded_performance: number; under_maintenance: number };
}

export interface UptimeSummary {
  days: UptimeDay[];
  /** Over the whole window, null if the component has no history in it. */
  uptime: number | null;
}

// Statuspage's weighting: a partial outage counts 30% of its time as downtime, degraded performance and maintenance none.
const DOWNTIME_WEIGHT: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 0,
  degraded_performance: 0,
  partial_outage: 0.3,
  major_outage: 1,
};

/**
 * Daily uptime for the `days` local days (in `timeZone`, UTC by default) ending with the day of
 * `now`, from the component's status history: a day is the visitor's "Tuesday" on the page, 23
 * or 25 hours long across a daylight-saving change. `since` is when the component started being
 * tracked; time before it has no data. `changes` must be sorted by time; the status before the
 * first change is operational.
 */
export function computeUptime(input: { changes: StatusChange[]; since: Date; now: Date; days: number; timeZone?: string }): UptimeSummary {
  const { changes, since, now } = input;
  const timeZone = input.timeZone ?? 'Etc/UTC';
  const today = new Date(now.getTime() + zoneOffsetMs(timeZone, now.getTime())).toISOString().slice(0, 10);
  const todayUtc = Date.parse(`${today}T00:00:00Z`);
  const calendar = Array.from({ length: input.days }, (_, i) => new Date(todayUtc - (input.days - 1 - i) * DAY_MS).toISOString().slice(0, 10));

  // Intervals [start, end) of constant status, clipped to [since, now).
  const intervals: { start: number; end: number; status: ComponentStatus }[] = [];
  let status: ComponentStatus = 'operational';
  let cursor = since.getTime();
  for (const change of changes) {
    const at = change.at.getTime();
    if (at > cursor) intervals.push({ start: cursor, end: Math.min(at, now.getTime()), status });
    cursor = Math.max(cursor, at);
    status = change.status;
  }
  if (now.getTime() > cursor) intervals.push({ start: cursor, end: now.getTime(), status });

  const days: UptimeDay[] = [];
  let totalObserved = 0;
  let totalDown = 0;
  let next = 0;
  for (const date of calendar) {
    const { from: dayStart, to: dayEnd } = localDayBounds(timeZone, date);
    const seconds = { major_outage: 0, partial_outage: 0, degraded_performance: 0, under_maintenance: 0 };
    const seen: ComponentStatus[] = [];
    let observed = 0;
    let down = 0;
    while (next < intervals.length && intervals[next].end <= dayStart) next++;
    for (let i = next; i < intervals.length && intervals[i].start < dayEnd; i++) {
      const part = intervals[i];
      const overlap = Math.min(part.end, dayEnd) - Math.max(part.start, dayStart);
      if (overlap <= 0) continue;
      observed += overlap;
      down += overlap * DOWNTIME_WEIGHT[part.status];
      seen.push(part.status);
      if (part.status !== 'operational') seconds[part.status] += Math.round(overlap / 1000);
    }
    totalObserved += observed;
    totalDown += down;
    days.push({
      date,
      worst: observed > 0 ? worstComponentStatus(seen) : 'no_data',
      uptime: observed > 0 ? 1 - down / observed : null,
      seconds,
    });
  }
  return { days, uptime: totalObserved > 0 ? 1 - totalDown / totalObserved : null };
}
