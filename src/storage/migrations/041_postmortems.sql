-- The post-incident review of an incident (one per incident) and its action items. Lists are JSON
-- arrays of text. `internal_notes` and action item owners never leave the management API.
CREATE TABLE postmortems (
  incident_id TEXT PRIMARY KEY REFERENCES incidents (id),
  summary TEXT NOT NULL DEFAULT '',
  root_cause TEXT NOT NULL DEFAULT '',
  root_cause_category TEXT,
  contributing_factors TEXT NOT NULL DEFAULT '[]',
  impact TEXT NOT NULL DEFAULT '',
  what_went_well TEXT NOT NULL DEFAULT '[]',
  what_could_improve TEXT NOT NULL DEFAULT '[]',
  internal_notes TEXT NOT NULL DEFAULT '',
  completed_at TEXT,
  published_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX postmortems_category ON postmortems (root_cause_category);

CREATE TABLE action_items (
  id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  position INTEGER NOT NULL,
  title TEXT NOT NULL,
  owner TEXT,
  priority TEXT NOT NULL,
  due_date TEXT,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX action_items_incident ON action_items (incident_id, position);
CREATE INDEX action_items_due ON action_items (state, due_date);
