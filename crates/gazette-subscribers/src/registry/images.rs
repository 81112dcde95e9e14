//! Which pictures each live article shows, so that a picture's variants leave the site only when no live article uses them.

use super::Registry;
use crate::DatabaseError;

/// The pictures an article's live page shows.
const PICTURES_SHOWN: &str = "SELECT image_id FROM article_images WHERE article_id = $1";

impl Registry {
    /// Records that `article_id`'s live page shows exactly `image_ids`
    /// (none for a withdrawal), in one transaction. Returns the pictures
    /// it showed before and no longer does, which no live article now
    /// uses: the caller removes their variants.
    pub async fn set_images(
        &self,
        article_id: &str,
        image_ids: &[String],
    ) -> Result<Vec<String>, DatabaseError> {
        let failed = DatabaseError::query;
        // Most revisions show the pictures the last one showed (most
        // articles none): a transaction that would change nothing is the
        // same as this read, and leaves the one writer connection to those
        // that write.
        let mut shown: Vec<String> = sqlx::query_scalar(PICTURES_SHOWN)
            .bind(article_id)
            .fetch_all(&self.pools.pool)
            .await
            .map_err(failed("reading an article's pictures"))?;
        shown.sort();
        let mut wanted = image_ids.to_vec();
        wanted.sort();
        wanted.dedup();
        if shown == wanted {
            return Ok(Vec::new());
        }
        let mut tx = self.pools.begin_write().await?;
        let before: Vec<String> = sqlx::query_scalar(PICTURES_SHOWN)
            .bind(article_id)
            .fetch_all(&mut *tx)
            .await
            .map_err(failed("reading an article's pictures"))?;
        let dropped: Vec<String> = before
            .into_iter()
            .filter(|id| !image_ids.contains(id))
            .collect();
        for id in &dropped {
            sqlx::query("DELETE FROM article_images WHERE article_id = $1 AND image_id = $2")
                .bind(article_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(failed("forgetting a picture"))?;
        }
        for id in image_ids {
            sqlx::query(
                "INSERT INTO article_images (article_id, image_id) VALUES ($1, $2) \
                 ON CONFLICT (article_id, image_id) DO NOTHING",
            )
            .bind(article_id)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(failed("recording a picture"))?;
        }
        let mut unused = Vec::new();
        for id in dropped {
            let users: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM article_images WHERE image_id = $1")
                    .bind(&id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(failed("counting a picture's articles"))?;
            if users == 0 {
                unused.push(id);
            }
        }
        tx.commit()
            .await
            .map_err(failed("committing an article's pictures"))?;
        Ok(unused)
    }

    /// Whether any live article shows the picture.
    pub async fn image_in_use(&self, image_id: &str) -> Result<bool, DatabaseError> {
        let users: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM article_images WHERE image_id = $1")
                .bind(image_id)
                .fetch_one(&self.pools.pool)
                .await
                .map_err(DatabaseError::query("counting a picture's articles"))?;
        Ok(users > 0)
    }
}
