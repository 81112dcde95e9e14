//! The article registry: for each article its newest revision, the key its page lives at, the keys it had before, and whether it is withdrawn; and for each public key the one article that owns it.
//!
//! Invariants, each kept by the database rather than by the stores:
//! - **Revision order.** Every change to an article happens in one
//!   transaction that first locks the article's row (a no-op update, which
//!   PostgreSQL row-locks and SQLite turns into its write lock), then reads
//!   it and decides. A revision lower than or equal to the newest never
//!   becomes the newest; a withdrawn revision never becomes live again.
//! - **URL ownership.** `page_keys.page_key` is the primary key: a key
//!   belongs to one article for good. A claim is an `INSERT … ON CONFLICT
//!   DO NOTHING` followed by reading who owns it.
//! - **No redirect chains.** An article has one `page` key; every key it
//!   had before is a `redirect` to that one, and is re-pointed whenever
//!   the page moves.

use std::collections::{BTreeMap, BTreeSet};

mod images;
mod index_records;
mod rows;
mod schedule;
mod views;

use self::rows::{
    ARTICLE_COLUMNS, article_from_row, column, lock_article, read_article, record_and_lock, to_i64,
    to_u64,
};
pub use self::rows::{ArticleState, Withdrawn};
pub use self::schedule::{Hold, ScheduledRevision, Takedown};
use self::schedule::{cancel_schedule, supersede_schedule};
use crate::database::{Pools, connect};
use crate::tokens::now;
use crate::{DatabaseError, DatabaseUrl};

/// Articles, their revisions and their keys, behind a connection pool.
#[derive(Debug, Clone)]
pub struct Registry {
    pools: Pools,
    url: DatabaseUrl,
}

/// The answer to "which key may this revision's page have?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// This key; the article owns it now (or did already).
    Owned(String),
    /// A newer revision is already recorded: nothing to render.
    Stale { newest: u64 },
    /// This revision was withdrawn: nothing to render.
    Withdrawn { through: u64 },
    /// Every candidate belongs to other articles.
    Taken,
}

/// The answer to "may this revision's page go live at this key?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance {
    /// Yes: it is the newest revision now, or already was (a redelivery).
    Newest {
        /// The revision is the one announced as `article.published`.
        first: bool,
        /// Keys to (re)write as redirects to the page: every earlier key
        /// after a move or a return from withdrawal; none otherwise.
        redirects: Vec<String>,
    },
    /// No: a newer revision is recorded. Its page must not be written.
    Stale(ArticleState),
    /// No: this revision is withdrawn.
    Withdrawn { through: u64 },
    /// No: the key belongs to another article (or was never claimed).
    NotOwner { key: String },
}

