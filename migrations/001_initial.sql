-- Lifeline schema. Plain PostgreSQL: the same file runs on embedded PGlite and on a server.

CREATE TABLE page (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  url         text NOT NULL,
  time_zone   text NOT NULL DEFAULT 'Etc/UTC',
  -- bumped by every change visible on the public page; instances compare it to catch missed NOTIFYs
  revision    bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE component_group (
  id          text PRIMARY KEY,
  page_id     text NOT NULL REFERENCES page(id),
  key         text NOT NULL UNIQUE,
  name        text NOT NULL,
  description text,
  position    integer NOT NULL,
  archived_at timestamptz,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE component (
  id                    text PRIMARY KEY,
  page_id               text NOT NULL REFERENCES page(id),
  group_id              text REFERENCES component_group(id),
  key                   text NOT NULL UNIQUE,
  name                  text NOT NULL,
  description           text,
  position              integer NOT NULL,
  status                text NOT NULL DEFAULT 'operational',
  showcase              boolean NOT NULL DEFAULT true,
  only_show_if_degraded boolean NOT NULL DEFAULT false,
  start_date            date,
  archived_at           timestamptz,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);

-- History of component statuses: the source of the uptime bars.
CREATE TABLE component_status_change (
  id           bigserial PRIMARY KEY,
  component_id text NOT NULL REFERENCES component(id),
  status       text NOT NULL,
  changed_at   timestamptz NOT NULL,
  incident_id  text
);
CREATE INDEX component_status_change_by_component ON component_status_change (component_id, changed_at);

-- Incidents and scheduled maintenances share one table and one update timeline, as in Statuspage.
CREATE TABLE incident (
  id                 text PRIMARY KEY,
  page_id            text NOT NULL REFERENCES page(id),
  kind               text NOT NULL CHECK (kind IN ('incident', 'maintenance')),
  name               text NOT NULL,
  status             text NOT NULL,
  impact             text NOT NULL,
  source             text NOT NULL DEFAULT 'responder',
  postmortem_url     text,
  scheduled_for      timestamptz,
  scheduled_until    timestamptz,
  auto_start         boolean NOT NULL DEFAULT false,
  auto_complete      boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  started_at         timestamptz NOT NULL,
  monitoring_at      timestamptz,
  resolved_at        timestamptz
);
CREATE INDEX incident_by_kind_started ON incident (kind, started_at DESC);
CREATE INDEX incident_unresolved ON incident (kind) WHERE resolved_at IS NULL;

CREATE TABLE incident_component (
  incident_id  text NOT NULL REFERENCES incident(id),
  component_id text NOT NULL REFERENCES component(id),
  PRIMARY KEY (incident_id, component_id)
);

CREATE TABLE incident_update (
  id                    text PRIMARY KEY,
  -- insertion order: breaks ties between updates displayed at the same instant
  seq                   bigserial NOT NULL,
  incident_id           text NOT NULL REFERENCES incident(id),
  status                text NOT NULL,
  body                  text NOT NULL,
  -- [{code, name, old_status, new_status}] as Statuspage shows them
  affected_components   jsonb NOT NULL DEFAULT '[]',
  deliver_notifications boolean NOT NULL DEFAULT true,
  created_by            text NOT NULL,
  created_at            timestamptz NOT NULL,
  display_at            timestamptz NOT NULL
);
CREATE INDEX incident_update_by_incident ON incident_update (incident_id, display_at);

CREATE TABLE api_token (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  prefix       text NOT NULL UNIQUE,
  -- SHA-256 of the whole token: tokens are 32 random bytes, so a fast hash is enough
  hash         text NOT NULL UNIQUE,
  scopes       jsonb NOT NULL,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  target_type text NOT NULL,
  target_id   text,
  details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_at ON audit_log (at DESC);

-- Written in the same transaction as the change it announces; the dispatcher (notifications) consumes it.
CREATE TABLE outbox_event (
  id            bigserial PRIMARY KEY,
  type          text NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL,
  dispatched_at timestamptz
);
CREATE INDEX outbox_event_pending ON outbox_event (id) WHERE dispatched_at IS NULL;

-- Replays of POSTs with the same Idempotency-Key return the first response.
CREATE TABLE idempotency_key (
  actor           text NOT NULL,
  key             text NOT NULL,
  request_hash    text NOT NULL,
  response_status integer NOT NULL,
  response_body   jsonb NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (actor, key)
);
