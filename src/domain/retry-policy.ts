/**
 * When to try a failed delivery again. Webhooks follow the Standard Webhooks example schedule
 * (about 3 days in all); emails give up sooner, since a mailbox provider retries on its side too.
 * Jitter (±20%) spreads retries of one outage so receivers are not hit all at once.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const RETRY_SCHEDULES = {
  webhook: [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR, 20 * HOUR, 24 * HOUR],
  email: [30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR],
} as const;

export type RetryChannel = keyof typeof RETRY_SCHEDULES;

/** Consecutive failures for this long disable a webhook endpoint (its owner is told by email). */
export const WEBHOOK_DISABLE_AFTER_MS = 3 * 24 * HOUR;

/**
 * The delay before attempt `attempts + 1`, or null when `attempts` failures exhaust the schedule
 * (the delivery is dead-lettered). `random` is in [0, 1).
 */
export function nextRetryDelay(channel: RetryChannel, attempts: number, options: { retryAfterMs?: number; random: number }): number | null {
  const schedule = RETRY_SCHEDULES[channel];
  if (attempts < 1 || attempts > schedule.length) return null;
  const base = schedule[attempts - 1];
  const jittered = Math.round(base * (0.8 + 0.4 * options.random));
  return Math.max(jittered, Math.min(options.retryAfterMs ?? 0, 24 * HOUR));
}
