/**
 * Wall-clock arithmetic for "the same time of week": 3 p.m. on Tuesday stays 3 p.m. across a
 * daylight-saving change. Pure: Intl only converts, it reads no clock.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Offsets change at most on hour boundaries, so one per zone and hour is enough (bounded cache). */
const offsets = new Map<string, number>();
const OFFSET_CACHE_LIMIT = 50_000;

/** The zone's offset from UTC at instant t, in ms (positive east of Greenwich). */
export function zoneOffsetMs(timeZone: string, t: number): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const hour = Math.floor(t / HOUR_MS);
  const key = `${timeZone}|${hour}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const probe = hour * HOUR_MS;
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(probe))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  const offset = asUtc - probe;
  if (offsets.size >= OFFSET_CACHE_LIMIT) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

/** The instant `days` local days before t at the same wall-clock time. */
export function localDaysBefore(timeZone: string, t: number, days: number): number {
  const shifted = t - days * DAY_MS;
  if (timeZone === 'UTC') return shifted;
  return shifted + zoneOffsetMs(timeZone, t) - zoneOffsetMs(timeZone, shifted);
}

/** Local day of week at t: 0 = Sunday ... 6 = Saturday. */
export function localWeekday(timeZone: string, t: number): number {
  const local = t + zoneOffsetMs(timeZone, t);
  return (((Math.floor(local / DAY_MS) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

export function isWeekend(timeZone: string, t: number): boolean {
  const day = localWeekday(timeZone, t);
  return day === 0 || day === 6;
}

/** [start, end) of a local calendar day `YYYY-MM-DD` in the zone, as instants. */
export function localDayBounds(timeZone: string, day: string): { from: number; to: number } {
  const [y, m, d] = day.split('-').map(Number);
  const midnight = (utcMidnight: number) => utcMidnight - zoneOffsetMs(timeZone, utcMidnight - zoneOffsetMs(timeZone, utcMidnight));
  const start = Date.UTC(y, m - 1, d);
  return { from: midnight(start), to: midnight(start + DAY_MS) };
}

const dateTimeFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A date and time as pages, emails, alerts and notices show it, in the page's time zone
 * ("Mar 4, 2026, 14:05 UTC"). In domain because use-cases write it into what they send, not only
 * presenters. One formatter per zone: building one costs ~100 µs.
 */
export function formatDateTime(date: Date, timeZone: string): string {
  let formatter = dateTimeFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      month: 'short',
      day: 'numeric',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    dateTimeFormatters.set(timeZone, formatter);
  }
  return formatter.format(date);
}
