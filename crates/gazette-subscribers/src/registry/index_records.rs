//! The indexer's per-article data, kept for it as opaque JSON: its records, read for a batch in one query and written for a flush in one transaction, and the listing publish keeps with each advance.

use std::collections::HashMap;

use super::Registry;
use crate::DatabaseError;
use crate::tokens::now;

/// Ids per query: far below SQLite's 32,766 bound parameters, and a
/// flush's whole batch (512 at most) in one round trip.
const IDS_PER_QUERY: usize = 512;

/// Rows per transaction when writing: a rebuild writes every article's
/// record, and one transaction of millions would hold the write lock
/// (SQLite) or grow one huge snapshot (PostgreSQL) for its whole length.
const ROWS_PER_TRANSACTION: usize = 1_000;

impl Registry {
    /// The records kept for `article_ids`, by id; an id with none is absent.
    pub async fn index_records(
        &self,
        article_ids: &[String],
    ) -> Result<HashMap<String, String>, DatabaseError> {
        let mut found = HashMap::with_capacity(article_ids.len());
        for chunk in article_ids.chunks(IDS_PER_QUERY) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT article_id, record FROM index_records WHERE article_id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query_as::<_, (String, String)>(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            let rows = query
                .fetch_all(&self.pools.pool)
                .await
                .map_err(DatabaseError::query("reading the index's records"))?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// The listing [`Registry::advance_listed`] kept for `revision`, while
    /// that revision is the article's newest; `None` once a newer one is,
    /// or where none was kept.
    pub async fn listing(
        &self,
        article_id: &str,
        revision: u64,
    ) -> Result<Option<String>, DatabaseError> {
        let listing: Option<Option<String>> = sqlx::query_scalar(
            "SELECT listing FROM articles WHERE article_id = $1 AND revision = $2",
        )
        .bind(article_id)
        .bind(super::to_i64(revision))
        .fetch_optional(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("reading an article's listing"))?;
        Ok(listing.flatten())
    }

    /// Clears the listing of each `(article id, revision)` the indexer has
    /// flushed: a listing is a hand-off to the indexer, not a second
    /// archive, so the registry does not grow by every article's body.
    /// A listing of a newer revision stays for its own flush.
    pub async fn forget_listings(&self, listed: &[(String, u64)]) -> Result<(), DatabaseError> {
        let failed = DatabaseError::query;
        for chunk in listed.chunks(IDS_PER_QUERY / 2) {
            let pairs: Vec<String> = (0..chunk.len())
                .map(|n| {
                    format!(
                        "(article_id = ${} AND revision = ${})",
                        2 * n + 1,
                        2 * n + 2
                    )
                })
                .collect();
            let sql = format!(
                "UPDATE articles SET listing = NULL WHERE listing IS NOT NULL AND ({})",
                pairs.join(" OR ")
            );
            let mut query = sqlx::query(&sql);
            for (article_id, revision) in chunk {
                query = query.bind(article_id).bind(super::to_i64(*revision));
            }
            query
                .execute(&self.pools.writer)
                .await
                .map_err(failed("clearing the listings the index has flushed"))?;
        }
        Ok(())
    }

    /// Writes each `(article id, record)`, replacing what was kept. Each
    /// transaction of up to [`ROWS_PER_TRANSACTION`] is whole; a failure
    /// part way leaves earlier ones written, which a flush tolerates: the
    /// site state is its commit, written after these, and the flush that
    /// failed is retried with the same changes.
    pub async fn put_index_records(
        &self,
        records: &[(String, String)],
    ) -> Result<(), DatabaseError> {
        self.write_index_records(records, REPLACE).await
    }

    /// Writes each `(article id, record)` for an article that has none:
    /// the copy of what an older version kept in the archive, which must
    /// never replace a record a flush of this version wrote.
    pub async fn import_index_records(
        &self,
        records: &[(String, String)],
    ) -> Result<(), DatabaseError> {
        self.write_index_records(records, KEEP).await
    }

    async fn write_index_records(
        &self,
        records: &[(String, String)],
        on_conflict: &str,
    ) -> Result<(), DatabaseError> {
        let failed = DatabaseError::query;
        let sql = format!(
            "INSERT INTO index_records (article_id, record, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (article_id) {on_conflict}"
        );
        let at = now();
        for chunk in records.chunks(ROWS_PER_TRANSACTION) {
            let mut tx = self.pools.begin_write().await?;
            for (article_id, record) in chunk {
                sqlx::query(&sql)
                    .bind(article_id)
                    .bind(record)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed("writing the index's records"))?;
            }
            tx.commit()
                .await
                .map_err(failed("committing the index's records"))?;
        }
        Ok(())
    }
}

const REPLACE: &str = "DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at";
const KEEP: &str = "DO NOTHING";
