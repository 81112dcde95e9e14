//! What new articles cost the indexer in a large site: built by `gazette rebuild`, then one `article.published` at a time through `gazette worker index`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, ensure};
use gazette_broker::{AmqpUrl, BrokerSettings, Publisher, delete_namespace, ensure_topology};
use gazette_contract::{EventType, Published, event_id};
use gazette_site::page_key_candidates;
use gazette_stages::{Part, encode_event, revision_key, specs_of};

use super::{IndexCost, NewArticleCost, PUBLIC_URL, SitePlan, generate, store_env, timed};
use gazette_testkit::process::GazetteProcess;

/// What new articles cost the indexer in a site of `index_site_articles`:
/// the site is built by `gazette rebuild`, then `gazette worker index`
/// indexes two `article.published`, one flush each. Both are in the first
/// category (generated articles take categories in turn), one after the
/// other there.
pub(super) async fn index_cost(plan: &SitePlan, work: &Path) -> anyhow::Result<IndexCost> {
    let store = work.join("big");
    let site = plan.index_site_articles;
    eprintln!("building a {site}-article site for the indexer's cost");
    let categories = crate::articles::CATEGORY_COUNT;
    let new = [site, site + categories];
    generate(plan, site + categories + 1, &store, None)?;
    // The new articles' copies are held back from the rebuild.
    let copies: Vec<PathBuf> = new
        .iter()
        .map(|n| store.join(revision_key(&format!("bench-site-{n:06}"), 1, "json")))
        .collect();
    for (n, copy) in copies.iter().enumerate() {
        std::fs::rename(copy, work.join(format!("held-{n}.json")))?;
    }
    // A site without search: one Pagefind index of this many articles
    // would not fit in memory (about 400 KB an article, docs/capacity.md),
    // and an index left behind would be built by the indexer in the
    // background and its files counted as the article's.
    let mut site_env = store_env(&store);
    site_env.push(("GAZETTE_SEARCH".to_owned(), "off".to_owned()));
    timed(&plan.gazette_binary, &["migrate"], &site_env)?;
    // A generated site with no indexer: no broker to hold a lock on.
    timed(
        &plan.gazette_binary,
        &["rebuild", "--without-broker"],
        &site_env,
    )?;
    // Back where publish would have put them: the archive, now that there is one.
    let copies: Vec<PathBuf> = new
        .iter()
        .map(|n| {
            archive_beside(&store).join(revision_key(&format!("bench-site-{n:06}"), 1, "json"))
        })
        .collect();
    for (n, copy) in copies.iter().enumerate() {
        if let Some(folder) = copy.parent() {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::rename(work.join(format!("held-{n}.json")), copy)?;
    }

    let namespace = format!("gazette-bench-site-{}", std::process::id());
    let settings = BrokerSettings::new(AmqpUrl::new(plan.amqp_url.clone()), namespace.clone());
    ensure_topology(&settings, &specs_of(Part::Site)).await?;
    let mut env = site_env;
    env.extend([
        ("GAZETTE_AMQP_URL".to_owned(), plan.amqp_url.clone()),
        ("GAZETTE_NAMESPACE".to_owned(), namespace),
        ("GAZETTE_LOG".to_owned(), "info,lapin=off".to_owned()),
    ]);
    let log = work.join("index.log");
    let mut worker = GazetteProcess::spawn(
        &plan.gazette_binary,
        "index",
        &["worker", "index"],
        &env,
        &log,
    )?;
    // Counted from when it consumes: its start-up writes (404 page, fonts) are not the articles'.
    wait_for_log(&mut worker, "consuming", 1).await?;
    let publisher = Publisher::connect(&settings, "bench").await?;
    let mut new_articles = Vec::new();
    for (flush, (n, copy)) in new.iter().zip(&copies).enumerate() {
        let validated: gazette_contract::ValidatedArticle =
            serde_json::from_slice(&std::fs::read(copy)?)?;
        let started = SystemTime::now();
        publisher
            .publish(&encode_event(EventType::Published, &published(&validated))?)
            .await?;
        let line = wait_for_log(&mut worker, "index flushed", flush + 1).await?;
        let objects_written =
            flushed_objects(&line).context("the flush line names no objects_written")?;
        // The site and its archive beside it (the index state lives there).
        let (site_files, site_bytes) = changed_since(&store, started)?;
        let (state_files, state_bytes) = changed_since(&archive_beside(&store), started)?;
        let (files_changed, bytes_written) = (site_files + state_files, site_bytes + state_bytes);
        let category_seq = (n / categories) as u64;
        new_articles.push(NewArticleCost {
            article_id: validated.article.id.clone(),
            category_seq,
            opens_a_page: category_seq > 0 && category_seq % gazette_site::PAGE_SIZE == 0,
            objects_written,
            files_changed,
            bytes_written,
        });
    }
    publisher.close().await;
    worker.terminate();
    delete_namespace(&settings, &specs_of(Part::Site)).await?;
    Ok(IndexCost {
        site_articles: site,
        new_articles,
    })
}

/// `article.published` for a stored revision copy, as publish would send it.
fn published(
    validated: &gazette_contract::ValidatedArticle,
) -> gazette_contract::Envelope<Published> {
    let article = &validated.article;
    // The key the registry gives a new article whose slug is free.
    let key =
        page_key_candidates(&article.category.slug, &validated.slug, &article.id).swap_remove(0);
    gazette_contract::Envelope::new(
        EventType::Published,
        event_id(&article.id, 1, EventType::Published),
        "/gazette-bench",
        &article.id,
        None,
        Published {
            article_id: article.id.clone(),
            revision: 1,
            title: article.title.clone(),
            category: article.category.clone(),
            url: format!("{PUBLIC_URL}{key}"),
            key,
            sha256: "0".repeat(64),
            published_at: article.published_at,
        },
    )
}

/// The `nth` line (from 1) of the worker's log containing `needle`, within 2 minutes.
async fn wait_for_log(
    worker: &mut GazetteProcess,
    needle: &str,
    nth: usize,
) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        worker.check_alive()?;
        if let Some(line) = worker
            .log()
            .lines()
            .filter(|l| l.contains(needle))
            .nth(nth - 1)
        {
            return Ok(line.to_owned());
        }
        ensure!(
            Instant::now() < deadline,
            "the indexer logged no {needle:?} within 2 minutes:\n{}",
            worker.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn flushed_objects(line: &str) -> Option<u64> {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix("objects_written="))
        .and_then(|n| n.parse().ok())
}

/// Files under `dir` (the store's own metadata aside) modified since `since`.
/// `GAZETTE_ARCHIVE`'s default for a directory site: `<site>-archive`.
fn archive_beside(site: &Path) -> PathBuf {
    let mut name = site.as_os_str().to_owned();
    name.push("-archive");
    PathBuf::from(name)
}

fn changed_since(dir: &Path, since: SystemTime) -> anyhow::Result<(usize, u64)> {
    let (mut files, mut bytes) = (0, 0);
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                if entry.file_name() != ".gazette-meta" {
                    pending.push(entry.path());
                }
            } else if meta.modified()? >= since {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    Ok((files, bytes))
}
