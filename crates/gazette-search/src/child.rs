//! Building the index in a child process, so a long-running indexer gives each build's memory back to the system.
//!
//! A Pagefind build needs memory in proportion to the site for a few
//! seconds: 1.1 to 1.3 GB for 3,000 articles, measured in the child. Built
//! in a process that lives for weeks, that memory stayed with it
//! (`gazette up` at 1.45 GB after repeated builds). A child process that
//! exits after its build returns all of it, and a build that runs out of
//! memory takes down only itself.
//!
//! The protocol is private to one binary talking to itself: the documents
//! go to the child's standard input as a JSON array, and the files come
//! back on its standard output, each as a length-prefixed frame.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::AsyncWriteExt as _;

use crate::{SearchDocument, SearchError, SearchFile};

/// Where an index is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Builder {
    /// On a thread of this process: for one-off commands, whose memory
    /// goes back when they exit, and for tests.
    #[default]
    InProcess,
    /// In a child process: `program args…` must run [`serve_child`]
    /// (`gazette search-index`).
    Child { program: PathBuf, args: Vec<String> },
}

/// An index's files, and what building them took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub files: Vec<SearchFile>,
    /// The builder process's peak resident memory, when it ran in one of
    /// its own (in process, the build's memory is the caller's).
    pub child_peak_rss_bytes: Option<u64>,
}

/// The line a child's standard error ends with: its peak resident memory.
const PEAK_RSS_LINE: &str = "gazette-search peak-rss-kib=";

impl Builder {
    /// The index of `documents`, built where this builder builds.
    pub async fn build(&self, documents: Vec<SearchDocument>) -> Result<Built, SearchError> {
        match self {
            Self::InProcess => Ok(Built {
                files: crate::build(documents).await?,
                child_peak_rss_bytes: None,
            }),
            Self::Child { program, args } => build_in_child(program, args, &documents).await,
        }
    }
}

async fn build_in_child(
    program: &PathBuf,
    args: &[String],
    documents: &[SearchDocument],
) -> Result<Built, SearchError> {
    let input = serde_json::to_vec(documents).map_err(|e| SearchError::Child(e.to_string()))?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A stage stopped mid-build leaves no builder running.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SearchError::Child(format!("cannot start {}: {e}", program.display())))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| SearchError::Child("no standard input".to_owned()))?;
    // Written while the output is read: the child reads everything before
    // it writes, but a child that fails early must not leave us blocked.
    let writer = async move {
        let written = stdin.write_all(&input).await;
        drop(stdin);
        written
    };
    let (written, output) = tokio::join!(writer, child.wait_with_output());
    let output = output.map_err(|e| SearchError::Child(e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(SearchError::Child(format!(
            "{} exited with {}: {}",
            program.display(),
            output.status,
            stderr.trim()
        )));
    }
    written.map_err(|e| SearchError::Child(format!("writing the documents: {e}")))?;
    let child_peak_rss_bytes = String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|line| line.strip_prefix(PEAK_RSS_LINE)?.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024);
    Ok(Built {
        files: decode_files(&output.stdout)?,
        child_peak_rss_bytes,
    })
}

/// This process's peak resident memory in KiB, where Linux says it.
fn own_peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// How much lower than its parent a builder runs: a build may take whole
/// seconds of CPU, and the search index may lag by its interval anyway,
/// while the stages beside it have articles to put on front pages.
const NICENESS: i32 = 10;

