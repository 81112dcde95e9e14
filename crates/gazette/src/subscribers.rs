//! `gazette subscribers`: add, list, rotate and remove subscriptions in the notifier's database, without the HTTP API.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use gazette_email::{confirmation, normalize_address};
use gazette_subscribers::{EmailRequest, WebhookAdded};

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
        /// Print the webhook's subscription, with its secret when new, as one JSON object.
        #[arg(long, conflicts_with = "email")]
        json: bool,
    },
    /// List every subscription: a header line, then one tab-separated line each.
    List {
        /// Print a JSON array instead (docs/cli-json.md gives its shape).
        #[arg(long)]
        json: bool,
    },
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
            json,
        } => {
            if let Err(problem) = check_categories(&categories) {
                bail!("--category {problem}");
            }
            if let Some(url) = webhook {
                gazette_webhooks::endpoint_url(&url).context("--webhook")?;
                add_webhook(subscribers, &url, &categories, json).await?;
            } else if let Some(address) = email {
                add_email(config, subscribers, &address, &categories).await?;
            }
            Ok(())
        }
        SubscribersCommand::List { json } => {
            let all = subscribers.list().await?;
            if json {
                let described: Vec<_> = all.iter().map(describe).collect();
                say!("{}", serde_json::Value::Array(described));
                return Ok(());
            }
            say!("id\tkind\ttarget\tcategories\tstatus");
            for subscription in all {
                say!(
                    "{}\t{}\t{}\t{}\t{}",
                    subscription.id,
                    subscription.channel.kind(),
                    subscription.channel.target(),
                    categories_column(&subscription.categories),
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

/// `*` for every category, else the slugs joined by commas.
fn categories_column(categories: &[String]) -> String {
    if categories.is_empty() {
        "*".to_owned()
    } else {
        categories.join(",")
    }
}

/// Adds the endpoint, or says which subscription already sends it the
/// same categories; in one format, text or `--json`.
async fn add_webhook(
    subscribers: &gazette_subscribers::Subscribers,
    url: &str,
    categories: &[String],
    json: bool,
) -> Result<()> {
    match subscribers.add_webhook(url, categories).await? {
        WebhookAdded::New(subscription, secret) if json => {
            let mut described = describe(&subscription);
            described["secret"] = secret.reveal().into();
            say!("{described}");
        }
        WebhookAdded::New(subscription, secret) => {
            say!(
                "added webhook {} for {} (categories {})",
                subscription.id,
                url,
                categories_column(&subscription.categories)
            );
            say!("secret: {}", secret.reveal());
            say!("(shown once: give it to the endpoint's owner to verify webhook-signature)");
        }
        WebhookAdded::Exists(subscription) if json => {
            let mut described = describe(&subscription);
            described["existing"] = true.into();
            say!("{described}");
        }
        WebhookAdded::Exists(subscription) => say!(
            "webhook {} already sends {url} these categories; nothing added (`gazette subscribers rotate {}` gives it a new secret)",
            subscription.id,
            subscription.id
        ),
    }
    Ok(())
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
