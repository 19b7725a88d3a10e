import { describe, expect, it } from 'vitest';
import { FailureThrottle } from '../../src/routes/console/sign-in-throttle.ts';

/**
 * The sign-in throttle keeps at most 50,000 keys. Spraying fresh keys (addresses) must not reset
 * everyone's lockout: room is made by forgetting expired keys first, then the least recently used
 * one, never all of them.
 */
describe('FailureThrottle at its key limit', () => {
  const KEYS = 50_000;

  it('forgets expired keys first, then the least recently used, and keeps a locked-out key', () => {
    let now = 1_000_000;
    const throttle = new FailureThrottle({ max: 2, windowMs: 60_000, now: () => now });
    const lockOut = (key: string) => {
      expect(throttle.tryAttempt(key)).toBe(true);
      expect(throttle.tryAttempt(key)).toBe(true);
      expect(throttle.tryAttempt(key)).toBe(false);
    };

    expect(throttle.tryAttempt('expired')).toBe(true);
    now += 61_000;
    // Fill the table: the expired key, then locked-out keys, the victim last (most recently used).
    for (let i = 0; i < KEYS - 2; i++) {
      throttle.tryAttempt(`spray-${i}`);
      throttle.tryAttempt(`spray-${i}`);
    }
    now += 1;
    lockOut('victim@example.org');

    // Full: the expired key makes room, so the oldest live one is still locked out (and now used).
    expect(throttle.tryAttempt('fresh-1')).toBe(true);
    expect(throttle.tryAttempt('spray-0')).toBe(false);
    // Full again, nothing expired: the least recently used key goes (spray-1), and only it.
    expect(throttle.tryAttempt('fresh-2')).toBe(true);
    expect(throttle.tryAttempt('spray-2')).toBe(false);
    expect(throttle.tryAttempt('spray-0')).toBe(false);
    expect(throttle.tryAttempt('victim@example.org')).toBe(false);
    expect(throttle.tryAttempt('spray-1')).toBe(true);
  });
});
