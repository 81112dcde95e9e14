//! One picture's bytes to its stored variants: the archive's record says whether the work was already done; otherwise the pool makes the variants, they are uploaded, and the record is written last.

use futures_util::future::try_join_all;
use gazette_contract::{SocialCrop, StoredImage};
use gazette_media::{Limits, MediaError, Processed, Variant, image_id, process, social_size};
use gazette_site::{IMMUTABLE, media_key, media_record_key, social_key};
use gazette_store::{Precondition, PutObject, Store};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::{MediaFailure, MediaStage, Wanted};

/// What the archive keeps of a processed picture (`_gazette/media/<id>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MediaRecord {
    pub id: String,
    pub width: u32,
    pub height: u32,
    pub colour: String,
    pub widths: Vec<u32>,
    pub webp: bool,
    /// The picture as fetched, and all its variants together.
    pub original_bytes: usize,
    pub variant_bytes: usize,
}

impl MediaRecord {
    fn image(&self, src: &str, social: Option<SocialCrop>) -> StoredImage {
        StoredImage {
            src: src.to_owned(),
            id: self.id.clone(),
            width: self.width,
            height: self.height,
            colour: self.colour.clone(),
            widths: self.widths.clone(),
            webp: self.webp,
            social,
        }
    }
}

/// The stored picture for `wanted`, made from `bytes` if it was not
/// stored before. The outer `Err` is the store's; the inner one says why
/// the picture cannot be used.
pub(super) async fn store_picture(
    stage: &MediaStage,
    wanted: &Wanted,
    bytes: Vec<u8>,
) -> Result<Result<StoredImage, MediaError>, MediaFailure> {
    let settings = std::sync::Arc::clone(&stage.settings);
    let (bytes, id) = stage
        .pool
        .run(move || {
            let id = image_id(&bytes, &settings.variants);
            (bytes, id)
        })
        .await
        .map_err(MediaFailure::Crashed)?;
    let record = read_record(&stage.stores.archive, &id).await?;
    let social_key = wanted.social.map(|f| social_key(&id, f.x, f.y));
    if let Some(record) = &record {
        let social = match &social_key {
            None => Some(None),
            Some(key) => stage.stores.site.head(key).await?.map(|_| {
                let (width, height) = social_size(record.width, record.height);
                Some(SocialCrop {
                    key: key.clone(),
                    width,
                    height,
                })
            }),
        };
        if let Some(social) = social {
            return Ok(Ok(record.image(&wanted.src, social)));
        }
    }
    let settings = std::sync::Arc::clone(&stage.settings);
    let focal = wanted.social;
    let original_bytes = bytes.len();
    let processed = stage
        .pool
        .run(move || process(&bytes, &Limits::DEFAULT, &settings.variants, focal))
        .await
        .map_err(MediaFailure::Crashed)?;
    let processed = match processed {
        Ok(processed) => processed,
        Err(error) => return Ok(Err(error)),
    };
    let social = match (&processed.social, social_key) {
        (Some(variant), Some(key)) => {
            put(&stage.stores.site, &key, variant).await?;
            Some(SocialCrop {
                key,
                width: variant.width,
                height: variant.height,
            })
        }
        _ => None,
    };
    let record = match record {
        // Only the crop was missing.
        Some(record) => record,
        None => {
            let record = upload(&stage.stores, &processed, original_bytes).await?;
            info!(image_id = %record.id, width = record.width, height = record.height, original_bytes, variant_bytes = record.variant_bytes, "picture processed");
            record
        }
    };
    Ok(Ok(record.image(&wanted.src, social)))
}

async fn read_record(archive: &Store, id: &str) -> Result<Option<MediaRecord>, MediaFailure> {
    let Some(body) = archive.get(&media_record_key(id)).await? else {
        return Ok(None);
    };
    // A record that does not read is redone, not trusted.
    Ok(serde_json::from_slice(&body).ok())
}

/// Every variant, then the record.
async fn upload(
    stores: &crate::Stores,
    processed: &Processed,
    original_bytes: usize,
) -> Result<MediaRecord, MediaFailure> {
    try_join_all(processed.variants.iter().map(|variant| {
        let key = media_key(&processed.id, variant.width, variant.format.extension());
        async move { put(&stores.site, &key, variant).await }
    }))
    .await?;
    let mut widths: Vec<u32> = processed.variants.iter().map(|v| v.width).collect();
    widths.dedup();
    let record = MediaRecord {
        id: processed.id.clone(),
        width: processed.width,
        height: processed.height,
        colour: processed.colour.clone(),
        widths,
        webp: processed.has_webp(),
        original_bytes,
        variant_bytes: processed.variants.iter().map(|v| v.bytes.len()).sum(),
    };
    stores
        .archive
        .put(PutObject {
            key: media_record_key(&record.id),
            body: serde_json::to_vec(&record)?.into(),
            content_type: "application/json",
            cache_control: "no-store",
            metadata: Default::default(),
            precondition: Precondition::None,
        })
        .await?;
    Ok(record)
}

async fn put(site: &Store, key: &str, variant: &Variant) -> Result<(), MediaFailure> {
    site.put(PutObject {
        key: key.to_owned(),
        body: variant.bytes.clone().into(),
        content_type: variant.format.content_type(),
        cache_control: IMMUTABLE,
        metadata: Default::default(),
        precondition: Precondition::None,
    })
    .await?;
    Ok(())
}
