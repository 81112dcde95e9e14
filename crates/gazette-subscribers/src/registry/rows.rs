//! The registry's rows: what it knows of an article, locking an article's row, reading it and its redirects back, and the integer conversions the schema needs.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::DatabaseError;

/// What the registry knows about one article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleState {
    pub article_id: String,
    /// The newest revision accepted; 0 while only keys are claimed.
    pub revision: u64,
    pub page_key: Option<String>,
    /// The revision announced as `article.published`; later ones are updates.
    pub live_since: u64,
    pub withdrawn: Option<Withdrawn>,
    /// Keys the article had before, each a redirect to `page_key`.
    pub redirects: Vec<String>,
}

impl ArticleState {
    /// Whether readers can see it: published and not withdrawn.
    pub fn is_live(&self) -> bool {
        self.revision > 0 && self.page_key.is_some() && self.withdrawn.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    /// Every revision up to this one is withdrawn.
    pub through: u64,
    pub reason: String,
}

pub(super) const ARTICLE_COLUMNS: &str =
    "article_id, revision, page_key, live_since, withdrawn_through, withdrawn_reason";

/// Row-locks the article (PostgreSQL) or holds the write lock (SQLite) until
/// the transaction ends. `false` when there is no such article.
pub(super) async fn lock_article(
    connection: &mut sqlx::AnyConnection,
    article_id: &str,
) -> Result<bool, DatabaseError> {
    let locked = sqlx::query("UPDATE articles SET updated_at = updated_at WHERE article_id = $1")
        .bind(article_id)
        .execute(&mut *connection)
        .await
        .map_err(DatabaseError::query("locking an article"))?;
    Ok(locked.rows_affected() > 0)
}

/// Records the article if it is new (revision 0), locks its row until the
/// transaction ends, and reads it: how every change to an article starts.
/// A write first, so SQLite takes its write lock here, not halfway through.
///
/// One statement for all three (an upsert whose no-op update row-locks on
/// PostgreSQL, returning the row): SQLite's write lock is held from here to
/// the commit, and every round trip under it is one more wait for the other
/// processes' writers. The three statements it replaced took a quarter of
/// an advance's round trips.
pub(super) async fn record_and_lock(
    connection: &mut sqlx::AnyConnection,
    article_id: &str,
) -> Result<ArticleState, DatabaseError> {
    let row = sqlx::query(&format!(
        "INSERT INTO articles (article_id, revision, live_since, updated_at) \
         VALUES ($1, 0, 0, $2) \
         ON CONFLICT (article_id) DO UPDATE SET updated_at = articles.updated_at \
         RETURNING {ARTICLE_COLUMNS}"
    ))
    .bind(article_id)
    .bind(crate::tokens::now())
    .fetch_one(&mut *connection)
    .await
    .map_err(DatabaseError::query("recording and locking an article"))?;
    let mut state = article_from_row(&row)?;
    // A key becomes a redirect only in an advance, which leaves the article
    // at a revision above 0: an article never advanced (every first
    // publication) has none, and is spared the read.
    if state.revision > 0 {
        state.redirects = redirect_keys(connection, article_id).await?;
    }
    Ok(state)
}

/// The article and its redirects in one statement, a row per redirect (one
/// row with none): publish reads this after every page it writes, and on
/// SQLite each statement is a round trip to the database's own thread.
pub(super) async fn read_article(
    connection: &mut sqlx::AnyConnection,
    article_id: &str,
) -> Result<Option<ArticleState>, DatabaseError> {
    let rows = sqlx::query(
        "SELECT a.article_id AS article_id, a.revision AS revision, a.page_key AS page_key, \
                a.live_since AS live_since, a.withdrawn_through AS withdrawn_through, \
                a.withdrawn_reason AS withdrawn_reason, k.page_key AS redirect \
         FROM articles a LEFT JOIN page_keys k \
           ON k.article_id = a.article_id AND k.state = 'redirect' \
         WHERE a.article_id = $1 ORDER BY k.page_key",
    )
    .bind(article_id)
    .fetch_all(&mut *connection)
    .await
    .map_err(DatabaseError::query("reading an article"))?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut state = article_from_row(first)?;
    for row in &rows {
        if let Some(redirect) = column::<Option<String>>(row, "redirect")? {
            state.redirects.push(redirect);
        }
    }
    Ok(Some(state))
}

async fn redirect_keys(
    connection: &mut sqlx::AnyConnection,
    article_id: &str,
) -> Result<Vec<String>, DatabaseError> {
    sqlx::query_scalar(
        "SELECT page_key FROM page_keys WHERE article_id = $1 AND state = 'redirect' ORDER BY page_key",
    )
    .bind(article_id)
    .fetch_all(&mut *connection)
    .await
    .map_err(DatabaseError::query("reading an article's redirects"))
}

pub(super) fn article_from_row(row: &AnyRow) -> Result<ArticleState, DatabaseError> {
    let through: Option<i64> = column(row, "withdrawn_through")?;
    let reason: Option<String> = column(row, "withdrawn_reason")?;
    Ok(ArticleState {
        article_id: column(row, "article_id")?,
        revision: to_u64(column(row, "revision")?),
        page_key: column(row, "page_key")?,
        live_since: to_u64(column(row, "live_since")?),
        withdrawn: through.map(|through| Withdrawn {
            through: to_u64(through),
            reason: reason.unwrap_or_default(),
        }),
        redirects: Vec::new(),
    })
}

pub(super) fn column<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, DatabaseError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name).map_err(|e| DatabaseError::Query {
        doing: "reading a registry row",
        detail: e.to_string(),
    })
}

/// Revisions are at most 2^53 - 1 by the schema; the database keeps BIGINT.
pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
