/**
 * Counts sign-in attempts per key (an IP, an address) in a sliding window, in memory. An attempt
 * is counted before its (slow) password check, so concurrent guesses cannot all be checked before
 * the first failure is recorded; a successful one is taken back, so a responder who types the
 * password right is never slowed down. An address is counted whether or not it has an account, so
 * a 429 reveals nothing either. Per instance: with several instances an attacker gets a few more
 * tries per window, each still costing a scrypt hash.
 */
export class FailureThrottle {
  private readonly attempts = new Map<string, number[]>();
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
    const list = (this.attempts.get(key) ?? []).filter((at) => at > since);
    if (list.length === 0) this.attempts.delete(key);
    else this.attempts.set(key, list);
    return list;
  }

  /**
   * Counts an attempt for the key, unless it has used up its attempts for the window: then
   * nothing is counted and the answer is false (refuse without checking the password).
   */
  tryAttempt(key: string): boolean {
    const recent = this.recent(key);
    if (recent.length >= this.max) return false;
    if (this.attempts.size > 50_000) this.attempts.clear();
    this.attempts.set(key, [...recent, this.now()]);
    return true;
  }

  /** Takes back one counted attempt (it succeeded, or was refused for another reason before the check). */
  forgive(key: string): void {
    const recent = this.recent(key);
    if (recent.length <= 1) this.attempts.delete(key);
    else this.attempts.set(key, recent.slice(0, -1));
  }

  /** Forgets every attempt for the key (the address signed in). */
  clear(key: string): void {
    this.attempts.delete(key);
  }
}
