import { describe, expect, it } from 'vitest';
import { computeUptime } from '../../src/domain/uptime.ts';

const at = (iso: string) => new Date(iso);

describe('uptime from status history', () => {
  it('counts a major outage fully and a partial outage at 30%', () => {
    const result = computeUptime({
      since: at('2026-03-01T00:00:00Z'),
      now: at('2026-03-03T00:00:00Z'),
      days: 3,
      changes: [
        { status: 'operational', at: at('2026-03-01T00:00:00Z') },
        { status: 'major_outage', at: at('2026-03-01T12:00:00Z') },
        { status: 'operational', at: at('2026-03-01T18:00:00Z') },
        { status: 'partial_outage', at: at('2026-03-02T00:00:00Z') },
        { status: 'operational', at: at('2026-03-02T10:00:00Z') },
      ],
    });
    expect(result.days.map((d) => d.date)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(result.days[0].worst).toBe('major_outage');
    expect(result.days[0].uptime).toBeCloseTo(0.75, 6); // 6 h of 24 down
    expect(result.days[0].seconds.major_outage).toBe(6 * 3600);
    expect(result.days[1].worst).toBe('partial_outage');
    expect(result.days[1].uptime).toBeCloseTo(1 - (10 * 0.3) / 24, 6);
    // "now" is the first instant of the last day: no observed time yet
    expect(result.days[2]).toMatchObject({ worst: 'no_data', uptime: null });
    expect(result.uptime).toBeCloseTo(1 - (6 + 3) / 48, 6);
  });

  it('has no data before the component existed and carries a status across days', () => {
    const result = computeUptime({
      since: at('2026-03-02T06:00:00Z'),
      now: at('2026-03-03T12:00:00Z'),
      days: 3,
      changes: [{ status: 'degraded_performance', at: at('2026-03-02T18:00:00Z') }],
    });
    expect(result.days[0]).toMatchObject({ date: '2026-03-01', worst: 'no_data', uptime: null });
    expect(result.days[1].worst).toBe('degraded_performance');
    expect(result.days[1].uptime).toBe(1); // degraded performance is not downtime
    expect(result.days[2].seconds.degraded_performance).toBe(12 * 3600);
  });

  it('uses the status in force before the window opened', () => {
    const result = computeUptime({
      since: at('2026-01-01T00:00:00Z'),
      now: at('2026-03-10T12:00:00Z'),
      days: 2,
      changes: [{ status: 'major_outage', at: at('2026-03-05T00:00:00Z') }],
    });
    expect(result.days.map((d) => d.worst)).toEqual(['major_outage', 'major_outage']);
    expect(result.uptime).toBe(0);
  });
});
