//! The publisher: takes the newest committed revision from the outbox, writes its snapshot to
//! the origin (documents not there yet, then the manifest, then HEAD with a conditional
//! write) and records the publication with its figures. Failures are recorded and retried
//! with backoff; commits never wait for it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use strata_domain::compile::Compiled;
use strata_domain::snapshot::{
    Documents, FORMAT, Head, Manifest, document_path, manifest_path, sha256_hex,
};
use strata_store::audit::{AuditAction, NewAuditEvent};
use strata_store::outbox::{Claim, PublishFigures};
use strata_store::{Store, StoreError};
use tracing::Instrument;

use crate::observe::Metrics;
use crate::observe::metrics::{Failure, Step};
use crate::origin::{DOCUMENTS_AT_ONCE, Origin, OriginError, current_head, fetch_current};
use crate::redis_cache::RedisCache;
use crate::served::{Served, compile_fetched};

/// How long a claim holds before another publisher may take the revision over, unless its
/// holder renews it: short, so a publisher that died (SIGKILL, a lost machine) holds nothing up
/// for longer than this.
const LEASE: Duration = Duration::from_secs(3);
/// How often a publisher renews its claim while it works: well inside the lease.
const RENEW_EVERY: Duration = Duration::from_millis(750);

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Origin(#[from] OriginError),
    #[error("{0}")]
    Cache(String),
    #[error("the origin's {0} is not a Strata snapshot object: {1}")]
    Unreadable(String, String),
}

impl PublishError {
    /// What failed, as counted.
    fn failure(&self) -> Failure {
        match self {
            PublishError::Store(_) => Failure::Store,
            PublishError::Origin(_) => Failure::Origin,
            PublishError::Cache(_) => Failure::Cache,
            PublishError::Unreadable(..) => Failure::Unreadable,
        }
    }
}

/// What one call of [`Publisher::publish_next`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Published {
        revision: i64,
        figures: PublishFigures,
    },
    Failed {
        revision: i64,
        error: String,
        retry_in: Duration,
    },
}

#[derive(Clone)]
pub struct Publisher {
    store: Store,
    origin: Origin,
    name: String,
    served: Served,
    redis: Option<RedisCache>,
    progress: Option<Progress>,
    metrics: Metrics,
    /// The newest revision this publisher put in the origin, and its documents: the shards a
    /// later change does not touch keep theirs.
    last: Arc<Mutex<Option<Published>>>,
}

/// A revision's documents, by the revision.
type Published = (i64, Documents);

/// Told each step of a publication as it completes, in words (for `strata publish`).
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// Waits 0.5 s, 1 s, 2 s … between attempts, at most a minute.
pub fn backoff(attempt: i64) -> Duration {
    let exponent = attempt.clamp(1, 8) as u32 - 1;
    Duration::from_millis(500 * 2u64.pow(exponent)).min(Duration::from_secs(60))
}

fn ms(since: Instant) -> i64 {
    since.elapsed().as_millis() as i64
}

/// The time since a commit made at `committed_ms` (none if the clock says it is to come).
fn since_commit(committed_ms: i64) -> Duration {
    Duration::from_millis((strata_store::now_ms() - committed_ms).max(0) as u64)
}

impl Publisher {
    /// A publisher that also compiles each published revision into `served`.
    pub fn new(store: Store, origin: Origin, name: impl Into<String>, served: Served) -> Publisher {
        Publisher {
            store,
            origin,
            name: name.into(),
            served,
            redis: None,
            progress: None,
            metrics: Metrics::default(),
            last: Arc::default(),
        }
    }

    /// Also compiles each published revision into Redis; a publication is complete only once
    /// Redis has it.
    /// Tells `progress` each step of each publication.
    pub fn with_progress(mut self, progress: Progress) -> Publisher {
        self.progress = Some(progress);
        self
    }

    fn step(&self, text: impl FnOnce() -> String) {
        if let Some(progress) = &self.progress {
            progress(&text());
        }
    }

    /// Counts into `metrics` (a server's registered families).
    pub fn with_metrics(mut self, metrics: Metrics) -> Publisher {
        self.metrics = metrics;
        self
    }

    pub fn with_redis(mut self, redis: RedisCache) -> Publisher {
        self.redis = Some(redis);
        self
    }

