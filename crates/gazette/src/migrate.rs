//! `gazette migrate`: the one-time move of a site published before the archive and the registry existed.
//!
//! Earlier versions kept their state in the public bucket: revision copies
//! and tombstones under `articles/`, the indexer's state under `_gazette/`.
//! This moves both into `GAZETTE_ARCHIVE` (copy, then delete from the site)
//! and records every article in the registry: its newest revision at the
//! key its page already has, and its withdrawal if it had a tombstone.
//! Running it again finds nothing left to move and records nothing new.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use gazette_contract::ValidatedArticle;
use gazette_site::{PageKeys, revision_key};
use gazette_store::{Precondition, PutObject, Store};
use gazette_subscribers::{KeyClaim, Registry};
use serde::Deserialize;

use crate::config::Config;
use crate::run::{open_registry, open_stores};

/// Prefixes earlier versions wrote to the public store that belong in the archive.
const PRIVATE_PREFIXES: [&str; 2] = ["articles/", "_gazette/"];

/// The tombstone earlier versions wrote at `articles/<id>/withdrawn.json`.
#[derive(Debug, Deserialize)]
struct Tombstone {
    revision: u64,
    reason: String,
}

pub async fn run(config: &Config) -> Result<()> {
    let stores = open_stores(config).await?;
    let registry = open_registry(config).await?;
    let mut moved = 0usize;
    for prefix in PRIVATE_PREFIXES {
        for key in stores.site.list(prefix).await? {
            move_object(&stores.site, &stores.archive, &key).await?;
            moved += 1;
        }
    }
    let (recorded, withdrawn) = record_articles(&stores.archive, &registry).await?;
    say!(
        "moved {moved} private objects from {} to {}; recorded {recorded} articles in the registry, {withdrawn} of them withdrawn",
        stores.site.describe(),
        stores.archive.describe()
    );
    Ok(())
}

async fn move_object(from: &Store, to: &Store, key: &str) -> Result<()> {
    let Some(body) = from.get(key).await? else {
        return Ok(());
    };
    let head = from.head(key).await?;
    to.put(PutObject {
        key: key.to_owned(),
        body: body.into(),
        content_type: if key.ends_with(".html") {
            "text/html; charset=utf-8"
        } else {
            "application/json"
        },
        cache_control: "private, no-cache",
        metadata: head.map(|h| h.metadata).unwrap_or_default(),
        precondition: Precondition::None,
    })
    .await
    .with_context(|| format!("copying {key} into the archive"))?;
    from.delete(key)
        .await
        .with_context(|| format!("deleting {key} from the public store"))
}

/// Each article's newest copy, claimed and advanced in the order the
/// articles were published, so that where two titles share a key the
/// older article keeps it, as it did on the site.
async fn record_articles(archive: &Store, registry: &Registry) -> Result<(usize, usize)> {
    let mut newest: BTreeMap<String, u64> = BTreeMap::new();
    let mut tombstones = Vec::new();
    for key in archive.list("articles/").await? {
        let Some((id, file)) = key
            .strip_prefix("articles/")
            .and_then(|rest| rest.split_once('/'))
        else {
            continue;
        };
        if file == "withdrawn.json" {
            tombstones.push(id.to_owned());
        } else if let Some(revision) = file
            .strip_suffix(".json")
            .and_then(|n| n.parse::<u64>().ok())
        {
            let entry = newest.entry(id.to_owned()).or_default();
            *entry = (*entry).max(revision);
        }
    }
    let mut articles = Vec::with_capacity(newest.len());
    for (id, revision) in newest {
        let key = revision_key(&id, revision, "json");
        let bytes = archive
            .get(&key)
            .await?
            .with_context(|| format!("{key} was listed but cannot be read"))?;
        let copy: ValidatedArticle = serde_json::from_slice(&bytes)
            .with_context(|| format!("{key} is not an article copy Gazette wrote"))?;
        articles.push((copy.article.published_at, id, revision, copy));
    }
    articles.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut recorded = 0;
    for (_, id, revision, copy) in &articles {
        let keys = PageKeys::for_slug(&copy.article.category.slug, &copy.slug, id);
        let claim = registry.claim_key(id, *revision, &keys.kept, &keys.claimable);
        let KeyClaim::Owned(key) = claim.await? else {
            say!(
                "{id}: no key could be recorded (a newer revision is recorded already, or every key is taken); left as it is"
            );
            continue;
        };
        registry.advance(id, *revision, &key).await?;
        recorded += 1;
    }
    let mut withdrawn = 0;
    for id in tombstones {
        let key = format!("articles/{id}/withdrawn.json");
        let Some(bytes) = archive.get(&key).await? else {
            continue;
        };
        let tombstone: Tombstone = serde_json::from_slice(&bytes)
            .with_context(|| format!("{key} is not a tombstone Gazette wrote"))?;
        let covers_newest = articles
            .iter()
            .any(|(_, article, revision, _)| *article == id && *revision <= tombstone.revision);
        if covers_newest
            && registry.withdraw(&id, &tombstone.reason).await?
                != gazette_subscribers::Takedown::Unknown
        {
            withdrawn += 1;
        }
    }
    Ok((recorded, withdrawn))
}
