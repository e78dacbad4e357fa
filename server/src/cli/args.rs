//! The `strata` command line as clap reads it: every command, its flags and arguments.

use clap::{Args, Parser, Subcommand};

use crate::config::RawSettings;

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
    #[command(flatten)]
    pub remote: Remote,
}

/// Where the data commands work: a server's API, else the local database.
#[derive(Debug, Clone, Args)]
pub struct Remote {
    /// A Strata server to work against (e.g. https://config.example.com) instead of the
    /// local database: list, view, info/add/edit, set, get, env, history, diff, rollback,
    /// publish and deployable register.
    #[arg(long, env = "STRATA_SERVER", global = true)]
    pub server: Option<String>,
    /// The API token sent to --server: one that acts in an organization (`strata token
    /// create NAME --organization ORG --role ROLE`), or a read token for `get --secrets`.
    #[arg(long, env = "STRATA_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console and the API (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Ask a running server's /healthz (a container's health check, where no curl is): exit
    /// 0 when it answers 200 within 5 s, else 1. URL: the server at STRATA_ADDR by default.
    Healthcheck { url: Option<String> },
    /// Load a believable demo domain (3 tiers, 2 organizations, 6 deployables, 3 products,
    /// 40 tenants, layered configs) into an empty database, then put LIVE under review (an
    /// approval policy: a change to LIVE's configs needs a publisher's approval).
    Demo {
        /// Only the domain: LIVE's configs change as directly as the other tiers'.
        #[arg(long = "without-review")]
        without_review: bool,
        #[command(flatten)]
        author: Author,
    },
    /// Publish the newest committed revision to the origin now, and say how it went (with
    /// --server: ask the server's publisher, and follow it).
    Publish {
        /// With --server: how long to follow the publication before giving up.
        #[arg(long = "wait-seconds", default_value_t = 60)]
        wait_seconds: u64,
    },
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
    /// `diff DIR`: compare a copy made by `init` with the origin's current revision.
    /// `diff ENTITY V1 V2`: what changed in an entity (KIND/KEY) from version V1 to V2.
    Diff {
        #[arg(value_name = "DIR | ENTITY V1 V2", num_args = 1..=3, required = true)]
        args: Vec<String>,
        /// The RFC 6902 patch as JSON (with ENTITY).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        author: Author,
    },
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
    /// People who sign in to the console, and their roles.
    User {
        #[command(subcommand)]
        action: UserAction,
        #[command(flatten)]
        author: Author,
    },
    /// Every entity of KIND (tiers, organizations, products, deployables, tier-deployables,
    /// tenants, config-layers), by key: its version and what it is.
    List {
        kind: String,
        /// Only those whose key or text holds this.
        #[arg(long, default_value = "")]
        search: String,
        /// A JSON array of the entities, for scripts.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        author: Author,
    },
    /// The whole of every entity of KIND whose fields equal the filters (FIELD=VALUE, dotted
    /// paths reach inside: `view tenants tier=LIVE state=active`).
    View {
        kind: String,
        filters: Vec<String>,
        /// A JSON array of the entities, for scripts.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        author: Author,
    },
    /// Every version of one entity (KIND/KEY, or KIND KEY): who changed it, when, how, why.
    History {
        entity: String,
        key: Option<String>,
        /// A JSON array of the versions, with each one's content.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        author: Author,
    },
    /// Make an entity (KIND/KEY) what version VERSION was, as a new version.
    Rollback {
        entity: String,
        version: i64,
        /// Why, for the history.
        #[arg(long)]
        reason: Option<String>,
        /// The API's answer as JSON (the item written, the one it replaced, the revision).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        author: Author,
    },
    /// Set values in a config layer (DEPLOYABLE/default, DEPLOYABLE/tier/TIER,
    /// DEPLOYABLE/product/PRODUCT or DEPLOYABLE/tenant/TENANT), made if missing: KEY=VALUE
    /// with a dotted KEY, VALUE as JSON when it reads as JSON, else text.
    Set {
        layer: String,
        assignments: Vec<String>,
        /// Remove this key (repeat for more).
        #[arg(long)]
        unset: Vec<String>,
        /// Why, for the history.
        #[arg(long)]
        reason: Option<String>,
        /// Propose the change for review (a change request titled with the reason) instead
        /// of making it: what an approval policy asks.
        #[arg(long)]
        propose: bool,
        /// The API's answer as JSON (the item written, the one it replaced, the revision).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        author: Author,
    },
    /// Tiers: info, add, edit.
    Tier {
        #[command(subcommand)]
        action: EntityAction,
        #[command(flatten)]
        author: Author,
    },
    /// Organizations: info, add, edit.
    Organization {
        #[command(subcommand)]
        action: EntityAction,
        #[command(flatten)]
        author: Author,
    },
    /// Products: info, add, edit.
    Product {
        #[command(subcommand)]
        action: EntityAction,
        #[command(flatten)]
        author: Author,
    },
    /// Tenants: info, add, edit.
    Tenant {
        #[command(subcommand)]
        action: EntityAction,
        #[command(flatten)]
        author: Author,
    },
    /// The config TENANT runs DEPLOYABLE with on TIER, resolved, as JSON.
    Get {
        #[command(flatten)]
        target: ConfigTarget,
        /// Secret values in plain text (needs STRATA_SECRET_KEY, or with --server a read
        /// token with the secrets scope); without it they stay sealed.
        #[arg(long)]
        secrets: bool,
        #[command(flatten)]
        author: Author,
    },
    /// The same as `KEY=value` lines for a process environment.
    Env {
        #[command(flatten)]
        target: ConfigTarget,
        /// Secret values in plain text (needs STRATA_SECRET_KEY, or with --server a read
        /// token with the secrets scope); without it they stay sealed.
        #[arg(long)]
        secrets: bool,
        /// How values are quoted, for the loader that reads the lines: sh (`set -a; . ./file`;
        /// python-dotenv reads it too, but for values holding both a quote or backslash and a
        /// $ or backtick, or ending in a backslash), dotenv (python-dotenv) or docker
        /// (`docker run --env-file`).
        #[arg(long, default_value = "sh", value_parser = env_style)]
        style: strata_domain::compile::EnvStyle,
        #[command(flatten)]
        author: Author,
    },
    /// Deployables from their services' repositories.
    Deployable {
        #[command(subcommand)]
        action: DeployableAction,
        #[command(flatten)]
        author: Author,
    },
    /// Print a new random key for STRATA_SECRET_KEY (keep it where the server's other
    /// secrets are kept: every server of a domain needs the same one).
    SecretKey,
    /// Change requests: writes proposed for review, approved, then applied.
    Request {
        #[command(subcommand)]
        action: RequestAction,
        #[command(flatten)]
        author: Author,
    },
    /// API tokens for services (reading configs) and automation (acting in an organization).
    Token {
        #[command(subcommand)]
        action: TokenAction,
        #[command(flatten)]
        author: Author,
    },
}

