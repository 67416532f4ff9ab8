-- The mail outbox: every email is stored here before any is sent. `dedupe_key` names the logical
-- message (enqueueing it twice is a no-op); `claimed_by`/`claimed_until` are the sender's lease.
CREATE TABLE mail_outbox (
  id TEXT PRIMARY KEY,
  dedupe_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  to_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  headers TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_by TEXT,
  claimed_until TEXT,
  batch_key TEXT,
  provider_id TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  failed_at TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_batch ON mail_outbox (batch_key);

-- One row per cadence notice actually decided: the primary key is what makes "exactly once per
-- overdue window" hold across processes and restarts. `window_key` is the window's start (the
-- last public update) for cadence notices, and the severity for executive notices.
CREATE TABLE cadence_notices (
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  window_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  recipients TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (incident_id, window_key, kind)
);

-- Named leases so only one process runs a periodic job at a time.
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  until TEXT NOT NULL
);