impl Registry {
    /// Connects and applies the migrations not yet applied.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, DatabaseError> {
        Ok(Self {
            pools: connect(url).await?,
            url: url.clone(),
        })
    }

    pub fn describe(&self) -> String {
        self.url.redacted()
    }

    /// The first of `kept` this article already owns, else the first of
    /// `candidates` it owns or can take, unless the revision is stale or
    /// withdrawn. A key in `kept` is never claimed anew: those are the
    /// addresses an older slug rule gave the same title, which the article
    /// keeps but a new article must not get. Idempotent: asking again with
    /// the same keys gives the same key.
    pub async fn claim_key(
        &self,
        article_id: &str,
        revision: u64,
        kept: &[String],
        candidates: &[String],
    ) -> Result<KeyClaim, DatabaseError> {
        // The revision and the withdrawal only: a claim is made per message,
        // and needs none of the article's keys.
        let sql = "SELECT revision, withdrawn_through FROM articles WHERE article_id = $1";
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(sql)
            .bind(article_id)
            .fetch_optional(&self.pools.pool)
            .await
            .map_err(DatabaseError::query("reading an article's revision"))?;
        if let Some((newest, withdrawn)) = row.map(|(r, w)| (to_u64(r), w.map(to_u64))) {
            if let Some(through) = withdrawn.filter(|through| revision <= *through) {
                return Ok(KeyClaim::Withdrawn { through });
            }
            if revision < newest {
                return Ok(KeyClaim::Stale { newest });
            }
        }
        for key in kept {
            if self.key_owner(key).await?.as_deref() == Some(article_id) {
                return Ok(KeyClaim::Owned(key.clone()));
            }
        }
        for key in candidates {
            // A row comes back only when this insert made it; a key held
            // already (by this article, from an earlier delivery, or by
            // another) is then asked after.
            let inserted: Option<String> = sqlx::query_scalar(
                "INSERT INTO page_keys (page_key, article_id, state, created_at) \
                 VALUES ($1, $2, 'claimed', $3) ON CONFLICT (page_key) DO NOTHING \
                 RETURNING article_id",
            )
            .bind(key)
            .bind(article_id)
            .bind(now())
            .fetch_optional(&self.pools.writer)
            .await
            .map_err(DatabaseError::query("claiming a page key"))?;
            let owner = match inserted {
                Some(owner) => Some(owner),
                None => self.key_owner(key).await?,
            };
            if owner.as_deref() == Some(article_id) {
                return Ok(KeyClaim::Owned(key.clone()));
            }
        }
        Ok(KeyClaim::Taken)
    }

    async fn key_owner(&self, key: &str) -> Result<Option<String>, DatabaseError> {
        sqlx::query_scalar("SELECT article_id FROM page_keys WHERE page_key = $1")
            .bind(key)
            .fetch_optional(&self.pools.pool)
            .await
            .map_err(DatabaseError::query("reading a page key's owner"))
    }

    /// Makes `revision` the article's newest, with its page at `key`, if
    /// nothing newer or withdrawn stands in the way; with no listing kept
    /// for it (see [`Self::advance_listed`]).
    pub async fn advance(
        &self,
        article_id: &str,
        revision: u64,
        key: &str,
    ) -> Result<Advance, DatabaseError> {
        self.advance_listed(article_id, revision, key, None).await
    }

    /// [`Self::advance`], keeping `listing` (the indexer's JSON of what it
    /// lists of this revision) in the same statement that makes it the
    /// newest, for [`Self::listing`] to hand back. A redelivery keeps what
    /// the first advance wrote.
    pub async fn advance_listed(
        &self,
        article_id: &str,
        revision: u64,
        key: &str,
        listing: Option<&str>,
    ) -> Result<Advance, DatabaseError> {
        let failed = DatabaseError::query;
        let revision_i64 = to_i64(revision);
        let mut tx = self.pools.begin_write().await?;
        let current = record_and_lock(&mut tx, article_id).await?;
        if let Some(withdrawn) = current.withdrawn.as_ref().filter(|w| revision <= w.through) {
            return Ok(Advance::Withdrawn {
                through: withdrawn.through,
            });
        }
        if revision < current.revision
            || (revision == current.revision && current.page_key.as_deref() != Some(key))
        {
            return Ok(Advance::Stale(current));
        }
        if revision == current.revision {
            // A redelivery: the same verdict, and the redirects again in case
            // the first attempt died before writing them.
            return Ok(Advance::Newest {
                first: current.live_since == revision,
                redirects: current.redirects,
            });
        }
        // The key becomes the page and the article's other page becomes a
        // redirect, in one statement that also tells whether the article
        // owns the key: no row for it, and the transaction is dropped.
        let changed: Vec<String> = sqlx::query_scalar(
            "UPDATE page_keys SET state = CASE WHEN page_key = $2 THEN 'page' ELSE 'redirect' END \
             WHERE article_id = $1 AND (page_key = $2 OR state = 'page') RETURNING page_key",
        )
        .bind(article_id)
        .bind(key)
        .fetch_all(&mut *tx)
        .await
        .map_err(failed("making a key the page"))?;
        if !changed.iter().any(|changed| changed == key) {
            return Ok(Advance::NotOwner {
                key: key.to_owned(),
            });
        }
        let was_live = current.is_live();
        let live_since = if was_live {
            current.live_since
        } else {
            revision
        };
        sqlx::query(
            "UPDATE articles SET revision = $2, page_key = $3, live_since = $4, \
             withdrawn_through = NULL, withdrawn_reason = NULL, updated_at = $5, listing = $6 \
             WHERE article_id = $1",
        )
        .bind(article_id)
        .bind(revision_i64)
        .bind(key)
        .bind(to_i64(live_since))
        .bind(now())
        .bind(listing)
        .execute(&mut *tx)
        .await
        .map_err(failed("advancing an article"))?;
        supersede_schedule(&mut tx, article_id, revision).await?;
        // The redirects were read under the article's lock, and only an
        // advance, under that lock, changes a key's state: the statement
        // above is all that changed since, so no second read is needed.
        let moved = changed.iter().any(|changed| changed != key);
        let redirects: BTreeSet<String> = current
            .redirects
            .into_iter()
            .chain(changed)
            .filter(|redirect| redirect != key)
            .collect();
        let redirects: Vec<String> = redirects.into_iter().collect();
        tx.commit().await.map_err(failed("committing an advance"))?;
        Ok(Advance::Newest {
            first: live_since == revision,
            redirects: if moved || !was_live {
                redirects
            } else {
                Vec::new()
            },
        })
    }

    /// Withdraws every revision recorded or held so far, and cancels the
    /// article's schedule. Its keys stay its own, so a later revision comes
    /// back at the same URL.
    pub async fn withdraw(
        &self,
        article_id: &str,
        reason: &str,
    ) -> Result<Takedown, DatabaseError> {
        let failed = DatabaseError::query;
        let mut tx = self.pools.begin_write().await?;
        let locked = lock_article(&mut tx, article_id).await?;
        let current = match locked {
            true => read_article(&mut tx, article_id).await?,
            false => None,
        };
        let Some(mut current) = current else {
            return Ok(Takedown::Unknown);
        };
        let held = cancel_schedule(&mut tx, article_id).await?;
        let published = current.revision > 0 && current.page_key.is_some();
        let through = match (published, held) {
            (true, held) => current.revision.max(held.unwrap_or(0)),
            (false, Some(held)) => held,
            (false, None) => return Ok(Takedown::Unknown),
        };
        sqlx::query(
            "UPDATE articles SET withdrawn_through = $2, withdrawn_reason = $3, updated_at = $4 \
             WHERE article_id = $1",
        )
        .bind(article_id)
        .bind(to_i64(through))
        .bind(reason)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(failed("withdrawing an article"))?;
        tx.commit()
            .await
            .map_err(failed("committing a withdrawal"))?;
        if !published {
            return Ok(Takedown::ScheduledOnly { revision: through });
        }
        current.withdrawn = Some(Withdrawn {
            through,
            reason: reason.to_owned(),
        });
        Ok(Takedown::Live(current))
    }

    /// One article, with its redirects.
    pub async fn article(&self, article_id: &str) -> Result<Option<ArticleState>, DatabaseError> {
        let mut connection = self
            .pools
            .pool
            .acquire()
            .await
            .map_err(DatabaseError::query("taking a connection"))?;
        read_article(&mut connection, article_id).await
    }

    /// Every article readers can see, for `gazette rebuild`.
    pub async fn live_articles(&self) -> Result<Vec<ArticleState>, DatabaseError> {
        let rows = sqlx::query(&format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles \
             WHERE revision > 0 AND page_key IS NOT NULL AND withdrawn_through IS NULL \
             ORDER BY article_id"
        ))
        .fetch_all(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("listing live articles"))?;
        let redirect_rows = sqlx::query(
            "SELECT article_id, page_key FROM page_keys WHERE state = 'redirect' ORDER BY page_key",
        )
        .fetch_all(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("listing redirects"))?;
        let mut redirects: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in &redirect_rows {
            let article: String = column(row, "article_id")?;
            redirects
                .entry(article)
                .or_default()
                .push(column(row, "page_key")?);
        }
        rows.iter()
            .map(|row| {
                let mut state = article_from_row(row)?;
                state.redirects = redirects.remove(&state.article_id).unwrap_or_default();
                Ok(state)
            })
            .collect()
    }

    /// Every withdrawn article and the revision it is withdrawn through,
    /// for `gazette rebuild` to keep out.
    pub async fn withdrawn_articles(&self) -> Result<Vec<(String, u64)>, DatabaseError> {
        let rows = sqlx::query(
            "SELECT article_id, withdrawn_through FROM articles              WHERE withdrawn_through IS NOT NULL ORDER BY article_id",
        )
        .fetch_all(&self.pools.pool)
        .await
        .map_err(DatabaseError::query("listing withdrawn articles"))?;
        rows.iter()
            .map(|row| {
                Ok((
                    column(row, "article_id")?,
                    to_u64(column(row, "withdrawn_through")?),
                ))
            })
            .collect()
    }

    pub async fn close(&self) {
        self.pools.close().await;
    }
}