    /// Claims the newest revision waiting to be published and publishes it. `None` when
    /// nothing waits (or another publisher holds it).
    pub async fn publish_next(&self) -> Result<Option<Outcome>, StoreError> {
        let Some(claim) = self.store.claim_publication(&self.name, LEASE).await? else {
            return Ok(None);
        };
        let renewing = async {
            loop {
                tokio::time::sleep(RENEW_EVERY).await;
                match self
                    .store
                    .renew_claim(claim.revision, &self.name, LEASE)
                    .await
                {
                    Ok(true) => {}
                    // Taken over, or the outbox out of reach: going on is safe (objects are
                    // immutable and HEAD moves by compare-and-swap), stopping would waste it.
                    Ok(false) => tracing::warn!(
                        revision = claim.revision,
                        "another publisher took this revision over"
                    ),
                    Err(e) => {
                        tracing::warn!(revision = claim.revision, error = %e, "cannot renew the claim")
                    }
                }
            }
        };
        let span = tracing::info_span!(
            "publication",
            revision = claim.revision,
            attempt = claim.attempt
        );
        let outcome = tokio::select! {
            outcome = self.publish(&claim).instrument(span.clone()) => outcome,
            () = renewing => unreachable!("renewing ends only with the publication"),
        };
        if let Err(e) = &outcome {
            self.metrics.publication_failed(e.failure());
        }
        self.store
            .record_event(NewAuditEvent {
                action: AuditAction::Publish,
                actor: &self.name,
                triggered_by: &claim.actor,
                revision: claim.revision,
                outcome: match &outcome {
                    Ok(figures) => Ok(serde_json::json!({
                        "origin": self.origin.location(),
                        "attempt": claim.attempt,
                        "figures": figures,
                    })),
                    Err(e) => Err(e.to_string()),
                },
            })
            .await?;
        match outcome {
            Ok(figures) => {
                self.store
                    .finish_publication(claim.revision, &figures)
                    .await?;
                self.metrics.published();
                span.in_scope(|| {
                    tracing::info!(
                        build_ms = figures.build_ms,
                        upload_ms = figures.upload_ms,
                        switch_ms = figures.switch_ms,
                        documents = figures.documents,
                        documents_uploaded = figures.documents_uploaded,
                        bytes_uploaded = figures.bytes_uploaded,
                        "published"
                    )
                });
                Ok(Some(Outcome::Published {
                    revision: claim.revision,
                    figures,
                }))
            }
            Err(e) => {
                let retry_in = backoff(claim.attempt);
                let error = e.to_string();
                span.in_scope(|| tracing::warn!(%error, ?retry_in, "publication failed"));
                self.store
                    .fail_publication(claim.revision, &self.name, &error, retry_in)
                    .await?;
                Ok(Some(Outcome::Failed {
                    revision: claim.revision,
                    error,
                    retry_in,
                }))
            }
        }
    }

