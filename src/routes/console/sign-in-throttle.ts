/**
 * Counts failed sign-ins per key (an IP, an address) in a sliding window, in memory. Only failures
 * count, so a responder who types the password right is never slowed down; an address is counted
 * whether or not it has an account, so a 429 reveals nothing either. Per instance: with several
 * instances an attacker gets a few more tries per window, each still costing a scrypt hash.
 */
export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: { max: number; windowMs: number; now: () => number }) {
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.now = options.now;
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((at) => at > since);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** True when the key has used up its failures for the window. */
  blocked(key: string): boolean {
    return this.recent(key).length >= this.max;
  }

  fail(key: string): void {
    if (this.failures.size > 50_000) this.failures.clear();
    this.failures.set(key, [...this.recent(key), this.now()]);
  }

  clear(key: string): void {
    this.failures.delete(key);
  }
}
