-- A scheduled maintenance can be called off before it begins (issue 13). It ends as `completed`,
-- the status Statuspage's clients know for a maintenance that is over; cancelled_at says it never
-- took place, so the calendar (/maintenances.ics) marks its event STATUS:CANCELLED and the notice
-- says "cancelled". Only services/maintenances/cancel-maintenance.ts sets it (on a maintenance it
-- completes in the same transaction); no CHECK says so, as scripts/gen-db-types.mjs reads CHECKs
-- as value lists only.
ALTER TABLE incident ADD COLUMN cancelled_at timestamptz;
