/**
 * Types of the heartbeat drop detector. Times are epoch milliseconds (`Date.getTime()`), so the
 * state is plain JSON and the hot loop allocates no Dates.
 */

/** Severity of a drop: critical below 0.1 of expected (or no data), major below the threshold. */
export type Tier = 'major' | 'critical';

/** Where the expected value came from; anything but `weekly` is provisional (cold start). */
export type BaselineMethod = 'weekly' | 'daily' | 'recent' | 'none';

/**
 * Counts of one series (metric × region) per bucket, as the store holds them. A bucket without a
 * push counts as 0; ranges before `since` are unknown (no history yet), not zero.
 */
export interface CountHistory {
  /** Earliest instant the history covers (the series' first bucket, or the retention horizon). */
  readonly since: number;
  /** Sum of the counts of the buckets starting in [from, to). */
  count(from: number, to: number): number;
  /** How many buckets starting in [from, to) received a push (even a push of 0). */
  pushes(from: number, to: number): number;
}

/**
 * A time range the caller declares. Every kind is left out of the baseline history; at
 * evaluation time `maintenance` mutes new alarms and `holiday` pages only the critical tier.
 * Pass past alarm episodes as `incident` so that an outage does not lower the next weeks' baseline.
 */
export interface Exclusion {
  readonly from: number;
  readonly to: number;
  readonly reason: 'holiday' | 'maintenance' | 'incident';
}

interface BaselineConfig {
  /** Weeks whose same time-of-week is medianed (4). */
  readonly weeks: number;
  /**
   * Fewer usable weeks than this (3: a median of 3 ignores one odd week, a "median" of 2 is a
   * mean) falls back to the daily, then the recent baseline, both provisional.
   */
  readonly minWeeks: number;
  /** How far back to look for `weeks` usable (not excluded) weeks (6): the history to keep. */
  readonly lookbackWeeks: number;
  /** Each past window is widened by this much on both sides, then scaled back (300 s). */
  readonly smoothingSeconds: number;
  /** Daily fallback: median of the same time of day on up to this many days of the same day type (5)... */
  readonly days: number;
  /** ...needing at least this many (3)... */
  readonly minDays: number;
  /** ...found within this many days back (14). */
  readonly lookbackDays: number;
  /** Recent fallback: the mean level over this many hours before the window (2). */
  readonly recentHours: number;
  /**
   * The weekly median is scaled by the recent level: observed / expected over this many hours
   * before the window (2; 0 turns it off), clamped to `levelClamp` ([0.8, 1.1]). Lowering absorbs
   * a quieter season (January after December); raising needs both hours to agree, so a news burst
   * or a campaign does not make the return to normal look like a drop. An open episode's own
   * period is never used, so an outage is not learnt.
   */
  readonly levelHours: number;
  readonly levelClamp: readonly [low: number, high: number];
  /**
   * Reads of past days and weeks cover whole multiples of this (60 s), so the store can answer
   * them from 1-minute roll-ups; only the last 25 hours are read bucket by bucket.
   */
  readonly pastResolutionSeconds: number;
  /** IANA zone whose wall clock defines "same time of week" and weekends ('UTC'). */
  readonly timeZone: string;
}

export interface DetectorConfig {
  /** Bucket length of the series (10 s). */
  readonly bucketSeconds: number;
  /** A bucket is closed (late pushes included) this long after its end (5 s). */
  readonly graceSeconds: number;
  /** Major tier: observed below this fraction of expected (0.5). */
  readonly threshold: number;
  /** Critical tier: observed below this fraction of expected (0.1). */
  readonly criticalThreshold: number;
  /** Recovery: observed at or above this fraction of expected (0.8). */
  readonly recoverThreshold: number;
  /**
   * Relative tolerance on the ratio gates (0.1: major below 0.55, critical below 0.11). Counting
   * noise and the baseline's own error (a day running 4% above its weeks) would otherwise make a
   * drop of exactly half fire one evaluation in two. Significance is still required on top.
   */
  readonly thresholdTolerance: number;
  /** Poisson lower-tail significance per evaluation (1e-6), shared by the windows it tries (Bonferroni). */
  readonly alpha: number;
  /**
   * Bad evaluations to fire (2; one in between that is not back at the recovery level is
   * tolerated), and critical ones in a row to escalate a major episode.
   */
  readonly fireAfter: number;
  /** Consecutive good evaluations to recover (3). */
  readonly recoverAfter: number;
  /** Shortest window recovery is judged on (30 s). */
  readonly minWindowSeconds: number;
  /** Longest window a quiet series aggregates to reach significance (3600 s). */
  readonly maxWindowSeconds: number;
  /** A fire this soon after a recovery is the same episode, reported as `reopened` (600 s). */
  readonly reopenWithinSeconds: number;
  /** Whether a provisional (cold start) baseline may raise the major tier (false). */
  readonly majorWhenProvisional: boolean;
  readonly baseline: BaselineConfig;
}

