/**
 * Counts sign-in attempts per key (an IP, an address) in a sliding window, in memory. An attempt
 * is counted before its (slow) password check, so concurrent guesses cannot all be checked before
 * the first failure is recorded; a successful one is taken back, so a responder who types the
 * password right is never slowed down. An address is counted whether or not it has an account, so
 * a 429 reveals nothing either. Per instance: with several instances an attacker gets a few more
 * tries per window, each still costing a scrypt hash.
 *
 * At most `maxKeys` keys are kept. When full, keys whose attempts have all left the window go
 * first, then the least recently tried one: never all at once, so spraying fresh keys cannot lift
 * everyone's lockout together.
 */
export class FailureThrottle {
  /** In order of last attempt (a key is moved to the end on each one): the least recently tried first. */
  private readonly attempts = new Map<string, number[]>();
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

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.attempts.get(key) ?? []).filter((at) => at > since);
    if (list.length === 0) this.attempts.delete(key);
    else this.attempts.set(key, list);
    return list;
  }

  /** Room for one more key: expired keys go first, then the least recently tried ones. */
  private makeRoom(): void {
    if (this.attempts.size < this.maxKeys) return;
    const since = this.now() - this.windowMs;
    for (const [key, list] of this.attempts) if (list[list.length - 1] <= since) this.attempts.delete(key);
    for (const key of this.attempts.keys()) {
      if (this.attempts.size < this.maxKeys) break;
      this.attempts.delete(key);
    }
  }

  /**
   * Counts an attempt for the key, unless it has used up its attempts for the window: then
   * nothing is counted and the answer is false (refuse without checking the password). Either
   * way the key becomes the most recently tried.
   */
  tryAttempt(key: string): boolean {
    const recent = this.recent(key);
    this.attempts.delete(key);
    if (recent.length >= this.max) {
      this.attempts.set(key, recent);
      return false;
    }
    this.makeRoom();
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
