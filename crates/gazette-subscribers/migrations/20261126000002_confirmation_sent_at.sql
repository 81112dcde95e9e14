-- When the last confirmation mail went to a pending address, so that the
-- public form cannot be used to mail a stranger over and over.
ALTER TABLE subscriptions ADD COLUMN confirm_sent_at BIGINT;
