//! Where Gazette keeps things: `GAZETTE_STORE`, the public site, and `GAZETTE_ARCHIVE`, its private state, which must never be the same place.

use std::path::PathBuf;

use crate::lookup::{ConfigError, Env};

/// `./public` under the current directory, as a file:// URL.
pub(crate) fn default_store_url() -> String {
    let dir = std::env::current_dir()
        .unwrap_or_else(|_| PathBuf::from("/tmp"))
        .join("public");
    url::Url::from_directory_path(&dir)
        .map_or_else(|()| format!("file://{}", dir.display()), String::from)
}

/// `GAZETTE_ARCHIVE`, or its default beside a directory site
/// (`<site>-archive`); refused where it would make the archive public.
///
/// An S3 site has no default (`None`): the archive must be a bucket of its
/// own, with no website endpoint, and only the operator can create one.
/// Commands that never touch the stores (`submit`, `dlq`, `topology`) run
/// without it; the ones that do refuse to start with [`missing_archive`].
pub(crate) fn archive_url<F: Fn(&str) -> Option<String>>(
    env: &Env<'_, F>,
    store_url: &str,
) -> Result<Option<String>, ConfigError> {
    let site = url::Url::parse(store_url).ok();
    let Some(archive) = env.optional("GAZETTE_ARCHIVE")? else {
        return Ok(match site.as_ref().map(url::Url::scheme) {
            Some("file") => Some(format!("{}-archive/", store_url.trim_end_matches('/'))),
            _ => None,
        });
    };
    let parsed = url::Url::parse(&archive).ok();
    let scheme = parsed.as_ref().map(url::Url::scheme);
    if !matches!(scheme, Some("s3" | "file")) {
        return Err(env.invalid(
            "GAZETTE_ARCHIVE",
            &archive,
            "expected s3://BUCKET or file:///DIR",
        ));
    }
    if let (Some(site), Some(archive_place)) = (&site, &parsed)
        && same_place(site, archive_place)
    {
        return Err(env.invalid(
            "GAZETTE_ARCHIVE",
            &archive,
            "it names the same place as GAZETTE_STORE (or one inside the other), which would publish the archive; use another bucket or directory",
        ));
    }
    Ok(Some(archive))
}

/// The one sentence for a command that needs the archive when an S3 site has none.
pub(crate) fn missing_archive(store_url: &str) -> String {
    format!(
        "GAZETTE_ARCHIVE is unset: with GAZETTE_STORE={store_url}, set it to a private bucket of its own, such as s3://gazette-archive, for revision copies and index state"
    )
}

/// Whether two store URLs overlap: one bucket, or one directory inside the other.
fn same_place(a: &url::Url, b: &url::Url) -> bool {
    match (a.scheme(), b.scheme()) {
        ("s3", "s3") => a.host_str() == b.host_str(),
        ("file", "file") => {
            let dir = |u: &url::Url| format!("{}/", u.path().trim_end_matches('/'));
            let (a, b) = (dir(a), dir(b));
            a.starts_with(&b) || b.starts_with(&a)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::config;

    #[test]
    fn the_archive_is_never_the_public_site() {
        let refused = |pairs: &[(&str, &str)]| {
            config(pairs)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        // Unset with an S3 site: no archive, which the commands that need one refuse.
        let unset = config(&[("GAZETTE_STORE", "s3://site")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(unset.archive_url, None);
        assert!(super::missing_archive("s3://site").starts_with("GAZETTE_ARCHIVE is unset"));
        for (store, archive) in [
            ("s3://site", "s3://site"),
            ("s3://site", "s3://site/"),
            ("file:///srv/site/", "file:///srv/site"),
            ("file:///srv/site/", "file:///srv/site/private/"),
            ("file:///srv/site/private/", "file:///srv/site/"),
        ] {
            let err = refused(&[("GAZETTE_STORE", store), ("GAZETTE_ARCHIVE", archive)]);
            assert!(err.contains("same place"), "{store} {archive}: {err}");
        }
        assert!(refused(&[("GAZETTE_ARCHIVE", "http://x/")]).contains("expected s3://"));
        let ok = config(&[
            ("GAZETTE_STORE", "s3://site"),
            ("GAZETTE_ARCHIVE", "s3://site-archive"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.archive_url.as_deref(), Some("s3://site-archive"));
        let beside =
            config(&[("GAZETTE_STORE", "file:///srv/site/")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            beside.archive_url.as_deref(),
            Some("file:///srv/site-archive/")
        );
    }
}
