-- Webhook and chat subscribers (issue 14). `format` is how a delivery is written: `statuspage`
-- (signed JSON in Statuspage's webhook layout) or a chat tool's message (`slack`, `teams`,
-- `discord`). `secret_box` is the signing secret encrypted with a key derived from the server
-- secret (HERALD_SECRET or <data>/secret.key): it must be recoverable to sign, and a copy of the
-- database alone does not reveal it. `challenge_hash` is the SHA-256 of the one-time code of the
-- verification event; `unsubscribe_hash` the SHA-256 of the token in `meta.unsubscribe`.
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  format TEXT NOT NULL,
  status TEXT NOT NULL,
  follows TEXT NOT NULL DEFAULT 'all',
  secret_box TEXT NOT NULL,
  owner_email TEXT,
  source TEXT NOT NULL,
  challenge_hash TEXT UNIQUE,
  challenge_expires_at TEXT,
  unsubscribe_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  confirmed_at TEXT,
  disabled_at TEXT,
  disabled_reason TEXT,
  failing_since TEXT,
  failure_count INTEGER NOT NULL DEFAULT 0,
  last_attempt_at TEXT,
  last_result TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhooks_status ON webhooks (status, id);

CREATE TABLE webhook_components (
  webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  component_id TEXT NOT NULL,
  PRIMARY KEY (webhook_id, component_id)
);

-- One event (incident update, component change, maintenance, verification), its payload rendered
-- once. `seq` orders events: deliveries to one endpoint go out in this order. `source_key` makes
-- the event unique per what caused it (`update:<id>`, `component:<update id>:<component id>`, …),
-- so two processes making it make it once. `cursor` is the last webhook id expanded: expansion
-- resumes there after a crash. `audience` is JSON {keys} (null: every webhook; `target`: one).
CREATE TABLE hook_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  source_key TEXT NOT NULL UNIQUE,
  incident_id TEXT,
  payload TEXT NOT NULL,
  chat TEXT NOT NULL,
  audience TEXT,
  target_webhook_id TEXT,
  created_at TEXT NOT NULL,
  cursor TEXT NOT NULL DEFAULT '',
  expanded_at TEXT
);
CREATE INDEX hook_events_open ON hook_events (seq) WHERE expanded_at IS NULL;

-- Owed updates (`fanouts`) already turned into events. Those owed before this migration are
-- marked done: subscribers that do not exist yet are not owed the past.
CREATE TABLE hook_sources (
  update_id TEXT PRIMARY KEY,
  at TEXT NOT NULL
);
INSERT INTO hook_sources (update_id, at) SELECT update_id, created_at FROM fanouts;

-- One delivery per (webhook, event): the unique key makes a repeated expansion add nothing.
-- `state`: pending, delivered, failed (given up, or a permanent refusal), skipped (the endpoint
-- was disabled or removed). A claim is `holder` + `lease_until`; every write checks it.
CREATE TABLE hook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  event_seq INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  holder TEXT,
  lease_until TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  status_code INTEGER,
  duration_ms INTEGER,
  error TEXT,
  UNIQUE (webhook_id, event_seq)
);
CREATE INDEX hook_deliveries_due ON hook_deliveries (state, next_attempt_at) WHERE state = 'pending';
CREATE INDEX hook_deliveries_endpoint ON hook_deliveries (webhook_id, state, event_seq);

-- Every attempt, for the admin's "last deliveries" (status code, duration, error).
CREATE TABLE hook_attempts (
  delivery_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  at TEXT NOT NULL,
  status_code INTEGER,
  duration_ms INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX hook_attempts_webhook ON hook_attempts (webhook_id, at);
