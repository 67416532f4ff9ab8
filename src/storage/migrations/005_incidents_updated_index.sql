-- Publishers poll for incidents changed by other instances (updated_at past what they have seen).
CREATE INDEX incidents_updated ON incidents (updated_at);
