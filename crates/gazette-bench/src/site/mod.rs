//! `cargo xtask site`: `gazette rebuild` against Hugo on the same articles, and what one new article costs the indexer in a 100,000-article site.
//!
//! Both sides get the same generated Vietnamese articles: Gazette as the
//! validated JSON copies publish stores (`articles/<id>/1.json`, the body
//! already sanitised HTML), Hugo as Markdown with the same front matter,
//! in one section per category, paginated by 20, with RSS. Both write to
//! the local disk (Gazette through its `file://` store), one after the
//! other, in the same run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use gazette_contract::Schemas;
use gazette_stages::{ValidateStage, revision_key};
use serde::Serialize;

use crate::articles::ArticleFactory;

mod index_cost;
use index_cost::index_cost;

const HUGO_FILES: [(&str, &str); 5] = [
    ("hugo.toml", include_str!("../../hugo/hugo.toml")),
    (
        "layouts/_default/baseof.html",
        include_str!("../../hugo/layouts/_default/baseof.html"),
    ),
    (
        "layouts/_default/single.html",
        include_str!("../../hugo/layouts/_default/single.html"),
    ),
    (
        "layouts/_default/list.html",
        include_str!("../../hugo/layouts/_default/list.html"),
    ),
    (
        "layouts/index.html",
        include_str!("../../hugo/layouts/index.html"),
    ),
];
pub(crate) const PUBLIC_URL: &str = "https://quan.example.vn/";

#[derive(Debug, Clone)]
pub struct SitePlan {
    pub gazette_binary: PathBuf,
    pub hugo_binary: PathBuf,
    pub example_article: PathBuf,
    pub amqp_url: String,
    /// Articles both builders get.
    pub articles: usize,
    /// Timed builds of each; the median counts.
    pub runs: usize,
    /// Size of the site the indexer's cost is measured in.
    pub index_site_articles: usize,
    /// Where to leave the rebuilt site (the last run's), to look at or
    /// serve; `None` removes it with the rest of the work.
    pub keep: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteReport {
    pub articles: usize,
    pub gazette_seconds: Vec<f64>,
    pub hugo_seconds: Vec<f64>,
    pub gazette_median: f64,
    pub hugo_median: f64,
    /// Hugo's time over Gazette's: above 1, Gazette is faster.
    pub ratio: f64,
    pub hugo_version: String,
    /// One `gazette rebuild` that also builds the search index.
    pub with_search_seconds: f64,
    /// The search index that rebuild built.
    pub search: SearchSize,
    pub index: IndexCost,
}

/// The static search index in the public site (`pagefind/`), all told.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SearchSize {
    pub files: usize,
    pub bytes: u64,
    /// Its chunks of the word index, and the largest.
    pub index_chunks: usize,
    pub largest_chunk_bytes: u64,
    /// One per article: the text a result shows.
    pub fragments: usize,
}

fn search_size(folder: &Path) -> anyhow::Result<SearchSize> {
    let mut size = SearchSize::default();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                pending.push(entry.path());
                continue;
            }
            size.files += 1;
            size.bytes += meta.len();
            let parent = dir.file_name().and_then(|n| n.to_str());
            match parent {
                Some("index") => {
                    size.index_chunks += 1;
                    size.largest_chunk_bytes = size.largest_chunk_bytes.max(meta.len());
                }
                Some("fragment") => size.fragments += 1,
                _ => {}
            }
        }
    }
    Ok(size)
}

