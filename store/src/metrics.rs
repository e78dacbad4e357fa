//! What the store counts for operators: change sets by outcome and how long they took, the
//! resolved configs each commit validated, impact previews, sign-ins. The server registers
//! these in the registry its `/metrics` answers from; a store opened without one (the command
//! line, tests) counts into families nobody reads.

use std::sync::Arc;
use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, IntCounterVec, Opts, Registry};

use crate::StoreError;

/// Seconds, from a millisecond to a minute: commits and previews of a few configs take
/// milliseconds, of 100,000 configs seconds.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// How many configs one commit validated: one, a product's tenants, a whole tier.
const CONFIGS: &[f64] = &[
    0.0,
    1.0,
    10.0,
    100.0,
    1_000.0,
    10_000.0,
    100_000.0,
    1_000_000.0,
];

/// The store's metric families. Cheap to clone: clones count into the same families.
#[derive(Clone)]
pub struct StoreMetrics {
    families: Arc<Families>,
}

struct Families {
    commits: IntCounterVec,
    commit_seconds: Histogram,
    validated_configs: Histogram,
    previews: IntCounterVec,
    preview_seconds: Histogram,
    sign_ins: IntCounterVec,
}

/// How a change set ended, as counted: the label values of `strata_commits_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    /// A rule refused it: the input, what it refers to, or the configs it would leave.
    Refused,
    /// It was made on a version that is no longer current.
    Conflict,
    /// The actor may not make it.
    Forbidden,
    /// The database failed.
    Failed,
}

impl CommitOutcome {
    pub const ALL: [CommitOutcome; 5] = [
        CommitOutcome::Committed,
        CommitOutcome::Refused,
        CommitOutcome::Conflict,
        CommitOutcome::Forbidden,
        CommitOutcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommitOutcome::Committed => "committed",
            CommitOutcome::Refused => "refused",
            CommitOutcome::Conflict => "conflict",
            CommitOutcome::Forbidden => "forbidden",
            CommitOutcome::Failed => "failed",
        }
    }

    /// The outcome a change set refused with `error` counts as.
    pub fn of(error: &StoreError) -> CommitOutcome {
        match error {
            StoreError::Conflict { .. } => CommitOutcome::Conflict,
            StoreError::Forbidden(_) => CommitOutcome::Forbidden,
            StoreError::Invalid { .. }
            | StoreError::NotFound { .. }
            | StoreError::Duplicate { .. }
            | StoreError::InUse { .. }
            | StoreError::Unresolvable(_) => CommitOutcome::Refused,
            _ => CommitOutcome::Failed,
        }
    }
}

/// How a sign-in attempt ended: the label values of `strata_sign_ins_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    Succeeded,
    Failed,
    /// Refused unchecked: too many failures for the account or from the address.
    Limited,
}

impl SignInOutcome {
    pub const ALL: [SignInOutcome; 3] = [
        SignInOutcome::Succeeded,
        SignInOutcome::Failed,
        SignInOutcome::Limited,
    ];

    fn as_str(self) -> &'static str {
        match self {
            SignInOutcome::Succeeded => "succeeded",
            SignInOutcome::Failed => "failed",
            SignInOutcome::Limited => "limited",
        }
    }
}

fn histogram(name: &str, help: &str, buckets: &[f64]) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
        .expect("a valid histogram")
}

fn counter(name: &str, help: &str, label: &str) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), &[label]).expect("a valid counter")
}

impl Default for StoreMetrics {
    /// Families registered nowhere.
    fn default() -> StoreMetrics {
        let families = Families {
            commits: counter(
                "strata_commits_total",
                "Change sets ended, by outcome: committed, refused (by a rule), conflict (a stale version), forbidden, failed (the database)",
                "outcome",
            ),
            commit_seconds: histogram(
                "strata_commit_duration_seconds",
                "Committed change sets: seconds from the change set's start to its commit, validation included",
                SECONDS,
            ),
            validated_configs: histogram(
                "strata_commit_validated_configs",
                "Resolved configs each commit validated against their deployable's schema",
                CONFIGS,
            ),
            previews: counter(
                "strata_impact_previews_total",
                "Impact previews, by outcome: shown, or refused as the write would be",
                "outcome",
            ),
            preview_seconds: histogram(
                "strata_impact_preview_duration_seconds",
                "Impact previews shown: seconds to make the write, resolve before and after, and compare",
                SECONDS,
            ),
            sign_ins: counter(
                "strata_sign_ins_total",
                "Sign-in attempts, by outcome: succeeded, failed (wrong name or password), limited (refused unchecked after too many failures)",
                "outcome",
            ),
        };
        // Every outcome is a series from the start: a rate over a counter that appears only
        // at its first event misses that event.
        for outcome in CommitOutcome::ALL {
            families.commits.with_label_values(&[outcome.as_str()]);
        }
        for outcome in ["shown", "refused"] {
            families.previews.with_label_values(&[outcome]);
        }
        for outcome in SignInOutcome::ALL {
            families.sign_ins.with_label_values(&[outcome.as_str()]);
        }
        StoreMetrics {
            families: Arc::new(families),
        }
    }
}

impl StoreMetrics {
    /// New families, registered in `registry`. Fails when it holds families of these names.
    pub fn registered(registry: &Registry) -> Result<StoreMetrics, prometheus::Error> {
        let metrics = StoreMetrics::default();
        let families = &metrics.families;
        registry.register(Box::new(families.commits.clone()))?;
        registry.register(Box::new(families.commit_seconds.clone()))?;
        registry.register(Box::new(families.validated_configs.clone()))?;
        registry.register(Box::new(families.previews.clone()))?;
        registry.register(Box::new(families.preview_seconds.clone()))?;
        registry.register(Box::new(families.sign_ins.clone()))?;
        Ok(metrics)
    }

    /// A change set committed after `took`, having validated `configs` resolved configs.
    pub(crate) fn committed(&self, took: Duration, configs: usize) {
        self.ended(CommitOutcome::Committed);
        self.families.commit_seconds.observe(took.as_secs_f64());
        self.families.validated_configs.observe(configs as f64);
    }

    pub(crate) fn ended(&self, outcome: CommitOutcome) {
        self.families
            .commits
            .with_label_values(&[outcome.as_str()])
            .inc();
    }

    pub(crate) fn previewed(&self, outcome: Result<Duration, ()>) {
        let label = match outcome {
            Ok(took) => {
                self.families.preview_seconds.observe(took.as_secs_f64());
                "shown"
            }
            Err(()) => "refused",
        };
        self.families.previews.with_label_values(&[label]).inc();
    }

    pub(crate) fn signed_in(&self, outcome: SignInOutcome) {
        self.families
            .sign_ins
            .with_label_values(&[outcome.as_str()])
            .inc();
    }
}
