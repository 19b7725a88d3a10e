-- What was brought over from another status service, by its id there. A re-run of the importer finds
-- what it already copied (nothing is written twice), and the Statuspage door (/v1) takes the old
-- ids as aliases, so a tool configured with them before the move keeps working.
CREATE TABLE imported_record (
  source      text NOT NULL CHECK (source IN ('statuspage')),
  -- the page it came from, as the source names it
  source_page text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('component_group', 'component', 'incident', 'incident_update', 'incident_template', 'subscriber')),
  source_id   text NOT NULL,
  -- the Lifeline row it became (the same id when it was free)
  target_id   text NOT NULL,
  imported_at timestamptz NOT NULL,
  PRIMARY KEY (source, kind, source_id)
);
-- The /v1 door resolves an id it does not know by its source id.
CREATE INDEX imported_record_by_source_id ON imported_record (source_id);
