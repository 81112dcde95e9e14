//! How a message body travels: plain, or zstd-compressed between Gazette's own stages.
//!
//! Every byte a quorum queue takes goes into RabbitMQ's write-ahead log, and
//! each time that log reaches `raft.wal_max_size_bytes` the broker starts a
//! new one while every queue's confirms wait (docs/performance.md measures
//! the tail this costs). The validated article and the rendered pages are
//! most of those bytes and compress well, and only Gazette's stages read
//! the internal exchange, so hand-offs there go compressed. Public events
//! stay plain JSON for subscribers.
//!
//! A reader decodes whatever arrives marked `content-encoding: zstd`, from
//! any sender, never past the stage's message limit: the encoding changes
//! how the bytes travel, not what the body may be or how large.

use std::cell::RefCell;
use std::io::Read;
use std::thread::LocalKey;

use zstd::zstd_safe::{DCtx, DParameter, ResetDirective};

/// The `content-encoding` Gazette writes on a compressed body, and the one it decodes.
pub const ZSTD: &str = "zstd";

/// Smaller bodies go plain: the frame and the work would outweigh the saving.
pub(crate) const COMPRESS_FROM_BYTES: usize = 2048;

/// zstd's fastest regular level: a rendered article (~30 KB) takes well
/// under a millisecond, and higher levels buy little on HTML and JSON.
const LEVEL: i32 = 1;

/// Why a body marked as compressed was not handed to the stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyFault {
    #[error("the zstd body decodes to more than the {limit}-byte message limit")]
    Oversized { limit: usize },
    #[error("the body is marked content-encoding zstd but does not decode: {detail}")]
    Undecodable { detail: String },
}

impl BodyFault {
    /// The dead-letter reason code.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Oversized { .. } => "oversized",
            Self::Undecodable { .. } => "undecodable-body",
        }
    }
}

/// `body` compressed, when it is large enough and compression makes it
/// smaller; `None` means send it as it is.
pub fn compress(body: &[u8]) -> Option<Vec<u8>> {
    if body.len() < COMPRESS_FROM_BYTES {
        return None;
    }
    with_kept(
        &COMPRESSION,
        || zstd::bulk::Compressor::new(LEVEL),
        |compressor| compressor.compress(body),
    )
    .ok()
    .filter(|packed| packed.len() < body.len())
}

// One zstd context each way per thread, kept: making one allocates and
// clears hundreds of kilobytes, and compressing a hand-off spent a seventh
// of its instructions on that (`cargo xtask profile`, docs/performance.md).
thread_local! {
    static COMPRESSION: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { RefCell::new(None) };
    static DECOMPRESSION: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// `work` done with this thread's context in `kept`, made by `make` the
/// first time. A context already in use (not reachable: nothing compresses
/// inside a compression) gives way to one of the call's own, so no
/// `expect` stands in for that.
fn with_kept<C: 'static, R, E>(
    kept: &'static LocalKey<RefCell<Option<C>>>,
    make: impl FnOnce() -> Result<C, E>,
    work: impl FnOnce(&mut C) -> Result<R, E>,
) -> Result<R, E> {
    kept.with(|slot| match slot.try_borrow_mut() {
        Ok(mut slot) => match &mut *slot {
            Some(context) => work(context),
            empty => work(empty.insert(make()?)),
        },
        Err(_) => work(&mut make()?),
    })
}

/// Whether `content_encoding` marks a body Gazette decodes. Any other
/// value (clients often write a charset there, `UTF-8`) leaves the body
/// as it came, as before compression existed.
pub(crate) fn is_compressed(content_encoding: Option<&str>) -> bool {
    content_encoding.is_some_and(|e| e.trim().eq_ignore_ascii_case(ZSTD))
}

/// The body a compressed `wire` stands for, at most `limit` bytes.
/// Decoding stops one byte past the limit, so a small message that would
/// expand without bound costs no more memory than an honest one.
pub fn decompress(wire: &[u8], limit: usize) -> Result<Vec<u8>, BodyFault> {
    with_kept(
        &DECOMPRESSION,
        || DCtx::try_create().ok_or_else(out_of_memory),
        |context| decompress_with(context, wire, limit),
    )
}

fn decompress_with(
    context: &mut DCtx<'static>,
    wire: &[u8],
    limit: usize,
) -> Result<Vec<u8>, BodyFault> {
    // The context outlives this body, and so would a window a hostile
    // frame declares (zstd allows 128 MiB): a frame that asks for more than
    // a body of `limit` bytes can need is refused before it is allocated.
    // Parameters change only between frames: the session is reset first,
    // so nothing of an earlier body, finished or not, leaks into this one.
    context
        .reset(ResetDirective::SessionOnly)
        .and_then(|_| context.set_parameter(DParameter::WindowLogMax(window_log_max(limit))))
        .map_err(|code| BodyFault::Undecodable {
            detail: zstd::zstd_safe::get_error_name(code).to_owned(),
        })?;
    let decoder = zstd::stream::read::Decoder::with_context(wire, context);
    let mut body = Vec::with_capacity(wire.len().saturating_mul(4).min(limit));
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(bound)
        .read_to_end(&mut body)
        .map_err(undecodable)?;
    if body.len() > limit {
        return Err(BodyFault::Oversized { limit });
    }
    Ok(body)
}

/// The largest window (as a power of two) a frame may declare: enough
/// for `limit` bytes, and never less than the 8 MiB that zstd's regular
/// levels (up to 19) declare when they compress a stream of unknown size,
/// so an honest sender is not refused; never more than zstd's default of
/// 128 MiB. Only the `--ultra` levels declare more.
fn window_log_max(limit: usize) -> u32 {
    let needed = usize::BITS - limit.saturating_sub(1).leading_zeros();
    needed.clamp(23, 27)
}

