-- The article registry: the one authority for each article's newest
-- revision and for the public keys it owns. Plain SQL for SQLite and
-- PostgreSQL alike.

CREATE TABLE articles (
    article_id TEXT PRIMARY KEY,
    -- the newest revision accepted for publishing; 0 while only keys are claimed
    revision BIGINT NOT NULL,
    -- where the newest revision's page lives; NULL until first published
    page_key TEXT,
    -- the revision at which the article last went live: announced as
    -- article.published, every later one as article.updated
    live_since BIGINT NOT NULL,
    -- every revision up to this one is withdrawn; NULL when live
    withdrawn_through BIGINT,
    withdrawn_reason TEXT,
    updated_at BIGINT NOT NULL
);

-- Each public key belongs to exactly one article, for good.
CREATE TABLE page_keys (
    page_key TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    -- 'claimed' (chosen for a revision not yet published), 'page' (the
    -- article's page), 'redirect' (a key it had before: 301 to its page)
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX page_keys_by_article ON page_keys (article_id);
