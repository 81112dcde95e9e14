-- The indexer's record of each article it listed or withdrew (where it
-- sits in its category and tags, and the newest revision it saw). Each
-- flush reads and writes the records of its batch: here that is one
-- query and one transaction per flush, where objects in the archive were
-- a GET and a PUT per article on the path to the front page. The record
-- is the indexer's own JSON; the registry keeps it, and does not read it.
CREATE TABLE index_records (
    article_id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
