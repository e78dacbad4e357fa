//! The `strata` binary: configuration, start-up and the HTTP surface around the store.

#![recursion_limit = "256"]

#[macro_use]
pub mod api;
pub mod auth;
mod browse;
pub mod cache;
mod commands;
pub mod config;
pub mod health;
pub mod http;
pub mod local_copy;
pub mod origin;
pub mod publisher;
pub mod redis_cache;
mod register;
mod resolved;
pub mod served;
pub mod startup;
mod tokens;
mod users;

use std::process::ExitCode;

use config::{Cli, Command, DeployableAction};
use startup::StartupError;

/// Runs one command line to completion. Errors end as a single line on stderr and exit code 1.
pub fn main(cli: Cli) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), StartupError> {
    let settings = cli.settings.resolve()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = startup::Application::build(settings).await?;
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let store = startup::open_store(&settings).await?;
            let domain = store.domain().await.map_err(StartupError::Store)?;
            println!(
                "database {} is up to date (revision {})",
                settings.database_url, domain.revision
            );
            Ok(())
        }
        Command::Demo { author } => {
            let store = startup::open_store(&settings).await?;
            commands::demo(&store, &author.name()).await
        }
        Command::Publish => {
            let store = startup::open_store(&settings).await?;
            commands::publish(&store, &settings).await
        }
        Command::Init { origin, dir } => {
            let line = local_copy::init(&origin, settings.s3_endpoint.as_deref(), &dir)
                .await
                .map_err(|e| StartupError::Publish(e.to_string()))?;
            println!("{line}");
            Ok(())
        }
        Command::Pull { dir, force } => {
            for line in local_copy::pull(&dir, settings.s3_endpoint.as_deref(), force)
                .await
                .map_err(|e| StartupError::Publish(e.to_string()))?
            {
                println!("{line}");
            }
            Ok(())
        }
        Command::Diff { dir } => {
            for line in local_copy::diff(&dir, settings.s3_endpoint.as_deref())
                .await
                .map_err(|e| StartupError::Publish(e.to_string()))?
            {
                println!("{line}");
            }
            Ok(())
        }
        Command::Cache { action } => commands::cache(&settings, action).await,
        Command::Export { dir } => {
            let store = startup::open_store(&settings).await?;
            commands::export(&store, &dir).await
        }
        Command::Import {
            dir,
            drift,
            author,
            reason,
        } => {
            let store = startup::open_store(&settings).await?;
            let reason = reason.unwrap_or_else(|| format!("import from {}", dir.display()));
            commands::import(&store, &author.name(), &reason, &dir, drift).await
        }
        Command::User { action, author } => {
            let store = startup::open_store(&settings).await?;
            users::run(&store, &author.name(), action).await
        }
        Command::Deployable {
            action: DeployableAction::Register { file, reason },
            author,
        } => {
            let store = startup::open_store(&settings).await?;
            register::register(&store, &author.name(), reason, &file).await
        }
        Command::List { kind, search, json } => {
            let store = startup::open_store(&settings).await?;
            browse::list(&store, &kind, &search, json).await
        }
        Command::History { kind, key, json } => {
            let store = startup::open_store(&settings).await?;
            browse::history(&store, &kind, &key, json).await
        }
        Command::Get { target, secrets } => {
            let store = startup::open_store(&settings).await?;
            resolved::print(&store, target.parts(), secrets, resolved::Printed::Json).await
        }
        Command::Env { target, secrets } => {
            let store = startup::open_store(&settings).await?;
            resolved::print(&store, target.parts(), secrets, resolved::Printed::Env).await
        }
        Command::SecretKey => {
            println!("{}", strata_store::sealing::SecretKey::generate());
            Ok(())
        }
        Command::Token { action, author } => {
            let store = startup::open_store(&settings).await?;
            tokens::run(&store, &author.name(), action).await
        }
    }
}