    async fn publish(&self, claim: &Claim) -> Result<PublishFigures, PublishError> {
        let started = Instant::now();
        // From the served revision, when it is older: only the changes since are read, and
        // only the shards they touch are rendered again.
        let previous = self.served.current();
        let reader = self.store.as_operator();
        let (state, changed) = async {
            match previous.as_ref().filter(|p| p.revision < claim.revision) {
                Some(previous) => {
                    let base = (**previous.source()).clone();
                    let (state, changed) = reader
                        .state_after(base, previous.revision, claim.revision)
                        .await?;
                    Ok::<_, StoreError>((Arc::new(state), Some(changed)))
                }
                None => Ok((Arc::new(reader.state_at(claim.revision).await?), None)),
            }
        }
        .instrument(tracing::info_span!("state"))
        .await?;
        let state_ms = ms(started);
        self.metrics.step(Step::State, started.elapsed());
        // Compiled on threads of its own while the documents are rendered and uploaded; served
        // only once HEAD names the revision. From the served revision: only the tenants whose
        // inputs changed are resolved again.
        let compiling = {
            let base = previous
                .clone()
                .unwrap_or_else(|| Arc::new(Compiled::empty()));
            let (state, changed, revision) = (state.clone(), changed.clone(), claim.revision);
            let span = tracing::info_span!("compile");
            tokio::task::spawn_blocking(move || {
                let _compiling = span.enter();
                let started = Instant::now();
                let compiled = match &changed {
                    Some(changed) => base.next_changed(revision, state, changed),
                    None => base.next(revision, state),
                };
                (compiled, ms(started))
            })
        };
        let domain = self.store.domain().await?;
        let last = self
            .last
            .lock()
            .expect("the last publication's documents")
            .clone()
            .filter(|(revision, _)| previous.as_ref().is_some_and(|p| p.revision == *revision));
        let (published, contents) = match (&last, &changed) {
            (Some((_, last)), Some(changed)) => last.next(&state, changed),
            _ => Documents::of(&state),
        };
        let documents = published.refs.clone();
        let document_count = documents.len() as i64;
        let checksum = Manifest::checksum_of(FORMAT, claim.revision, &documents);
        let build_ms = ms(started);
        self.metrics.step(
            Step::Documents,
            Duration::from_millis((build_ms - state_ms) as u64),
        );
        tracing::debug!(
            revision = claim.revision,
            state_ms,
            render_ms = build_ms - state_ms,
            "state read and documents rendered"
        );
        self.step(|| {
            format!(
                "revision {}: {} documents rendered ({} bytes) in {build_ms} ms",
                claim.revision,
                documents.len(),
                documents.values().map(|d| d.size).sum::<u64>()
            )
        });

        let uploading = Instant::now();
        let (mut uploaded, mut bytes_uploaded) = (0, 0);
        let mut uploads = futures_util::stream::iter(contents)
            .map(|(sha256, bytes)| async move {
                let size = bytes.len() as i64;
                let path = document_path(&sha256);
                self.origin
                    .put_immutable(&path, bytes)
                    .await
                    .map(|new| new.then_some(size))
            })
            .buffer_unordered(DOCUMENTS_AT_ONCE);
        async {
            while let Some(upload) = uploads.next().await {
                if let Some(size) = upload? {
                    uploaded += 1;
                    bytes_uploaded += size;
                }
            }
            Ok::<_, OriginError>(())
        }
        .instrument(tracing::info_span!("upload", documents = document_count))
        .await?;
        drop(uploads);
        let head = current_head(&self.origin).await?;
        let path = manifest_path(claim.revision);
        let manifest_bytes = match self.origin.get(&path).await? {
            // Another publisher wrote this revision's manifest already: keep it.
            Some(existing) => {
                let manifest: Manifest = serde_json::from_slice(&existing)
                    .map_err(|e| PublishError::Unreadable(path.clone(), e.to_string()))?;
                // One of an older format (a publisher not yet upgraded) names documents that
                // are there too: readers take either.
                if !manifest.is_consistent()
                    || (manifest.format == FORMAT && manifest.checksum != checksum)
                {
                    return Err(PublishError::Unreadable(
                        path,
                        "its checksum does not match this revision's documents".into(),
                    ));
                }
                existing
            }
            None => {
                let manifest = Manifest {
                    format: FORMAT,
                    domain: domain.name.clone(),
                    revision: claim.revision,
                    parent: head.as_ref().map(|(h, _)| h.revision),
                    published_at: strata_domain::time::format_rfc3339_millis(strata_store::now_ms()),
                    actor: claim.actor.clone(),
                    documents,
                    checksum: checksum.clone(),
                };
                let bytes = serde_json::to_vec_pretty(&manifest).expect("manifests serialize");
                bytes_uploaded += bytes.len() as i64;
                self.origin.put_immutable(&path, bytes.clone()).await?;
                bytes
            }
        };
        let upload_ms = ms(uploading);
        self.metrics.step(Step::Upload, uploading.elapsed());
        self.step(|| {
            format!(
                "uploaded {uploaded} new documents and the manifest to {} ({bytes_uploaded} bytes) in {upload_ms} ms",
                self.origin.location()
            )
        });

        let switching = Instant::now();
        let new_head = serde_json::to_vec_pretty(&Head {
            revision: claim.revision,
            manifest: path,
            manifest_sha256: sha256_hex(&manifest_bytes),
        })
        .expect("HEAD serializes");
        let mut head = head;
        loop {
            if head
                .as_ref()
                .is_some_and(|(h, _)| h.revision >= claim.revision)
            {
                // A publisher moved HEAD to this revision or a newer one: readers are current.
                break;
            }
            match self
                .origin
                .swap_head(head.as_ref().map(|(_, tag)| tag.clone()), new_head.clone())
                .instrument(tracing::info_span!("head"))
                .await
            {
                Ok(()) => break,
                Err(OriginError::HeadMoved { .. }) => head = current_head(&self.origin).await?,
                Err(e) => return Err(e.into()),
            }
        }
        let switch_ms = ms(switching);
        self.metrics.step(Step::Head, switching.elapsed());
        *self.last.lock().expect("the last publication's documents") =
            Some((claim.revision, published));
        self.step(|| format!("HEAD names revision {} ({switch_ms} ms)", claim.revision));
        let waiting = Instant::now();
        let (compiled, compile_ms) = match compiling.await {
            Ok(compiled) => compiled,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => {
                let revision = format!("revision {}", claim.revision);
                return Err(PublishError::Unreadable(revision, e.to_string()));
            }
        };
        let compiled =
            Arc::new(compiled.map_err(|e| {
                PublishError::Unreadable(format!("revision {}", claim.revision), e)
            })?);
        // Once per revision: a retried publication (Redis failed after this) finds it served.
        if self.served.install(compiled.clone()) {
            self.metrics.served(since_commit(claim.committed_ms));
        }
        self.metrics
            .step(Step::Compile, Duration::from_millis(compile_ms as u64));
        let waited_ms = ms(waiting);
        self.step(|| {
            format!(
                "compiled {} configs in memory ({} tenants resolved again) in {compile_ms} ms, {waited_ms} ms of it after HEAD moved",
                compiled.len(),
                compiled.recompiled_tenants
            )
        });
        self.record_compile(
            claim,
            Ok(serde_json::json!({
                "cache": "in-process",
                "configs": compiled.len(),
                "tenants_compiled": compiled.recompiled_tenants,
                "ms": compile_ms,
            })),
        )
        .await?;
        let caching = Instant::now();
        let (mut redis_written, mut redis_ms) = (0, 0);
        if let Some(redis) = &self.redis {
            let written = redis
                .compile(&domain.name, &compiled, previous.as_deref())
                .instrument(tracing::info_span!("redis"))
                .await;
            redis_ms = ms(caching);
            self.metrics.step(Step::Redis, caching.elapsed());
            let detail = match &written {
                Ok(written) => Ok(serde_json::json!({
                    "cache": redis.location(),
                    "configs": compiled.len(),
                    "written": written.configs,
                    "gone": written.gone,
                    "whole": written.whole,
                    "ms": redis_ms,
                })),
                Err(e) => Err(e.clone()),
            };
            self.record_compile(claim, detail).await?;
            let written = written.map_err(PublishError::Cache)?;
            redis_written = written.configs;
            self.step(|| {
                format!(
                    "Redis {}: {} configs written, {} gone{}",
                    redis.location(),
                    written.configs,
                    written.gone,
                    if written.whole { " (whole)" } else { "" }
                )
            });
        }
        tracing::info!(
            revision = claim.revision,
            configs = compiled.len(),
            tenants_compiled = compiled.recompiled_tenants,
            compile_ms,
            waited_ms,
            redis_ms,
            redis_written,
            "compiled"
        );
        // The revision this one replaced may be the last of its kind: freeing a million
        // configs takes a while, and the publication is done.
        tokio::task::spawn_blocking(move || drop(previous));
        Ok(PublishFigures {
            build_ms,
            upload_ms,
            switch_ms,
            documents: document_count,
            documents_uploaded: uploaded,
            bytes_uploaded,
            checksum,
        })
    }

