//! Settings, from flags or environment variables (each flag has one). Raw text is checked in
//! [`Settings::resolve`] so that a bad value is reported naming its variable, in one line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use strata_store::DatabaseUrl;

use crate::cache::CacheSetting;
use crate::origin::OriginSetting;

/// A setting's value that cannot be used: the variable (or flag) and why, in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {why}")]
pub struct SettingError {
    pub variable: &'static str,
    pub why: String,
}

impl SettingError {
    pub fn new(variable: &'static str, why: impl Into<String>) -> SettingError {
        SettingError {
            variable,
            why: why.into(),
        }
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
    /// The address people open the console at, when a reverse proxy stands in front (e.g.
    /// https://config.example.com): requests must come from its pages, and an https address
    /// makes session cookies Secure.
    #[arg(long = "public-url", env = "STRATA_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// How long a session lasts without requests: a number and s, m, h or d.
    #[arg(
        long = "session-idle",
        env = "STRATA_SESSION_IDLE",
        default_value = "12h",
        global = true
    )]
    pub session_idle: String,
    /// Reverse proxies in front of Strata, as addresses or networks separated by commas
    /// (e.g. 10.0.0.0/8): behind them, the client is the nearest X-Forwarded-For address
    /// that is not one of them. Unset: the peer is the client.
    #[arg(
        long = "trusted-proxies",
        env = "STRATA_TRUSTED_PROXIES",
        global = true
    )]
    pub trusted_proxies: Option<String>,
    /// The key values a schema marks secret are sealed with: 32 bytes as 64 hex digits or
    /// base64 (`strata secret-key` makes one). Unset: such values cannot be written or read.
    #[arg(
        long = "secret-key",
        env = "STRATA_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<String>,
    /// An address of its own for `GET /metrics` (e.g. 0.0.0.0:9100), kept off the main
    /// address. Unset: /metrics is on the main address.
    #[arg(long = "metrics-addr", env = "STRATA_METRICS_ADDR", global = true)]
    pub metrics_addr: Option<String>,
    /// How the log is written: text (for people) or json (one object per line).
    #[arg(long = "log-format", env = "STRATA_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Of the services' config reads, one in this many gets a span (logged, and sent to a
    /// collector); 1: every read, 0: none. Every read is counted in /metrics either way.
    #[arg(
        long = "reads-traced-every",
        env = "STRATA_READS_TRACED_EVERY",
        default_value = "100",
        global = true
    )]
    pub reads_traced_every: String,
    /// An OpenTelemetry collector to send spans to by OTLP/HTTP (e.g. http://collector:4318).
    /// Unset: none are sent.
    #[arg(long = "otlp-endpoint", env = "STRATA_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,
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
    /// scheme://host[:port] people reach the console at, when set.
    pub public_origin: Option<String>,
    pub session_idle: Duration,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub secret_key: Option<strata_store::sealing::SecretKey>,
    pub metrics_addr: Option<SocketAddr>,
    pub reads_traced_every: u64,
}

