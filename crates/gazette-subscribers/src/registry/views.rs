//! The view counter's counts: added in batches, only ever for articles readers can see, read back one article at a time or as the most read.

use super::Registry;
use super::rows::{to_i64, to_u64};
use crate::DatabaseError;
use crate::tokens::now;

/// Live articles only: a beacon for an id that was never published (or is
/// withdrawn, or only scheduled) adds nothing, so nobody can grow the
/// table by inventing ids or learn that an embargoed id exists.
const LIVE: &str = "SELECT 1 FROM articles WHERE article_id = $1 AND revision > 0 \
                    AND page_key IS NOT NULL AND withdrawn_through IS NULL";

impl Registry {
    /// Adds each `(article id, views)` in one transaction; how many views
    /// were counted (those of live articles).
    pub async fn add_views(&self, counts: &[(String, u64)]) -> Result<u64, DatabaseError> {
        let failed = DatabaseError::query;
        let mut tx = self.pools.begin_write().await?;
        let mut counted = 0;
        let at = now();
        for (article_id, views) in counts {
            // SQLite needs the SELECT's WHERE for an upsert to parse; it has one.
            let added = sqlx::query(&format!(
                "INSERT INTO article_views (article_id, views, updated_at) \
                 SELECT $1, $2, $3 WHERE EXISTS ({LIVE}) \
                 ON CONFLICT (article_id) DO UPDATE \
                 SET views = article_views.views + excluded.views, updated_at = excluded.updated_at"
            ))
            .bind(article_id)
            .bind(to_i64(*views))
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(failed("counting views"))?;
            if added.rows_affected() > 0 {
                counted += views;
            }
        }
        tx.commit().await.map_err(failed("committing views"))?;
        Ok(counted)
    }

    /// The article's count; 0 for one nobody read, or that is not live.
    pub async fn views(&self, article_id: &str) -> Result<u64, DatabaseError> {
        let views: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT views FROM article_views WHERE article_id = $1 AND EXISTS ({LIVE})"
        ))
        .bind(article_id)
        .fetch_optional(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("reading an article's views"))?;
        Ok(views.map_or(0, to_u64))
    }

    /// The `limit` most read live articles, most read first.
    pub async fn most_read(&self, limit: u32) -> Result<Vec<(String, u64)>, DatabaseError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT v.article_id, v.views FROM article_views v JOIN articles a \
             ON a.article_id = v.article_id \
             WHERE a.revision > 0 AND a.page_key IS NOT NULL AND a.withdrawn_through IS NULL \
             ORDER BY v.views DESC, v.article_id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("reading the most read articles"))?;
        Ok(rows
            .into_iter()
            .map(|(id, views)| (id, to_u64(views)))
            .collect())
    }
}
