-- The write path reads an incident's newest update by display time; this index makes that one
-- step instead of a sort of the whole timeline.
CREATE INDEX updates_timeline ON updates (incident_id, display_at, seq);
