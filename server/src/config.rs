//! Settings, from flags or environment variables (each flag has one). Raw text is checked in
//! [`Settings::resolve`] so that a bad value is reported naming its variable, in one line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use strata_store::DatabaseUrl;

use crate::cache::CacheSetting;
use crate::origin::OriginSetting;
use crate::startup::StartupError;

#[derive(Debug, Parser)]
#[command(
    name = "strata",
    version,
    about = "Strata: a multi-tenant configuration database with an admin console"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: RawSettings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console and the API (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Load a believable demo domain (3 tiers, 2 organizations, 6 deployables, 3 products,
    /// 40 tenants, layered configs) into an empty database.
    Demo {
        #[command(flatten)]
        author: Author,
    },
    /// Publish the newest committed revision to the origin now, and say how it went.
    Publish,
    /// Copy the origin's current revision into DIR (new or empty), checking every hash.
    Init {
        /// The origin: file://DIR or s3://BUCKET/PREFIX.
        origin: String,
        dir: std::path::PathBuf,
    },
    /// Bring a copy made by `init` up to the origin's current revision and say what changed.
    Pull {
        dir: std::path::PathBuf,
        /// Overwrite tables edited in DIR.
        #[arg(long)]
        force: bool,
    },
    /// Compare a copy made by `init` with the origin's current revision.
    Diff { dir: std::path::PathBuf },
    /// The compiled cache in Redis, from the origin alone (no database).
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Write the whole domain into DIR as JSON, one sorted file per table.
    Export {
        /// The directory to write (created if missing).
        dir: std::path::PathBuf,
    },
    /// Make the domain what DIR holds, as one change set: all of it or nothing.
    Import {
        /// A directory written by `strata export`, or with --drift a Drift-MTC origin.
        dir: std::path::PathBuf,
        /// Read DIR as a Drift-MTC origin directory (drift-config's JSON layout).
        #[arg(long)]
        drift: bool,
        #[command(flatten)]
        author: Author,
        /// Why, for the history (default: "import from DIR").
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Compile the origin's current revision into Redis (--origin, --redis-url).
    Rebuild {
        /// Only this tier's tenants, for a cache that serves one tier.
        #[arg(long)]
        tier: Option<String>,
    },
    /// Rebuild whenever the origin's HEAD moves, until stopped.
    Watch {
        #[arg(long)]
        tier: Option<String>,
        /// How often to look at HEAD.
        #[arg(long, default_value_t = 2)]
        interval_seconds: u64,
    },
}

/// Who makes a change from the command line.
#[derive(Debug, Clone, Args)]
pub struct Author {
    /// Named as the author in history (default: $USER).
    #[arg(long, env = "STRATA_ACTOR")]
    pub actor: Option<String>,
}

impl Author {
    pub fn name(&self) -> String {
        self.actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "cli".to_owned())
    }
}

/// Settings as given, before they are checked.
#[derive(Debug, Clone, Args)]
pub struct RawSettings {
    /// Database: sqlite://PATH or postgres://USER@HOST:PORT/DATABASE.
    #[arg(
        long = "database-url",
        env = "STRATA_DATABASE_URL",
        default_value = "sqlite://./data/strata.db",
        global = true
    )]
    pub database_url: String,
    /// Where published snapshots go: file://DIR or s3://BUCKET/PREFIX (credentials and
    /// region from the standard AWS variables, profile or role).
    #[arg(
        long,
        env = "STRATA_ORIGIN",
        default_value = "file://./data/origin",
        global = true
    )]
    pub origin: String,
    /// An S3-compatible server for s3:// origins, e.g. http://127.0.0.1:8333 (path-style).
    #[arg(long = "s3-endpoint", env = "STRATA_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,
    /// Redis for the compiled cache, e.g. redis://127.0.0.1:6379; unset keeps it in process.
    #[arg(long = "redis-url", env = "STRATA_REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// Address to listen on (port 0 picks a free one).
    #[arg(
        long,
        env = "STRATA_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: String,
    /// The built console (scripts and styles), as cargo-leptos writes it.
    #[arg(
        long = "site-root",
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,
}

/// Settings that passed their checks.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub origin: OriginSetting,
    /// For origins named later, by `init` or a local copy.
    pub s3_endpoint: Option<String>,
    pub cache: CacheSetting,
    pub addr: SocketAddr,
    pub site_root: PathBuf,
}

impl RawSettings {
    pub fn resolve(&self) -> Result<Settings, StartupError> {
        let database_url = DatabaseUrl::parse(&self.database_url)
            .map_err(|why| StartupError::setting("STRATA_DATABASE_URL", why))?;
        let origin = OriginSetting::parse(&self.origin, self.s3_endpoint.as_deref())
            .map_err(|why| StartupError::setting("STRATA_ORIGIN", why))?;
        let cache = CacheSetting::parse(self.redis_url.as_deref())
            .map_err(|why| StartupError::setting("STRATA_REDIS_URL", why))?;
        let addr = self.addr.trim().parse().map_err(|_| {
            StartupError::setting(
                "STRATA_ADDR",
                format!(
                    "{:?} is not an address to listen on; expected IP:PORT such as 127.0.0.1:3000",
                    self.addr
                ),
            )
        })?;
        Ok(Settings {
            database_url,
            origin,
            s3_endpoint: self.s3_endpoint.clone(),
            cache,
            addr,
            site_root: self.site_root.clone(),
        })
    }
}
