//! `cargo xtask media`: pictures per second per core against sharp (libvips) on the same photos, widths and formats in one run, the bytes saved against the originals, and the peak RSS of processing a 24 MP photo.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use gazette_media::samples::{jpeg, photo};
use gazette_media::{Limits, VariantFormat, VariantSettings, process};
use serde::{Deserialize, Serialize};

/// What to measure and with what.
#[derive(Debug, Clone)]
pub struct MediaPlan {
    /// Where `scripts/ensure-sharp` installed sharp.
    pub sharp_dir: PathBuf,
    /// `crates/gazette-bench/peers/sharp.mjs`.
    pub peer_script: PathBuf,
    /// Each photo is processed this many times by each side.
    pub rounds: usize,
    /// A program that, given `media-rss FILE`, processes FILE once and
    /// prints its own peak RSS in KiB (`cargo xtask media-rss`).
    pub rss_command: Vec<String>,
    pub command: String,
}

/// Photo sizes timed: about 4, 8 and 12 megapixels, a phone's and a camera's.
pub const PHOTOS: [(u32, u32); 3] = [(2448, 1632), (3264, 2448), (4000, 3000)];
/// The photo whose processing's peak memory is reported.
pub const LARGE_PHOTO: (u32, u32) = (6000, 4000);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Side {
    pub images: usize,
    pub seconds: f64,
    pub images_per_second_per_core: f64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaReport {
    pub command: String,
    pub photos: Vec<String>,
    pub widths: Vec<u32>,
    pub gazette: Side,
    pub sharp: Side,
    /// Gazette's rate ÷ sharp's, measured in the same run.
    pub ratio: f64,
    /// What a reader downloads in place of the original: the 960-pixel
    /// WebP, summed over the photos, against the originals' bytes.
    pub original_bytes: u64,
    pub reader_bytes_960_webp: u64,
    pub peak_rss_24mp_kib: u64,
    pub baseline_rss_kib: u64,
}

fn peer_output(
    plan: &MediaPlan,
    settings: &VariantSettings,
    files: &[PathBuf],
) -> anyhow::Result<Side> {
    #[derive(Deserialize)]
    struct Peer {
        images: usize,
        seconds: f64,
        bytes_in: u64,
        bytes_out: u64,
    }
    let widths: Vec<String> = settings.widths.iter().map(u32::to_string).collect();
    let out = Command::new("node")
        .arg(&plan.peer_script)
        .arg(&plan.sharp_dir)
        .arg(widths.join(","))
        .arg(settings.jpeg_quality.to_string())
        .arg(settings.webp_quality.to_string())
        .arg(plan.rounds.to_string())
        .args(files)
        .output()
        .context("node runs the sharp peer")?;
    if !out.status.success() {
        bail!(
            "the sharp peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let peer: Peer = serde_json::from_slice(&out.stdout).context("the sharp peer's report")?;
    Ok(Side {
        images: peer.images,
        seconds: peer.seconds,
        images_per_second_per_core: peer.images as f64 / peer.seconds,
        bytes_in: peer.bytes_in,
        bytes_out: peer.bytes_out,
    })
}

/// Writes the photos, times both sides on them, and measures the 24 MP peak.
pub fn measure_media(plan: &MediaPlan, dir: &Path) -> anyhow::Result<MediaReport> {
    let settings = VariantSettings::default();
    let mut files = Vec::new();
    let mut names = Vec::new();
    for (n, (w, h)) in PHOTOS.iter().enumerate() {
        let path = dir.join(format!("photo-{w}x{h}.jpg"));
        std::fs::write(&path, jpeg(&photo(*w, *h, n as u32 + 1), 90))?;
        names.push(format!("{w}×{h} ({:.1} MP)", f64::from(w * h) / 1e6));
        files.push(path);
    }
    let inputs: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    // Gazette first, on this one thread, then the peer on its one thread.
    let started = Instant::now();
    let (mut bytes_out, mut reader_bytes, mut images) = (0u64, 0u64, 0usize);
    for round in 0..plan.rounds {
        for input in &inputs {
            let processed = process(input, &Limits::DEFAULT, &settings, None)?;
            images += 1;
            if round == 0 {
                bytes_out += processed
                    .variants
                    .iter()
                    .map(|v| v.bytes.len() as u64)
                    .sum::<u64>();
                reader_bytes += processed
                    .variants
                    .iter()
                    .find(|v| v.width == 960 && v.format == VariantFormat::WebP)
                    .map_or(0, |v| v.bytes.len() as u64);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let original_bytes: u64 = inputs.iter().map(|i| i.len() as u64).sum();
    let gazette = Side {
        images,
        seconds,
        images_per_second_per_core: images as f64 / seconds,
        bytes_in: original_bytes * plan.rounds as u64,
        bytes_out: bytes_out * plan.rounds as u64,
    };
    let sharp = peer_output(plan, &settings, &files)?;
    let large = dir.join("photo-24mp.jpg");
    std::fs::write(&large, jpeg(&photo(LARGE_PHOTO.0, LARGE_PHOTO.1, 99), 90))?;
    let (baseline_rss_kib, peak_rss_24mp_kib) = rss_of(plan, &large)?;
    Ok(MediaReport {
        command: plan.command.clone(),
        photos: names,
        widths: settings.widths.clone(),
        ratio: gazette.images_per_second_per_core / sharp.images_per_second_per_core,
        gazette,
        sharp,
        original_bytes,
        reader_bytes_960_webp: reader_bytes,
        peak_rss_24mp_kib,
        baseline_rss_kib,
    })
}

fn rss_of(plan: &MediaPlan, file: &Path) -> anyhow::Result<(u64, u64)> {
    let (program, args) = plan.rss_command.split_first().context("an RSS command")?;
    let out = Command::new(program).args(args).arg(file).output()?;
    if !out.status.success() {
        bail!(
            "the RSS run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8(out.stdout)?;
    let mut numbers = text.split_whitespace().map(str::parse::<u64>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(baseline)), Some(Ok(peak))) => Ok((baseline, peak)),
        _ => bail!("the RSS run printed {text:?}"),
    }
}

/// Processes `file` once in this process and prints the peak RSS before
/// and after, in KiB: the process's own high-water mark (`VmHWM`).
pub fn print_peak_rss(file: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(file)?;
    let baseline = high_water_mark()?;
    let processed = process(
        &bytes,
        &Limits::DEFAULT,
        &VariantSettings::default(),
        Some(gazette_media::FocalPoint::CENTRE),
    )?;
    drop(processed);
    Ok(format!("{baseline} {}", high_water_mark()?))
}

fn high_water_mark() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmHWM in /proc/self/status")
}

impl MediaReport {
    pub fn markdown(&self) -> String {
        let mb = |b: u64| b as f64 / 1e6;
        format!(
            "# Media benchmark\n\n\
             Measured by `{}` on one machine, one run: Gazette's media stage (`gazette-media`, \
             in process, one thread) and sharp {} (libvips, `sharp.concurrency(1)`), each making \
             every width up to the photo's own of {:?} in WebP (quality 78) and JPEG (quality 80) \
             from the same JPEG photos: {}.\n\n\
             | | images | seconds | images/s per core | bytes in | bytes out |\n|---|---|---|---|---|---|\n\
             | Gazette | {} | {:.2} | {:.2} | {} | {} |\n| sharp | {} | {:.2} | {:.2} | {} | {} |\n\n\
             **Ratio (Gazette ÷ sharp): {:.2}** (target ≥ 0.5).\n\n\
             Bytes: the originals are {:.1} MB; the 960-pixel WebP a reader downloads in their \
             place is {:.2} MB in all ({:.1} % saved).\n\n\
             Peak RSS while processing one {}×{} photo (24 MP) with its social crop: {} KiB \
             ({:.0} MB; the process before it: {} KiB). Target ≤ 300 MB.\n",
            self.command,
            "0.34.5",
            self.widths,
            self.photos.join(", "),
            self.gazette.images,
            self.gazette.seconds,
            self.gazette.images_per_second_per_core,
            self.gazette.bytes_in,
            self.gazette.bytes_out,
            self.sharp.images,
            self.sharp.seconds,
            self.sharp.images_per_second_per_core,
            self.sharp.bytes_in,
            self.sharp.bytes_out,
            self.ratio,
            mb(self.original_bytes),
            mb(self.reader_bytes_960_webp),
            100.0 * (1.0 - self.reader_bytes_960_webp as f64 / self.original_bytes as f64),
            LARGE_PHOTO.0,
            LARGE_PHOTO.1,
            self.peak_rss_24mp_kib,
            self.peak_rss_24mp_kib as f64 * 1024.0 / 1e6,
            self.baseline_rss_kib,
        )
    }
}
