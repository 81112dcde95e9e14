//! One picture's bytes to its stored variants: the archive's record says whether the work was already done; otherwise the pool makes the variants, they are uploaded, and the record is written last.

use futures_util::future::try_join_all;
use gazette_contract::{SocialCrop, StoredImage};
use gazette_media::{
    Limits, MediaError, Processed, Variant, image_id_of, original_digest, process, social_size,
};
use gazette_site::{IMMUTABLE, media_key, media_original_key, media_record_key, social_key};
use gazette_store::{Precondition, PutObject, Store};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::{MediaFailure, Wanted};

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
    fn image(&self, src: &str, social: Option<SocialCrop>, original: &str) -> StoredImage {
        StoredImage {
            src: src.to_owned(),
            id: self.id.clone(),
            width: self.width,
            height: self.height,
            colour: self.colour.clone(),
            widths: self.widths.clone(),
            webp: self.webp,
            social,
            original: original.to_owned(),
        }
    }
}

/// What storing a picture needs: the stores, the pool it is processed on,
/// and the variant settings. The media stage has one; so does a rebuild.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Workshop<'a> {
    pub stores: &'a crate::Stores,
    pub pool: &'a super::CpuPool,
    pub variants: &'a gazette_media::VariantSettings,
}

/// The stored picture for `wanted`, made from `bytes` if it was not
/// stored before. The outer `Err` is the store's; the inner one says why
/// the picture cannot be used.
pub(crate) async fn store_picture(
    shop: Workshop<'_>,
    wanted: &Wanted,
    bytes: Vec<u8>,
) -> Result<Result<StoredImage, MediaError>, MediaFailure> {
    let (bytes, digest) = shop
        .pool
        .run(move || {
            let digest = original_digest(&bytes);
            (bytes, digest)
        })
        .await
        .map_err(MediaFailure::Crashed)?;
    let id = image_id_of(&digest, shop.variants);
    let record = read_record(&shop.stores.archive, &id).await?;
    let social_key = wanted.social.map(|f| social_key(&id, f.x, f.y));
    if let Some(record) = &record {
        let social = match &social_key {
            None => Some(None),
            Some(key) => shop.stores.site.head(key).await?.map(|_| {
                let (width, height) = social_size(record.width, record.height);
                Some(SocialCrop {
                    key: key.clone(),
                    width,
                    height,
                })
            }),
        };
        if let Some(social) = social {
            return Ok(Ok(record.image(&wanted.src, social, &digest)));
        }
    }
    let variants = shop.variants.clone();
    let focal = wanted.social;
    let original = bytes::Bytes::from(bytes);
    let source = original.clone();
    let processed = shop
        .pool
        .run(move || process(&source, &Limits::DEFAULT, &variants, focal))
        .await
        .map_err(MediaFailure::Crashed)?;
    let processed = match processed {
        Ok(processed) => processed,
        Err(error) => return Ok(Err(error)),
    };
    let original_bytes = original.len();
    let social = match (&processed.social, social_key) {
        (Some(variant), Some(key)) => {
            put(&shop.stores.site, &key, variant).await?;
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
            // The original first: a record names only pictures a rebuild can make again.
            shop.stores
                .archive
                .put(PutObject {
                    key: media_original_key(&digest),
                    body: original,
                    content_type: "application/octet-stream",
                    cache_control: "no-store",
                    metadata: Default::default(),
                    precondition: Precondition::None,
                })
                .await?;
            let record = upload(shop.stores, &processed, original_bytes).await?;
            info!(image_id = %record.id, width = record.width, height = record.height, original_bytes, variant_bytes = record.variant_bytes, "picture processed");
            record
        }
    };
    Ok(Ok(record.image(&wanted.src, social, &digest)))
}

/// `validated`'s pictures under `shop`'s variant settings: a picture whose
/// variants were made under other settings is made again from its
/// original in the archive (never fetched); one already made under these
/// is reused as it is. How many were made again.
pub(crate) async fn refresh_pictures(
    shop: Workshop<'_>,
    validated: &mut gazette_contract::ValidatedArticle,
) -> Result<usize, MediaFailure> {
    let focal = validated
        .article
        .cover_image
        .as_ref()
        .map(|cover| (cover.src.clone(), super::cover_focal(cover)));
    let mut remade = 0;
    for image in &mut validated.images {
        if image.original.is_empty() || image_id_of(&image.original, shop.variants) == image.id {
            continue;
        }
        let Some(bytes) = shop
            .stores
            .archive
            .get(&media_original_key(&image.original))
            .await?
        else {
            tracing::warn!(image_id = %image.id, "the archive has no original of this picture; its variants stay as they were made");
            continue;
        };
        let wanted = Wanted {
            src: image.src.clone(),
            pointer: "",
            social: focal
                .as_ref()
                .filter(|(src, _)| *src == image.src)
                .map(|(_, f)| *f),
        };
        match store_picture(shop, &wanted, bytes).await? {
            Ok(made) => {
                *image = made;
                remade += 1;
            }
            Err(error) => {
                tracing::warn!(image_id = %image.id, %error, "this picture cannot be made again; its variants stay as they were made")
            }
        }
    }
    Ok(remade)
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
