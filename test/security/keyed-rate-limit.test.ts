import { describe, expect, it } from 'vitest';
import { KeyedRateLimit } from '../../src/plugins/address-rate-limit.ts';

describe('KeyedRateLimit', () => {
  const limiter = (maxKeys?: number) => {
    let now = 0;
    const limit = new KeyedRateLimit({ max: 2, windowMs: 60_000, now: () => now, ...(maxKeys ? { maxKeys } : {}) });
    return { limit, advance: (ms: number) => (now += ms) };
  };

  it('counts per key within the window and starts again after it', () => {
    const { limit, advance } = limiter();
    expect([limit.hit('ada@example.net'), limit.hit('ada@example.net'), limit.hit('ada@example.net')]).toEqual([true, true, false]);
    expect(limit.hit('bob@example.net')).toBe(true);
    advance(60_000);
    expect(limit.hit('ada@example.net')).toBe(true);
  });

  it('keeps counting a flooded address while fresh keys are sprayed past the default table size (50,000)', () => {
    const { limit, advance } = limiter();
    for (let i = 0; i < 25_000; i++) limit.hit(`early${i}@example.net`);
    advance(1_000);
    limit.hit('victim@example.net');
    limit.hit('victim@example.net');
    advance(1_000);
    // 30,000 more keys overflow the table: the oldest go, not everything (which would reset the victim).
    for (let i = 0; i < 30_000; i++) limit.hit(`spray${i}@example.net`);
    expect(limit.hit('victim@example.net')).toBe(false);
    expect(limit.hit('early0@example.net')).toBe(true); // evicted: counted afresh
  });

  it('drops ended windows before live ones when full', () => {
    const { limit, advance } = limiter(3);
    limit.hit('old@example.net');
    advance(30_000);
    limit.hit('live@example.net');
    limit.hit('live@example.net');
    advance(31_000); // old's window has ended, live's has not
    limit.hit('a@example.net');
    limit.hit('b@example.net'); // full: old goes, live stays (90% of 3 keeps 2)
    expect(limit.hit('live@example.net')).toBe(false);
  });
});
