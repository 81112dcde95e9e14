//! The documents of one build, handed over a batch at a time, so that the indexer holds one shard of the site at once rather than all of it.
//!
//! The whole site's documents used to be collected in the indexer, then
//! copied once more as JSON for the builder process: two copies of every
//! article's text in a process that lives for weeks (`gazette up` peaked at
//! 180 MB on a 6,000-article site, and grew with the site). A feed moves a
//! batch at a time, and a builder child writes each to its standard input
//! as it comes.
//!
//! A build must never be made from part of the site: a feed is complete
//! only when its sender calls [`FeedSender::finish`]. A sender dropped
//! before that (the store failed mid-read) ends the build with
//! [`SearchError::Incomplete`], and the child, whose input then lacks its
//! end frame, refuses it too.

use std::io::Read;

use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;

use crate::{SearchDocument, SearchError};

#[derive(Debug)]
enum Batch {
    Documents(Vec<SearchDocument>),
    End,
}

/// The builder's side of a feed.
#[derive(Debug)]
pub struct Feed {
    batches: mpsc::Receiver<Batch>,
}

/// The reader's side of a feed: send the batches, then [`Self::finish`].
#[derive(Debug)]
pub struct FeedSender {
    batches: mpsc::Sender<Batch>,
}

/// The builder has stopped (it failed, and says why); nothing more is read.
#[derive(Debug)]
pub struct BuilderGone;

/// A feed that holds at most `depth` batches the builder has not taken.
pub fn feed(depth: usize) -> (FeedSender, Feed) {
    let (sender, receiver) = mpsc::channel(depth.max(1));
    (FeedSender { batches: sender }, Feed { batches: receiver })
}

impl FeedSender {
    pub async fn send(&self, documents: Vec<SearchDocument>) -> Result<(), BuilderGone> {
        self.batches
            .send(Batch::Documents(documents))
            .await
            .map_err(|_| BuilderGone)
    }

    /// Says that every batch was sent: only now may the build finish.
    pub async fn finish(self) -> Result<(), BuilderGone> {
        self.batches.send(Batch::End).await.map_err(|_| BuilderGone)
    }
}

impl Feed {
    /// A feed of `documents`, already complete.
    pub fn of(documents: Vec<SearchDocument>) -> Self {
        let (sender, feed) = feed(2);
        // Room for both: the channel holds two, and nothing has been taken.
        let _ = sender.batches.try_send(Batch::Documents(documents));
        let _ = sender.batches.try_send(Batch::End);
        feed
    }

    /// The next batch; `None` once the sender finished.
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<SearchDocument>>, SearchError> {
        match self.batches.recv().await {
            Some(Batch::Documents(documents)) => Ok(Some(documents)),
            Some(Batch::End) => Ok(None),
            None => Err(SearchError::Incomplete),
        }
    }

    /// Every document, for a build in this process.
    pub(crate) async fn collect(mut self) -> Result<Vec<SearchDocument>, SearchError> {
        let mut documents = Vec::new();
        while let Some(batch) = self.next().await? {
            documents.extend(batch);
        }
        Ok(documents)
    }

    /// Writes the feed to a builder child's input: each batch a frame of
    /// its length (u32, little-endian) and a JSON array, then an empty
    /// frame for the end (a batch, even of no documents, is never empty).
    pub(crate) async fn write_to(
        mut self,
        output: &mut (impl AsyncWrite + Unpin),
    ) -> Result<(), SearchError> {
        let written = |e: std::io::Error| SearchError::Child(format!("writing the documents: {e}"));
        while let Some(batch) = self.next().await? {
            let json = serde_json::to_vec(&batch).map_err(|e| SearchError::Child(e.to_string()))?;
            let length = u32::try_from(json.len()).map_err(|_| {
                SearchError::Child(format!("a batch of {} bytes is too long", json.len()))
            })?;
            output
                .write_all(&length.to_le_bytes())
                .await
                .map_err(written)?;
            output.write_all(&json).await.map_err(written)?;
        }
        output
            .write_all(&0u32.to_le_bytes())
            .await
            .map_err(written)?;
        output.flush().await.map_err(written)
    }
}

