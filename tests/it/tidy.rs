//! Repository rules, checked like any other test: boundaries between crates, file headers, no disabled tests.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_under(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, extension, found);
        } else if path.extension().is_some_and(|e| e == extension) {
            found.push(path);
        }
    }
}

fn rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    files_under(&repo().join("crates"), "rs", &mut files);
    files_under(&repo().join("tests"), "rs", &mut files);
    assert!(files.len() > 20, "found only {} Rust files", files.len());
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("crates"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.join("Cargo.toml").exists())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

#[test]
fn every_rust_file_says_what_it_owns() {
    for file in rust_files() {
        assert!(
            read(&file).starts_with("//!"),
            "{} must start with a //! line saying what it owns",
            file.display()
        );
    }
}

#[test]
fn files_stay_readable_in_one_sitting() {
    for file in rust_files() {
        let lines = read(&file).lines().count();
        assert!(
            lines <= 450,
            "{} has {lines} lines; split it",
            file.display()
        );
    }
}

#[test]
fn each_external_system_has_exactly_one_door() {
    // (dependency, the one crate allowed to name it, how it appears in code)
    let doors = [
        ("lapin", "gazette-broker", "lapin::"),
        ("aws-sdk-s3", "gazette-store", "aws_sdk_s3::"),
        ("aws-config", "gazette-store", "aws_config::"),
        ("handlebars", "gazette-render", "handlebars::"),
        ("sqlx", "gazette-subscribers", "sqlx::"),
        ("reqwest", "gazette-webhooks", "reqwest::"),
        ("lettre", "gazette-email", "lettre::"),
        ("pagefind", "gazette-search", "pagefind::"),
        ("image", "gazette-media", "image::"),
        ("fast_image_resize", "gazette-media", "fast_image_resize::"),
        ("jpeg-encoder", "gazette-media", "jpeg_encoder::"),
        ("webp", "gazette-media", "webp::"),
        ("moxcms", "gazette-media", "moxcms::"),
    ];
    for dir in crate_dirs() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let manifest = read(&dir.join("Cargo.toml"));
        let mut sources = Vec::new();
        files_under(&dir, "rs", &mut sources);
        for (dependency, owner, path_in_code) in doors {
            if name == owner {
                continue;
            }
            assert!(
                !manifest
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{dependency} "))
                        || l.trim_start().starts_with(&format!("{dependency}."))),
                "{name} depends on {dependency}; only {owner} may"
            );
            for source in &sources {
                assert!(
                    !read(source).contains(path_in_code),
                    "{} uses {dependency}; only {owner} may",
                    source.display()
                );
            }
        }
    }
    let mut harness = Vec::new();
    files_under(&repo().join("tests"), "rs", &mut harness);
    for source in harness.iter().filter(|f| !f.ends_with("tidy.rs")) {
        let text = read(source);
        for forbidden in [
            "lapin::",
            "aws_sdk_s3::",
            "handlebars::",
            "sqlx::",
            "reqwest::",
            "lettre::",
            "image::",
            "webp::",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} reaches past a boundary crate ({forbidden})",
                source.display()
            );
        }
    }
}

#[test]
fn crates_are_named_after_their_folders_and_share_the_lints() {
    for dir in crate_dirs() {
        let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let manifest = read(&dir.join("Cargo.toml"));
        assert!(
            manifest.contains(&format!("name = \"{folder}\"")),
            "crates/{folder} must be package {folder}"
        );
        assert!(
            manifest.contains("[lints]\nworkspace = true"),
            "crates/{folder} must use the workspace lints"
        );
    }
}

#[test]
fn no_test_is_switched_off_and_no_stub_is_left() {
    // Spelled in pieces so this file does not match itself.
    let banned = [
        concat!("#[", "ignore"),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
    ];
    for file in rust_files() {
        let text = read(&file);
        for pattern in banned {
            assert!(
                !text.contains(pattern),
                "{} contains {pattern}",
                file.display()
            );
        }
    }
}

#[test]
fn schema_ids_match_their_file_names() {
    let mut schemas = Vec::new();
    files_under(&repo().join("schemas"), "json", &mut schemas);
    let versioned: Vec<_> = schemas
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".v1.json"))
        .collect();
    assert!(versioned.len() >= 7);
    for file in versioned {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let text = read(file);
        assert!(
            text.contains(&format!(
                "\"$id\": \"https://gazette.invalid/schemas/{name}\""
            )),
            "{name} has a different $id"
        );
        assert!(
            text.contains("\"$schema\": \"https://json-schema.org/draft/2020-12/schema\""),
            "{name} is not 2020-12"
        );
    }
}

/// The top-level module a file of `src` belongs to (`render.rs` and
/// `publish/withdraw.rs` belong to `render` and `publish`); `None` for the
/// crate root.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// `crate::a::b` and `use crate::{a, b::c}` in `text`: the first segment of
/// each path (a module, or an item the crate root re-exports).
fn crate_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inside = &group[..group.find('}').unwrap_or(group.len())];
            for part in inside.split(',') {
                let head: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(head);
            }
        } else {
            found.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// No two top-level modules of a crate use each other, directly or round a
/// longer loop: each file can be read with what it depends on read first.
/// Items the crate root re-exports (`pub use wire::{encode_event}`) count as
/// their own module's.
#[test]
fn no_module_of_a_crate_depends_on_itself_round_a_loop() {
    for dir in crate_dirs() {
        let src = dir.join("src");
        let root = ["lib.rs", "main.rs"]
            .iter()
            .map(|f| src.join(f))
            .find(|p| p.exists());
        let Some(root) = root else { continue };
        let root_text = read(&root);
        // Re-exported item → the module it comes from.
        let mut owner = std::collections::BTreeMap::new();
        // Statements, not lines: rustfmt breaks a long `pub use` over several.
        for statement in root_text.split(';') {
            let statement = statement.split_whitespace().collect::<Vec<_>>().join(" ");
            let Some(rest) = statement
                .find("pub use ")
                .map(|at| &statement[at + "pub use ".len()..])
            else {
                continue;
            };
            let module: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let items = rest.split_once("::").map_or("", |(_, items)| items);
            for item in items
                .trim_matches(|c| matches!(c, '{' | '}' | ';'))
                .split(',')
            {
                let item = item.trim().rsplit(' ').next().unwrap_or_default();
                owner.insert(item.to_owned(), module.clone());
            }
        }
        let mut files = Vec::new();
        files_under(&src, "rs", &mut files);
        let modules: std::collections::BTreeSet<String> =
            files.iter().filter_map(|f| top_module(&src, f)).collect();
        let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            std::collections::BTreeMap::new();
        for file in &files {
            let Some(from) = top_module(&src, file) else {
                continue;
            };
            // A file's tests may lean on any module; the code they test may not.
            let text = read(file);
            // Comments (doc links included) are not dependencies.
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .lines()
                .map(|line| line.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            for head in crate_paths(&code) {
                let to = owner.get(&head).cloned().unwrap_or(head);
                if to != from && modules.contains(&to) {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
        // Depth-first search for a path back to where it started.
        for start in edges.keys() {
            let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
            while let Some(path) = stack.pop() {
                let last = path.last().cloned().unwrap_or_default();
                for next in edges.get(&last).into_iter().flatten() {
                    assert!(
                        next != start,
                        "{}: modules depend on each other in a loop: {} -> {next}",
                        dir.display(),
                        path.join(" -> ")
                    );
                    if !path.contains(next) {
                        let mut longer = path.clone();
                        longer.push(next.clone());
                        stack.push(longer);
                    }
                }
            }
        }
    }
}
