-- Every executive digest sent, kept with what it said. `slot_key` names the scheduled slot
-- (`daily/2026-11-23`, `severe/2026-11-23T10:00:00.000Z`) or a manual send (`manual/<id>`): its
-- uniqueness is what makes each slot go out once across processes and restarts.
CREATE TABLE digests (
  id TEXT PRIMARY KEY,
  slot_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  slot_at TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  period_from TEXT NOT NULL,
  period_to TEXT NOT NULL,
  recipients TEXT NOT NULL DEFAULT '[]',
  outcome TEXT NOT NULL,
  subject TEXT NOT NULL,
  html TEXT NOT NULL,
  text TEXT NOT NULL,
  data TEXT NOT NULL,
  actor TEXT
);
CREATE INDEX digests_sent ON digests (sent_at);

-- When the digest schedule was first run against this database: slots before it are not owed (a
-- new installation does not send yesterday's digest late).
CREATE TABLE digest_schedule (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  since TEXT NOT NULL
);