/// The child's side: every document of the frames [`Feed::write_to`]
/// wrote. Input that ends before the end frame is refused, wherever it is
/// cut: an index of part of the site would drop articles from search.
pub(crate) fn read_documents(mut input: impl Read) -> Result<Vec<SearchDocument>, SearchError> {
    let cut = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => SearchError::Incomplete,
        _ => SearchError::Child(format!("reading the documents: {e}")),
    };
    let mut documents = Vec::new();
    loop {
        let mut length = [0u8; 4];
        input.read_exact(&mut length).map_err(cut)?;
        let length = u32::from_le_bytes(length) as usize;
        if length == 0 {
            return Ok(documents);
        }
        let mut json = vec![0u8; length];
        input.read_exact(&mut json).map_err(cut)?;
        let batch: Vec<SearchDocument> = serde_json::from_slice(&json)
            .map_err(|e| SearchError::Child(format!("the documents are not JSON: {e}")))?;
        documents.extend(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(n: usize) -> SearchDocument {
        SearchDocument {
            url: format!("/thong-bao/{n}.html"),
            title: format!("Bài {n}: Đường phố"),
            date: "23/06/2022 | 15:04".to_owned(),
            category: "Thông báo".to_owned(),
            lead: "(NTL) Sáng ngày 23/6".to_owned(),
            body_html: "<p>Thân bài</p>".to_owned(),
        }
    }

    async fn written(batches: Vec<Vec<SearchDocument>>) -> Vec<u8> {
        let (sender, receiver) = super::feed(batches.len() + 1);
        for batch in batches {
            sender.send(batch).await.unwrap_or_else(|_| panic!("sent"));
        }
        sender.finish().await.unwrap_or_else(|_| panic!("finished"));
        let mut out = Vec::new();
        receiver
            .write_to(&mut out)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[tokio::test]
    async fn batches_arrive_whole_and_in_order_empty_ones_included() {
        let bytes = written(vec![
            vec![document(1), document(2)],
            Vec::new(),
            vec![document(3)],
        ])
        .await;
        let read = read_documents(bytes.as_slice()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read, vec![document(1), document(2), document(3)]);
        let none = written(Vec::new()).await;
        assert_eq!(read_documents(none.as_slice()).ok(), Some(Vec::new()));
    }

    #[tokio::test]
    async fn input_cut_anywhere_is_refused_not_built_from_part() {
        let bytes = written(vec![vec![document(1)], vec![document(2), document(3)]]).await;
        for cut in 0..bytes.len() {
            assert!(
                read_documents(&bytes[..cut]).is_err(),
                "cut at {cut} of {}",
                bytes.len()
            );
        }
    }

    #[tokio::test]
    async fn a_sender_dropped_before_finishing_ends_the_build_with_an_error() {
        let (sender, receiver) = super::feed(4);
        sender
            .send(vec![document(1)])
            .await
            .unwrap_or_else(|_| panic!("sent"));
        drop(sender);
        assert!(matches!(
            receiver.collect().await,
            Err(SearchError::Incomplete)
        ));
        let (sender, receiver) = super::feed(4);
        drop(sender);
        let mut out = Vec::new();
        assert!(matches!(
            receiver.write_to(&mut out).await,
            Err(SearchError::Incomplete)
        ));
        // What reached the child has no end frame, so it refuses it too.
        assert!(read_documents(out.as_slice()).is_err());
    }

    #[tokio::test]
    async fn a_complete_feed_of_documents_collects_to_them() {
        let documents = vec![document(1), document(2)];
        let collected = Feed::of(documents.clone()).collect().await;
        assert_eq!(collected.ok(), Some(documents));
    }
}
