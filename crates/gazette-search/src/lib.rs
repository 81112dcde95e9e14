//! Gazette's only door to Pagefind: the live articles in, a static, chunked search index out, which readers query in the browser without a server.
//!
//! Pagefind splits the index by word into chunks and the text into one
//! fragment per article, each named by its content's hash, so a query
//! downloads the few chunks its words fall in and the fragments of the
//! results it shows, and a rebuild after one change renames only the
//! files that change.
//!
//! Vietnamese is searched without tone marks: Pagefind folds diacritics
//! (Unicode decomposition) on both sides, so "ha noi" finds "Hà Nội". The
//! one letter decomposition leaves alone is đ, a letter of its own rather
//! than d with a mark; each word holding it is indexed once more with d
//! ([`d_folded_words`]), so "duong" finds "đường" as readers type it.

mod child;
mod feed;

use std::collections::BTreeSet;

use gazette_text::escape_html;
use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use serde::{Deserialize, Serialize};

pub use child::{BuildCost, Builder, Built, FileSender, serve_child};
pub use feed::{BuilderGone, Feed, FeedSender, feed};

/// Where the index lives in the public site; `pagefind.js` finds the rest
/// relative to itself.
pub const SEARCH_FOLDER: &str = "pagefind/";

/// The file a reader's browser loads first; it names the current index.
/// Written last, so that it never names files not yet there.
pub const ENTRY_FILE: &str = "pagefind-entry.json";

/// `pagefind/parts.json`: the parts the site's index is split into, newest
/// first, each a whole Pagefind index in its own folder (`pagefind/2022/`).
/// The search page loads the first and merges the rest into it. Written
/// after every part it names, and never cached.
pub const PARTS_FILE: &str = "parts.json";

/// What an index's files depend on besides its documents: the Pagefind
/// that builds it, and the page [`page_of`] makes of a document. A part
/// built under another format is built again, because the search page
/// reads every part with the newest part's Pagefind. Change it with either.
pub const INDEX_FORMAT: &str = "pagefind 1.6.0; gazette page 1";

/// What the index knows of one live article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDocument {
    /// Its page, from the site's root (`/thong-bao/lich-tiep-dan.html`).
    pub url: String,
    pub title: String,
    /// The date line as the portal shows it.
    pub date: String,
    pub category: String,
    pub lead: String,
    /// The sanitised body, as its page carries it.
    pub body_html: String,
}

/// One file of the index, its path under [`SEARCH_FOLDER`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchFile {
    pub path: String,
    pub bytes: Vec<u8>,
    /// Named by its content's hash: caches may keep it forever.
    pub immutable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("Pagefind refused its settings: {0}")]
    Settings(String),
    #[error("Pagefind could not index {url}: {detail}")]
    Document { url: String, detail: String },
    #[error("Pagefind could not write the index: {0}")]
    Output(String),
    #[error("the search index build stopped: {0}")]
    Runtime(String),
    #[error("the search index builder process failed: {0}")]
    Child(String),
    #[error(
        "the documents for the search index stopped before their end; nothing was built from part of the site"
    )]
    Incomplete,
    #[error("the search index's files were no longer taken; the build was stopped")]
    Abandoned,
}

/// The files Pagefind writes that Gazette's search page never loads: its
/// own ready-made interfaces and the highlighter.
const UNUSED: &[&str] = &[
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
];

/// The index of `documents`. CPU-bound for seconds on a large site: it
/// runs on a thread of its own (its own small runtime), never on the
/// caller's async workers.
pub async fn build(documents: Vec<SearchDocument>) -> Result<Vec<SearchFile>, SearchError> {
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SearchError::Runtime(e.to_string()))?;
        runtime.block_on(build_here(documents))
    })
    .await
    .map_err(|e| SearchError::Runtime(e.to_string()))?
}

async fn build_here(documents: Vec<SearchDocument>) -> Result<Vec<SearchFile>, SearchError> {
    let options = PagefindServiceConfig::builder()
        .keep_index_url(true)
        .force_language("vi".to_owned())
        .build();
    let mut index =
        PagefindIndex::new(Some(options)).map_err(|e| SearchError::Settings(e.to_string()))?;
    for document in documents {
        let html = page_of(&document);
        index
            .add_html_file(None, Some(document.url.clone()), html)
            .await
            .map_err(|e| SearchError::Document {
                url: document.url,
                detail: e.to_string(),
            })?;
    }
    let files = index
        .get_files()
        .await
        .map_err(|e| SearchError::Output(e.to_string()))?;
    Ok(files
        .into_iter()
        .filter_map(|file| {
            let path = file.filename.to_string_lossy().replace('\\', "/");
            if UNUSED.contains(&path.as_str()) {
                return None;
            }
            let immutable = is_hashed(&path);
            Some(SearchFile {
                path,
                bytes: file.contents,
                immutable,
            })
        })
        .collect())
}

