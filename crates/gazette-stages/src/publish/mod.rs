//! The publish stage: a rendered revision goes live if the registry says it is the newest (`live.rs`), or is held until its time when it is dated in the future and then put live by the scheduler beside the stage (`scheduler.rs`); a validated withdrawal takes an article's public objects down and cancels what is held (`withdraw.rs`).
//!
//! The two are leaves: each reads only the shared context (`context.rs`)
//! and fails with [`PublishFailure`] (`failure.rs`). What lives where and
//! how the public store converges on the registry is `pages.rs`; which
//! revision and key win is the registry's.

mod context;
mod failure;
mod live;
mod pictures;
mod scheduler;
mod withdraw;

use gazette_broker::{BrokerSettings, Handler, Inbound, Outbound};
use gazette_contract::{EventType, Schemas};
use gazette_subscribers::Registry;

use tokio_util::sync::CancellationToken;

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

    /// The scheduler that runs beside this stage's loop, on the same stores
    /// and registry: it publishes held revisions at their time.
    pub(crate) fn scheduler(
        &self,
    ) -> impl FnOnce(BrokerSettings, CancellationToken) -> crate::launch::Running + Send + 'static
    {
        let context = self.context.clone();
        move |broker, shutdown| Box::pin(scheduler::run(context, broker, shutdown))
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
