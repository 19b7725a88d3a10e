/**
 * A fixed-window counter per key (an email address), in memory: complements the per-IP limit of
 * @fastify/rate-limit so one address cannot be flooded from many IPs. The database additionally
 * sends at most one confirmation per address per minute, across instances.
 */
export class KeyedRateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: { max: number; windowMs: number; now: () => number }) {
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.now = options.now;
  }

  /** Counts one hit; false when the key is over its limit. */
  hit(key: string): boolean {
    const now = this.now();
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      if (this.windows.size > 50_000) this.windows.clear();
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= this.max;
  }
}