/// The child's side: reads the documents from standard input, builds the
/// index on this thread at a lower priority, and writes the files to
/// standard output.
pub fn serve_child() -> Result<(), SearchError> {
    // Best effort: a build at normal priority is still a build.
    let _ = rustix::process::nice(NICENESS);
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| SearchError::Child(format!("reading the documents: {e}")))?;
    let documents: Vec<SearchDocument> = serde_json::from_slice(&input)
        .map_err(|e| SearchError::Child(format!("the documents are not JSON: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SearchError::Runtime(e.to_string()))?;
    let files = runtime.block_on(crate::build_here(documents))?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&encode_files(&files))
        .and_then(|()| stdout.flush())
        .map_err(|e| SearchError::Child(format!("writing the index: {e}")))?;
    if let Some(kib) = own_peak_rss_kib() {
        // For the parent's log and metrics; nothing else reads it.
        let _ = writeln!(std::io::stderr(), "{PEAK_RSS_LINE}{kib}");
    }
    Ok(())
}

/// Each file as: path length (u32, little-endian), path, immutable (one
/// byte), content length (u64), content.
fn encode_files(files: &[SearchFile]) -> Vec<u8> {
    let mut out = Vec::with_capacity(files.iter().map(|f| f.bytes.len() + 64).sum());
    for file in files {
        let path = file.path.as_bytes();
        out.extend_from_slice(&u32::try_from(path.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(path);
        out.push(u8::from(file.immutable));
        out.extend_from_slice(&(file.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&file.bytes);
    }
    out
}

fn decode_files(mut input: &[u8]) -> Result<Vec<SearchFile>, SearchError> {
    fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], SearchError> {
        if input.len() < n {
            return Err(SearchError::Child(
                "the builder's output ends mid-file".to_owned(),
            ));
        }
        let (head, rest) = input.split_at(n);
        *input = rest;
        Ok(head)
    }
    let mut files = Vec::new();
    while !input.is_empty() {
        let mut length = [0u8; 4];
        length.copy_from_slice(take(&mut input, 4)?);
        let path = take(&mut input, u32::from_le_bytes(length) as usize)?;
        let path = String::from_utf8(path.to_vec())
            .map_err(|_| SearchError::Child("a file's path is not UTF-8".to_owned()))?;
        let immutable = match take(&mut input, 1)? {
            [0] => false,
            [1] => true,
            _ => return Err(SearchError::Child(format!("{path}: a bad flag"))),
        };
        let mut length = [0u8; 8];
        length.copy_from_slice(take(&mut input, 8)?);
        let length = usize::try_from(u64::from_le_bytes(length))
            .map_err(|_| SearchError::Child(format!("{path}: too long")))?;
        let bytes = take(&mut input, length)?.to_vec();
        files.push(SearchFile {
            path,
            bytes,
            immutable,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<SearchFile> {
        vec![
            SearchFile {
                path: "pagefind-entry.json".to_owned(),
                bytes: b"{}".to_vec(),
                immutable: false,
            },
            SearchFile {
                path: "fragment/vi_ab12.pf_fragment".to_owned(),
                bytes: (0..=255).collect(),
                immutable: true,
            },
            SearchFile {
                path: "empty".to_owned(),
                bytes: Vec::new(),
                immutable: true,
            },
        ]
    }

    #[test]
    fn files_come_back_as_they_went() {
        assert_eq!(decode_files(&encode_files(&files())).ok(), Some(files()));
        assert_eq!(decode_files(&[]).ok(), Some(Vec::new()));
    }

    #[test]
    fn output_cut_anywhere_is_an_error_not_a_shorter_index() {
        let whole = encode_files(&files());
        // Every cut that is not at a frame boundary fails.
        let boundaries: Vec<usize> = (1..=files().len())
            .map(|n| encode_files(&files()[..n]).len())
            .collect();
        for cut in 1..whole.len() {
            let decoded = decode_files(&whole[..cut]);
            assert_eq!(decoded.is_ok(), boundaries.contains(&cut), "cut at {cut}");
        }
    }

    #[test]
    fn a_bad_flag_or_path_is_refused() {
        let mut bad = encode_files(&files()[..1]);
        let flag = 4 + "pagefind-entry.json".len();
        bad[flag] = 7;
        assert!(decode_files(&bad).is_err());
        let mut bad = encode_files(&files()[..1]);
        bad[4] = 0xff;
        assert!(decode_files(&bad).is_err());
    }

    #[tokio::test]
    async fn a_missing_builder_program_is_named() {
        let builder = Builder::Child {
            program: PathBuf::from("/nonexistent/gazette"),
            args: vec!["search-index".to_owned()],
        };
        let error = builder.build(Vec::new()).await.err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("/nonexistent/gazette")),
            "{error:?}"
        );
    }
}
