//! The one write path. A [`ChangeSet`] opens a transaction and first bumps the domain's
//! revision, which takes the database's write lock (a row lock on PostgreSQL, the write lock
//! on SQLite), so change sets apply one after another. Entity modules then write through it,
//! each write appending a change record chained by hash to the one before. Commit applies all
//! of it under one new revision; dropping the change set applies none of it.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyConnection, Row, Transaction};

use strata_domain::access::{Action, Scope};
use strata_domain::kind::Kind;
use strata_domain::rules::Versioned;

use crate::access::Actor;
use crate::access::reading::readable;
use crate::access::scope::{owner_reference, scope_of, stored_owner, write_action};
use crate::entity::AnyQuery;
use crate::error::VersionStamp;
use crate::metrics::{CommitOutcome, StoreMetrics};
use crate::pending::{Pending, PendingRow};
use crate::resolution::{self, ConfigViolations, Proposed, Touch};
use crate::review::gate::{self, Approval, Needs, Record};
use crate::seen::{Reads, Seen};
use crate::{Store, StoreError, now_ms};

/// The hash before the first change record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub use crate::operation::Operation;

/// One write, as an entity module hands it to [`ChangeSet::record`].
pub(crate) struct Entry<'a> {
    pub kind: &'static str,
    pub key: &'a str,
    pub version: i64,
    pub operation: Operation,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

pub struct ChangeSet {
    tx: Transaction<'static, Any>,
    revision: i64,
    actor: Actor,
    reason: String,
    at_ms: i64,
    next_seq: i64,
    prev_hash: String,
    recorded: usize,
    /// What the writes so far can change among resolved configs; validated at commit.
    touched: BTreeSet<Touch>,
    /// Told when the change set commits (publishers wait on it).
    committed: std::sync::Arc<tokio::sync::Notify>,
    sealer: crate::sealing::Sealer,
    /// What the writes so far have read, kept while nothing but this change set can change it.
    seen: Seen,
    /// Rows written but not yet sent; sent before the connection is used again.
    pending: Pending,
    started: Instant,
    metrics: StoreMetrics,
    /// The organizations owning what the writes wrote ("" for what the domain shares).
    owners: BTreeSet<String>,
    /// The approvals of the change request this change set applies, if it applies one.
    approval: Option<Approval>,
    /// Whether the writes so far wrote an approval policy.
    wrote_policy: bool,
}

impl Store {
    /// Starts a change set by `actor`, for `reason`. Both are required: history must say who
    /// changed what, and why. Each write is checked against what the actor may do.
    pub async fn begin(&self, actor: &Actor, reason: &str) -> Result<ChangeSet, StoreError> {
        let reason = reason.trim();
        if actor.name().trim().is_empty() {
            return Err(StoreError::invalid(
                "/actor",
                "who makes the change must be named",
            ));
        }
        if reason.is_empty() {
            return Err(StoreError::invalid(
                "/reason",
                "say in a few words why you make this change",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(StoreError::invalid("/reason", "at most 500 characters"));
        }
        if reason.contains('\0') {
            return Err(StoreError::invalid(
                "/reason",
                "text without the NUL character, which no database of Strata's can store",
            ));
        }
        // Reasons are shown in terminals (`strata history`) and pages.
        strata_domain::rules::lines_of_text("/reason", reason)
            .map_err(|e| StoreError::invalid(e.field, e.rule))?;
        let started = Instant::now();
        let mut tx = self.pool.begin().await?;
        let revision: i64 = sqlx::query_scalar(
            "UPDATE domain SET revision = revision + 1 WHERE id = 1 RETURNING revision",
        )
        .fetch_one(&mut *tx)
        .await?;
        let last = sqlx::query("SELECT seq, hash FROM changes ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let (next_seq, prev_hash) = match last {
            Some(row) => (row.try_get::<i64, _>("seq")? + 1, row.try_get("hash")?),
            None => (1, GENESIS_HASH.to_owned()),
        };
        Ok(ChangeSet {
            tx,
            revision,
            actor: actor.clone(),
            reason: reason.to_owned(),
            at_ms: now_ms(),
            next_seq,
            prev_hash,
            recorded: 0,
            touched: BTreeSet::new(),
            committed: self.committed.clone(),
            sealer: self.sealer.clone(),
            seen: Seen::default(),
            pending: Pending::default(),
            started,
            metrics: self.metrics().clone(),
            owners: BTreeSet::new(),
            approval: None,
            wrote_policy: false,
        })
    }
}

impl ChangeSet {
    /// The revision this change set commits as.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    pub(crate) fn sealer(&self) -> &crate::sealing::Sealer {
        &self.sealer
    }

    /// The change set's connection, once every row written so far is sent.
    pub(crate) async fn conn(&mut self) -> Result<&mut AnyConnection, StoreError> {
        self.pending.send(&mut self.tx).await?;
        Ok(&mut self.tx)
    }

    /// Writes `row` when the connection is next used (or when many rows wait).
    pub(crate) async fn insert_later(
        &mut self,
        row: Box<dyn PendingRow>,
    ) -> Result<(), StoreError> {
        self.pending.push(&mut self.tx, row).await
    }

    /// The database as this change set's writes read it, remembering what they read.
    pub(crate) fn reads(&mut self) -> Reads<'_> {
        Reads::remembering(&mut self.tx, &mut self.seen, &mut self.pending)
    }

