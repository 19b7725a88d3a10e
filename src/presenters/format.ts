/** Day, month, duration and percentage formatting for pages and feeds (a date and time: formatDateTime in domain/time.ts). */

// Building an Intl formatter costs ~100 µs; a page rebuild formats thousands of days, so keep one.
const dayFormatter = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric', year: 'numeric' });
const monthFormatter = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'long', year: 'numeric' });

export function formatDay(isoDay: string): string {
  return dayFormatter.format(new Date(`${isoDay}T00:00:00Z`));
}

export function formatMonth(date: Date): string {
  return monthFormatter.format(date);
}

export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

export function formatPercent(fraction: number | null): string {
  if (fraction === null) return 'No data';
  const value = Math.floor(fraction * 10_000) / 100;
  return `${value.toFixed(2)} %`;
}
