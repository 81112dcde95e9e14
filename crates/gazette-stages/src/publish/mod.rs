//! The publish stage: a rendered revision goes live if the registry says it is the newest (`live.rs`), and a validated withdrawal takes an article's public objects down (`withdraw.rs`).
//!
//! The two are leaves: each reads only the shared context (`context.rs`)
//! and fails with [`PublishFailure`] (`failure.rs`). What lives where and
//! how the public store converges on the registry is `pages.rs`; which
//! revision and key win is the registry's.

mod context;
mod failure;
mod live;
mod withdraw;

use gazette_broker::{Handler, Inbound, Outbound};
use gazette_contract::{EventType, Schemas};
use gazette_subscribers::Registry;

use crate::Stores;
use context::PublishContext;
pub use context::PublishSettings;
pub use failure::PublishFailure;

#[derive(Debug)]
pub struct PublishStage {
    context: PublishContext,
}

impl PublishStage {
    pub fn new(
        stores: Stores,
        registry: Registry,
        settings: PublishSettings,
        schemas: Schemas,
    ) -> Self {
        Self {
            context: PublishContext {
                stores,
                registry,
                settings,
                schemas,
            },
        }
    }
}

impl Handler for PublishStage {
    type Error = PublishFailure;

    async fn handle(&self, message: &Inbound) -> Result<Vec<Outbound>, PublishFailure> {
        if message.routing_key == EventType::WithdrawalValidated.as_str() {
            return withdraw::withdraw(&self.context, message).await;
        }
        // Anything else is read as article.rendered, whose schema pins `type`.
        live::publish(&self.context, message).await
    }
}