fn out_of_memory() -> BodyFault {
    BodyFault::Undecodable {
        detail: "no memory for a zstd context".to_owned(),
    }
}

fn undecodable(error: std::io::Error) -> BodyFault {
    BodyFault::Undecodable {
        detail: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article_like(bytes: usize) -> Vec<u8> {
        let paragraph =
            "<p>Ngày đăng 23/06/2022 | 15:04 (NTL) Phường Long Biên tổ chức hội nghị.</p>";
        paragraph.repeat(bytes / paragraph.len() + 1).into_bytes()
    }

    #[test]
    fn a_large_body_round_trips_smaller() {
        let body = article_like(30_000);
        let packed = compress(&body).expect("compressible text is compressed");
        assert!(packed.len() < body.len() / 4, "{} bytes", packed.len());
        assert_eq!(decompress(&packed, body.len()).as_deref(), Ok(&body[..]));
    }

    #[test]
    fn small_or_incompressible_bodies_go_plain() {
        assert_eq!(compress(&article_like(500)[..500]), None);
        // Already-compressed bytes do not shrink.
        let noise = compress(&article_like(300_000)).expect("compressed");
        assert_eq!(compress(&noise), None);
    }

    #[test]
    fn a_body_is_never_decoded_past_the_limit() {
        // 64 MiB of zeros packs into a few kilobytes: a bomb for a naive reader.
        let bomb = zstd::bulk::compress(&vec![0u8; 64 << 20], LEVEL).expect("compressed");
        assert!(bomb.len() < 64 * 1024);
        assert_eq!(
            decompress(&bomb, 2 << 20),
            Err(BodyFault::Oversized { limit: 2 << 20 })
        );
        // Exactly at the limit is allowed.
        let exact = zstd::bulk::compress(&vec![7u8; 1000], LEVEL).expect("compressed");
        assert_eq!(decompress(&exact, 1000).map(|b| b.len()), Ok(1000));
        assert_eq!(
            decompress(&exact, 999),
            Err(BodyFault::Oversized { limit: 999 })
        );
    }

    #[test]
    fn garbage_and_truncation_are_undecodable() {
        for wire in [b"{\"type\":\"article.rendered\"}".to_vec(), {
            let packed = compress(&article_like(30_000)).expect("compressed");
            packed[..packed.len() / 2].to_vec()
        }] {
            let fault = decompress(&wire, 1 << 20).expect_err("not a whole zstd frame");
            assert_eq!(fault.reason(), "undecodable-body", "{fault}");
        }
    }

    #[test]
    fn the_kept_contexts_carry_nothing_from_one_body_to_the_next() {
        let first = article_like(30_000);
        let second = "Quận Long Biên: đường Ngọc Thụy thông xe. ".repeat(700);
        let packed = compress(&first).expect("compressed");
        // The same body packs to the same bytes, whatever came between.
        compress(second.as_bytes()).expect("compressed");
        assert!(compress(&first) == Some(packed.clone()));
        // A body abandoned half-way, too long or cut short, leaves nothing behind.
        let bomb = zstd::bulk::compress(&vec![0u8; 8 << 20], LEVEL).expect("compressed");
        for broken in [bomb.clone(), packed[..packed.len() / 2].to_vec()] {
            assert!(decompress(&broken, 1 << 20).is_err());
            assert!(decompress(&packed, 1 << 20) == Ok(first.clone()));
        }
    }

    /// A stream of unknown size, as a sender's streaming encoder writes it,
    /// declaring a window of 2^`window_log` bytes.
    fn streamed(body: &[u8], window_log: u32) -> Vec<u8> {
        use std::io::Write;
        use zstd::zstd_safe::CParameter;
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("encoder");
        encoder
            .set_parameter(CParameter::WindowLog(window_log))
            .expect("window log");
        encoder.write_all(body).expect("written");
        encoder.finish().expect("finished")
    }

    #[test]
    fn a_frame_may_not_ask_for_a_window_the_limit_cannot_need() {
        let body = article_like(40_000);
        // zstd's regular levels declare up to 8 MiB; that is decoded.
        assert!(decompress(&streamed(&body, 23), 1 << 20) == Ok(body.clone()));
        // 128 MiB for a 1 MiB message is refused before it is allocated.
        let fault = decompress(&streamed(&body, 27), 1 << 20).expect_err("window too large");
        assert_eq!(fault.reason(), "undecodable-body", "{fault}");
        assert!(fault.to_string().contains("too much memory"), "{fault}");
        // A limit that needs such a window allows it.
        assert!(decompress(&streamed(&body, 27), 100 << 20) == Ok(body.clone()));
    }

    #[test]
    fn the_window_bound_follows_the_limit_within_zstds_range() {
        assert_eq!(window_log_max(0), 23);
        assert_eq!(window_log_max(2 << 20), 23);
        assert_eq!(window_log_max((16 << 20) + 1), 25);
        assert_eq!(window_log_max(64 << 20), 26);
        assert_eq!(window_log_max(usize::MAX), 27);
    }

    #[test]
    fn only_zstd_marks_a_compressed_body() {
        assert!(is_compressed(Some("zstd")));
        assert!(is_compressed(Some(" ZSTD ")));
        for other in [
            None,
            Some("UTF-8"),
            Some("gzip"),
            Some(""),
            Some("identity"),
        ] {
            assert!(!is_compressed(other), "{other:?}");
        }
    }
}
