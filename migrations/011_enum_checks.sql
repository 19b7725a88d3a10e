-- The text columns that hold a fixed vocabulary say so: the database refuses any other value, and
-- scripts/gen-db-types.mjs reads these CHECKs to type the columns as unions (src/domain/status.ts and
-- src/domain/model.ts hold the same lists). Each is added NOT VALID, then validated: the rows stored
-- before are checked once, and a value outside the list stops the migration rather than hiding.

-- src/domain/status.ts COMPONENT_STATUSES
ALTER TABLE component ADD CONSTRAINT component_status_check
  CHECK (status IN ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')) NOT VALID;
ALTER TABLE component VALIDATE CONSTRAINT component_status_check;
ALTER TABLE component_status_change ADD CONSTRAINT component_status_change_status_check
  CHECK (status IN ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')) NOT VALID;
ALTER TABLE component_status_change VALIDATE CONSTRAINT component_status_change_status_check;

-- Incidents and maintenances share the table: INCIDENT_STATUSES, then MAINTENANCE_STATUSES; IMPACTS.
ALTER TABLE incident ADD CONSTRAINT incident_status_check
  CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem', 'scheduled', 'in_progress', 'verifying', 'completed')) NOT VALID;
ALTER TABLE incident VALIDATE CONSTRAINT incident_status_check;
ALTER TABLE incident ADD CONSTRAINT incident_impact_check
  CHECK (impact IN ('none', 'minor', 'major', 'critical', 'maintenance')) NOT VALID;
ALTER TABLE incident VALIDATE CONSTRAINT incident_impact_check;
ALTER TABLE incident ADD CONSTRAINT incident_source_check
  CHECK (source IN ('responder', 'heartbeat')) NOT VALID;
ALTER TABLE incident VALIDATE CONSTRAINT incident_source_check;
ALTER TABLE incident_update ADD CONSTRAINT incident_update_status_check
  CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem', 'scheduled', 'in_progress', 'verifying', 'completed')) NOT VALID;
ALTER TABLE incident_update VALIDATE CONSTRAINT incident_update_status_check;

-- Templates declare incidents: INCIDENT_STATUSES; impact null means "computed from the components".
ALTER TABLE incident_template ADD CONSTRAINT incident_template_status_check
  CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem')) NOT VALID;
ALTER TABLE incident_template VALIDATE CONSTRAINT incident_template_status_check;
ALTER TABLE incident_template ADD CONSTRAINT incident_template_impact_check
  CHECK (impact IN ('none', 'minor', 'major', 'critical', 'maintenance')) NOT VALID;
ALTER TABLE incident_template VALIDATE CONSTRAINT incident_template_impact_check;

-- pending (waiting, incl. between retries) -> sending (claimed) -> sent | dead
ALTER TABLE delivery ADD CONSTRAINT delivery_state_check
  CHECK (state IN ('pending', 'sending', 'sent', 'dead')) NOT VALID;
ALTER TABLE delivery VALIDATE CONSTRAINT delivery_state_check;
ALTER TABLE delivery ADD CONSTRAINT delivery_channel_check
  CHECK (channel IN ('email', 'webhook')) NOT VALID;
ALTER TABLE delivery VALIDATE CONSTRAINT delivery_channel_check;

ALTER TABLE subscriber ADD CONSTRAINT subscriber_source_check
  CHECK (source IN ('public', 'api', 'import')) NOT VALID;
ALTER TABLE subscriber VALIDATE CONSTRAINT subscriber_source_check;

-- src/domain/heartbeat/types.ts Tier
ALTER TABLE heartbeat_episode ADD CONSTRAINT heartbeat_episode_tier_check
  CHECK (tier IN ('major', 'critical')) NOT VALID;
ALTER TABLE heartbeat_episode VALIDATE CONSTRAINT heartbeat_episode_tier_check;
