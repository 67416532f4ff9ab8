-- When an incident last became public: the cadence window starts then, so making a private
-- incident public does not find it long overdue. Incidents public so far have been since they
-- were declared.
ALTER TABLE incidents ADD COLUMN public_since TEXT;
UPDATE incidents SET public_since = created_at WHERE visibility = 'public';

-- What became of a recorded notice: `queued` (its emails are in the outbox) or
-- `skipped_no_recipients` (nobody to send it to; recorded so it is reported, not retried).
ALTER TABLE cadence_notices ADD COLUMN outcome TEXT NOT NULL DEFAULT 'queued';