    async fn record_compile(
        &self,
        claim: &Claim,
        outcome: Result<serde_json::Value, String>,
    ) -> Result<(), StoreError> {
        self.store
            .record_event(NewAuditEvent {
                action: AuditAction::Compile,
                actor: &self.name,
                triggered_by: &claim.actor,
                revision: claim.revision,
                outcome,
            })
            .await
    }

    /// Serves a revision another process published (another replica, or `strata publish`):
    /// when the outbox names a published revision newer than the served one, loads the
    /// origin's current revision, compiling only what changed. Answers whether it did.
    pub async fn follow(&self) -> Result<bool, PublishError> {
        let served = self.served.current();
        let newest = self.store.newest_published().await?;
        if newest.is_none_or(|n| served.as_ref().is_some_and(|s| s.revision >= n)) {
            return Ok(false);
        }
        let Some(fetched) = fetch_current(&self.origin).await? else {
            return Ok(false);
        };
        if served
            .as_ref()
            .is_some_and(|s| s.revision >= fetched.manifest.revision)
        {
            return Ok(false);
        }
        let base = served.unwrap_or_else(|| Arc::new(Compiled::empty()));
        let compiled = compile_fetched(&fetched, &base)?;
        tracing::info!(
            revision = compiled.revision,
            tenants_compiled = compiled.recompiled_tenants,
            "serving a revision another publisher published"
        );
        let revision = compiled.revision;
        if self.served.install(Arc::new(compiled))
            && let Some(committed_ms) = self.store.committed_ms(revision).await?
        {
            self.metrics.served(since_commit(committed_ms));
        }
        Ok(true)
    }

