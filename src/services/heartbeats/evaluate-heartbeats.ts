import type { HeartbeatDefinition } from '../../config.ts';
import { SYSTEM_ACTORS } from '../../domain/actor.ts';
import { metricDetectorConfig } from '../../domain/heartbeat/config.ts';
import { evaluate } from '../../domain/heartbeat/detector.ts';
import { historyRanges, pointsHistory } from '../../domain/heartbeat/history.ts';
import type { BaselineMethod, DetectorConfig, DetectorState, Evaluation, Exclusion } from '../../domain/heartbeat/types.ts';
import { weeklyBaselineFrom } from '../../domain/heartbeat/baseline.ts';
import { holidayExclusions } from '../../domain/heartbeat/holidays.ts';
import { formatDateTime, WEEK_MS } from '../../domain/time.ts';
import { insertOutboxEvent } from '../../storage/audit-repository.ts';
import { endEpisode, escalateEpisode, findOpenEpisode, listEpisodes, openEpisode } from '../../storage/heartbeat-episode-repository.ts';
import { listHeartbeatPoints, listRollups, lockDetectorState, saveDetectorState, seriesStart } from '../../storage/heartbeat-repository.ts';
import type { ServiceContext } from '../context.ts';
import { joinTransaction } from '../context.ts';
import { declareIncident } from '../incidents/declare-incident.ts';
import { postIncidentUpdate } from '../incidents/post-incident-update.ts';

const configs = new Map<string, DetectorConfig>();
function configFor(metric: HeartbeatDefinition, timeZone: string): DetectorConfig {
  const key = `${metric.key}|${timeZone}|${metric.bucket_seconds}|${metric.threshold}|${metric.alarm_while_provisional}`;
  let config = configs.get(key);
  if (!config) configs.set(key, (config = metricDetectorConfig(metric, timeZone)));
  return config;
}

/**
 * What /api/v2/heartbeats.json and the charts show for a series. `observed` and `expected` are
 * counts over the window of `window_seconds` the detector judged. `state` is `pending` while a
 * drop has been seen once and awaits confirmation (never `ok` with nothing arriving).
 */
interface SeriesSummary {
  state: 'ok' | 'pending' | 'major' | 'critical' | 'no_baseline';
  observed: number | null;
  expected: number | null;
  window_seconds: number | null;
  since: string | null;
  provisional: boolean;
  /** weekly, daily, recent (the last hours) or none. */
  baseline: BaselineMethod;
  /** Which drops raise an alarm now: all (below the threshold), critical_only (near zero), none. */
  alarms: 'all' | 'critical_only' | 'none';
  /** While provisional: when the weekly baseline (and with it every alarm) starts, if history keeps arriving. */
  weekly_baseline_from: string | null;
  promised_delay_seconds: number | null;
  evaluated_at: string;
}

function summarise(evaluation: Evaluation | null, at: Date, weeklyFrom: number | null): SeriesSummary {
  const weekly_baseline_from = weeklyFrom !== null && weeklyFrom > at.getTime() ? new Date(weeklyFrom).toISOString() : null;
  if (!evaluation || evaluation.baseline === 'none') {
    return {
      state: 'no_baseline',
      observed: evaluation?.observed ?? null,
      expected: null,
      window_seconds: null,
      since: null,
      provisional: true,
      baseline: 'none',
      alarms: 'none',
      weekly_baseline_from,
      promised_delay_seconds: null,
      evaluated_at: at.toISOString(),
    };
  }
  const state = evaluation.status === 'firing' && evaluation.tier ? evaluation.tier : evaluation.status === 'pending' ? 'pending' : 'ok';
  return {
    state,
    observed: evaluation.observed,
    expected: Math.round(evaluation.expected * 100) / 100,
    window_seconds: Math.round((evaluation.windowEnd - evaluation.windowStart) / 1000),
    since: state !== 'ok' && evaluation.since !== null ? new Date(evaluation.since).toISOString() : null,
    provisional: evaluation.provisional,
    baseline: evaluation.baseline,
    alarms: evaluation.muted ? 'none' : evaluation.majorSuppressedBy !== null ? 'critical_only' : 'all',
    weekly_baseline_from: evaluation.provisional ? weekly_baseline_from : null,
    promised_delay_seconds: evaluation.promisedDelaySeconds,
    evaluated_at: at.toISOString(),
  };
}

