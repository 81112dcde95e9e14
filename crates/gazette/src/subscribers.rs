//! `gazette subscribers`: add, list, rotate and remove subscriptions in the notifier's database, without the HTTP API.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use gazette_email::{confirmation, normalize_address};
use gazette_subscribers::EmailRequest;

use crate::api::{check_categories, describe};
use crate::config::Config;
use crate::lookup::duration_arg;
use crate::run::{open_mailer, open_subscribers};

#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Add a webhook endpoint (prints its whsec_ secret, once) or an email address (sends the confirmation mail).
    Add {
        /// The endpoint URL to POST article.published to.
        #[arg(long, conflicts_with = "email", required_unless_present = "email")]
        webhook: Option<String>,
        /// A resident's address; it receives nothing until it confirms.
        #[arg(long)]
        email: Option<String>,
        /// Only articles of this category slug; repeat for several. Default: every category.
        #[arg(long = "category")]
        categories: Vec<String>,
    },
    /// List every subscription.
    List,
    /// Give a webhook a new secret; the old one keeps signing beside it for --overlap.
    Rotate {
        /// The webhook's subscription id, as `gazette subscribers list` shows it.
        id: String,
        /// How long the previous secret still signs beside the new one (`30m`, `24h`).
        #[arg(long, default_value = "24h", value_parser = duration_arg)]
        overlap: Duration,
    },
    /// Delete a subscription and its delivery records.
    Remove {
        /// The subscription id, as `gazette subscribers list` shows it.
        id: String,
    },
}

pub async fn run(config: &Config, command: SubscribersCommand) -> Result<()> {
    let subscribers = open_subscribers(config).await?;
    let done = execute(config, &subscribers, command).await;
    subscribers.close().await;
    done
}

async fn execute(
    config: &Config,
    subscribers: &gazette_subscribers::Subscribers,
    command: SubscribersCommand,
) -> Result<()> {
    match command {
        SubscribersCommand::Add {
            webhook,
            email,
            categories,
        } => {
            if let Err(problem) = check_categories(&categories) {
                bail!("--category {problem}");
            }
            if let Some(url) = webhook {
                gazette_webhooks::endpoint_url(&url).context("--webhook")?;
                let (subscription, secret) = subscribers.add_webhook(&url, &categories).await?;
                say!("{}", describe(&subscription));
                say!("secret: {}", secret.reveal());
                say!("(shown once: give it to the endpoint's owner to verify webhook-signature)");
            } else if let Some(address) = email {
                add_email(config, subscribers, &address, &categories).await?;
            }
            Ok(())
        }
        SubscribersCommand::List => {
            for subscription in subscribers.list().await? {
                let categories = if subscription.categories.is_empty() {
                    "*".to_owned()
                } else {
                    subscription.categories.join(",")
                };
                say!(
                    "{}\t{}\t{}\t{categories}\t{}",
                    subscription.id,
                    subscription.channel.kind(),
                    subscription.channel.target(),
                    subscription.status
                );
            }
            Ok(())
        }
        SubscribersCommand::Rotate { id, overlap } => {
            match subscribers.rotate_secret(&id, overlap).await? {
                Some(secret) => {
                    say!("secret: {}", secret.reveal());
                    say!("(the previous secret signs beside it for {overlap:?})");
                    Ok(())
                }
                None => bail!("there is no webhook {id}; `gazette subscribers list` shows them"),
            }
        }
        SubscribersCommand::Remove { id } => {
            if subscribers.remove(&id).await? {
                say!("removed {id}");
                Ok(())
            } else {
                bail!("there is no subscription {id}; `gazette subscribers list` shows them")
            }
        }
    }
}

/// Email goes through double opt-in here too: an operator typing an
/// address is not the resident agreeing to mail.
async fn add_email(
    config: &Config,
    subscribers: &gazette_subscribers::Subscribers,
    address: &str,
    categories: &[String],
) -> Result<()> {
    let Some(normalized) = normalize_address(address) else {
        bail!("--email {address:?} is not a mail address");
    };
    let address = normalized.as_str();
    let Some(mailer) = open_mailer(config)? else {
        bail!("email subscriptions need GAZETTE_SMTP_URL, to send the confirmation mail");
    };
    // An operator at the terminal may resend at once.
    match subscribers
        .request_email(address, categories, Duration::ZERO)
        .await?
    {
        EmailRequest::AlreadyActive => say!("{address} is already subscribed"),
        EmailRequest::RecentlyAsked => say!("a confirmation mail went to {address} a moment ago"),
        EmailRequest::Confirm(new) => {
            let link = gazette_site::BaseUrl::new(&config.notifier.api_url).join(&format!(
                "subscriptions/confirm?token={}",
                new.confirm_token
            ));
            mailer
                .send(&confirmation(address, &config.site.name, &link))
                .await
                .context("the confirmation mail could not be sent; check GAZETTE_SMTP_URL")?;
            say!("{}", describe(&new.subscription));
            say!("confirmation mail sent; nothing is delivered until {address} confirms");
        }
    }
    Ok(())
}
