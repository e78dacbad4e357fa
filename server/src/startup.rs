//! Builds the application from checked settings: opens and migrates the store, binds the
//! listener (port 0 picks a free one, so tests run the real server), and wires the routes.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::middleware;
use leptos::config::{Env, LeptosOptions};
use strata_app::ssr::Console;
use strata_store::access::SignInLimits;
use strata_store::{Store, StoreError};
use tokio::net::TcpListener;

use crate::auth::sessions::{CookiePolicy, Sessions};
use crate::auth::{Auth, AuthPolicy, Bearer, announce_setup_link};
use crate::cache::CacheSetting;
use crate::config::{SettingError, Settings};
use crate::health::Probe;
use crate::http;
use crate::observe::requests::ObserveLayer;
use crate::observe::{self, Metrics, Observed, Scrape};
use crate::publisher::Publisher;
use crate::redis_cache::RedisCache;
use crate::served::{Served, load_from_origin};

/// How often the uses of API tokens counted in memory are added to the store.
const TOKEN_USES_EVERY: Duration = Duration::from_secs(5);

/// Why the server could not start or stopped. Each message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Setting(#[from] SettingError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the server stopped: {0}")]
    Serve(io::Error),
}

/// Opens the database and brings its schema up to date.
pub async fn open_store(settings: &Settings) -> Result<Store, StartupError> {
    let store = Store::connect(&settings.database_url)
        .await
        .map_err(|e| SettingError::new("STRATA_DATABASE_URL", e.to_string()))?
        .with_secret_key(settings.secret_key.clone());
    store.migrate().await?;
    Ok(store)
}

pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    router: axum::Router,
    /// `/metrics` on an address of its own, when one is set.
    metrics: Option<(TcpListener, axum::Router)>,
    store: Store,
    publisher: Publisher,
    sessions: Sessions,
    bearer: Bearer,
    served: Served,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let listener = TcpListener::bind(settings.addr).await.map_err(|e| {
            let why = match e.kind() {
                io::ErrorKind::AddrInUse => format!(
                    "{} is already in use by another process; stop it or choose another address",
                    settings.addr
                ),
                io::ErrorKind::AddrNotAvailable => {
                    format!("{} is not an address of this machine", settings.addr)
                }
                io::ErrorKind::PermissionDenied => {
                    format!("not allowed to listen on {}", settings.addr)
                }
                _ => format!("cannot listen on {}: {e}", settings.addr),
            };
            SettingError::new("STRATA_ADDR", why)
        })?;
        let metrics_listener = match settings.metrics_addr {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
                SettingError::new(
                    "STRATA_METRICS_ADDR",
                    format!("cannot listen on {addr}: {e}"),
                )
            })?),
            None => None,
        };
        let metrics = Metrics::default();
        let store = open_store(&settings).await?.with_metrics(metrics.store());
        let addr = listener.local_addr().map_err(StartupError::Serve)?;
        let origin = settings.origin.open().await;
        let served = Served::default();
        // Serve what the origin holds right away; the publisher brings newer revisions.
        match load_from_origin(&origin).await {
            Ok(Some(compiled)) => {
                tracing::info!(
                    revision = compiled.revision,
                    configs = compiled.len(),
                    "serving the origin's revision"
                );
                served.install(Arc::new(compiled));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot load the origin's revision; waiting for the next publication")
            }
        }
        let probe = Arc::new(Probe {
            store: store.clone(),
            origin: origin.clone(),
            cache: settings.cache.clone(),
        });
        let console = Console {
            store: store.clone(),
            health: probe.clone(),
        };
        let sessions = Sessions::open(&settings.database_url).await?;
        let auth = Auth {
            store: store.clone(),
            policy: Arc::new(AuthPolicy {
                public_origin: settings.public_origin.clone(),
                cookies: CookiePolicy {
                    secure: settings.secure_cookies(),
                    idle: settings.session_idle,
                },
                limits: SignInLimits::default(),
                trusted_proxies: settings.trusted_proxies.clone(),
            }),
            bearer: Bearer::new(store.clone(), metrics.clone()),
        };
        let bearer = auth.bearer.clone();
        let console_url = settings.public_origin.clone().unwrap_or_else(|| {
            let shown = match addr.ip().is_unspecified() {
                true => SocketAddr::from(([127, 0, 0, 1], addr.port())),
                false => addr,
            };
            format!("http://{shown}")
        });
        announce_setup_link(&store, &console_url).await?;
        let hash_file = http::assets::hash_file(&settings.site_root);
        let leptos_options = LeptosOptions::builder()
            .output_name("strata")
            .site_root(settings.site_root.display().to_string())
            .site_pkg_dir("pkg")
            // The build's files named after their content, when it named them so: Leptos
            // reads the names from this file (an absolute path, which it joins unchanged).
            .hash_files(hash_file.is_some())
            .hash_file(
                hash_file
                    .map(|path| path.display().to_string())
                    .unwrap_or_else(|| http::assets::HASH_FILE.to_owned())
                    .into(),
            )
            .site_addr(addr)
            .env(leptos_env())
            .build();
        let observed = Observed::new(metrics.clone(), settings.reads_traced_every);
        let scrape = observe::router(Scrape {
            metrics: metrics.clone(),
            store: store.clone(),
            probe: probe.clone(),
            served: served.clone(),
            bearer: bearer.clone(),
            sessions: sessions.clone(),
            asked: Default::default(),
        })
        .layer(middleware::from_fn(http::headers::security_headers))
        .layer(ObserveLayer::new(observed.clone()));
        let router = http::router(
            console,
            auth,
            &sessions,
            probe,
            served.clone(),
            leptos_options,
            observed,
        );
        let (router, metrics_router) = match metrics_listener {
            Some(listener) => (router, Some((listener, scrape))),
            None => (router.merge(scrape), None),
        };
        let mut publisher = Publisher::new(
            store.clone(),
            origin,
            // The process too: a restarted server on the same address is another publisher.
            format!("strata@{addr} (pid {})", std::process::id()),
            served.clone(),
        )
        .with_metrics(metrics);
        if let CacheSetting::Redis { client, location } = &settings.cache {
            publisher = publisher.with_redis(RedisCache::new(client.clone(), location.clone()));
        }
        Ok(Application {
            listener,
            addr,
            router,
            metrics: metrics_router,
            store,
            publisher,
            sessions,
            bearer,
            served,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn run_until_stopped(self) -> Result<(), StartupError> {
        tracing::info!("Strata is listening on http://{}", self.addr);
        let publishing = tokio::spawn(self.publisher.run());
        let cleaning = self.sessions.spawn_cleanup(Duration::from_secs(3600));
        let counting = self.bearer.spawn_use_counter(TOKEN_USES_EVERY);
        let scraped = self.metrics.map(|(listener, router)| {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!("metrics for Prometheus at http://{addr}/metrics");
            }
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown({
            let served = self.served.clone();
            async move {
                shutdown_signal().await;
                // Watch streams never end by themselves: the shutdown would wait on them.
                served.stop();
            }
        })
        .await
        .map_err(StartupError::Serve)?;
        publishing.abort();
        cleaning.abort();
        if let Some(scraped) = scraped {
            scraped.abort();
        }
        counting.abort();
        self.bearer.write_uses().await;
        self.store.close().await;
        tracing::info!("Strata stopped");
        Ok(())
    }
}

/// `cargo leptos watch` sets LEPTOS_ENV=DEV to get live reload; everything else runs as PROD.
fn leptos_env() -> Env {
    match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") | Ok("development") => Env::DEV,
        _ => Env::PROD,
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
