-- Indexes the responder console's pages need on a large data set (measured by npm run bench:console).

-- Delivery progress of a notice: counts per (event, channel, state) read from the index alone.
CREATE INDEX delivery_progress ON delivery (event_id, channel, state);

-- The notices (outbox events) about one incident.
CREATE INDEX outbox_event_by_incident ON outbox_event ((payload->>'incident_id'));

-- Subscriber search ("address or URL contains"): trigram indexes where pg_trgm is available
-- (PostgreSQL, Cloud SQL: a trusted extension). Embedded PGlite does not load it; there the search
-- scans the table, which is fine at a single instance's size.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm is not available: subscriber search scans the table';
END $$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    EXECUTE 'CREATE INDEX subscriber_email_trgm ON subscriber USING gin (email gin_trgm_ops) WHERE unsubscribed_at IS NULL';
    EXECUTE 'CREATE INDEX subscriber_url_trgm ON subscriber USING gin (url gin_trgm_ops) WHERE unsubscribed_at IS NULL';
  END IF;
END $$;
