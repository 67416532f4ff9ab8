-- Email subscribers (SPEC §2). `email` is the normalised address (domain in lowercase ASCII),
-- `email_key` its lowercase form: one subscriber per address. `follows` is `all`, `components`
-- (the rows of subscriber_components: component or group ids) or `none` (only incidents they
-- follow). `manage_hash` is the SHA-256 of the manage/unsubscribe token: the token itself is
-- derived from a server secret when an email is sent, and never stored.
CREATE TABLE subscribers (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  email_key TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  follows TEXT NOT NULL DEFAULT 'all',
  manage_hash TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  confirmed_at TEXT,
  unsubscribed_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX subscribers_status ON subscribers (status);

CREATE TABLE subscriber_components (
  subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  component_id TEXT NOT NULL,
  PRIMARY KEY (subscriber_id, component_id)
);
CREATE INDEX subscriber_components_component ON subscriber_components (component_id, subscriber_id);

-- "Subscribe to this incident": followed until the incident is resolved.
CREATE TABLE subscriber_incidents (
  subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  incident_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (subscriber_id, incident_id)
);
CREATE INDEX subscriber_incidents_incident ON subscriber_incidents (incident_id, subscriber_id);

-- Confirmation requests: single use, expiring. `hash` is the SHA-256 of the token; `request` is
-- what the confirmation will apply (JSON: follows, components, incident_id).
CREATE TABLE subscription_confirmations (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  request TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
CREATE INDEX subscription_confirmations_subscriber ON subscription_confirmations (subscriber_id, created_at);

-- Addresses that hard-bounced or complained: nothing is sent to them again.
CREATE TABLE suppressions (
  email_key TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  at TEXT NOT NULL
);

-- Provider webhook events already applied (the Svix message id): a replay changes nothing.
CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  received_at TEXT NOT NULL
);

-- Per-window counters for the public routes' abuse caps (several processes share them).
CREATE TABLE rate_counters (
  key TEXT NOT NULL,
  window_start TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
);

-- One row per public update owed to subscribers, written in the update's own transaction: posting
-- an update costs one row whatever the number of subscribers. The fan-out worker groups owed
-- updates of an incident into a notification (coalescing) and expands it into deliveries.
CREATE TABLE fanouts (
  update_id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  resolves INTEGER NOT NULL,
  followers INTEGER NOT NULL,
  notification_id TEXT
);
CREATE INDEX fanouts_unassigned ON fanouts (incident_id, created_at) WHERE notification_id IS NULL;

-- One email's worth of updates to one incident. `cursor` is the last subscriber id expanded into
-- deliveries: expansion resumes there after a crash. `audience` is JSON {keys, incident_id}.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  lead_update_id TEXT NOT NULL UNIQUE,
  body_id TEXT NOT NULL,
  audience TEXT NOT NULL,
  created_at TEXT NOT NULL,
  cursor TEXT NOT NULL DEFAULT '',
  recipients INTEGER NOT NULL DEFAULT 0,
  expanded_at TEXT
);
CREATE INDEX notifications_incident ON notifications (incident_id, created_at);
CREATE INDEX notifications_open ON notifications (expanded_at) WHERE expanded_at IS NULL;

-- A message rendered once and shared by many deliveries; each delivery adds only its own links
-- (`marker` placeholders) when it is sent.
CREATE TABLE mail_bodies (
  id TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  headers TEXT NOT NULL,
  marker TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- A delivery of a shared body holds ids, not a copy: the body, the subscriber (whose links are
-- derived when sending) and, for a confirmation, the confirmation request.
ALTER TABLE mail_outbox ADD COLUMN body_id TEXT;
ALTER TABLE mail_outbox ADD COLUMN subscriber_id TEXT;
ALTER TABLE mail_outbox ADD COLUMN confirmation_id TEXT;
-- The sender takes the oldest due messages first; with tens of thousands queued, this index
-- spares it a sort on every claim.
CREATE INDEX mail_outbox_pending ON mail_outbox (status, created_at);
