-- When each catalog entry (component or group) was first seen by this installation: the status
-- page's "no data" days before it, and `created_at` in /api/v2. Never updated once written.
CREATE TABLE catalog_first_seen (
  id TEXT PRIMARY KEY,
  first_seen_at TEXT NOT NULL
);
