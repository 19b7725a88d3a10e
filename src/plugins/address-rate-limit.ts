/**
 * A fixed-window counter per key (an email address), in memory: complements the per-IP limit of
 * @fastify/rate-limit so one address cannot be flooded from many IPs. The database additionally
 * sends at most one confirmation per address per minute, across instances.
 *
 * At most `maxKeys` keys are kept. When full, keys whose window has ended go first, then the ones
 * whose window started longest ago (a tenth of the table at a time): never all at once, so
 * spraying fresh keys cannot reset the count of an address being flooded.
 */
export class KeyedRateLimit {
  /** In order of window start (a new window moves its key to the end): the oldest first. */
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: { max: number; windowMs: number; now: () => number; maxKeys?: number }) {
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.maxKeys = options.maxKeys ?? 50_000;
    this.now = options.now;
  }

  /**
   * Room for more keys: ended windows go first, then the oldest ones, down to 90% of the table, so
   * a spray of fresh keys costs one pass per tenth of the table, not one per key.
   */
  private makeRoom(now: number): void {
    if (this.windows.size < this.maxKeys) return;
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
    const keep = Math.floor(this.maxKeys * 0.9);
    for (const key of this.windows.keys()) {
      if (this.windows.size <= keep) break;
      this.windows.delete(key);
    }
  }

  /** Counts one hit; false when the key is over its limit. */
  hit(key: string): boolean {
    const now = this.now();
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      this.windows.delete(key);
      this.makeRoom(now);
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= this.max;
  }
}
