/** Matches alarm episodes against known drops: detection delay, misses, false alarms per week. */
import { promisedDelaySeconds } from '../../src/domain/heartbeat/detector.ts';
import type { DetectorConfig } from '../../src/domain/heartbeat/types.ts';
import type { Episode, ReplayResult } from './replay.ts';

export interface Drop {
  readonly kind: string;
  /** When the drop starts (for a slow slide: when it crosses the threshold). */
  readonly onset: number;
  readonly end: number;
  /** The level it drops to, for the promised delay (0 = stop); null when no promise applies (a slide, flapping). */
  readonly dropTo?: number | null;
  /** A gradual drop: the level slides linearly from normal at the onset to (1 - lost) over `seconds`. */
  readonly slide?: { readonly seconds: number; readonly lost: number };
}

/** The level of normal below which the detector calls a window bad: the threshold with its tolerance (0.55 by default). */
export const alarmLevel = (config: DetectorConfig): number => config.threshold * (1 + config.thresholdTolerance);

/** When a sliding drop's level crosses the alarm level; null for a sudden drop or a slide that stays above it. */
function crossingOf(drop: Drop, config: DetectorConfig): number | null {
  if (!drop.slide) return null;
  const below = 1 - alarmLevel(config);
  if (drop.slide.lost < below) return null;
  return drop.onset + drop.slide.seconds * 1000 * (below / drop.slide.lost);
}

/** A period where an alarm is neither required nor false (a brief blip, a spike-labelled window). */
export interface Ignored {
  readonly from: number;
  readonly to: number;
}

interface DropResult {
  readonly drop: Drop;
  readonly episode: Episode | null;
  /** Seconds from onset to the firing tick (negative: already firing at onset); null when missed. */
  readonly delaySeconds: number | null;
  /** For a slide: when its level crossed the alarm level (null: sudden, or never below it). */
  readonly crossing: number | null;
  /** Seconds from `crossing` to the firing tick (negative: fired before the crossing); null when missed or no crossing. */
  readonly crossingDelaySeconds: number | null;
  /** What the detector promises for this drop at the expected level it saw just before onset. */
  readonly promisedSeconds: number | null;
  /** Seconds from the end of the drop to recovery, when it recovered. */
  readonly recoverySeconds: number | null;
}

export interface SeriesScore {
  readonly name: string;
  readonly weeks: number;
  readonly evaluations: number;
  readonly drops: DropResult[];
  readonly falseAlarms: Episode[];
  readonly falseAlarmsPerWeek: number;
  readonly missed: number;
  readonly reopens: number;
  readonly episodes: number;
}

const WEEK_MS = 7 * 86_400_000;
/** An alarm up to this long after a drop ended still counts as its detection (a late one). */
const LATE_MS = 15 * 60_000;

export function score(
  name: string,
  result: ReplayResult,
  config: DetectorConfig,
  options: { from: number; to: number; drops: readonly Drop[]; ignored?: readonly Ignored[] },
): SeriesScore {
  const used = new Set<Episode>();
  const drops = options.drops.map((drop): DropResult => {
    const episode =
      result.episodes.find((e) => e.firedAt >= drop.onset && e.firedAt <= drop.end + LATE_MS) ??
      result.episodes.find((e) => e.firedAt < drop.onset && (e.recoveredAt === null || e.recoveredAt > drop.onset)) ??
      null;
    if (episode) used.add(episode);
    const crossing = crossingOf(drop, config);
    return {
      drop,
      episode,
      delaySeconds: episode ? (episode.firedAt - drop.onset) / 1000 : null,
      crossing,
      crossingDelaySeconds: episode && crossing !== null ? (episode.firedAt - crossing) / 1000 : null,
      promisedSeconds: drop.dropTo === null ? null : promisedDelaySeconds(result.rateAt(drop.onset - 1), config, { dropTo: drop.dropTo ?? 0 }),
      recoverySeconds: episode?.recoveredAt != null ? (episode.recoveredAt - drop.end) / 1000 : null,
    };
  });
  const ignored = options.ignored ?? [];
  const falseAlarms = result.episodes.filter((e) => !used.has(e) && !ignored.some((w) => e.firedAt >= w.from && e.firedAt <= w.to + LATE_MS));
  const weeks = (options.to - options.from) / WEEK_MS;
  return {
    name,
    weeks,
    evaluations: result.evaluations,
    drops,
    falseAlarms,
    falseAlarmsPerWeek: falseAlarms.length / weeks,
    missed: drops.filter((d) => d.episode === null).length,
    reopens: result.episodes.reduce((sum, e) => sum + e.reopens, 0),
    episodes: result.episodes.length,
  };
}
