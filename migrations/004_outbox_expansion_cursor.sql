-- Events are expanded into deliveries in chunks, so the first notices leave while the rest of a
-- large audience is still being written: the last subscriber id expanded so far.
ALTER TABLE outbox_event ADD COLUMN expanded_through text;