    /// Forgets what was read of the entity, which a write is about to change.
    pub(crate) fn forget(&mut self, kind: &'static str, key: &str) {
        self.seen.forget(kind, key);
    }

    /// Keeps the entity as just written, for later writes of this change set to read.
    pub(crate) fn remember<E: crate::entity::Entity>(&mut self, written: &Versioned<E>) {
        self.seen.remember(written);
    }

    /// Reads the latest version of every entity of `kind` at once, so writing many of them
    /// (an import) does not ask for each one's.
    pub(crate) async fn read_versions(&mut self, kind: &'static str) -> Result<(), StoreError> {
        if self.seen.knows_versions(kind) {
            return Ok(());
        }
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT entity_key, MAX(entity_version) FROM changes WHERE entity_kind = $1 \
             GROUP BY entity_key",
        )
        .bind(kind)
        .fetch_all(self.conn().await?)
        .await?;
        self.seen.know_versions(kind, rows.into_iter().collect());
        Ok(())
    }

    /// Refuses a write the actor may not make: changes need the editor role in the
    /// organization the entity belongs to (before and after the write), roll backs the
    /// publisher role, and what the domain shares, or a restore, a domain admin.
    async fn authorize(&mut self, entry: &Entry<'_>) -> Result<(), StoreError> {
        for image in [entry.before, entry.after].into_iter().flatten() {
            self.may_write(entry.kind, entry.key, image, entry.operation)
                .await?;
        }
        Ok(())
    }

    /// Refuses `operation` on the entity of `kind` and `key` whose image is `image`, unless
    /// the actor may make it. An existing entity the actor may not even read "does not
    /// exist" for them, as it does when they read it.
    pub(crate) async fn may_write(
        &mut self,
        kind: &'static str,
        key: &str,
        image: &Value,
        operation: Operation,
    ) -> Result<(), StoreError> {
        if let Actor::Operator(_) = self.actor {
            return Ok(());
        }
        let action = write_action(kind, operation);
        let scope = match operation {
            Operation::Restore => Scope::Domain,
            operation => scope_of(&mut self.reads(), kind, key, image, operation).await?,
        };
        if operation == Operation::Create {
            self.refuse_unseen_owner(kind, &scope, image)?;
        }
        let existing = matches!(
            operation,
            Operation::Update | Operation::Delete | Operation::Rollback
        );
        if existing && !self.actor.may(action, &scope) {
            let readable = scope_of(&mut self.reads(), kind, key, image, Operation::Update).await?;
            if !self.actor.may(Action::Read, &readable) {
                return Err(StoreError::NotFound {
                    kind,
                    key: key.to_owned(),
                });
            }
        }
        self.actor
            .check(action, &scope, format_args!("{kind} {key:?}"))
    }

    /// Refuses, as "does not exist", an entity that never existed or that the actor may not
    /// read (judged by its latest recorded image, so a deleted one stays as private as it was).
    pub(crate) async fn refuse_unreadable(
        &mut self,
        kind: &'static str,
        key: &str,
    ) -> Result<(), StoreError> {
        self.pending.send(&mut self.tx).await?;
        match readable(&mut self.tx, &self.actor, kind, key).await? {
            Some(_) => Ok(()),
            // Never existed, for one who sees everything.
            None => Err(StoreError::NotFound {
                kind,
                key: key.to_owned(),
            }),
        }
    }

    /// Refuses an entity written (created, or updated to this image) under an owner the actor
    /// may not see, such as a product of another organization or one that does not exist, as
    /// the missing reference, the same whether it exists or not.
    pub(crate) fn refuse_unseen_owner(
        &self,
        kind: &str,
        scope: &Scope,
        image: &Value,
    ) -> Result<(), StoreError> {
        match owner_reference(kind, image) {
            Some((field, referred, name)) if !self.actor.may(Action::Read, scope) => Err(
                StoreError::invalid(field, format!("{referred} {name:?} does not exist")),
            ),
            _ => Ok(()),
        }
    }

    /// Refuses updating an entity to an image whose owner the actor may not see; see
    /// [`Self::refuse_unseen_owner`].
    pub(crate) async fn refuse_unseen_new_owner(
        &mut self,
        kind: &'static str,
        key: &str,
        image: &Value,
    ) -> Result<(), StoreError> {
        if let Actor::Operator(_) = self.actor {
            return Ok(());
        }
        let scope = scope_of(&mut self.reads(), kind, key, image, Operation::Update).await?;
        self.refuse_unseen_owner(kind, &scope, image)
    }

    /// Whether a value sealed before seals were bound to a layer (v1, which would open in any
    /// layer) may be written where it did not stand: when the store takes the entity from its
    /// own history (a rollback or restore), or when the actor may see every secret anyway (the
    /// operator or a domain admin, importing an export made before seals were bound).
    pub(crate) fn accepts_unbound_seals(&self, operation: Operation) -> bool {
        matches!(operation, Operation::Rollback | Operation::Restore)
            || self.actor.may(Action::RevealSecrets, &Scope::Domain)
    }

    /// The author and time of the entity's latest recorded version, if it has one.
    pub(crate) async fn stamp(
        &mut self,
        kind: &str,
        key: &str,
    ) -> Result<Option<VersionStamp>, StoreError> {
        latest_stamp(self.conn().await?, kind, key).await
    }

    /// The version a new write to the entity gets: one past its last recorded version, so an
    /// entity deleted and created again keeps one unbroken history.
    pub(crate) async fn next_version(&mut self, kind: &str, key: &str) -> Result<i64, StoreError> {
        if let Some(version) = self.seen.next_version(kind, key) {
            return Ok(version);
        }
        Ok(self.stamp(kind, key).await?.map_or(1, |s| s.version + 1))
    }

    /// Appends the change record of one write, if the actor may make it: every write of every
    /// caller passes here, so this is where roles are enforced.
    pub(crate) async fn record(&mut self, entry: Entry<'_>) -> Result<(), StoreError> {
        self.authorize(&entry).await?;
        let organization = match entry.after.or(entry.before) {
            Some(image) => {
                let scope = scope_of(
                    &mut self.reads(),
                    entry.kind,
                    entry.key,
                    image,
                    Operation::Update,
                )
                .await?;
                stored_owner(&scope).to_owned()
            }
            None => String::new(),
        };
        self.owners.insert(organization.clone());
        self.wrote_policy |= entry.kind == Kind::ApprovalPolicy.name();
        let before = entry.before.map(Value::to_string);
        let after = entry.after.map(Value::to_string);
        let hash = chain_hash(
            &self.prev_hash,
            &HashedFields {
                seq: self.next_seq,
                revision: self.revision,
                kind: entry.kind,
                key: entry.key,
                version: entry.version,
                operation: entry.operation.as_str(),
                actor: self.actor.name(),
                at_ms: self.at_ms,
                reason: &self.reason,
                before: before.as_deref(),
                after: after.as_deref(),
            },
        );
        let record = RecordRow {
            seq: self.next_seq,
            revision: self.revision,
            kind: entry.kind,
            key: entry.key.to_owned(),
            version: entry.version,
            operation: entry.operation.as_str(),
            actor: self.actor.name().to_owned(),
            at_ms: self.at_ms,
            reason: self.reason.clone(),
            before,
            after,
            prev_hash: self.prev_hash.clone(),
            hash: hash.clone(),
            organization,
        };
        self.insert_later(Box::new(record)).await?;
        self.next_seq += 1;
        self.prev_hash = hash;
        self.recorded += 1;
        self.seen.wrote(
            entry.kind,
            entry.key,
            entry.version,
            entry.before,
            entry.after,
        );
        Ok(())
    }

    /// Every write of this change set so far, as its change record has it.
    pub(crate) async fn records(&mut self) -> Result<Vec<Record>, StoreError> {
        let rows = sqlx::query(
            "SELECT entity_kind, before_image, after_image FROM changes \
             WHERE revision = $1 ORDER BY seq",
        )
        .bind(self.revision)
        .fetch_all(self.conn().await?)
        .await?;
        rows.iter()
            .map(|row| {
                let image = |column: &str| -> Result<Option<Value>, StoreError> {
                    row.try_get::<Option<String>, _>(column)?
                        .map(|text| {
                            serde_json::from_str(&text).map_err(|e| {
                                StoreError::corrupt(format!("a change record's {column}: {e}"))
                            })
                        })
                        .transpose()
                };
                Ok(Record {
                    kind: row.try_get("entity_kind")?,
                    before: image("before_image")?,
                    after: image("after_image")?,
                })
            })
            .collect()
    }

    /// The entities this change set's writes leave, as resolution reads them.
    pub(crate) async fn proposed(&mut self) -> Result<Proposed, StoreError> {
        let mut proposed = Proposed::default();
        for record in self.records().await? {
            proposed.take(&record.kind, record.before, record.after)?;
        }
        Ok(proposed)
    }

    /// What the writes so far need approved before they may apply: the approval policies
    /// covering a config they change.
    pub(crate) async fn needs(&mut self) -> Result<Needs, StoreError> {
        let records = self.records().await?;
        let after = resolution::affected(&mut self.tx, &self.touched, &Proposed::default()).await?;
        Needs::of(&mut self.tx, &records, &self.touched, &after, &self.owners).await
    }

    /// The organizations owning what the writes so far wrote ("" for what the domain shares).
    pub(crate) fn owners(&self) -> &BTreeSet<String> {
        &self.owners
    }

    /// How many writes changed something so far.
    pub(crate) fn recorded(&self) -> usize {
        self.recorded
    }

    /// What the resolved configs the writes so far touch would break.
    pub(crate) async fn violations(&mut self) -> Result<ConfigViolations, StoreError> {
        self.pending.send(&mut self.tx).await?;
        let (violations, _) =
            resolution::check_touched(&mut self.tx, &self.sealer, &self.touched).await?;
        Ok(violations)
    }

    /// Applies a change request's writes with its approvals: the policies are then judged
    /// against those approvals at commit, not refused outright.
    pub(crate) fn approved_by(&mut self, approval: Approval) {
        self.approval = Some(approval);
    }

    /// Gives the change set up: nothing it wrote is applied.
    pub async fn abandon(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Gives the change set up because a write refused with `why`, counted as its outcome.
    pub(crate) async fn refused(self, why: &StoreError) -> Result<(), StoreError> {
        self.metrics.ended(CommitOutcome::of(why));
        self.abandon().await
    }

    /// Commits when the writes succeeded, else gives the change set up with their refusal.
    pub(crate) async fn commit_if(self, writes: Result<(), StoreError>) -> Result<i64, StoreError> {
        match writes {
            Ok(()) => self.commit().await,
            Err(e) => {
                self.refused(&e).await?;
                Err(e)
            }
        }
    }

    pub(crate) fn touch(&mut self, touch: Option<Touch>) {
        self.touched.extend(touch);
    }

    /// What the writes so far can change among resolved configs.
    pub(crate) fn touched(&self) -> &BTreeSet<Touch> {
        &self.touched
    }

    /// Applies every write under this change set's revision, if every resolved config the
    /// writes touched still follows its deployable's schema; else applies nothing and names
    /// the configs that break. Writes are checked together, so a change set may pass through
    /// states that would not validate (a schema change and the layer that fits it) as long as
    /// where it ends does. A change set that wrote nothing commits nothing and leaves the
    /// revision as it was; the answer is the current revision.
    #[tracing::instrument(name = "commit", skip_all, fields(revision = self.revision, actor = %self.actor.name(), writes = self.recorded, configs))]
    pub async fn commit(self) -> Result<i64, StoreError> {
        let metrics = self.metrics.clone();
        let outcome = self.commit_counted().await;
        match &outcome {
            Ok(_) => {}
            Err(e) => metrics.ended(CommitOutcome::of(e)),
        }
        outcome
    }

    async fn commit_counted(mut self) -> Result<i64, StoreError> {
        if self.recorded == 0 {
            self.tx.rollback().await?;
            return Ok(self.revision - 1);
        }
        self.pending.send(&mut self.tx).await?;
        // What the writes read is not needed to check them: its memory goes back first.
        self.seen = Seen::default();
        let touched = std::mem::take(&mut self.touched);
        let (violations, targets) =
            resolution::check_touched(&mut self.tx, &self.sealer, &touched).await?;
        tracing::Span::current().record("configs", targets.len());
        if !violations.is_empty() {
            self.tx.rollback().await?;
            return Err(StoreError::Unresolvable(violations));
        }
        // No write path goes around an approval policy: judged here, where every one ends.
        // Where none is in force and none is written, there is nothing to judge, and the
        // writes' records (an import's are many) are not read back.
        let needs = if self.wrote_policy || gate::any_in_force(&mut self.tx).await? {
            let records = self.records().await?;
            Needs::of(&mut self.tx, &records, &touched, &targets, &self.owners).await?
        } else {
            Needs::default()
        };
        let refusal = match &self.approval {
            None => needs.refusal(),
            Some(approval) => {
                needs
                    .unmet(&approval.approvers)
                    .map(|unmet| StoreError::ApprovalRequired {
                        policy: needs.policies[0].policy.clone(),
                        need: unmet.clone(),
                        message: format!("not approved as its policies ask: {unmet}"),
                    })
            }
        };
        if let Some(refusal) = refusal {
            self.tx.rollback().await?;
            return Err(refusal);
        }
        let configs = targets.len();
        // The outbox row: the revision waits for a publisher, in the same transaction.
        sqlx::query(
            "INSERT INTO publications (revision, state, actor, committed_ms) VALUES ($1, 'pending', $2, $3)",
        )
        .bind(self.revision)
        .bind(self.actor.name())
        .bind(self.at_ms)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        self.committed.notify_one();
        let took = self.started.elapsed();
        self.metrics.committed(took, configs);
        tracing::debug!(ms = took.as_secs_f64() * 1000.0, "committed");
        Ok(self.revision)
    }
}