/// Chunks, fragments, filters and the metadata file are named by their
/// content's hash; the entry file, the scripts and the WebAssembly are not.
fn is_hashed(path: &str) -> bool {
    path.starts_with("index/")
        || path.starts_with("fragment/")
        || path.starts_with("filter/")
        || path.ends_with(".pf_meta")
}

/// The page Pagefind reads for `document`: the title as the result's
/// heading, the date and category as metadata, the lead and body as the
/// text, and the đ-folded words last.
fn page_of(document: &SearchDocument) -> String {
    let title = escape_html(&document.title);
    let folded = d_folded_words(&[&document.title, &document.lead, &document.body_html]);
    format!(
        "<!doctype html><html lang=\"vi\"><head><title>{title}</title></head><body>\
         <main data-pagefind-body>\
         <span data-pagefind-meta=\"date:{date}\"></span>\
         <span data-pagefind-meta=\"category:{category}\"></span>\
         <h1>{title}</h1><p>{lead}</p>{body}<p>{folded}</p>\
         </main></body></html>",
        date = escape_html(&document.date),
        category = escape_html(&document.category),
        lead = escape_html(&document.lead),
        body = document.body_html,
        folded = escape_html(&folded.join(" ")),
    )
}

/// Each distinct word of `texts` that holds đ or Đ, with d in its place.
/// Words are split on anything not a letter or digit, so markup around
/// them is left behind.
pub fn d_folded_words(texts: &[&str]) -> Vec<String> {
    let mut words = BTreeSet::new();
    for text in texts {
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if word.contains(['đ', 'Đ']) {
                words.insert(word.replace('đ', "d").replace('Đ', "D"));
            }
        }
    }
    words.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(url: &str, title: &str, body: &str) -> SearchDocument {
        SearchDocument {
            url: url.to_owned(),
            title: title.to_owned(),
            date: "23/06/2022 | 15:04".to_owned(),
            category: "Thông báo".to_owned(),
            lead: "(NTL) Ủy ban nhân dân phường".to_owned(),
            body_html: body.to_owned(),
        }
    }

    /// [`INDEX_FORMAT`] names the Pagefind the workspace builds with.
    #[test]
    fn the_index_format_names_the_pagefind_in_use() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
                .unwrap_or_default();
        let version = lock
            .split("[[package]]")
            .find(|package| package.contains("\nname = \"pagefind\"\n"))
            .and_then(|package| package.lines().find_map(|l| l.strip_prefix("version = ")))
            .map(|v| v.trim_matches('"').to_owned());
        assert_eq!(
            version.map(|v| format!("pagefind {v};")),
            INDEX_FORMAT.split_inclusive(';').next().map(str::to_owned),
            "bump INDEX_FORMAT with Pagefind: every part must be built by the same one"
        );
    }

    #[test]
    fn words_with_d_stroke_are_folded_once_each() {
        let words = d_folded_words(&["Đường <b>đường</b> Đông Anh; đ", "Hà Nội đường"]);
        assert_eq!(words, ["Dông", "Dường", "d", "dường"]);
        assert!(d_folded_words(&["Hà Nội", ""]).is_empty());
    }

    #[test]
    fn markup_in_titles_cannot_break_out_of_the_page() {
        let page = page_of(&document(
            "/a.html",
            "</title><script>alert(1)</script>",
            "<p>Thân bài</p>",
        ));
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
    }

    #[tokio::test]
    async fn an_index_holds_chunks_fragments_and_an_entry_and_no_unused_ui() {
        let articles = || {
            vec![
                document(
                    "/thong-bao/a.html",
                    "Hội nghị ở Hà Nội",
                    "<p>Đường phố Đông Anh</p>",
                ),
                document("/thong-bao/b.html", "Lịch tiếp dân", "<p>Tháng 7</p>"),
            ]
        };
        let files = build(articles()).await.unwrap_or_else(|e| panic!("{e}"));
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&ENTRY_FILE), "{paths:?}");
        assert!(paths.contains(&"pagefind.js"), "{paths:?}");
        assert_eq!(
            files
                .iter()
                .filter(|f| f.path.starts_with("fragment/"))
                .count(),
            2,
            "one fragment per article: {paths:?}"
        );
        assert!(
            files
                .iter()
                .any(|f| f.path.starts_with("index/") && f.immutable)
        );
        assert!(!paths.iter().any(|p| UNUSED.contains(p)));
        assert!(
            files
                .iter()
                .filter(|f| f.immutable)
                .all(|f| is_hashed(&f.path))
        );
        // The same articles again give the same files: a rebuild rewrites nothing.
        let again = build(articles()).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(files, again);
    }
}