    /// Compiles the served revision into Redis again when Redis no longer names it (or a
    /// newer one) current: Redis restarted empty, or its keys were removed. Answers whether
    /// it did; the compilation goes to the audit log with why.
    pub async fn repair_cache(&self) -> Result<bool, PublishError> {
        let (Some(redis), Some(served)) = (&self.redis, self.served.current()) else {
            return Ok(false);
        };
        let domain = self.store.domain().await?.name;
        let found = redis.current(&domain).await.map_err(PublishError::Cache)?;
        if found.is_some_and(|r| r >= served.revision) {
            return Ok(false);
        }
        // The lock expires rather than being released: whoever refilled Redis is done
        // within it, and a second refill meanwhile would find Redis current anyway.
        if !redis
            .lock_repair(&domain, Duration::from_secs(30))
            .await
            .map_err(PublishError::Cache)?
        {
            return Ok(false);
        }
        let started = Instant::now();
        let written = redis.compile(&domain, &served, None).await;
        let outcome = match &written {
            Ok(written) => Ok(serde_json::json!({
                "cache": redis.location(),
                "configs": served.len(),
                "written": written.configs,
                "ms": ms(started),
                "why": match found {
                    Some(r) => format!("Redis named revision {r} current"),
                    None => "Redis named no revision current".to_owned(),
                },
            })),
            Err(e) => Err(e.clone()),
        };
        self.store
            .record_event(NewAuditEvent {
                action: AuditAction::Compile,
                actor: &self.name,
                triggered_by: "cache check",
                revision: served.revision,
                outcome,
            })
            .await?;
        written.map_err(PublishError::Cache)?;
        tracing::info!(
            revision = served.revision,
            ?found,
            "compiled the served revision into Redis again"
        );
        Ok(true)
    }

    /// Removes part of a Redis generation superseded more than the grace period ago, if any.
    pub async fn reap_cache(&self) -> Result<usize, String> {
        let Some(redis) = &self.redis else {
            return Ok(0);
        };
        let domain = self.store.domain().await.map_err(|e| e.to_string())?.name;
        redis.reap(&domain).await
    }

    /// Publishes after every commit until the process stops, and retries failed publications
    /// when they are due. Also looks every second, for commits made by other processes, and
    /// makes sure Redis still holds the served revision.
    pub async fn run(self) {
        let commits = self.store.commits();
        let mut cache_error = None;
        loop {
            match self.publish_next().await {
                Ok(Some(Outcome::Published { .. })) => continue,
                Ok(Some(Outcome::Failed { .. })) => {}
                Ok(None) => {
                    if let Err(e) = self.follow().await {
                        tracing::warn!(error = %e, "cannot load a revision published elsewhere");
                    }
                    // Said once per new error, not every second of an outage.
                    let error = match self.repair_cache().await {
                        Ok(_) => self.reap_cache().await.err(),
                        Err(e) => Some(e.to_string()),
                    };
                    if error.is_some() && error != cache_error {
                        tracing::warn!(error = error.as_deref(), "cannot check the Redis cache");
                    }
                    cache_error = error;
                }
                Err(e) => tracing::warn!(error = %e, "the publisher cannot reach the outbox"),
            }
            tokio::select! {
                () = commits.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}
