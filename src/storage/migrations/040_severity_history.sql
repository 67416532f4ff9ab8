-- Every severity an incident has had, from when: metrics and adherence judge each moment by the
-- severity in force then, not today's. Incidents so far have had their current severity since
-- they started (no history was kept).
CREATE TABLE severity_changes (
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  at TEXT NOT NULL,
  severity TEXT NOT NULL
);
CREATE INDEX severity_changes_incident ON severity_changes (incident_id, at);
INSERT INTO severity_changes (incident_id, at, severity) SELECT id, started_at, severity FROM incidents;
