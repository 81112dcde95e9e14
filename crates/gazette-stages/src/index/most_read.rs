//! The home page's "most read" block, redrawn on a timer from the registry's view counts.
//!
//! Views arrive without any event, so no flush would ever show them: a
//! timer asks the registry for the ranking, joins it to the listings'
//! entries (`gazette_site::MostRead`), and rewrites the home page when the
//! block changed. Flushes keep the block honest in between: a withdrawal
//! takes its article out at once (`flush.rs`).

use std::sync::{Arc, Weak};
use std::time::Duration;

use gazette_site::{
    MOST_READ_KEY, MOST_READ_LEN, MostRead, SITE_STATE_KEY, SiteState, page_state_key,
    pages_to_rank,
};
use gazette_subscribers::Registry;

use super::flush::{get_json, json_object, load_all};
use super::{IndexFailure, Site};

/// Ranked articles asked of the registry: more than the block holds, so
/// that articles the listings no longer show (retired on a category
/// change, say) can be skipped without a short block.
pub(super) const CANDIDATES: u32 = (MOST_READ_LEN as u32) * 4;

/// Redraws the block now and then every `every`, until the stage is gone.
/// A standby replica runs it too; see [`refresh`] for why that is safe.
pub(super) fn start_timer(site: Weak<Site>, registry: Registry, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            // Only the weak handle is held while waiting: the stage's end drops the site.
            let Some(site) = site.upgrade() else {
                return;
            };
            match refresh(&site, &registry).await {
                Ok(true) => tracing::info!("the most read block was redrawn"),
                Ok(false) => {}
                // The next tick tries again; the block only lags meanwhile.
                Err(error) => tracing::warn!(%error, "the most read block could not be redrawn"),
            }
        }
    });
}

/// The block from the registry's counts now, by the listings' entries.
async fn ranked(
    archive: &gazette_store::Store,
    registry: &Registry,
) -> Result<MostRead, IndexFailure> {
    let ranking = registry.most_read(CANDIDATES).await?;
    let ids = ranking.iter().map(|(id, _)| id.clone()).collect();
    let records = super::records::load(registry, ids).await?;
    let pages = load_all(archive, pages_to_rank(&records), |(listing, number)| {
        page_state_key(listing, *number)
    })
    .await?;
    Ok(MostRead::rank(&ranking, &records, &pages))
}

/// Redraws the block if the counts changed it; whether it did.
///
/// In the store's foreground turn (`turns.rs`), so no flush of this
/// process interleaves. A standby replica's timer may still read the site
/// state just before the active replica's flush commits a newer one; so
/// after writing the home page it reads the state again, and draws the
/// page once more from the newer state if there is one, leaving the last
/// word to the newest state.
async fn refresh(site: &Arc<Site>, registry: &Registry) -> Result<bool, IndexFailure> {
    let archive = &site.stores.archive;
    let fresh = ranked(archive, registry).await?;
    let _writing = site.turns.foreground().await;
    let shown: MostRead = get_json(archive, MOST_READ_KEY).await?;
    if shown == fresh {
        return Ok(false);
    }
    let mut state: SiteState = get_json(archive, SITE_STATE_KEY).await?;
    archive
        .put(json_object(MOST_READ_KEY.to_owned(), &fresh)?)
        .await?;
    for _ in 0..3 {
        site.stores
            .site
            .put(site.outputs().home(&state, &fresh)?)
            .await?;
        let now: SiteState = get_json(archive, SITE_STATE_KEY).await?;
        if now == state {
            break;
        }
        state = now;
    }
    Ok(true)
}
