-- A deleted incident or maintenance (Statuspage's DELETE /pages/{id}/incidents/{id}, the API's
-- DELETE /api/v1/incidents/{id}) leaves every public document, list and notice, but its row stays:
-- its updates, the outbox events and deliveries that name it, and the audit log keep pointing at
-- something, and an operator can see what was removed and by whom.
ALTER TABLE incident ADD COLUMN deleted_at timestamptz;

-- The open-incident lists never show a deleted one, so their index leaves them out too.
DROP INDEX incident_unresolved;
CREATE INDEX incident_unresolved ON incident (kind) WHERE resolved_at IS NULL AND deleted_at IS NULL;