/// The author and time of the entity's latest recorded version, if it has one, as `conn`
/// reads it.
pub(crate) async fn latest_stamp(
    conn: &mut AnyConnection,
    kind: &str,
    key: &str,
) -> Result<Option<VersionStamp>, StoreError> {
    let row = sqlx::query(
        "SELECT entity_version, actor, at_ms FROM changes \
         WHERE entity_kind = $1 AND entity_key = $2 ORDER BY entity_version DESC LIMIT 1",
    )
    .bind(kind)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(VersionStamp {
            version: row.try_get("entity_version")?,
            actor: row.try_get("actor")?,
            at_ms: row.try_get("at_ms")?,
        })
    })
    .transpose()
}

/// A change record waiting to be written.
struct RecordRow {
    seq: i64,
    revision: i64,
    kind: &'static str,
    key: String,
    version: i64,
    operation: &'static str,
    actor: String,
    at_ms: i64,
    reason: String,
    before: Option<String>,
    after: Option<String>,
    prev_hash: String,
    hash: String,
    organization: String,
}

impl PendingRow for RecordRow {
    fn head(&self) -> String {
        "INSERT INTO changes (seq, revision, entity_kind, entity_key, entity_version, operation, \
         actor, at_ms, reason, before_image, after_image, prev_hash, hash, organization)"
            .to_owned()
    }

    fn width(&self) -> usize {
        14
    }

    fn refers_to_nothing(&self) -> bool {
        true
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.seq)
            .bind(self.revision)
            .bind(self.kind)
            .bind(&self.key)
            .bind(self.version)
            .bind(self.operation)
            .bind(&self.actor)
            .bind(self.at_ms)
            .bind(&self.reason)
            .bind(&self.before)
            .bind(&self.after)
            .bind(&self.prev_hash)
            .bind(&self.hash)
            .bind(&self.organization)
    }
}

/// The fields a change record's hash covers, in a fixed order.
#[derive(serde::Serialize)]
pub(crate) struct HashedFields<'a> {
    pub seq: i64,
    pub revision: i64,
    pub kind: &'a str,
    pub key: &'a str,
    pub version: i64,
    pub operation: &'a str,
    pub actor: &'a str,
    pub at_ms: i64,
    pub reason: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// SHA-256 over the previous hash and the record's fields as JSON (unambiguous whatever the
/// text holds), in hex.
pub(crate) fn chain_hash(prev_hash: &str, fields: &HashedFields<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(serde_json::to_vec(fields).expect("plain fields serialize"));
    hex::encode(hasher.finalize())
}
