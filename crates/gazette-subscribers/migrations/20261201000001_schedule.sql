-- Scheduled publishing: revisions dated in the future, held until their
-- time. One row per article (a newer revision replaces the older one's
-- schedule); the scheduler claims a due row with one conditional UPDATE
-- under a lease, publishes it, and deletes the row only after the
-- announcement is confirmed, so a scheduler that dies mid-way leaves the
-- row to be claimed again when its lease runs out.

CREATE TABLE schedule (
    article_id TEXT PRIMARY KEY,
    revision BIGINT NOT NULL,
    -- when it goes live, in milliseconds since the Unix epoch (UTC)
    due_at BIGINT NOT NULL,
    -- the published_at the CMS sent, with its offset, as RFC 3339
    published_at TEXT NOT NULL,
    -- the key render claimed for this revision's page
    page_key TEXT NOT NULL,
    -- the submission this revision came from, carried to article.published
    correlation_id TEXT NOT NULL,
    -- a scheduler holds the row until then (milliseconds); NULL when unclaimed
    claimed_until BIGINT,
    -- how many times a scheduler claimed it (more than one: a scheduler died or failed)
    claims BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX schedule_by_due ON schedule (due_at);
