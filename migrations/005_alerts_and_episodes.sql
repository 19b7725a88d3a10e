-- Responder alert recipients (from the page definition's `alert:`) reuse the subscriber and
-- delivery machinery (retries, dead letters, signing) but never receive public notices.
ALTER TABLE subscriber ADD COLUMN audience text NOT NULL DEFAULT 'public' CHECK (audience IN ('public', 'responder'));
-- for responder recipients: the heartbeat metrics whose alarms they receive
ALTER TABLE subscriber ADD COLUMN alert_metrics jsonb NOT NULL DEFAULT '[]';
DROP INDEX subscriber_active_email;
DROP INDEX subscriber_active_url;
CREATE UNIQUE INDEX subscriber_active_email ON subscriber (audience, lower(email)) WHERE type = 'email' AND unsubscribed_at IS NULL;
CREATE UNIQUE INDEX subscriber_active_url ON subscriber (audience, url) WHERE type = 'webhook' AND unsubscribed_at IS NULL;

-- Alarm episodes per series: shaded on the charts and left out of future baselines.
CREATE TABLE heartbeat_episode (
  id          bigserial PRIMARY KEY,
  metric      text NOT NULL,
  region      text NOT NULL,
  started_at  timestamptz NOT NULL,
  -- null while the series is still below normal
  ended_at    timestamptz,
  -- worst tier seen: major | critical
  tier        text NOT NULL,
  incident_id text,
  -- open (null), recovered, dismissed (false alarm), converted (a responder took it over)
  outcome     text CHECK (outcome IN ('recovered', 'dismissed', 'converted')),
  decided_by  text,
  decided_at  timestamptz
);
CREATE INDEX heartbeat_episode_series ON heartbeat_episode (metric, region, started_at);

-- After a dismissal or a take-over the detector stays quiet for the series until it recovers.
ALTER TABLE detector_state ADD COLUMN muted_until_recovery boolean NOT NULL DEFAULT false;
