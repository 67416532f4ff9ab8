-- Scheduled maintenance (issue 11). `status`: scheduled, in_progress, verifying, completed,
-- cancelled. `notify` is JSON {scheduled, reminder, started, completed}: which subscriber emails
-- this maintenance sends. `sequence` is the iCalendar SEQUENCE: bumped whenever the window moves
-- or the maintenance is cancelled, so calendars replace the event instead of adding one.
CREATE TABLE maintenances (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  scheduled_for TEXT NOT NULL,
  scheduled_until TEXT NOT NULL,
  auto_start INTEGER NOT NULL,
  auto_complete INTEGER NOT NULL,
  notify TEXT NOT NULL,
  started_at TEXT,
  completed_at TEXT,
  cancelled_at TEXT,
  sequence INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX maintenances_status ON maintenances (status, scheduled_for);
CREATE INDEX maintenances_updated ON maintenances (updated_at);

CREATE TABLE maintenance_components (
  maintenance_id TEXT NOT NULL REFERENCES maintenances (id) ON DELETE CASCADE,
  component_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (maintenance_id, component_id)
);
CREATE INDEX maintenance_components_component ON maintenance_components (component_id, maintenance_id);

-- The maintenance's public timeline: the announcement, people's updates and the scheduler's
-- start and completion notes.
CREATE TABLE maintenance_updates (
  id TEXT PRIMARY KEY,
  maintenance_id TEXT NOT NULL REFERENCES maintenances (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL,
  message TEXT NOT NULL,
  display_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  author TEXT NOT NULL,
  UNIQUE (maintenance_id, seq)
);

-- What a maintenance owes its audience, written in the transaction of the change that caused it.
-- `key` is unique per what happened (`<id>/scheduled`, `<id>/reminder`, `<id>/started`,
-- `<id>/completed`, `<id>/cancelled`, `<id>/update/<update id>`, `<id>/rescheduled/<sequence>`):
-- two processes (or a restart) doing the same transition write it once. `email`: subscribers are
-- owed an email (the fan-out worker sets `notification_id` when it made it); `webhook`: webhook
-- subscribers are owed the maintenance event (the webhook worker sets `hooked_at`).
CREATE TABLE maintenance_events (
  key TEXT PRIMARY KEY,
  maintenance_id TEXT NOT NULL REFERENCES maintenances (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  created_at TEXT NOT NULL,
  email INTEGER NOT NULL,
  webhook INTEGER NOT NULL,
  notification_id TEXT,
  hooked_at TEXT
);
CREATE INDEX maintenance_events_mail ON maintenance_events (created_at) WHERE email = 1 AND notification_id IS NULL;
CREATE INDEX maintenance_events_hook ON maintenance_events (created_at) WHERE webhook = 1 AND hooked_at IS NULL;
