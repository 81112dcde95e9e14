-- Subscriptions and the delivery ledger. Plain SQL that SQLite and
-- PostgreSQL both accept: TEXT ids, BIGINT Unix seconds, no booleans.

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    -- 'webhook' or 'email'
    kind TEXT NOT NULL,
    -- the endpoint URL or the mail address
    target TEXT NOT NULL,
    -- category slugs separated by commas; empty means every category
    categories TEXT NOT NULL,
    -- 'pending' (email awaiting confirmation), 'active' or 'disabled'
    status TEXT NOT NULL,
    -- whsec_ secrets; the previous one still signs until previous_secret_until
    secret TEXT,
    previous_secret TEXT,
    previous_secret_until BIGINT,
    confirm_token TEXT UNIQUE,
    unsubscribe_token TEXT NOT NULL UNIQUE,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL
);

-- One resident, one email subscription, however often the form is sent.
CREATE UNIQUE INDEX subscriptions_one_per_address ON subscriptions (target) WHERE kind = 'email';

-- One row per (subscription, notification): the record that keeps replays,
-- duplicate events and redeliveries from notifying anyone twice.
CREATE TABLE deliveries (
    subscription_id TEXT NOT NULL,
    notification_key TEXT NOT NULL,
    -- 'pending', 'sending' (leased by one worker until lease_until),
    -- 'delivered', 'failed' or 'dropped'
    state TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, notification_key)
);
