-- A replayed response repeats the headers that matter (Location, ETag), stored as a JSON object.
ALTER TABLE idempotency_keys ADD COLUMN headers TEXT;
-- A claim on an idempotency key is a lease, renewed while its request runs: the claim of a process
-- that died expires, so the client's retry runs instead of waiting on it forever.
ALTER TABLE idempotency_keys ADD COLUMN claimed_by TEXT;
ALTER TABLE idempotency_keys ADD COLUMN claimed_until TEXT;
-- Set in the same transaction as the request's change: a claim that expires with it set was
-- applied, and its retry must not apply it again.
ALTER TABLE idempotency_keys ADD COLUMN applied_at TEXT;
-- A key's prefix is its public id, never a part of its secret.
UPDATE api_keys SET prefix = 'hrd_' || id;
-- Replay records of key creation held the new key's whole token: no secret stays stored.
DELETE FROM idempotency_keys WHERE path = '/v1/keys';
