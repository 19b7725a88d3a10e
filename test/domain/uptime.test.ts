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

  it('counts days in the page time zone, 23 hours long on the day clocks go forward', () => {
    // New York: 22:00-23:00 local on 7 March is 03:00-04:00 UTC on 8 March; clocks go forward on 8 March.
    const result = computeUptime({
      since: at('2026-03-01T05:00:00Z'),
      now: at('2026-03-09T15:00:00Z'),
      days: 3,
      timeZone: 'America/New_York',
      changes: [
        { status: 'major_outage', at: at('2026-03-08T03:00:00Z') },
        { status: 'operational', at: at('2026-03-08T04:00:00Z') },
      ],
    });
    expect(result.days.map((d) => d.date)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
    expect(result.days[0]).toMatchObject({ worst: 'major_outage', seconds: { major_outage: 3600 } });
    expect(result.days[0].uptime).toBeCloseTo(1 - 1 / 24, 6);
    expect(result.days[1]).toMatchObject({ worst: 'operational', uptime: 1 });
    // The same hour in UTC days would have landed on 8 March.
    const utc = computeUptime({
      since: at('2026-03-01T05:00:00Z'),
      now: at('2026-03-09T15:00:00Z'),
      days: 3,
      changes: [
        { status: 'major_outage', at: at('2026-03-08T03:00:00Z') },
        { status: 'operational', at: at('2026-03-08T04:00:00Z') },
      ],
    });
    expect(utc.days.map((d) => d.worst)).toEqual(['operational', 'major_outage', 'operational']);
    // A 23-hour local day: half of it down is 11.5 hours.
    const spring = computeUptime({
      since: at('2026-03-01T05:00:00Z'),
      now: at('2026-03-09T05:00:00Z'),
      days: 2,
      timeZone: 'America/New_York',
      changes: [
        { status: 'major_outage', at: at('2026-03-08T05:00:00Z') },
        { status: 'operational', at: at('2026-03-08T16:30:00Z') },
      ],
    });
    expect(spring.days[0]).toMatchObject({ date: '2026-03-08', seconds: { major_outage: 11.5 * 3600 } });
    expect(spring.days[0].uptime).toBeCloseTo(0.5, 6);
  });
});
