-- Subscribers and the deliveries fanned out to them.

-- Secrets the instances share (e.g. the key that signs subscriber links), created on first start.
CREATE TABLE app_secret (
  name       text PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE subscriber (
  id                   text PRIMARY KEY,
  type                 text NOT NULL CHECK (type IN ('email', 'webhook')),
  -- the address for email subscribers; the owner's address (if any) for webhooks
  email                text,
  url                  text,
  -- Standard Webhooks secret (whsec_...): needed in clear to sign each delivery
  secret               text,
  all_components       boolean NOT NULL DEFAULT true,
  component_ids        jsonb NOT NULL DEFAULT '[]',
  source               text NOT NULL DEFAULT 'api',
  confirmed_at         timestamptz,
  confirmation_sent_at timestamptz,
  suppressed_at        timestamptz,
  suppressed_reason    text,
  disabled_at          timestamptz,
  disabled_reason      text,
  -- when consecutive webhook failures began; cleared by a success (auto-disable after days of it)
  failing_since        timestamptz,
  unsubscribed_at      timestamptz,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL
);
CREATE UNIQUE INDEX subscriber_active_email ON subscriber (lower(email)) WHERE type = 'email' AND unsubscribed_at IS NULL;
CREATE UNIQUE INDEX subscriber_active_url ON subscriber (url) WHERE type = 'webhook' AND unsubscribed_at IS NULL;

-- One row per (event, subscriber, channel): the claim that makes a redelivered batch send nothing twice.
CREATE TABLE delivery (
  id              bigserial PRIMARY KEY,
  event_id        bigint NOT NULL REFERENCES outbox_event(id),
  subscriber_id   text NOT NULL REFERENCES subscriber(id),
  channel         text NOT NULL,
  -- pending (waiting, incl. between retries) -> sending (claimed) -> sent | dead
  state           text NOT NULL DEFAULT 'pending',
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  published_at    timestamptz,
  claimed_at      timestamptz,
  sent_at         timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL,
  UNIQUE (event_id, subscriber_id, channel)
);
CREATE INDEX delivery_due ON delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX delivery_claimed ON delivery (claimed_at) WHERE state = 'sending';
CREATE INDEX delivery_by_event ON delivery (event_id, state);
CREATE INDEX delivery_dead ON delivery (id) WHERE state = 'dead';
