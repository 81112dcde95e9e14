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
//! go to the child's standard input a batch at a time as they are read
//! (`feed.rs`), and the files come back on its standard output, each as a
//! length-prefixed frame read straight into its own buffer and handed on
//! at once, so the caller can upload a file while the next is read and
//! never holds the whole index.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::sync::mpsc;

use crate::{Feed, SearchError, SearchFile};

/// Where a build hands its files, one at a time; the build waits while
/// the receiver is behind, and stops when the receiver is gone.
pub type FileSender = mpsc::Sender<SearchFile>;

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

/// What building an index took, its files having gone to a [`FileSender`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildCost {
    /// As [`Built::child_peak_rss_bytes`].
    pub child_peak_rss_bytes: Option<u64>,
}

/// The line a child's standard error ends with: its peak resident memory.
const PEAK_RSS_LINE: &str = "gazette-search peak-rss-kib=";

impl Builder {
    /// The index of the documents `feed` brings, built where this builder
    /// builds, its files collected. An incomplete feed builds nothing.
    pub async fn build(&self, feed: Feed) -> Result<Built, SearchError> {
        let (sender, receiver) = mpsc::channel(1);
        let (cost, files) = tokio::join!(self.build_into(feed, sender), collected(receiver));
        Ok(Built {
            files,
            child_peak_rss_bytes: cost?.child_peak_rss_bytes,
        })
    }

    /// As [`Builder::build`], each file sent to `files` as it comes. A
    /// file is sent only once the whole feed was read, so an incomplete
    /// feed sends none. A receiver dropped part-way stops the build with
    /// [`SearchError::Abandoned`].
    pub async fn build_into(
        &self,
        feed: Feed,
        files: FileSender,
    ) -> Result<BuildCost, SearchError> {
        match self {
            Self::InProcess => {
                for file in crate::build(feed.collect().await?).await? {
                    files.send(file).await.map_err(|_| SearchError::Abandoned)?;
                }
                Ok(BuildCost::default())
            }
            Self::Child { program, args } => build_in_child(program, args, feed, files).await,
        }
    }
}

/// Every file sent to `receiver`, until its senders are gone.
async fn collected(mut receiver: mpsc::Receiver<SearchFile>) -> Vec<SearchFile> {
    let mut files = Vec::new();
    while let Some(file) = receiver.recv().await {
        files.push(file);
    }
    files
}

