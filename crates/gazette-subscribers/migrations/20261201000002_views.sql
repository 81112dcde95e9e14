-- The view counter ("Lượt xem"): one row per live article that was read,
-- added to in batches by the API process, never one write per view.
CREATE TABLE article_views (
    article_id TEXT PRIMARY KEY,
    views BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX article_views_by_views ON article_views (views);
