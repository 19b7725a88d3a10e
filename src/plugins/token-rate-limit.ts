/**
 * A rolling-window limit per key (an API token): at most `max` requests in any `windowMs`, as
 * Statuspage limits its manage API (1 request per second over a rolling 60 seconds). In memory,
 * per instance; keys are authenticated tokens only, so strangers cannot grow it. Refused requests
 * do not count, so a client that waits as told by Retry-After gets through.
 */
export class RollingWindowLimit {
  private readonly hits = new Map<string, number[]>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: { max: number; windowMs: number; now: () => number }) {
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.now = options.now;
  }

  /** Counts one request for `key`: null when it may go ahead, else how many milliseconds until one may. */
  take(key: string): number | null {
    const now = this.now();
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (recent.length >= this.max) {
      this.hits.set(key, recent);
      return recent[0] + this.windowMs - now;
    }
    if (this.hits.size > 10_000) this.forgetIdle(now);
    recent.push(now);
    this.hits.set(key, recent);
    return null;
  }

  private forgetIdle(now: number): void {
    for (const [key, times] of this.hits) if (times.every((at) => at <= now - this.windowMs)) this.hits.delete(key);
  }
}