export type DetectorConfigInput = Partial<Omit<DetectorConfig, 'baseline'>> & { readonly baseline?: Partial<BaselineConfig> };

/** The expected count for one window. */
export interface Baseline {
  readonly expected: number;
  readonly method: BaselineMethod;
  readonly provisional: boolean;
  /** How many weeks or days were medianed (0 for recent / none). */
  readonly samples: number;
}

/** Per-series detector state: persist it as JSON between evaluations (detector_state row). */
export interface DetectorState {
  readonly version: 1;
  readonly status: 'ok' | 'pending' | 'firing';
  /** Alarm tier while firing. */
  readonly tier: Tier | null;
  /**
   * Bad evaluations in the current episode (major or worse / critical in a row). A pending
   * episode is dropped by an evaluation back at the recovery level, or after `fireAfter`
   * evaluations that are not bad; a firing major one escalates after `fireAfter` critical ones.
   */
  readonly badEvaluations: number;
  readonly criticalEvaluations: number;
  /** Evaluations since the last bad one while pending (pending lapses after `fireAfter` of them). */
  readonly missedEvaluations: number;
  /** Consecutive good evaluations while firing. */
  readonly goodEvaluations: number;
  /** Estimated onset of the current pending or firing episode. */
  readonly since: number | null;
  /** End of the last evaluated window; a repeat of it changes nothing. */
  readonly lastWindowEnd: number | null;
  /** When the last episode recovered, and when it had started (to reopen it on a flap). */
  readonly lastRecoveredAt: number | null;
  readonly lastEpisodeSince: number | null;
}

export interface DetectorInput {
  /** Evaluation instant (ms). The window ends at the last bucket closed by `now - grace`. */
  readonly now: number;
  readonly history: CountHistory;
  readonly exclusions?: readonly Exclusion[];
}

export type Transition = 'fired' | 'escalated' | 'recovered';

export interface Evaluation {
  readonly state: DetectorState;
  readonly transition?: Transition;
  /** With `fired`: the previous episode recovered less than `reopenWithinSeconds` ago; reopen its notice rather than page again. */
  readonly reopened: boolean;
  readonly status: DetectorState['status'];
  /** Alarm tier while firing, else null. */
  readonly tier: Tier | null;
  /** What this evaluation alone saw (before persistence). */
  readonly signal: Tier | null;
  /** Counts over the window judged (the triggering window when bad, the recovery window otherwise). */
  readonly observed: number;
  readonly expected: number;
  readonly ratio: number | null;
  /** ln P(X ≤ observed | expected) (quasi-Poisson when dispersion > 1), when the window was tested. */
  readonly logPValue: number | null;
  /** Burstiness (variance / mean) the test allowed for, when the window was tested; 1 = Poisson. */
  readonly dispersion: number | null;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** No push at all in the judged window ("no data received since ..."). */
  readonly noData: boolean;
  /** Onset of the current episode (or of the reopened one). */
  readonly since: number | null;
  readonly baseline: BaselineMethod;
  readonly provisional: boolean;
  /** Recent-level factor the weekly median was scaled by. */
  readonly level: number;
  /** Why the major tier was not available this time, if it was not. */
  readonly majorSuppressedBy: 'maintenance' | 'holiday' | 'provisional' | null;
  /** Maintenance in progress: no new alarm is raised. */
  readonly muted: boolean;
  /** The window end was already evaluated; the state is returned unchanged. */
  readonly repeated: boolean;
  /** Expected events per second now (from the recovery window), the level the promise is for. */
  readonly expectedPerSecond: number;
  /**
   * Seconds from the onset of a complete stop (at a bucket boundary) to `fired` at the current
   * expected level, with 10% headroom; null when even the longest window cannot reach
   * significance. For a Poisson-like series: a bursty one (dispersion > 1) can take up to that
   * factor longer.
   */
  readonly promisedDelaySeconds: number | null;
}