/// One resolved config: which tier, tenant and deployable.
#[derive(Debug, clap::Args)]
pub struct ConfigTarget {
    pub tier: String,
    pub tenant: String,
    pub deployable: String,
}

impl ConfigTarget {
    pub fn parts(&self) -> (&str, &str, &str) {
        (&self.tier, &self.tenant, &self.deployable)
    }
}

/// What to do with one tier, organization, product or tenant.
#[derive(Debug, Subcommand)]
pub enum EntityAction {
    /// Its fields and version.
    Info {
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// Create one from FIELD=VALUE pairs (the rest default: active, a display name equal to
    /// the name, …).
    Add {
        #[arg(required = true)]
        fields: Vec<String>,
        /// Why, for the history.
        #[arg(long)]
        reason: Option<String>,
        /// The API's answer as JSON (the item written, the one it replaced, the revision).
        #[arg(long)]
        json: bool,
    },
    /// Change fields of one (FIELD=VALUE, dotted paths reach inside); refused with exit code
    /// 3 if it changed since it was read.
    Edit {
        key: String,
        #[arg(required = true)]
        fields: Vec<String>,
        /// Why, for the history.
        #[arg(long)]
        reason: Option<String>,
        /// Propose the change for review (a change request titled with the reason) instead
        /// of making it: what an approval policy asks.
        #[arg(long)]
        propose: bool,
        /// The API's answer as JSON (the item written, the one it replaced, the revision).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RequestAction {
    /// The requests you may see, newest first.
    List {
        /// Only open ones waiting for your review.
        #[arg(long)]
        waiting: bool,
        /// Only your own.
        #[arg(long)]
        mine: bool,
        /// Only those in this state: open, applied, rejected, withdrawn.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One request: what it writes, what it needs, who approved it, its history.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Propose the writes in FILE (`-`: stdin), a JSON array of {"kind", "key",
    /// "base_version", "image"}; `set` and `KIND edit` take --propose for one write.
    Propose {
        file: std::path::PathBuf,
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Comment on a request (anyone who sees it).
    Comment {
        id: i64,
        text: String,
        /// Pin it to a place: a JSON pointer.
        #[arg(long)]
        pointer: Option<String>,
        /// Answer this line of its history.
        #[arg(long = "reply-to")]
        reply_to: Option<i64>,
    },
    /// Approve the content you read: --content names it (its first 8 or more characters, as
    /// `show` prints them); never your own request.
    Approve {
        id: i64,
        #[arg(long)]
        content: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Ask its author for changes.
    RequestChanges {
        id: i64,
        #[arg(long)]
        content: String,
        #[arg(long)]
        comment: String,
    },
    /// Turn it down for good.
    Reject {
        id: i64,
        #[arg(long)]
        content: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Take in what changed meanwhile in what it writes (its author).
    Rebase { id: i64 },
    /// Take it back (its author).
    Withdraw {
        id: i64,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Apply an approved request as one revision (its author or an approver).
    Apply {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeployableAction {
    /// Create or update a deployable from FILE (JSON: name, display_name, config_schema,
    /// default_config), as a service's CI does; refused, with the list, when its schema would
    /// break existing tenants' configs.
    Register {
        file: std::path::PathBuf,
        /// Why, for the history (default: "register NAME from FILE").
        #[arg(long)]
        reason: Option<String>,
        /// The API's answer as JSON (the item written, the one it replaced, the revision).
        #[arg(long)]
        json: bool,
    },
    /// A deployable's fields and version.
    Info {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print its secret (shown this once, stored only as a hash). Either
    /// --tier (a read token for services) or --organization with --role (automation).
    Create {
        name: String,
        /// A tier whose resolved configs the token reads (repeat for more).
        #[arg(long = "tier", conflicts_with_all = ["organization", "role"])]
        tiers: Vec<String>,
        /// Only this tenant's configs (repeat for more; default: every tenant on the tiers).
        #[arg(long = "tenant", requires = "tiers")]
        tenants: Vec<String>,
        /// Only this deployable's configs (repeat for more; default: every deployable).
        #[arg(long = "deployable", requires = "tiers")]
        deployables: Vec<String>,
        /// Answer secret values in plain text (without it they are answered sealed).
        #[arg(long, requires = "tiers")]
        secrets: bool,
        /// The organization an automation token acts in.
        #[arg(long, requires = "role")]
        organization: Option<String>,
        /// Its role there: viewer, editor, publisher or admin.
        #[arg(long, requires = "organization")]
        role: Option<String>,
        /// A token that acts as a domain admin: for a service's CI that registers its
        /// deployable (`strata deployable register FILE --server URL`).
        #[arg(long = "domain-admin", conflicts_with_all = ["tiers", "organization"])]
        domain_admin: bool,
        /// How many days it works.
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// Every token, with its scope, expiry and use.
    List,
    /// Stop a token from working (within seconds on every server).
    Revoke { name: String },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a person. The password is asked for (or read from stdin with --password-stdin).
    Add {
        name: String,
        /// With --organization, their role there (viewer, editor, publisher, admin); without,
        /// only `admin`: a domain admin, who manages everything.
        #[arg(long)]
        role: Option<String>,
        /// The organization --role applies to.
        #[arg(long)]
        organization: Option<String>,
        /// As the console shows them (default: the name).
        #[arg(long = "display-name")]
        display_name: Option<String>,
        /// Read the password from the first line of stdin instead of asking.
        #[arg(long = "password-stdin")]
        password_stdin: bool,
    },
    /// Everyone, with their roles.
    List,
    /// Set a person's password.
    Password {
        name: String,
        #[arg(long = "password-stdin")]
        password_stdin: bool,
    },
    /// Give a person a role in an organization, or `none` to take it away.
    Role {
        name: String,
        organization: String,
        /// viewer, editor, publisher, admin or none.
        role: String,
    },
    /// Stop a person from signing in (their sessions end at their next request).
    Disable { name: String },
    /// Let a disabled person sign in again.
    Enable { name: String },
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
    #[arg(long, env = "STRATA_ACTOR", global = true)]
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

/// `--style`: a name `EnvStyle` knows.
fn env_style(text: &str) -> Result<strata_domain::compile::EnvStyle, String> {
    use strata_domain::compile::EnvStyle;
    EnvStyle::parse(text)
        .ok_or_else(|| format!("one of {}", EnvStyle::ALL.map(EnvStyle::as_str).join(", ")))
}
