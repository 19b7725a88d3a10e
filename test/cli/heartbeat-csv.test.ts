import { describe, expect, it } from 'vitest';
import { csvRecords, parseHistoryCsv, parseSeriesName, parseTimestamp, toSlots } from '../../src/cli/heartbeat-csv.ts';

/** The CSV layouts `lifeline heartbeats import` reads. */
describe('heartbeat history CSV', () => {
  it('splits RFC 4180 records: quotes, doubled quotes, CRLF, a BOM and blank lines', () => {
    const records = [...csvRecords('\ufeffa,"b,c"\r\n\r\n"say ""hi""",2\n')];
    expect(records).toEqual([
      { fields: ['a', 'b,c'], line: 1 },
      { fields: ['say "hi"', '2'], line: 3 },
    ]);
    expect(() => [...csvRecords('a,"b\n')]).toThrow('line 1: a quoted field is not closed');
  });

  it('reads ISO 8601 with a zone and Unix seconds or milliseconds, nothing zoneless', () => {
    expect(parseTimestamp('2026-03-10T12:00:00Z')).toBe(Date.UTC(2026, 2, 10, 12));
    expect(parseTimestamp('2026-03-10 13:00:00+01:00')).toBe(Date.UTC(2026, 2, 10, 12));
    expect(parseTimestamp('1773144000')).toBe(Date.UTC(2026, 2, 10, 12));
    expect(parseTimestamp('1773144000.5')).toBe(Date.UTC(2026, 2, 10, 12) + 500);
    expect(parseTimestamp('1773144000000')).toBe(Date.UTC(2026, 2, 10, 12));
    expect(parseTimestamp('2026-03-10 12:00:00')).toBeNull();
    expect(parseTimestamp('yesterday')).toBeNull();
  });

  it('names the series of Prometheus and Datadog columns', () => {
    expect(parseSeriesName('messages_created{region="eu",job="api"}')).toEqual({ metric: 'messages_created', region: 'eu' });
    expect(parseSeriesName('sum:messages.created{env:prod,region:us}.as_count()')).toEqual({ metric: 'messages.created', region: 'us' });
    expect(parseSeriesName('messages-created')).toEqual({ metric: 'messages-created', region: null });
  });

  it('tells the layouts apart, and sums rows into slots by where they start', () => {
    const bucketSeconds = () => 10;
    const long = parseHistoryCsv('value,timestamp,region,metric\n5,2026-03-10T12:00:30Z,eu,m\n7,2026-03-10T12:00:00Z,eu,m\n,2026-03-10T12:01:00Z,eu,m\n', {
      bucketSeconds,
    });
    expect(long.format).toBe('long');
    expect(long.stepSeconds).toBe(30);
    expect(toSlots(long.rows, 60)).toEqual([{ metric: 'm', region: 'eu', at: Date.UTC(2026, 2, 10, 12), value: 12, line: 2 }]);
    const own = parseHistoryCsv(
      'bucket_start,observed,expected\r\n2026-03-10T12:00:00.000Z,10.5,9\r\n2026-03-10T12:15:00.000Z,,9\r\n2026-03-10T12:30:00.000Z,1,1\r\n',
      {
        metric: 'm',
        region: 'us',
        bucketSeconds,
      },
    );
    expect(own.format).toBe('lifeline');
    // 10.5 per 10 s bucket over a 30-minute step (the shortest gap between two counted rows).
    expect(own.rows.map((r) => r.value)).toEqual([10.5 * 180, 180]);
    expect(() => parseHistoryCsv('bucket_start,observed\n', { bucketSeconds })).toThrow('--metric KEY --region KEY');
    const wide = parseHistoryCsv('time,m{region="eu"},m\n1773144000,1,2\n', { region: 'us', bucketSeconds });
    expect(wide.rows.map((r) => [r.metric, r.region, r.value])).toEqual([
      ['m', 'eu', 1],
      ['m', 'us', 2],
    ]);
    expect(() => parseHistoryCsv('time,m\n1773144000,1\n', { bucketSeconds })).toThrow('names no region');
    expect(() => parseHistoryCsv('when,what\n', { bucketSeconds })).toThrow('unknown layout');
  });
});
