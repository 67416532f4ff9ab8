CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  impact TEXT NOT NULL,
  impact_override INTEGER NOT NULL DEFAULT 0,
  visibility TEXT NOT NULL,
  roles TEXT NOT NULL DEFAULT '{}',
  business_impact TEXT,
  eta TEXT,
  started_at TEXT NOT NULL,
  detected_at TEXT,
  acknowledged_at TEXT,
  resolved_at TEXT,
  monitoring_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX incidents_status ON incidents (status, started_at);
CREATE INDEX incidents_started ON incidents (started_at);

CREATE TABLE incident_components (
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  component_id TEXT NOT NULL,
  status TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (incident_id, component_id)
);
CREATE INDEX incident_components_component ON incident_components (component_id);

CREATE TABLE updates (
  id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  seq INTEGER NOT NULL,
  status TEXT NOT NULL,
  message TEXT NOT NULL,
  notify INTEGER NOT NULL,
  display_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  author TEXT NOT NULL,
  UNIQUE (incident_id, seq)
);
CREATE INDEX updates_display ON updates (display_at);

CREATE TABLE update_components (
  update_id TEXT NOT NULL REFERENCES updates (id),
  component_id TEXT NOT NULL,
  old_status TEXT,
  new_status TEXT NOT NULL,
  PRIMARY KEY (update_id, component_id)
);
CREATE INDEX update_components_component ON update_components (component_id);

CREATE TABLE component_status (
  component_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT,
  last_used_at TEXT,
  revoked_at TEXT
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT,
  details TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE idempotency_keys (
  key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  status INTEGER,
  response TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, idempotency_key)
);
