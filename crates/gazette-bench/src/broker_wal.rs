//! RabbitMQ's quorum write-ahead log as the bench sees it: how many times it rolled over during a paced run.
//!
//! Every quorum queue of a node appends to one log, and when it reaches
//! `raft.wal_max_size_bytes` (512 MB by default) the node starts a new file
//! and writes the old one's entries out to each queue's segments. Every
//! hop's confirm waits meanwhile: docs/performance.md traced the slow 2 %
//! of paced articles to those moments. At 100 articles/s the log fills in
//! about a minute, so a 30 s run holds one about half the time. The bench
//! counts them per run, so a report says which runs' tails the broker's
//! log explains. The count is read from the log's file names (`00000014.wal`
//! is the 14th), which only a broker on this machine lets us see.

use std::path::{Path, PathBuf};

/// Where a RabbitMQ installed from Debian keeps its nodes' data.
const DEBIAN_MNESIA: &str = "/var/lib/rabbitmq/mnesia";

/// The log directory of the local node, if the bench can read one.
#[derive(Debug, Clone)]
pub(crate) struct BrokerWal {
    dir: Option<PathBuf>,
}

impl BrokerWal {
    /// The node on this machine, at Debian's place.
    pub(crate) fn local() -> Self {
        Self::under(Path::new(DEBIAN_MNESIA))
    }

    /// The node under `mnesia` (`<node>/quorum/<node>/*.wal`) whose log was
    /// written last: other nodes' directories may linger there unused.
    pub(crate) fn under(mnesia: &Path) -> Self {
        let newest_log = |dir: &PathBuf| {
            log_files(dir)?
                .into_iter()
                .filter_map(|(_, entry)| entry.metadata().ok()?.modified().ok())
                .max()
        };
        let dir = subdirectories(mnesia)
            .into_iter()
            .flat_map(|node| subdirectories(&node.join("quorum")))
            .filter_map(|dir| Some((newest_log(&dir)?, dir)))
            .max()
            .map(|(_, dir)| dir);
        Self { dir }
    }

    /// The number of the log file in use, `None` where no log can be read.
    pub(crate) fn current(&self) -> Option<u64> {
        log_files(self.dir.as_ref()?)?
            .into_iter()
            .map(|(number, _)| number)
            .max()
    }

    /// Rollovers since `before` was read, `None` if either reading failed.
    pub(crate) fn rollovers_since(&self, before: Option<u64>) -> Option<u64> {
        Some(self.current()?.saturating_sub(before?))
    }
}

/// The log files in `dir`, with their numbers; `None` if it cannot be read.
fn log_files(dir: &Path) -> Option<Vec<(u64, std::fs::DirEntry)>> {
    let entries = std::fs::read_dir(dir).ok()?;
    Some(
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| Some((log_number(&entry.file_name().to_string_lossy())?, entry)))
            .collect(),
    )
}

/// `00000014.wal` → 14; anything else is not a log file.
fn log_number(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".wal")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.is_dir())
                .collect()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn only_wal_files_with_a_number_count() {
        assert_eq!(log_number("00000014.wal"), Some(14));
        assert_eq!(log_number("1.wal"), Some(1));
        for other in [
            ".wal",
            "x14.wal",
            "14.wal.tmp",
            "00000014.segment",
            "-1.wal",
            "1 .wal",
        ] {
            assert_eq!(log_number(other), None, "{other}");
        }
    }

    #[test]
    fn rollovers_are_counted_from_the_node_whose_log_is_in_use() {
        let mnesia = tempfile::tempdir().unwrap();
        let node = mnesia.path().join("rabbit@here/quorum/rabbit@here");
        touch(&node.join("00000003.wal"));
        touch(&node.join("QUEUE1/00000001.segment"));
        let wal = BrokerWal::under(mnesia.path());
        let before = wal.current();
        assert_eq!(before, Some(3));
        assert_eq!(wal.rollovers_since(before), Some(0));
        std::fs::remove_file(node.join("00000003.wal")).unwrap();
        touch(&node.join("00000005.wal"));
        assert_eq!(wal.rollovers_since(before), Some(2));
    }

    #[test]
    fn a_broker_the_bench_cannot_see_gives_no_count() {
        let empty = tempfile::tempdir().unwrap();
        let wal = BrokerWal::under(&empty.path().join("absent"));
        assert_eq!(wal.current(), None);
        assert_eq!(wal.rollovers_since(Some(3)), None);
        let seen = BrokerWal::under(empty.path());
        assert_eq!(seen.rollovers_since(None), None);
    }
}
