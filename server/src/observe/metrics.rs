//! The server's metrics, in Prometheus's text format at `GET /metrics`: requests by route
//! template, the config read path by tier, the publisher's steps and lag, the token cache,
//! watchers and sign-ins, beside the store's own families ([`StoreMetrics`]). Counted in a
//! registry per server, so servers in one process (tests) count apart. Label values come from
//! bounded sets only — route templates, methods, statuses, the served revision's tiers — never
//! from a raw path, a tenant or a person.
//!
//! What needs asking (the outbox, sessions, whether each dependency answers) is asked when
//! Prometheus scrapes, not kept up to date in between.

use std::sync::Arc;
use std::time::Duration;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use strata_store::metrics::StoreMetrics;

/// Seconds an HTTP request takes: the read path answers in tens of microseconds, a page in
/// milliseconds, an import in seconds.
const REQUEST_SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Seconds a publication step, or the whole way from commit to served, takes.
const PUBLISH_SECONDS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The steps of a publication, as `strata_publication_step_duration_seconds` labels them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading the revision's state from the store.
    State,
    /// Rendering the snapshot's documents.
    Documents,
    /// Uploading the new documents and the manifest.
    Upload,
    /// Moving the origin's HEAD.
    Head,
    /// Compiling the revision in memory.
    Compile,
    /// Writing the compiled revision to Redis.
    Redis,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::State,
        Step::Documents,
        Step::Upload,
        Step::Head,
        Step::Compile,
        Step::Redis,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Step::State => "state",
            Step::Documents => "documents",
            Step::Upload => "upload",
            Step::Head => "head",
            Step::Compile => "compile",
            Step::Redis => "redis",
        }
    }
}

/// What a failed publication failed on, as `strata_publication_failures_total` labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The database (the outbox, the revision's state).
    Store,
    /// The origin (S3 or the directory).
    Origin,
    /// Redis.
    Cache,
    /// A revision or an origin's object that cannot be read as one.
    Unreadable,
}

impl Failure {
    pub const ALL: [Failure; 4] = [
        Failure::Store,
        Failure::Origin,
        Failure::Cache,
        Failure::Unreadable,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Failure::Store => "store",
            Failure::Origin => "origin",
            Failure::Cache => "cache",
            Failure::Unreadable => "unreadable",
        }
    }
}

/// The label for a route no route template matched (a file, or nothing).
pub const UNMATCHED: &str = "unmatched";

/// The services' config read: its route template, counted on a path of its own.
pub const READ_ROUTE: &str = "/api/v1/config/{tier}/{tenant}/{deployable}";

/// The label for a tier the served revision does not have.
pub const UNKNOWN_TIER: &str = "unknown";

/// The server's metric families. Cheap to clone: clones count into the same registry.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Families>,
}

struct Families {
    registry: Registry,
    /// The config read's usual answers, looked up once: `with_label_values` hashes its
    /// values and takes a lock on every call, which tens of thousands of reads a second feel.
    read: ReadAnswers,
    store: StoreMetrics,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    config_reads: IntCounterVec,
    publications: IntCounterVec,
    publication_failures: IntCounterVec,
    publication_steps: HistogramVec,
    publication_lag: Histogram,
    served_revision: IntGauge,
    outbox_waiting: IntGauge,
    outbox_oldest_seconds: Gauge,
    up: IntGaugeVec,
    token_hits: IntCounter,
    token_misses: IntCounter,
    token_cache_size: IntGauge,
    watchers: IntGauge,
    sessions_active: IntGauge,
}

/// A GET of the read route answered 200 or 304: its counters and its histogram.
struct ReadAnswers {
    served: IntCounter,
    unchanged: IntCounter,
    seconds: Histogram,
}

fn register<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("each family is registered once");
    metric
}