export interface EvaluateOptions {
  timeZone: string;
  /** Maintenance in progress or recent: left out of baselines, and mutes new alarms. */
  maintenance: Exclusion[];
  /** Local days (YYYY-MM-DD in `timeZone`) left out of baselines; only critical drops alert on them. */
  holidays?: string[];
  /** For the chart link in alerts. */
  publicUrl?: string;
}

// A pure rule, shared with the chart's read model; re-exported for the callers that take it from here.
export { holidayExclusions };

/**
 * One detector tick over every declared series: loads what the evaluation reads (raw buckets for
 * the last day, 1-minute roll-ups for past weeks), evaluates, and acts on a transition in the same
 * transaction: an automatic notice opens (the page says "we know"), escalates, or closes; the
 * episode is recorded (charts shade it, later baselines leave it out) and the metric's responders
 * are alerted through the outbox. After a responder dismissed or took over an episode the series
 * stays quiet until it recovers.
 */
export async function evaluateHeartbeats(
  ctx: ServiceContext,
  metrics: HeartbeatDefinition[],
  options: EvaluateOptions,
): Promise<{ series: number; transitions: string[] }> {
  const transitions: string[] = [];
  const holidays = holidayExclusions(options.holidays ?? [], options.timeZone);
  let series = 0;
  for (const metric of metrics) {
    const config = configFor(metric, options.timeZone);
    for (const region of metric.regions) {
      series += 1;
      const key = { metric: metric.key, region };
      const now = ctx.clock.now();
      await ctx.db.transaction(async (tx) => {
        const row = await lockDetectorState(tx, key, now);
        const start = await seriesStart(tx, key);
        if (!start) {
          await saveDetectorState(tx, { ...row, summary: summarise(null, now, null) as unknown as Record<string, unknown> }, now);
          return;
        }
        const previous = row.state as DetectorState | null;
        const ranges = historyRanges(now.getTime(), config, { since: previous?.since ?? null });
        const recent = await listHeartbeatPoints(tx, key, new Date(ranges.recent.from), new Date(ranges.recent.to));
        const past: { bucket: Date; value: number }[] = [];
        for (const range of ranges.past) {
          const to = Math.min(range.to, ranges.recent.from);
          if (to > range.from) past.push(...(await listRollups(tx, key, new Date(range.from), new Date(to))));
        }
        const history = pointsHistory(
          [...past, ...recent].map((p) => ({ bucket: new Date(p.bucket), count: Number(p.value) })),
          { since: start },
        );
        // Past episodes (outages and false alarms alike) must not pull the baseline down.
        const lookback = new Date(now.getTime() - (config.baseline.lookbackWeeks + 1) * WEEK_MS);
        const episodes = (await listEpisodes(tx, key, lookback, now))
          .filter((e) => e.ended_at !== null)
          .map((e) => ({ from: e.started_at.getTime(), to: (e.ended_at as Date).getTime(), reason: 'incident' as const }));
        const exclusions = [...options.maintenance, ...holidays, ...episodes];
        const evaluation = evaluate(previous, { now: now.getTime(), history, exclusions }, config);
        let incidentId = row.incident_id;
        let muted = row.muted_until_recovery;
        const sub = { ...ctx, db: joinTransaction(tx), actor: SYSTEM_ACTORS.heartbeat };
        // The notice is public: an internal series (public: false) is named by its region only, never by its label.
        const named = metric.public !== false;
        const where = named ? `${metric.label} in ${region.toUpperCase()}` : region.toUpperCase();
        const notify = metric.notify_subscribers ?? false;
        const alert = (type: string) =>
          insertOutboxEvent(tx, {
            type,
            at: now,
            payload: {
              metric: metric.key,
              region,
              label: metric.label,
              tier: evaluation.tier,
              no_data: evaluation.noData,
              since: evaluation.since !== null ? new Date(evaluation.since).toISOString() : null,
              observed: evaluation.observed,
              expected: Math.round(evaluation.expected * 100) / 100,
              window_seconds: Math.round((evaluation.windowEnd - evaluation.windowStart) / 1000),
              incident_id: incidentId,
              reopened: evaluation.reopened,
              // Internal metrics have no public chart.
              chart_url:
                options.publicUrl && metric.public !== false
                  ? `${options.publicUrl}/heartbeat/${encodeURIComponent(metric.key)}/${encodeURIComponent(region)}`
                  : null,
            },
          });
        if (evaluation.transition === 'fired' || (evaluation.transition === 'escalated' && !incidentId && !muted)) {
          const since = formatDateTime(new Date(evaluation.since ?? now.getTime()), options.timeZone);
          const what = evaluation.noData
            ? `have received no ${named ? `${metric.label.toLowerCase()} ` : ''}data from ${region.toUpperCase()} since ${since}`
            : `are seeing reduced activity in ${region.toUpperCase()}${named ? ` for ${metric.label.toLowerCase()}` : ''} since ${since}`;
          const incident = await declareIncident(
            sub,
            {
              name: `Reduced activity: ${where}`,
              status: 'investigating',
              impact: evaluation.tier === 'critical' ? 'critical' : 'major',
              body: `We ${what} and are investigating. This notice was posted automatically when the signal dropped; a responder will follow up.`,
              deliver_notifications: notify,
            },
            { source: 'heartbeat' },
          );
          incidentId = incident.id;
          muted = false;
          const open = await findOpenEpisode(tx, key);
          if (!open) await openEpisode(tx, key, { startedAt: new Date(evaluation.since ?? now.getTime()), tier: evaluation.tier ?? 'major', incidentId });
          await alert('heartbeat.fired');
          transitions.push(`fired:${metric.key}:${region}`);
        } else if (evaluation.transition === 'escalated') {
          const open = await findOpenEpisode(tx, key);
          if (open) await escalateEpisode(tx, open.id, 'critical');
          if (!muted) {
            if (incidentId) {
              await postIncidentUpdate(sub, incidentId, {
                body: `Activity in ${region.toUpperCase()}${named ? ` for ${metric.label.toLowerCase()}` : ''} has dropped further. We are investigating.`,
                impact: 'critical',
                deliver_notifications: notify,
              }).catch(() => null);
            }
            await alert('heartbeat.escalated');
          }
          transitions.push(`escalated:${metric.key}:${region}`);
        } else if (evaluation.transition === 'recovered') {
          const open = await findOpenEpisode(tx, key);
          if (open) await endEpisode(tx, open.id, now);
          if (incidentId) {
            // A responder may have resolved it meanwhile; only close what is still open.
            await postIncidentUpdate(sub, incidentId, {
              status: 'resolved',
              body: `Activity has returned to normal ${named ? 'for' : 'in'} ${where}. This notice was closed automatically.`,
              deliver_notifications: notify,
            }).catch(() => null);
          }
          // A dismissed false alarm ends quietly; an incident a responder took over hears the signal is back.
          if (open?.outcome !== 'dismissed') await alert('heartbeat.recovered');
          incidentId = null;
          muted = false;
          transitions.push(`recovered:${metric.key}:${region}`);
        }
        await saveDetectorState(
          tx,
          {
            ...row,
            state: evaluation.state,
            summary: summarise(evaluation, now, weeklyBaselineFrom(start.getTime(), config)) as unknown as Record<string, unknown>,
            incident_id: incidentId,
            muted_until_recovery: muted,
          },
          now,
        );
      });
    }
  }
  return { series, transitions };
}