/// New articles, indexed one at a time into a site of `site_articles`.
#[derive(Debug, Clone, Serialize)]
pub struct IndexCost {
    pub site_articles: usize,
    pub new_articles: Vec<NewArticleCost>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewArticleCost {
    pub article_id: String,
    /// Its place in its category, counted from 0 at the oldest.
    pub category_seq: u64,
    /// Whether it is the first article of a new numbered page, which also
    /// rewrites the page before (its "newer" link).
    pub opens_a_page: bool,
    /// As the indexer reports it.
    pub objects_written: u64,
    /// Files whose modification time moved, counted on disk independently.
    pub files_changed: usize,
    pub bytes_written: u64,
}

pub async fn run(plan: &SitePlan) -> anyhow::Result<SiteReport> {
    let work = tempfile::Builder::new()
        .prefix("gazette-site-bench")
        .tempdir()?;
    let store = work.path().join("store");
    let hugo = work.path().join("hugo");
    eprintln!("generating {} articles for both builders", plan.articles);
    generate(plan, plan.articles, &store, Some(&hugo))?;
    // The copies are generated as an earlier version stored them; one
    // migration puts them in the archive and the registry, as on an upgrade.
    timed(&plan.gazette_binary, &["migrate"], &store_env(&store))?;
    let hugo_version = command_output(&plan.hugo_binary, &["version"])?;

    let (mut gazette_seconds, mut hugo_seconds) = (Vec::new(), Vec::new());
    for run in 0..plan.runs {
        // Each builder starts from its sources alone, as after a theme change.
        remove_all_but(&store, "")?;
        let _ = std::fs::remove_dir_all(hugo.join("public"));
        // No indexer writes this site, so no broker: the race is
        // rendering against Hugo, not a lock's round trip.
        // Pages, listings, feeds and sitemap against Hugo's same set; the
        // search index, which Hugo does not build, is timed on its own below.
        gazette_seconds.push(timed(
            &plan.gazette_binary,
            &["rebuild", "--without-broker", "--without-search"],
            &store_env(&store),
        )?);
        hugo_seconds.push(timed(
            &plan.hugo_binary,
            &[
                "--quiet",
                "--source",
                &hugo.display().to_string(),
                "--destination",
                "public",
            ],
            &[],
        )?);
        eprintln!(
            "run {}: gazette rebuild {:.2} s, hugo {:.2} s",
            run + 1,
            gazette_seconds[run],
            hugo_seconds[run]
        );
    }
    let public = hugo.join("public");
    ensure!(public.join("index.xml").exists(), "hugo wrote no RSS feed");
    ensure!(
        store.join("rss.xml").exists(),
        "gazette rebuild wrote no RSS feed"
    );

    remove_all_but(&store, "")?;
    let with_search_seconds = timed(
        &plan.gazette_binary,
        &["rebuild", "--without-broker"],
        &store_env(&store),
    )?;
    eprintln!("gazette rebuild with the search index: {with_search_seconds:.2} s");
    let search = search_size(&store.join("pagefind"))?;
    if let Some(keep) = &plan.keep {
        let _ = std::fs::remove_dir_all(keep);
        copy_tree(&store, keep)?;
    }
    let index = index_cost(plan, work.path()).await?;
    let (gazette_median, hugo_median) = (median(&gazette_seconds), median(&hugo_seconds));
    Ok(SiteReport {
        articles: plan.articles,
        ratio: hugo_median / gazette_median.max(f64::EPSILON),
        gazette_seconds,
        hugo_seconds,
        gazette_median,
        hugo_median,
        hugo_version: hugo_version.trim().to_owned(),
        with_search_seconds,
        search,
        index,
    })
}

pub(crate) fn store_env(store: &Path) -> Vec<(String, String)> {
    vec![
        (
            "GAZETTE_STORE".to_owned(),
            format!("file://{}", store.display()),
        ),
        ("GAZETTE_PUBLIC_URL".to_owned(), PUBLIC_URL.to_owned()),
        (
            "GAZETTE_SITE_NAME".to_owned(),
            "Cổng thông tin quận".to_owned(),
        ),
        ("GAZETTE_LOG".to_owned(), "warn".to_owned()),
        // The registry beside the site, fresh with each generated site.
        (
            "GAZETTE_DATABASE_URL".to_owned(),
            format!("sqlite://{}-registry.db", store.display()),
        ),
    ]
}

/// Validated copies for Gazette (and Markdown for Hugo), as publish would
/// have stored them.
pub(crate) fn generate(
    plan: &SitePlan,
    count: usize,
    store: &Path,
    hugo: Option<&Path>,
) -> anyhow::Result<()> {
    let example = std::fs::read(&plan.example_article).context("reading the example article")?;
    let mut factory = ArticleFactory::from_example(&example, 7)?;
    let validate = ValidateStage::new(Schemas::load()?);
    if let Some(hugo) = hugo {
        for (path, text) in HUGO_FILES {
            write(&hugo.join(path), text.as_bytes())?;
        }
    }
    for n in 0..count {
        let submission = factory.article("site", n);
        let event = validate
            .validate(&submission.body)
            .map_err(|e| anyhow::anyhow!("generated article {n} is invalid: {e}"))?;
        let validated = &event.data;
        let article = &validated.article;
        write(
            &store.join(revision_key(&article.id, 1, "json")),
            &serde_json::to_vec_pretty(validated)?,
        )?;
        let Some(hugo) = hugo else { continue };
        let section = hugo.join("content").join(&article.category.slug);
        if !section.join("_index.md").exists() {
            write(
                &section.join("_index.md"),
                format!("---\ntitle: {:?}\n---\n", article.category.name).as_bytes(),
            )?;
        }
        let front = format!(
            "---\ntitle: {:?}\ndate: {}\nslug: {:?}\nauthor: {:?}\nlead: {:?}\n---\n\n",
            article.title,
            article.published_at.to_rfc3339(),
            validated.slug,
            article.author,
            article.lead,
        );
        let mut page = front.into_bytes();
        page.extend_from_slice(article.body.content.as_bytes());
        write(&section.join(format!("{}.md", article.id)), &page)?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn remove_all_but(dir: &Path, keep: &str) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name() == keep {
            continue;
        }
        let path = entry.path();
        if entry.metadata()?.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Wall-clock seconds of one run of `binary args`, which must succeed.
pub(crate) fn timed(binary: &Path, args: &[&str], env: &[(String, String)]) -> anyhow::Result<f64> {
    let started = Instant::now();
    let output = std::process::Command::new(binary)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .with_context(|| format!("starting {}", binary.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "{} {args:?} failed: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(seconds)
}

fn command_output(binary: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = std::process::Command::new(binary)
        .args(args)
        .output()
        .with_context(|| {
            format!(
                "{} is not installed (Debian package `hugo`)",
                binary.display()
            )
        })?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `docs/site-benchmark.md`.
pub fn markdown(report: &SiteReport, command: &str) -> String {
    let seconds = |v: &[f64]| {
        v.iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "# Site benchmark\n\n\
         Measured with `{command}` on this machine, both builders in the same run, \
         one after the other, each writing to the local disk.\n\n\
         ## `gazette rebuild` against Hugo, {articles} articles\n\n\
         | builder | runs (s) | median (s) |\n|---|---|---|\n\
         | `gazette rebuild` (release build, `file://` store) | {g} | {gm:.2} |\n\
         | `hugo` ({hugo}) | {h} | {hm:.2} |\n\n\
         **Ratio: {ratio:.2}** (Hugo's median time over Gazette's; above 1, Gazette is faster).\n\n\
         Both get the same generated articles (4–8 kB bodies of Vietnamese text, five \
         categories). Gazette reads the revision copies publish stores (`articles/<id>/1.json`, \
         the body already sanitised to HTML by the validate stage) and writes every article \
         page, the paginated category listings, the home page, RSS and Atom per category and \
         for the site, and the sitemap. Hugo reads the same articles as Markdown and writes \
         one section per category paginated by 20, the home page, RSS per section and for the \
         site, and its sitemap.\n\n\
         The timed rebuilds leave out the search index (`--without-search`), which Hugo \
         does not build. One more `gazette rebuild` with it took {with_search:.2} s; its \
         index is {sfiles} files, {sbytes} bytes in `pagefind/`: {chunks} word-index \
         chunks, the largest {largest} bytes, and {fragments} fragments, one per article.\n\n\
         ## New articles in a {site}-article site\n\n\
         | article | place in its category | opens a page | objects written (the indexer's count) | files changed on disk | bytes written |\n|---|---|---|---|---|---|\n\
         {rows}\n\
         The site was built by `gazette rebuild`; then `gazette worker index` indexed one \
         `article.published` at a time, both with `GAZETTE_SEARCH=off`: one Pagefind index \
         of this many articles would not fit in this machine's memory (about 400 KB an \
         article while it is built; docs/capacity.md). The count does not depend on the \
         site's size: an \
         article lands on its category's newest page (pages count from the oldest), and the \
         rest is a fixed set: the category's front page and two feeds, the home page and two \
         site feeds, the sitemap (past 50,000 URLs its shard and the index), and the state \
         (the page's, the shard's and the site's); the article's record is a row of the \
         registry, not a file. A site with search writes one object more per flush, its \
         search journal, which holds only the text of the articles it flushed; the search \
         builder folds the journals into the search documents and rebuilds the search index \
         at most once per `GAZETTE_SEARCH_INTERVAL`, apart from the flush. Every 20th article in a \
         category opens a new page and rewrites the page before it too. Files changed are \
         counted on disk independently of the indexer. Bytes grow with the sitemap shard \
         (up to 50,000 URLs) and its state.\n",
        articles = report.articles,
        g = seconds(&report.gazette_seconds),
        gm = report.gazette_median,
        hugo = report.hugo_version,
        h = seconds(&report.hugo_seconds),
        hm = report.hugo_median,
        ratio = report.ratio,
        site = report.index.site_articles,
        with_search = report.with_search_seconds,
        sfiles = report.search.files,
        sbytes = report.search.bytes,
        chunks = report.search.index_chunks,
        largest = report.search.largest_chunk_bytes,
        fragments = report.search.fragments,
        rows = report
            .index
            .new_articles
            .iter()
            .map(|a| format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                a.article_id,
                a.category_seq,
                if a.opens_a_page { "yes" } else { "no" },
                a.objects_written,
                a.files_changed,
                a.bytes_written
            ))
            .collect::<String>(),
    )
}

/// `from` and everything under it, copied to `to`.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.metadata()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
