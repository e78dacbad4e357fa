//! Runs one `strata` command line: settings checked, then the command — serving, the data
//! commands through the API (a server's, or this process's on the local database), or the
//! operator's commands on the database and the origin.

use std::process::ExitCode;

use super::CliError;
use super::args::{Author, Cli, Command, DeployableAction, EntityAction};
use super::client::Client;
use super::entities::{self, EntityRef};
use super::resolved::{self, Printed};
use super::{cache, local, publish, register, requests, tokens, users};
use crate::observe::logs::{self, LogFormat};
use crate::{local_copy, startup};

/// Runs one command line to completion. Errors end as a line on stderr (and one per detail)
/// and exit code 1, or 3 for a conflict.
pub fn main(cli: Cli) -> ExitCode {
    if !matches!(cli.command, None | Some(Command::Serve)) {
        end_quietly_when_the_reader_goes();
    }
    let exporting = match LogFormat::parse(cli.settings.log_format.as_deref())
        .and_then(|format| logs::init(format, cli.settings.otlp_endpoint.as_deref()))
    {
        Ok(exporting) => exporting,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
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
    let outcome = runtime.block_on(run(cli));
    // The spans of the last requests go to the collector before the process ends.
    if let Some(exporting) = exporting {
        exporting.finish();
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = cli.settings.resolve()?;
    let remote = cli.remote;
    // The data commands go through the API: a server's, or this process's on the database.
    let client = async |author: &Author| {
        Client::open(
            &settings,
            remote.server.as_deref(),
            remote.token.clone(),
            &author.name(),
        )
        .await
    };
    let command = cli.command.unwrap_or(Command::Serve);
    if remote.server.is_some() && !works_remote(&command) {
        return Err(CliError::input(
            "STRATA_SERVER",
            "this command works on the local database (STRATA_DATABASE_URL) or the origin; leave --server unset",
        ));
    }
    match command {
        Command::Serve => {
            let app = startup::Application::build(settings).await?;
            Ok(app.run_until_stopped().await?)
        }
        Command::Healthcheck { url } => {
            let url = url.unwrap_or_else(|| {
                let addr = settings.addr;
                let host = match addr.ip().is_unspecified() {
                    true => std::net::SocketAddr::from(([127, 0, 0, 1], addr.port())),
                    false => addr,
                };
                format!("http://{host}/healthz")
            });
            // Straight to the server: a proxy named in the environment has no part in this.
            let client = reqwest::Client::builder()
                .no_proxy()
                .build()
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let answer = client
                .get(&url)
                .timeout(std::time::Duration::from_secs(5))
                .send()
                .await
                .map_err(|e| CliError::Failed(format!("{url}: {e}")))?;
            match answer.status().as_u16() {
                200 => Ok(()),
                status => Err(CliError::Failed(format!("{url} answered {status}"))),
            }
        }
        Command::Migrate => {
            let store = startup::open_store(&settings).await?;
            let domain = store.domain().await?;
            println!(
                "database {} is up to date (revision {})",
                settings.database_url, domain.revision
            );
            Ok(())
        }
        Command::Demo {
            without_review,
            author,
        } => {
            let store = startup::open_store(&settings).await?;
            local::demo(&store, &author.name(), !without_review).await
        }
        Command::Publish { wait_seconds } => match remote.server {
            Some(_) => {
                let client = client(&Author { actor: None }).await?;
                publish::publish_remote(&client, std::time::Duration::from_secs(wait_seconds)).await
            }
            None => {
                let store = startup::open_store(&settings).await?;
                publish::publish(&store, &settings).await
            }
        },
        Command::Init { origin, dir } => {
            let line = local_copy::init(&origin, settings.s3_endpoint.as_deref(), &dir)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?;
            println!("{line}");
            Ok(())
        }
        Command::Pull { dir, force } => {
            for line in local_copy::pull(&dir, settings.s3_endpoint.as_deref(), force)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?
            {
                println!("{line}");
            }
            Ok(())
        }
        Command::Diff { args, json, author } => match args.as_slice() {
            [dir] if remote.server.is_none() => {
                for line in local_copy::diff(dir.as_ref(), settings.s3_endpoint.as_deref())
                    .await
                    .map_err(|e| CliError::Failed(e.to_string()))?
                {
                    println!("{line}");
                }
                Ok(())
            }
            [entity, from, to] => {
                let version = |v: &str| {
                    v.parse::<i64>().map_err(|_| {
                        CliError::input("V1 V2", format!("{v:?} is not a version number"))
                    })
                };
                let entity = EntityRef::parse(entity, None)?;
                let (from, to) = (version(from)?, version(to)?);
                entities::diff(&client(&author).await?, &entity, from, to, json).await
            }
            _ => Err(CliError::input(
                "diff",
                "give DIR (a copy made by init) or ENTITY V1 V2 (e.g. tenants/acme-berlin 1 2)",
            )),
        },
        Command::Cache { action } => cache::cache(&settings, action).await,
        Command::Export { dir } => {
            let store = startup::open_store(&settings).await?;
            local::export(&store, &dir).await
        }
        Command::Import {
            dir,
            drift,
            author,
            reason,
        } => {
            let store = startup::open_store(&settings).await?;
            let reason = reason.unwrap_or_else(|| format!("import from {}", dir.display()));
            local::import(&store, &author.name(), &reason, &dir, drift).await
        }
        Command::User { action, author } => {
            let store = startup::open_store(&settings).await?;
            users::run(&store, &author.name(), action).await
        }
        Command::Deployable { action, author } => {
            let client = client(&author).await?;
            match action {
                DeployableAction::Register { file, reason, json } => {
                    register::register(&client, reason, &file, json).await
                }
                DeployableAction::Info { name, json } => {
                    let entity = EntityRef::parse("deployables", Some(&name))?;
                    entities::info(&client, &entity, json).await
                }
            }
        }
        Command::List {
            kind,
            search,
            json,
            author,
        } => entities::list(&client(&author).await?, &kind, &search, json).await,
        Command::View {
            kind,
            filters,
            json,
            author,
        } => entities::view(&client(&author).await?, &kind, &filters, json).await,
        Command::History {
            entity,
            key,
            json,
            author,
        } => {
            let entity = EntityRef::parse(&entity, key.as_deref())?;
            entities::history(&client(&author).await?, &entity, json).await
        }
        Command::Rollback {
            entity,
            version,
            reason,
            json,
            author,
        } => {
            let entity = EntityRef::parse(&entity, None)?;
            entities::rollback(&client(&author).await?, &entity, version, reason, json).await
        }
        Command::Set {
            layer,
            assignments,
            unset,
            reason,
            propose,
            json,
            author,
        } => {
            let client = client(&author).await?;
            entities::set(&client, &layer, &assignments, &unset, reason, propose, json).await
        }
        Command::Request { action, author } => requests::run(&client(&author).await?, action).await,
        Command::Tier { action, author } => {
            entity_command(&client(&author).await?, "tiers", action).await
        }
        Command::Organization { action, author } => {
            entity_command(&client(&author).await?, "organizations", action).await
        }
        Command::Product { action, author } => {
            entity_command(&client(&author).await?, "products", action).await
        }
        Command::Tenant { action, author } => {
            entity_command(&client(&author).await?, "tenants", action).await
        }
        Command::Get {
            target,
            secrets,
            author,
        } => {
            let client = client(&author).await?;
            let key = settings.secret_key.as_ref();
            resolved::print(&client, &target, secrets, key, Printed::Json).await
        }
        Command::Env {
            target,
            secrets,
            style,
            author,
        } => {
            let client = client(&author).await?;
            let key = settings.secret_key.as_ref();
            resolved::print(&client, &target, secrets, key, Printed::Env(style)).await
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

/// A command printing into a pipe whose reader stopped reading (`strata list tenants | head`)
/// ends as other Unix tools do, by SIGPIPE, rather than panicking on the failed write. Never
/// for `serve`: a server must outlive its clients' sockets.
fn end_quietly_when_the_reader_goes() {
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Whether `command` can work against a server (`--server`).
fn works_remote(command: &Command) -> bool {
    matches!(
        command,
        Command::Publish { .. }
            | Command::Diff { .. }
            | Command::Deployable { .. }
            | Command::List { .. }
            | Command::View { .. }
            | Command::History { .. }
            | Command::Rollback { .. }
            | Command::Set { .. }
            | Command::Tier { .. }
            | Command::Organization { .. }
            | Command::Product { .. }
            | Command::Tenant { .. }
            | Command::Get { .. }
            | Command::Env { .. }
            | Command::Request { .. }
            | Command::SecretKey
    )
}

/// `strata tier|organization|product|tenant info|add|edit`.
async fn entity_command(client: &Client, kind: &str, action: EntityAction) -> Result<(), CliError> {
    match action {
        EntityAction::Info { key, json } => {
            entities::info(client, &EntityRef::parse(kind, Some(&key))?, json).await
        }
        EntityAction::Add {
            fields,
            reason,
            json,
        } => entities::add(client, entities::kind_of(kind)?, &fields, reason, json).await,
        EntityAction::Edit {
            key,
            fields,
            reason,
            propose,
            json,
        } => {
            let entity = EntityRef::parse(kind, Some(&key))?;
            entities::edit(client, &entity, &fields, reason, propose, json).await
        }
    }
}
