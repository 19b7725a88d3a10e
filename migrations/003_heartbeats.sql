-- Heartbeats: counts per (metric, region, bucket) pushed by the product.

-- Raw buckets (kept 48 h). A repeated push for the same bucket replaces the value.
CREATE TABLE heartbeat_point (
  metric      text NOT NULL,
  region      text NOT NULL,
  bucket      timestamptz NOT NULL,
  value       double precision NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (metric, region, bucket)
);

-- Roll-ups: 1-minute buckets for 90 days, 1-hour beyond.
CREATE TABLE heartbeat_rollup (
  metric     text NOT NULL,
  region     text NOT NULL,
  resolution text NOT NULL CHECK (resolution IN ('1m', '1h')),
  bucket     timestamptz NOT NULL,
  value      double precision NOT NULL,
  samples    integer NOT NULL,
  PRIMARY KEY (metric, region, resolution, bucket)
);

-- The detector's state machine per series, so a restart or another instance carries on.
CREATE TABLE detector_state (
  metric      text NOT NULL,
  region      text NOT NULL,
  state       jsonb NOT NULL,
  -- what the last evaluation saw, for /api/v2/heartbeats.json and the charts
  summary     jsonb NOT NULL DEFAULT '{}',
  -- the automatic notice open for this series, if any
  incident_id text,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (metric, region)
);
