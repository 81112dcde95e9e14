//! The hot path without the network, for `cargo xtask profile`: N articles through the validate, render and publish handlers.
//!
//! Messages are handed over as the loop hands them: an `Inbound` per
//! delivery, made from the `Outbound` body as it travels (hand-offs on the
//! internal exchange compressed, then decoded), and the publish stage
//! writes to a directory store, so what callgrind counts is Gazette's own
//! work per article: parsing, schema checks, sanitising, templating,
//! hashing and encoding.

use anyhow::Context;
use gazette_bench::articles::ArticleFactory;
use gazette_broker::{Handler, Inbound, Outbound, body};
use gazette_contract::Schemas;
use gazette_render::{Renderer, Theme};
use gazette_stages::{
    PublishSettings, PublishStage, RenderStage, SiteSettings, Stores, ValidateStage,
};
use gazette_store::Store;
use gazette_subscribers::{DatabaseUrl, Registry};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let example = args.next().context("usage: hotpath EXAMPLE.json COUNT")?;
    let count: usize = args
        .next()
        .context("usage: hotpath EXAMPLE.json COUNT")?
        .parse()?;
    let mut factory = ArticleFactory::from_example(&std::fs::read(example)?, 1)?;
    let submissions = factory.batch("profile", count);
    let site = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let schemas = Schemas::load()?;
        let database = format!("sqlite://{}/registry.db", site.path().display());
        let registry = Registry::open(&DatabaseUrl::parse(&database)?).await?;
        let validate = ValidateStage::new(schemas.clone());
        let render = RenderStage::new(
            std::sync::Arc::new(Renderer::new(&Theme::built_in())?),
            SiteSettings {
                name: "Cổng thông tin quận".to_owned(),
                public_url: Some("https://quan.example.vn/".to_owned()),
                time_zone: chrono_tz::Asia::Ho_Chi_Minh,
                sections: Vec::new(),
                views_api: None,
                search: true,
            },
            schemas.clone(),
            registry.clone(),
        );
        let stores = Stores {
            site: Store::open(&format!("file://{}/site", site.path().display())).await?,
            archive: Store::open(&format!("file://{}/archive", site.path().display())).await?,
        };
        let publish = PublishStage::new(stores, registry, PublishSettings::default(), schemas);
        for submission in submissions {
            let validated = pass(&validate, inbound(submission.body, "article.submitted")).await?;
            let rendered = pass(&render, travelled(validated)?).await?;
            pass(&publish, travelled(rendered)?).await?;
        }
        anyhow::Ok(())
    })
}

fn inbound(body: Vec<u8>, routing_key: &str) -> Inbound {
    Inbound {
        wire_bytes: body.len(),
        content_encoding: None,
        body_fault: None,
        body,
        routing_key: routing_key.to_owned(),
        message_id: None,
        correlation_id: None,
        redelivered: false,
        attempt: 1,
        headers: Default::default(),
    }
}

/// `message` as the next stage receives it: the publisher compresses a
/// hand-off on the internal exchange, and the reader decodes it.
fn travelled(message: Outbound) -> anyhow::Result<Inbound> {
    let body = match message.packed_body() {
        Some(wire) => body::decompress(&wire, message.body.len())?,
        None => message.body,
    };
    Ok(inbound(body, &message.routing_key))
}

/// The handler's first output, which is the next stage's input.
async fn pass<H: Handler>(handler: &H, message: Inbound) -> anyhow::Result<Outbound> {
    let mut outputs = handler.handle(&message).await?;
    anyhow::ensure!(!outputs.is_empty(), "a handler produced nothing");
    Ok(outputs.swap_remove(0))
}
