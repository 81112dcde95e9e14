//! What the indexer lists of a revision beyond its announcement (lead, byline, tags, cover, and the body search indexes): kept in the registry by the advance that made the revision the newest, else read from the revision's archive copy.
//!
//! `article.published` carries what subscribers need, not the lead or the
//! body. Reading them from the archive copy cost a GET per article on the
//! way to the front page, and the store is what two shared cores are
//! shortest of; the registry's UPDATE that publish makes anyway carries
//! them for the price of one column. The copy stays the fallback: an
//! article advanced before this version, or by `gazette migrate`, has no
//! listing kept, and a listing that does not parse is read again from the
//! copy rather than trusted. The registry holds a listing only until its
//! flush is durable (`forget`): a hand-off, not a second archive.

use gazette_contract::ValidatedArticle;
use gazette_site::Change;
use gazette_store::Store;
use gazette_subscribers::Registry;

use super::{IndexFailure, Indexed};
use crate::listing::Listing;
use crate::revision_key;

/// Where a listing was read from, for the indexer's counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListingSource {
    Registry,
    Archive,
}

impl ListingSource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Registry => "registry",
            Self::Archive => "archive",
        }
    }
}

/// The listing of `revision`: the registry's while that revision is the
/// newest and its listing parses, else the archive copy's. A copy that is
/// missing or does not parse lists the article with its announcement alone,
/// as the indexer always has: the page is live, and a later revision or a
/// rebuild fills the rest in.
pub(crate) async fn read(
    registry: &Registry,
    archive: &Store,
    copy_reads: &tokio::sync::Semaphore,
    article_id: &str,
    revision: u64,
) -> Result<(Listing, ListingSource), IndexFailure> {
    if let Some(json) = registry.listing(article_id, revision).await? {
        match serde_json::from_str(&json) {
            Ok(listing) => return Ok((listing, ListingSource::Registry)),
            Err(error) => tracing::warn!(
                article_id,
                revision,
                %error,
                "the registry's listing does not parse; reading the revision's archive copy"
            ),
        }
    }
    let copy = {
        // Never closed: the semaphore lives as long as the stage.
        let _permit = copy_reads.acquire().await;
        archive
            .get(&revision_key(article_id, revision, "json"))
            .await?
    };
    let listing = copy
        .and_then(|bytes| serde_json::from_slice::<ValidatedArticle>(&bytes).ok())
        .map(|validated| Listing::of(&validated))
        .unwrap_or_default();
    Ok((listing, ListingSource::Archive))
}

/// The articles a batch lists, by revision: whose listings its flush has used.
pub(crate) fn listed(batch: &[Indexed]) -> Vec<(String, u64)> {
    batch
        .iter()
        .filter_map(|(change, _)| match change {
            Change::Listed(entry) => Some((entry.article_id.clone(), entry.revision)),
            Change::Unlisted { .. } => None,
        })
        .collect()
}

/// Clears the listings of `listed` once their flush is durable. A failure
/// is logged, not returned: the flush stands, and a listing left behind
/// costs only its room until the article's next advance replaces it.
pub(crate) async fn forget(registry: &Registry, listed: &[(String, u64)]) {
    if let Err(error) = registry.forget_listings(listed).await {
        tracing::warn!(%error, articles = listed.len(), "the flushed articles' listings could not be cleared from the registry");
    }
}