impl RawSettings {
    pub fn resolve(&self) -> Result<Settings, SettingError> {
        let database_url = DatabaseUrl::parse(&self.database_url)
            .map_err(|why| SettingError::new("STRATA_DATABASE_URL", why))?;
        let origin = OriginSetting::parse(&self.origin, self.s3_endpoint.as_deref())
            .map_err(|why| SettingError::new("STRATA_ORIGIN", why))?;
        let cache = CacheSetting::parse(self.redis_url.as_deref())
            .map_err(|why| SettingError::new("STRATA_REDIS_URL", why))?;
        let addr = listen_address("STRATA_ADDR", &self.addr, "127.0.0.1:3000")?;
        let public_origin = self
            .public_url
            .as_deref()
            .map(public_origin)
            .transpose()
            .map_err(|why| SettingError::new("STRATA_PUBLIC_URL", why))?;
        let session_idle = duration(&self.session_idle)
            .map_err(|why| SettingError::new("STRATA_SESSION_IDLE", why))?;
        let trusted_proxies = crate::auth::client_address::parse_trusted_proxies(
            self.trusted_proxies.as_deref().unwrap_or_default(),
        )
        .map_err(|why| SettingError::new("STRATA_TRUSTED_PROXIES", why))?;
        let secret_key = self
            .secret_key
            .as_deref()
            .filter(|key| !key.trim().is_empty())
            .map(strata_store::sealing::SecretKey::parse)
            .transpose()
            .map_err(|why| SettingError::new("STRATA_SECRET_KEY", why))?;
        let metrics_addr = self
            .metrics_addr
            .as_deref()
            .filter(|addr| !addr.trim().is_empty())
            .map(|addr| listen_address("STRATA_METRICS_ADDR", addr, "0.0.0.0:9100"))
            .transpose()?;
        let reads_traced_every = self.reads_traced_every.trim().parse().map_err(|_| {
            SettingError::new(
                "STRATA_READS_TRACED_EVERY",
                format!(
                    "{:?} is not a whole number; 100 traces one read in a hundred, 1 every read, 0 none",
                    self.reads_traced_every
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
            public_origin,
            session_idle,
            trusted_proxies,
            secret_key,
            metrics_addr,
            reads_traced_every,
        })
    }
}

impl Settings {
    /// A server on loopback (a free port) over `database_url`, with its origin and site root
    /// in `dir`, the cache in process and no secret key: what benchmarks start.
    pub fn local(database_url: DatabaseUrl, dir: &std::path::Path) -> Settings {
        Settings {
            database_url,
            origin: OriginSetting::Directory(dir.join("origin")),
            s3_endpoint: None,
            cache: CacheSetting::InProcess,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            site_root: dir.to_path_buf(),
            public_origin: None,
            session_idle: Duration::from_secs(3600),
            trusted_proxies: Vec::new(),
            secret_key: None,
            metrics_addr: None,
            reads_traced_every: crate::observe::requests::READS_TRACED_EVERY,
        }
    }

    /// Whether session cookies must only travel over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|origin| origin.starts_with("https://"))
    }
}

/// An address to listen on, from `variable`'s `text`; `example` shows the form in the refusal.
fn listen_address(
    variable: &'static str,
    text: &str,
    example: &str,
) -> Result<SocketAddr, SettingError> {
    text.trim().parse().map_err(|_| {
        SettingError::new(
            variable,
            format!("{text:?} is not an address to listen on; expected IP:PORT such as {example}"),
        )
    })
}

/// The origin of a public URL: http or https, a host, no path.
fn public_origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| {
        format!("{text:?} is not a URL ({e}); expected e.g. https://config.example.com")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{text:?} must be an http:// or https:// address with a host"
        ));
    }
    if url.path() != "/" || url.query().is_some() {
        return Err(format!(
            "{text:?} must be the console's address without a path; the console serves from /"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// A duration such as 90s, 30m, 12h or 7d.
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?} is not a duration; expected e.g. 90s, 30m, 12h or 7d"
            ));
        }
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n * seconds)),
        _ => Err(format!(
            "{text:?} is not a duration; expected a positive whole number and s, m, h or d"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_number_and_a_unit() {
        assert_eq!(duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in ["", "12", "h", "0m", "-5m", "1.5h", "12 hours"] {
            assert!(duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_public_url_gives_its_origin_and_decides_secure_cookies() {
        assert_eq!(
            public_origin("https://Config.Example.com/"),
            Ok("https://config.example.com".to_owned())
        );
        assert_eq!(
            public_origin("http://10.0.0.5:8080"),
            Ok("http://10.0.0.5:8080".to_owned())
        );
        assert!(public_origin("ftp://x").is_err());
        assert!(public_origin("https://x.example/console").is_err());
        assert!(public_origin("config.example.com").is_err());
    }
}
