import { demoCount } from '../../src/jobs/demo-heartbeats-job.ts';
import type { TestApp } from './app.ts';

/**
 * Imports [from, to) of one series through POST /api/v1/heartbeats/history, 10,000 points per
 * request, with realistic seasonal counts (the demo traffic's daily and weekly shape and noise)
 * unless `value` says otherwise. Throws on any refused request.
 */
export async function importHistory(
  t: TestApp,
  token: string,
  options: { metric: string; region: string; from: number; to: number; resolution?: number; value?: (at: number, seconds: number) => number },
): Promise<number> {
  const resolution = options.resolution ?? 60;
  const value = options.value ?? ((at: number, seconds: number) => demoCount(options.metric, options.region, at, seconds));
  let points: { metric: string; region: string; timestamp: string; value: number }[] = [];
  let sent = 0;
  const send = async () => {
    if (points.length === 0) return;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/heartbeats/history',
      payload: { resolution_seconds: resolution, points },
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.statusCode !== 200) throw new Error(`history import refused: ${response.statusCode} ${response.body}`);
    sent += points.length;
    points = [];
  };
  for (let at = options.from; at < options.to; at += resolution * 1000) {
    points.push({ metric: options.metric, region: options.region, timestamp: new Date(at).toISOString(), value: value(at, resolution) });
    if (points.length === 10_000) await send();
  }
  await send();
  return sent;
}
