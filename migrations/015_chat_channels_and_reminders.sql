-- Issue 15: Slack, Discord and Microsoft Teams subscribers (incoming-webhook URLs), their deliveries,
-- and maintenance reminders.

-- A chat subscriber's incoming-webhook URL is a credential (whoever holds it can post into the
-- channel): it is kept sealed in `secret` (the app's SecretBox, like a webhook signing secret);
-- `url` holds the same URL with its secret parts elided, for lists and audit; `url_hash` (SHA-256
-- of the full URL in its one spelling) finds a channel already subscribed.
ALTER TABLE subscriber DROP CONSTRAINT subscriber_type_check;
ALTER TABLE subscriber ADD CONSTRAINT subscriber_type_check
  CHECK (type IN ('email', 'webhook', 'slack', 'discord', 'teams')) NOT VALID;
ALTER TABLE subscriber VALIDATE CONSTRAINT subscriber_type_check;
ALTER TABLE subscriber ADD COLUMN url_hash text;
CREATE UNIQUE INDEX subscriber_active_chat ON subscriber (audience, url_hash)
  WHERE type IN ('slack', 'discord', 'teams') AND unsubscribed_at IS NULL;

-- A delivery's channel is its subscriber's type.
ALTER TABLE delivery DROP CONSTRAINT delivery_channel_check;
ALTER TABLE delivery ADD CONSTRAINT delivery_channel_check
  CHECK (channel IN ('email', 'webhook', 'slack', 'discord', 'teams')) NOT VALID;
ALTER TABLE delivery VALIDATE CONSTRAINT delivery_channel_check;

-- The Discord message posted first about an incident, per subscriber: later notices edit it
-- (PATCH .../messages/{id}) so one message in the channel always shows the current state.
CREATE TABLE chat_message (
  incident_id   text NOT NULL REFERENCES incident(id),
  subscriber_id text NOT NULL REFERENCES subscriber(id),
  message_id    text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (incident_id, subscriber_id)
);

-- Maintenance reminders (Statuspage's scheduled_remind_prior): minutes before the window starts
-- (null: no reminder; 1 to 10,080, the schedule-maintenance contract's rule), and when the reminder
-- was sent (set once, in the transaction that queues it).
ALTER TABLE incident ADD COLUMN remind_prior_minutes integer;
ALTER TABLE incident ADD COLUMN reminded_at timestamptz;
-- Maintenances already scheduled get the default reminder, an hour before.
UPDATE incident SET remind_prior_minutes = 60 WHERE kind = 'maintenance' AND status = 'scheduled';
CREATE INDEX incident_reminder_due ON incident (scheduled_for)
  WHERE kind = 'maintenance' AND status = 'scheduled' AND reminded_at IS NULL AND remind_prior_minutes IS NOT NULL;