impl Default for Metrics {
    /// Families in a registry of their own.
    fn default() -> Metrics {
        let registry = Registry::new();
        let r = &registry;
        let counter = |name: &str, help: &str, labels: &[&str]| {
            register(
                r,
                IntCounterVec::new(Opts::new(name, help), labels).expect("a counter"),
            )
        };
        let gauge = |name: &str, help: &str| {
            register(
                r,
                IntGauge::with_opts(Opts::new(name, help)).expect("a gauge"),
            )
        };
        let histograms = |name: &str, help: &str, labels: &[&str], buckets: &[f64]| {
            let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
            register(r, HistogramVec::new(opts, labels).expect("a histogram"))
        };
        let token_lookups = counter(
            "strata_token_cache_lookups_total",
            "API tokens presented, by whether the server's memory of them was fresh (hit) or the store was asked (miss)",
            &["result"],
        );
        let requests = counter(
            "strata_http_requests_total",
            "HTTP requests answered, by route template, method and status",
            &["route", "method", "status"],
        );
        let request_seconds = histograms(
            "strata_http_request_duration_seconds",
            "Seconds from a request's arrival to its answer's head, by route template and method",
            &["route", "method"],
            REQUEST_SECONDS,
        );
        let families = Families {
            read: ReadAnswers {
                served: requests.with_label_values(&[READ_ROUTE, "GET", "200"]),
                unchanged: requests.with_label_values(&[READ_ROUTE, "GET", "304"]),
                seconds: request_seconds.with_label_values(&[READ_ROUTE, "GET"]),
            },
            requests,
            request_seconds,
            store: StoreMetrics::registered(r).expect("the store's families are registered once"),
            config_reads: counter(
                "strata_config_reads_total",
                "Config reads by services, by tier (unknown: one the served revision lacks, or asked without a token that may read it), format (json, env, other) and status (200 served, 304 unchanged since the revision the service holds, 4xx refused, 5xx failed)",
                &["tier", "format", "status"],
            ),
            publications: counter(
                "strata_publications_total",
                "Publications attempted by this server, by outcome (published, failed)",
                &["outcome"],
            ),
            publication_failures: counter(
                "strata_publication_failures_total",
                "Failed publications, by reason: origin, cache (Redis), store, unreadable (a revision or object that cannot be read)",
                &["reason"],
            ),
            publication_steps: histograms(
                "strata_publication_step_duration_seconds",
                "Seconds each step of a publication took: state, documents, upload, head, compile, redis",
                &["step"],
                PUBLISH_SECONDS,
            ),
            publication_lag: register(
                r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "strata_publication_lag_seconds",
                        "Seconds from a revision's commit until this server serves it",
                    )
                    .buckets(PUBLISH_SECONDS.to_vec()),
                )
                .expect("a histogram"),
            ),
            served_revision: gauge(
                "strata_served_revision",
                "The revision this server serves to services (0: none yet)",
            ),
            outbox_waiting: gauge(
                "strata_outbox_waiting",
                "Revisions committed and not yet published (pending, failed or being published)",
            ),
            outbox_oldest_seconds: register(
                r,
                Gauge::with_opts(Opts::new(
                    "strata_outbox_oldest_waiting_seconds",
                    "Age of the oldest revision not yet published (0: none waits)",
                ))
                .expect("a gauge"),
            ),
            up: register(
                r,
                IntGaugeVec::new(
                    Opts::new(
                        "strata_dependency_up",
                        "Whether a dependency answered its check when scraped (1) or not (0): database, origin, cache",
                    ),
                    &["dependency"],
                )
                .expect("a gauge"),
            ),
            token_hits: token_lookups.with_label_values(&["hit"]),
            token_misses: token_lookups.with_label_values(&["miss"]),
            token_cache_size: gauge(
                "strata_token_cache_size",
                "API tokens (known or not) the server keeps in memory",
            ),
            watchers: gauge(
                "strata_watchers",
                "Services following revisions by server-sent events (/api/v1/watch) now",
            ),
            sessions_active: gauge(
                "strata_sessions_active",
                "Console sessions that have not expired",
            ),
            registry,
        };
        for outcome in ["published", "failed"] {
            families.publications.with_label_values(&[outcome]);
        }
        for failure in Failure::ALL {
            families
                .publication_failures
                .with_label_values(&[failure.as_str()]);
        }
        for step in Step::ALL {
            families
                .publication_steps
                .with_label_values(&[step.as_str()]);
        }
        #[cfg(target_os = "linux")]
        families
            .registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("the process collector is registered once");
        Metrics {
            inner: Arc::new(families),
        }
    }
}