async fn build_in_child(
    program: &PathBuf,
    args: &[String],
    feed: Feed,
    files: FileSender,
) -> Result<BuildCost, SearchError> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A stage stopped mid-build leaves no builder running.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SearchError::Child(format!("cannot start {}: {e}", program.display())))?;
    let missing = |what: &str| SearchError::Child(format!("no standard {what}"));
    let mut stdin = child.stdin.take().ok_or_else(|| missing("input"))?;
    let stdout = child.stdout.take().ok_or_else(|| missing("output"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| missing("error"))?;
    // All three at once: the child reads everything before it writes, but
    // one that fails early must not leave either side blocked on a pipe.
    let writer = async move {
        let written = feed.write_to(&mut stdin).await;
        drop(stdin);
        written
    };
    // A reader that stops drops the child's output, so a child still
    // writing gets a broken pipe and exits rather than blocking.
    let reader = read_files(tokio::io::BufReader::new(stdout), files);
    let errors = async move {
        let mut text = Vec::new();
        stderr.read_to_end(&mut text).await.map(|_| text)
    };
    let (written, read, errors) = tokio::join!(writer, reader, errors);
    let status = child
        .wait()
        .await
        .map_err(|e| SearchError::Child(e.to_string()))?;
    let errors = String::from_utf8_lossy(&errors.unwrap_or_default()).into_owned();
    // A feed that stopped short is the cause whatever the child then said;
    // otherwise a child that failed says why better than the broken pipe.
    if let Err(SearchError::Incomplete) = written {
        return Err(SearchError::Incomplete);
    }
    // Likewise a caller that stopped taking the files broke the pipe itself.
    if let Err(SearchError::Abandoned) = read {
        return Err(SearchError::Abandoned);
    }
    if !status.success() {
        return Err(SearchError::Child(format!(
            "{} exited with {status}: {}",
            program.display(),
            errors.trim()
        )));
    }
    written?;
    let child_peak_rss_bytes = errors
        .lines()
        .find_map(|line| line.strip_prefix(PEAK_RSS_LINE)?.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024);
    read?;
    Ok(BuildCost {
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
    let documents = crate::feed::read_documents(std::io::stdin().lock())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SearchError::Runtime(e.to_string()))?;
    let files = runtime.block_on(crate::build_here(documents))?;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    write_files(&files, &mut stdout)
        .and_then(|()| stdout.flush())
        .map_err(|e| SearchError::Child(format!("writing the index: {e}")))?;
    if let Some(kib) = own_peak_rss_kib() {
        // For the parent's log and metrics; nothing else reads it.
        let _ = writeln!(std::io::stderr(), "{PEAK_RSS_LINE}{kib}");
    }
    Ok(())
}

/// Each file as: path length (u32, little-endian), path, immutable (one
/// byte), content length (u64), content. Written frame by frame, not as
/// one more copy of the whole index.
fn write_files(files: &[SearchFile], out: &mut impl std::io::Write) -> std::io::Result<()> {
    for file in files {
        let path = file.path.as_bytes();
        out.write_all(&u32::try_from(path.len()).unwrap_or(u32::MAX).to_le_bytes())?;
        out.write_all(path)?;
        out.write_all(&[u8::from(file.immutable)])?;
        out.write_all(&(file.bytes.len() as u64).to_le_bytes())?;
        out.write_all(&file.bytes)?;
    }
    Ok(())
}

/// The longest file a builder may send back. Pagefind's largest files
/// are its WebAssembly and chunks of a few megabytes; a length past this is
/// a broken frame, not a file, and is not allocated.
const LONGEST_FILE: u64 = 1 << 30;
/// Likewise for a file's path: Pagefind's are a folder and a hash.
const LONGEST_PATH: usize = 4096;

/// The files [`write_files`] wrote, read frame by frame from the child's
/// output and sent to `files` one by one, so that no more of the index is
/// held than the receiver has not yet taken. Output cut mid-frame is an
/// error, after the files before the cut were sent: the caller publishes
/// nothing of a build that failed.
async fn read_files(
    mut input: impl AsyncRead + Unpin,
    files: FileSender,
) -> Result<(), SearchError> {
    let cut = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            SearchError::Child("the builder's output ends mid-file".to_owned())
        }
        _ => SearchError::Child(format!("reading the index: {e}")),
    };
    loop {
        let mut length = [0u8; 4];
        // The end of the output is allowed only between frames.
        match input.read(&mut length[..1]).await.map_err(cut)? {
            0 => return Ok(()),
            _ => input.read_exact(&mut length[1..]).await.map_err(cut)?,
        };
        let path_length = u32::from_le_bytes(length) as usize;
        if path_length > LONGEST_PATH {
            return Err(SearchError::Child(format!(
                "a path of {path_length} bytes is too long"
            )));
        }
        let mut path = vec![0u8; path_length];
        input.read_exact(&mut path).await.map_err(cut)?;
        let path = String::from_utf8(path)
            .map_err(|_| SearchError::Child("a file's path is not UTF-8".to_owned()))?;
        let immutable = match input.read_u8().await.map_err(cut)? {
            0 => false,
            1 => true,
            _ => return Err(SearchError::Child(format!("{path}: a bad flag"))),
        };
        let length = input.read_u64_le().await.map_err(cut)?;
        if length > LONGEST_FILE {
            return Err(SearchError::Child(format!(
                "{path}: {length} bytes is too long"
            )));
        }
        let mut bytes = vec![0u8; usize::try_from(length).unwrap_or(usize::MAX)];
        input.read_exact(&mut bytes).await.map_err(cut)?;
        let file = SearchFile {
            path,
            bytes,
            immutable,
        };
        files.send(file).await.map_err(|_| SearchError::Abandoned)?;
    }
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

    fn encode_files(files: &[SearchFile]) -> Vec<u8> {
        let mut out = Vec::new();
        write_files(files, &mut out).unwrap_or_else(|e| panic!("{e}"));
        out
    }

    async fn decode_files(input: &[u8]) -> Result<Vec<SearchFile>, SearchError> {
        let (sender, receiver) = mpsc::channel(1);
        let (read, files) = tokio::join!(read_files(input, sender), collected(receiver));
        read.map(|()| files)
    }

    #[tokio::test]
    async fn files_come_back_as_they_went() {
        assert_eq!(
            decode_files(&encode_files(&files())).await.ok(),
            Some(files())
        );
        assert_eq!(decode_files(&[]).await.ok(), Some(Vec::new()));
    }

    #[tokio::test]
    async fn output_cut_anywhere_is_an_error_not_a_shorter_index() {
        let whole = encode_files(&files());
        // Every cut that is not at a frame boundary fails.
        let boundaries: Vec<usize> = (1..=files().len())
            .map(|n| encode_files(&files()[..n]).len())
            .collect();
        for cut in 1..whole.len() {
            let decoded = decode_files(&whole[..cut]).await;
            assert_eq!(decoded.is_ok(), boundaries.contains(&cut), "cut at {cut}");
        }
    }

    #[tokio::test]
    async fn a_receiver_gone_stops_the_reading_at_the_next_file() {
        let (sender, receiver) = mpsc::channel(1);
        drop(receiver);
        let read = read_files(&encode_files(&files())[..], sender).await;
        assert!(matches!(read, Err(SearchError::Abandoned)), "{read:?}");
    }

    #[tokio::test]
    async fn a_bad_flag_path_or_length_is_refused() {
        let mut bad = encode_files(&files()[..1]);
        let flag = 4 + "pagefind-entry.json".len();
        bad[flag] = 7;
        assert!(decode_files(&bad).await.is_err());
        let mut bad = encode_files(&files()[..1]);
        bad[4] = 0xff;
        assert!(decode_files(&bad).await.is_err());
        let mut bad = encode_files(&files()[..1]);
        bad[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let error = decode_files(&bad).await.err().map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| e.contains("too long")),
            "{error:?}"
        );
        // A length no file has is refused before anything is allocated for it.
        let mut bad = encode_files(&files()[..1]);
        let length = flag + 1;
        bad[length..length + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let error = decode_files(&bad).await.err().map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| e.contains("too long")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_builder_program_is_named() {
        let builder = Builder::Child {
            program: PathBuf::from("/nonexistent/gazette"),
            args: vec!["search-index".to_owned()],
        };
        let error = builder
            .build(Feed::of(Vec::new()))
            .await
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("/nonexistent/gazette")),
            "{error:?}"
        );
    }
}
