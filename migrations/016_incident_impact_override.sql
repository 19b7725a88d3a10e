-- The impact a responder or tool chose instead of the one computed from the component statuses
-- (Statuspage's `impact_override`; the native API's explicit `impact`). Null: the impact was computed.
ALTER TABLE incident ADD COLUMN impact_override text;
ALTER TABLE incident ADD CONSTRAINT incident_impact_override_check
  CHECK (impact_override IN ('none', 'minor', 'major', 'critical'));