impl Metrics {
    /// The store's families, for the store this server writes through.
    pub fn store(&self) -> StoreMetrics {
        self.inner.store.clone()
    }

    /// Every family in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.inner.registry.gather(), &mut text)
            .expect("the text encoder writes to memory");
        String::from_utf8(text).expect("the text format is UTF-8")
    }

    pub(crate) fn answered(&self, route: &str, method: &str, status: &str, took: Duration) {
        let families = &self.inner;
        if route == READ_ROUTE && method == "GET" {
            let counted = match status {
                "200" => Some(&families.read.served),
                "304" => Some(&families.read.unchanged),
                _ => None,
            };
            if let Some(counted) = counted {
                counted.inc();
                families.read.seconds.observe(took.as_secs_f64());
                return;
            }
        }
        families
            .requests
            .with_label_values(&[route, method, status])
            .inc();
        families
            .request_seconds
            .with_label_values(&[route, method])
            .observe(took.as_secs_f64());
    }

    pub(crate) fn config_read(&self, tier: &str, format: &str, status: &str) {
        self.inner
            .config_reads
            .with_label_values(&[tier, format, status])
            .inc();
    }

    pub(crate) fn published(&self) {
        self.inner
            .publications
            .with_label_values(&["published"])
            .inc();
    }

    /// A revision served `after_commit` its commit (published here or elsewhere).
    pub(crate) fn served(&self, after_commit: Duration) {
        self.inner
            .publication_lag
            .observe(after_commit.as_secs_f64());
    }

    pub(crate) fn publication_failed(&self, failure: Failure) {
        self.inner.publications.with_label_values(&["failed"]).inc();
        self.inner
            .publication_failures
            .with_label_values(&[failure.as_str()])
            .inc();
    }

    pub(crate) fn step(&self, step: Step, took: Duration) {
        self.inner
            .publication_steps
            .with_label_values(&[step.as_str()])
            .observe(took.as_secs_f64());
    }

    pub(crate) fn token_looked_up(&self, fresh: bool) {
        match fresh {
            true => self.inner.token_hits.inc(),
            false => self.inner.token_misses.inc(),
        }
    }

    /// One more watcher, until the guard is dropped.
    pub(crate) fn watching(&self) -> Watching {
        self.inner.watchers.inc();
        Watching(self.inner.watchers.clone())
    }

    /// What this server holds, read on every scrape.
    pub(crate) fn holding(&self, served_revision: i64, tokens_kept: usize) {
        self.inner.served_revision.set(served_revision);
        self.inner.token_cache_size.set(tokens_kept as i64);
    }

    /// What is asked of the database and dependencies when scraped.
    pub(crate) fn standing(&self, standing: Standing) {
        let families = &self.inner;
        if let Some(waiting) = standing.outbox_waiting {
            families.outbox_waiting.set(waiting);
        }
        if let Some(oldest) = standing.outbox_oldest {
            families.outbox_oldest_seconds.set(oldest.as_secs_f64());
        }
        for (dependency, up) in standing.up {
            families
                .up
                .with_label_values(&[dependency])
                .set(i64::from(up));
        }
        if let Some(sessions) = standing.sessions_active {
            families.sessions_active.set(sessions);
        }
    }
}

/// The figures asked when Prometheus scrapes. `None`: could not be read (the gauge keeps its
/// last value, and `strata_dependency_up{dependency="database"}` says why).
pub(crate) struct Standing {
    pub outbox_waiting: Option<i64>,
    pub outbox_oldest: Option<Duration>,
    pub up: [(&'static str, bool); 3],
    pub sessions_active: Option<i64>,
}

/// A watcher counted while it is held.
pub(crate) struct Watching(IntGauge);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.dec();
    }
}
