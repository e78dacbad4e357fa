//! Change requests as stored: proposing one (its writes tried in a change set given up at
//! once, so a request that could never apply is refused at once, and secrets are stored
//! sealed as the write would seal them), reading and listing those an actor may see, editing
//! and rebasing by the author, and applying: one change set, with the approvals of the
//! request's current content, judged by the same gate as every write.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyConnection, Row};
use strata_domain::access::{Action, Grants, Person, Scope};
use strata_domain::change_request::{
    ProposedWrite, RequestEvent, RequestState, check_text, check_title, check_writes, content_hash,
};
use strata_domain::deployable::Deployable;
use strata_domain::kind::Kind;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::DeployableName;
use strata_domain::token::TokenScope;
use strata_domain::with_kind;

use crate::access::Actor;
use crate::access::scope::stored_scope;
use crate::audit::AuditAction;
use crate::changes::{ChangeSet, latest_stamp};
use crate::entity::Entity;
use crate::resolution::ConfigViolations;
use crate::review::gate::{Approval, Needs};
use crate::{Store, StoreError, now_ms};

/// The most requests one list answers.
pub const MAX_LISTED: i64 = 200;

/// A change request.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ChangeRequest {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// The person who proposed it (for a token, the person who made the token).
    pub author: String,
    pub state: RequestState,
    pub writes: Vec<ProposedWrite>,
    /// What every approval names: approvals of other content do not count.
    pub content_hash: String,
    /// The revision it was proposed (or last rebased) on.
    pub base_revision: i64,
    /// The revision that applied it.
    pub applied_revision: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// What it needs approved, as judged when it was last proposed, edited or rebased.
    pub needs: Needs,
    /// Whose entities it writes ("" for what the domain shares): who may see it.
    #[serde(skip)]
    pub(crate) scopes: Vec<String>,
}

/// One line of a request's history.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RequestEntry {
    pub seq: i64,
    pub at_ms: i64,
    /// Who acted (a person, or `token:NAME`).
    pub actor: String,
    /// The person that stands for.
    pub person: String,
    pub event: RequestEvent,
    /// The content it was said of.
    pub content_hash: String,
    pub comment: String,
    /// A JSON pointer, `kind/key` first, the comment is pinned to.
    pub pointer: Option<String>,
    /// The comment this one answers.
    pub reply_to: Option<i64>,
}

/// Which requests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestFilter {
    /// Every one the actor may see.
    #[default]
    All,
    /// Open ones the actor may approve and has not approved as they stand.
    WaitingForMe,
    /// The actor's own.
    Mine,
    /// The actor's own that are still open.
    MineOpen,
    /// In one state.
    In(RequestState),
}

/// What proposed writes did when tried.
pub(crate) struct Trial {
    /// The writes as the store would write them (secrets sealed).
    pub writes: Vec<ProposedWrite>,
    pub needs: Needs,
    pub violations: ConfigViolations,
    /// Whose entities they write ("" for what the domain shares): who may see the request.
    pub scopes: Vec<String>,
    /// The revision they were tried on.
    pub base: i64,
}

impl ChangeSet {
    /// Makes one proposed write: creates, updates at its base version, or deletes.
    async fn make(&mut self, write: &ProposedWrite) -> Result<(), StoreError> {
        with_kind!(write.kind, E => self.make_as::<E>(write).await)
    }

    /// Makes `writes` in order; the first refused is refused as `refusal` words it (given
    /// the write's index).
    pub(crate) async fn make_each(
        &mut self,
        writes: &[ProposedWrite],
        refusal: fn(usize, StoreError) -> StoreError,
    ) -> Result<(), StoreError> {
        for (i, write) in writes.iter().enumerate() {
            self.make(write).await.map_err(|e| refusal(i, e))?;
        }
        Ok(())
    }

    async fn make_as<E: Entity>(&mut self, write: &ProposedWrite) -> Result<(), StoreError> {
        let entity = match &write.image {
            Some(image) => {
                let mut image = image.clone();
                if let Some(map) = image.as_object_mut() {
                    map.remove("version");
                    map.remove("revision");
                }
                let entity: E = serde_json::from_value(image).map_err(|e| {
                    StoreError::invalid("/image", format!("not a {}: {e}", E::KIND))
                })?;
                if entity.key() != write.key {
                    return Err(StoreError::invalid(
                        "/key",
                        format!("the image names {:?}, not {:?}", entity.key(), write.key),
                    ));
                }
                Some(entity)
            }
            None => None,
        };
        match (entity, write.base_version) {
            (Some(entity), None) => self.create(entity).await.map(drop),
            (Some(entity), Some(version)) => self.update(version, entity).await.map(drop),
            (None, Some(version)) => self.delete::<E>(&write.key, version).await,
            (None, None) => Err(StoreError::invalid(
                "/base_version",
                "a deletion names the version it deletes",
            )),
        }
    }
}

/// A request's write refused as it stands now: one gone stale is the author's to rebase
/// (whoever tried it, and whoever changed the entity meanwhile).
pub(crate) fn of_request(i: usize, e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict { kind, key, .. } => StoreError::invalid(
            format!("/writes/{i}/base_version"),
            format!(
                "{kind} {key:?} changed since the request was proposed on it: its author \
                 rebases the request, which merges what changed"
            ),
        ),
        e => at_write(i, e),
    }
}

/// A write's refusal, its field moved under the write it came from.
fn at_write(i: usize, e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid { field, rule } => {
            StoreError::invalid(format!("/writes/{i}{field}"), rule)
        }
        other => other,
    }
}

impl Store {
    /// Tries `writes` as `actor` would make them, in a change set given up at once.
    pub(crate) async fn try_writes(
        &self,
        actor: &Actor,
        writes: &[ProposedWrite],
    ) -> Result<Trial, StoreError> {
        let mut change = self.begin(actor, "trying a change request").await?;
        let tried = try_in(&mut change, writes).await;
        let base = change.revision() - 1;
        change.abandon().await?;
        let (writes, needs, violations, scopes) = tried?;
        Ok(Trial {
            writes,
            needs,
            violations,
            scopes,
            base,
        })
    }

    /// What `writes` would need approved were `actor` to make them (nothing where they may be
    /// saved directly): where an editor offers "Propose" instead of "Save". Nothing is
    /// written; refused as the writes would be (a permission, a rule, a stale version, configs
    /// they would break).
    pub async fn review_needed(
        &self,
        actor: &Actor,
        writes: &[ProposedWrite],
    ) -> Result<Needs, StoreError> {
        check_writes(writes).map_err(|e| StoreError::invalid(e.field, e.rule))?;
        // Who may write no such entity anywhere is told so before any work is done.
        for write in writes {
            actor.check_writes_some(write.kind)?;
        }
        // Where no policy is in force nothing needs review (one the writes would make asks
        // nothing of them): the writes are made and given up, refused as they would be, but
        // no config they reach is judged.
        if !super::gate::any_in_force(&mut *self.pool.acquire().await?).await? {
            let mut change = self
                .begin(actor, "asking whether a change needs review")
                .await?;
            let made = change.make_each(writes, at_write).await;
            change.abandon().await?;
            return made.map(|()| Needs::default());
        }
        Ok(self.tried(actor, writes).await?.needs)
    }

    /// Proposes `writes` for review, as `actor`, who must be allowed to make them; refused
    /// as they would be when any is (a rule, a stale version, configs they would break).
    pub async fn propose(
        &self,
        actor: &Actor,
        title: &str,
        description: &str,
        writes: Vec<ProposedWrite>,
    ) -> Result<ChangeRequest, StoreError> {
        let title = title.trim();
        check_request(title, description, &writes)?;
        let author = self.person_behind(actor).await?;
        let trial = self.tried(actor, &writes).await?;
        let hash = content_hash(title, description, &trial.writes);
        let at = now_ms();
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO change_requests (title, description, author, state, writes, \
             content_hash, base_revision, scopes, needs, created_ms, updated_ms) \
             VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(title)
        .bind(description)
        .bind(&author)
        .bind(json(&trial.writes))
        .bind(&hash)
        .bind(trial.base)
        .bind(json(&trial.scopes))
        .bind(json(&trial.needs))
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            id,
            actor,
            &author,
            RequestEvent::Proposed,
            &hash,
            "",
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        self.as_actor(actor).change_request(id).await
    }

    /// Proposes rolling the entity of `key` back to its version `to_version`: the write the
    /// roll back would make over `expected_version` (`None`: deleted now), proposed instead.
    #[allow(clippy::too_many_arguments)]
    pub async fn propose_rollback<E: Entity>(
        &self,
        actor: &Actor,
        key: &str,
        to_version: i64,
        expected_version: Option<i64>,
        title: &str,
        description: &str,
    ) -> Result<ChangeRequest, StoreError> {
        let mut change = self.begin(actor, "proposing a roll back").await?;
        let rolled = change
            .rollback::<E>(key, to_version, expected_version)
            .await;
        change.abandon().await?;
        let write = ProposedWrite {
            kind: E::OF,
            key: key.to_owned(),
            base_version: expected_version,
            image: Some(crate::entity::image(&rolled?.item)),
        };
        self.propose(actor, title, description, vec![write]).await
    }

    /// Proposes setting one layer of `deployable` to `config`, as its editor edited it at
    /// `version` of the entity holding it (0: not stored yet): the write the layer's save
    /// would make, proposed instead.
    #[allow(clippy::too_many_arguments)]
    pub async fn propose_layer(
        &self,
        actor: &Actor,
        deployable: &DeployableName,
        scope: &Layer,
        config: Value,
        version: i64,
        title: &str,
        description: &str,
    ) -> Result<ChangeRequest, StoreError> {
        let (kind, key) = ConfigLayer::holder_of(deployable, scope);
        let write = match kind {
            Kind::Deployable => {
                let mut found = self
                    .as_actor(actor)
                    .get::<Deployable>(deployable.as_str())
                    .await?
                    .item;
                found.default_config = config;
                ProposedWrite {
                    kind,
                    key,
                    base_version: Some(version),
                    image: Some(json_value(&found)),
                }
            }
            _ => ProposedWrite {
                kind: Kind::ConfigLayer,
                key,
                base_version: (version > 0).then_some(version),
                image: Some(json_value(&ConfigLayer {
                    deployable: deployable.clone(),
                    scope: scope.clone(),
                    config,
                })),
            },
        };
        self.propose(actor, title, description, vec![write]).await
    }

    /// Tries the writes and refuses them when they would break configs.
    async fn tried(&self, actor: &Actor, writes: &[ProposedWrite]) -> Result<Trial, StoreError> {
        let trial = self.try_writes(actor, writes).await?;
        if !trial.violations.is_empty() {
            return Err(StoreError::Unresolvable(trial.violations));
        }
        Ok(trial)
    }

    /// Replaces the title, description and writes of an open request, which only its author
    /// does; `seen` is the content hash the author edited, so an edit made over another (from
    /// a second window) is refused. Approvals given before are void: they name other content.
    pub async fn edit_request(
        &self,
        actor: &Actor,
        id: i64,
        seen: &str,
        title: &str,
        description: &str,
        writes: Vec<ProposedWrite>,
    ) -> Result<ChangeRequest, StoreError> {
        let title = title.trim();
        check_request(title, description, &writes)?;
        let request = self.as_actor(actor).change_request(id).await?;
        let author = self.by_author(actor, &request, "edit").await?;
        let trial = self.tried(actor, &writes).await?;
        self.replace_content(
            actor,
            &author,
            &request,
            seen,
            RequestEvent::Edited,
            title,
            description,
            trial,
        )
        .await
    }

    /// Takes in what changed meanwhile in the entities an open request writes: each write
    /// whose entity moved on is merged three ways (the version it was proposed on, the
    /// current one, the proposed one) and proposed on the current version. Only its author
    /// rebases; refused, naming the places, where both changed the same value.
    pub async fn rebase_request(
        &self,
        actor: &Actor,
        id: i64,
        seen: &str,
    ) -> Result<ChangeRequest, StoreError> {
        let request = self.as_actor(actor).change_request(id).await?;
        let author = self.by_author(actor, &request, "rebase").await?;
        let mut writes = request.writes.clone();
        let reader = self.as_actor(actor);
        for (i, write) in writes.iter_mut().enumerate() {
            let current = current_version(&self.pool, write.kind, &write.key).await?;
            let Some(base) = write.base_version else {
                if current.as_ref().is_some_and(|c| c.1) {
                    return Err(StoreError::invalid(
                        format!("/writes/{i}/key"),
                        format!(
                            "{} {:?} was created meanwhile: propose an edit of it instead",
                            write.kind.name(),
                            write.key
                        ),
                    ));
                }
                continue;
            };
            let Some((version, exists)) = current else {
                continue;
            };
            if version == base {
                continue;
            }
            if !exists {
                return Err(StoreError::invalid(
                    format!("/writes/{i}/key"),
                    format!(
                        "{} {:?} was deleted meanwhile: withdraw this request or propose it again",
                        write.kind.name(),
                        write.key
                    ),
                ));
            }
            let stamp = self.stamp_of(write.kind.name(), &write.key).await?;
            let meanwhile = reader
                .meanwhile(
                    write.kind.name(),
                    &write.key,
                    write.image.as_ref(),
                    base,
                    stamp,
                )
                .await?;
            match (&write.image, meanwhile.merge) {
                (Some(_), Some(merge)) if merge.conflicts.is_empty() => {
                    write.image = Some(merge.merged);
                }
                (Some(_), Some(merge)) => {
                    let places: Vec<&str> =
                        merge.conflicts.iter().map(|c| c.pointer.as_str()).collect();
                    return Err(StoreError::invalid(
                        format!("/writes/{i}/image"),
                        format!(
                            "{} {:?} changed meanwhile where this request changes it too, at {}: \
                             edit the request to choose",
                            write.kind.name(),
                            write.key,
                            places.join(", ")
                        ),
                    ));
                }
                _ => {}
            }
            write.base_version = Some(version);
        }
        if writes == request.writes {
            return Err(StoreError::invalid(
                "/writes",
                format!(
                    "nothing that change request #{id} writes changed since it was proposed: \
                     there is nothing to rebase"
                ),
            ));
        }
        let trial = self.tried(actor, &writes).await?;
        let (title, description) = (request.title.clone(), request.description.clone());
        self.replace_content(
            actor,
            &author,
            &request,
            seen,
            RequestEvent::Rebased,
            &title,
            &description,
            trial,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn replace_content(
        &self,
        actor: &Actor,
        author: &str,
        request: &ChangeRequest,
        seen: &str,
        event: RequestEvent,
        title: &str,
        description: &str,
        trial: Trial,
    ) -> Result<ChangeRequest, StoreError> {
        let hash = content_hash(title, description, &trial.writes);
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE change_requests SET title = $1, description = $2, writes = $3, \
             content_hash = $4, base_revision = $5, scopes = $6, needs = $7, updated_ms = $8 \
             WHERE id = $9 AND state = 'open' AND content_hash = $10",
        )
        .bind(title)
        .bind(description)
        .bind(json(&trial.writes))
        .bind(&hash)
        .bind(trial.base)
        .bind(json(&trial.scopes))
        .bind(json(&trial.needs))
        .bind(now_ms())
        .bind(request.id)
        .bind(seen)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(changed_meanwhile(request.id));
        }
        append(
            &mut tx, request.id, actor, author, event, &hash, "", None, None,
        )
        .await?;
        tx.commit().await?;
        self.as_actor(actor).change_request(request.id).await
    }

    /// Applies an open request whose current content is approved as its policies ask: its
    /// writes in one change set, one revision, whose reason names the request and its
    /// approvers. Its author or one of its approvers applies it; two at once apply it once.
    /// Refused as a whole when a write is stale (rebase first) or approvals fall short.
    pub async fn apply_request(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(ChangeRequest, i64), StoreError> {
        let request = self.as_actor(actor).change_request(id).await?;
        let person = self.person_behind(actor).await?;
        let approvers = self.approvers(&request).await?;
        if person != request.author && !approvers.iter().any(|a| a.name == person) {
            return Err(StoreError::Forbidden(format!(
                "{person} may not apply change request #{id}: its author or one who approved it \
                 applies it"
            )));
        }
        let names: Vec<&str> = approvers.iter().map(|a| a.name.as_str()).collect();
        let mut reason = format!("change request #{id}: {}", request.title);
        if !names.is_empty() {
            reason = format!("{reason} (approved by {})", names.join(", "));
        }
        let reason: String = reason.chars().take(500).collect();
        let mut change = self.begin(actor, &reason).await?;
        let applied = self
            .apply_in(&mut change, actor, &person, &request, approvers)
            .await;
        let revision = change.commit_if(applied).await?;
        let request = self.as_actor(actor).change_request(id).await?;
        Ok((request, revision))
    }

    async fn apply_in(
        &self,
        change: &mut ChangeSet,
        actor: &Actor,
        person: &str,
        request: &ChangeRequest,
        approvers: Vec<Person>,
    ) -> Result<(), StoreError> {
        // Under the write lock: the request as it stands now, still open, still the content
        // approved. A second apply waits here for the first and finds it applied.
        let row = sqlx::query("SELECT state, content_hash FROM change_requests WHERE id = $1")
            .bind(request.id)
            .fetch_one(change.conn().await?)
            .await?;
        let state: String = row.try_get("state")?;
        let hash: String = row.try_get("content_hash")?;
        if state != "open" {
            return Err(StoreError::invalid(
                "/state",
                format!("change request #{} is {state}, not open", request.id),
            ));
        }
        if hash != request.content_hash {
            return Err(changed_meanwhile(request.id));
        }
        change.approved_by(Approval { approvers });
        change.make_each(&request.writes, of_request).await?;
        if change.recorded() == 0 {
            return Err(StoreError::invalid(
                "/writes",
                format!(
                    "change request #{} changes nothing now: what it writes is already so; \
                     withdraw it",
                    request.id
                ),
            ));
        }
        let revision = change.revision();
        let conn = change.conn().await?;
        // Still open, still this content: a rejection, withdrawal or edit that committed since
        // it was read above (they do not wait for the write lock) wins, and nothing applies.
        let done = sqlx::query(
            "UPDATE change_requests SET state = 'applied', applied_revision = $1, updated_ms = $2 \
             WHERE id = $3 AND state = 'open' AND content_hash = $4",
        )
        .bind(revision)
        .bind(now_ms())
        .bind(request.id)
        .bind(&request.content_hash)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(changed_meanwhile(request.id));
        }
        append(
            conn,
            request.id,
            actor,
            person,
            RequestEvent::Applied,
            &request.content_hash,
            "",
            None,
            None,
        )
        .await
    }

    /// The people who approved the request's current content and still stand by it: for each
    /// person, their latest verdict on that content is an approval (an approval followed by a
    /// request for changes is taken back). Each counted once, the author never, one who may no
    /// longer sign in not at all; an approval given through a token counts with what the token
    /// may do now (within its maker's rights), and not once it is revoked or expired.
    pub(crate) async fn approvers(
        &self,
        request: &ChangeRequest,
    ) -> Result<Vec<Person>, StoreError> {
        let rows = sqlx::query(
            "SELECT person, actor, event FROM change_request_events \
             WHERE request = $1 AND content_hash = $2 \
             AND event IN ('approved', 'changes_requested', 'rejected') ORDER BY seq",
        )
        .bind(request.id)
        .bind(&request.content_hash)
        .fetch_all(&self.pool)
        .await?;
        let mut latest: BTreeMap<String, (String, String)> = BTreeMap::new();
        for row in rows {
            let person: String = row.try_get("person")?;
            latest.insert(person, (row.try_get("actor")?, row.try_get("event")?));
        }
        let mut people = Vec::new();
        for (name, (actor, event)) in latest {
            if event != RequestEvent::Approved.as_str() || name == request.author {
                continue;
            }
            let Some(mut person) = self.signed_in_person(&name).await? else {
                continue;
            };
            if let Some(token) = actor.strip_prefix("token:") {
                match self.token_grants(token).await? {
                    Some(grants) => person.grants = grants.within(&person.grants),
                    None => continue,
                }
            }
            people.push(person);
        }
        Ok(people)
    }

    /// What the token of `name` may do now: none once it is revoked or expired.
    async fn token_grants(&self, name: &str) -> Result<Option<Grants>, StoreError> {
        let row = sqlx::query(
            "SELECT scope FROM api_tokens WHERE name = $1 AND revoked_at_ms IS NULL \
             AND expires_at_ms > $2",
        )
        .bind(name)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let scope: String = row.try_get("scope")?;
            serde_json::from_str::<TokenScope>(&scope)
                .map(|scope| scope.grants())
                .map_err(|e| StoreError::corrupt(format!("token {name:?}'s scope: {e}")))
        })
        .transpose()
    }

    /// Who stands behind `actor`: a person, or for a token the person who made it — through
    /// tokens made by tokens, to the person at the start. Reviews and authorship count per
    /// person, so no token can approve what the person behind it proposed.
    pub(crate) async fn person_behind(&self, actor: &Actor) -> Result<String, StoreError> {
        let mut name = actor.name().to_owned();
        // A chain is as long as people made it; bounded all the same.
        for _ in 0..32 {
            let Some(token) = name.strip_prefix("token:") else {
                return Ok(name);
            };
            let made_by: Option<String> =
                sqlx::query_scalar("SELECT created_by FROM api_tokens WHERE name = $1")
                    .bind(token)
                    .fetch_optional(&self.pool)
                    .await?;
            match made_by {
                Some(made_by) => name = made_by,
                None => return Ok(name),
            }
        }
        Ok(name)
    }

    async fn by_author(
        &self,
        actor: &Actor,
        request: &ChangeRequest,
        what: &str,
    ) -> Result<String, StoreError> {
        let person = self.person_behind(actor).await?;
        if person != request.author {
            return Err(StoreError::Forbidden(format!(
                "{person} may not {what} change request #{}: only its author, {}, does",
                request.id, request.author
            )));
        }
        if request.state != RequestState::Open {
            return Err(not_open(request));
        }
        Ok(person)
    }

    async fn stamp_of(&self, kind: &str, key: &str) -> Result<crate::VersionStamp, StoreError> {
        let mut conn = self.pool.acquire().await?;
        latest_stamp(&mut conn, kind, key)
            .await?
            .ok_or_else(|| StoreError::corrupt(format!("{kind} {key:?} has no history")))
    }
}

/// Tries the writes in `change`: the writes as written, what they need, what they break.
async fn try_in(
    change: &mut ChangeSet,
    writes: &[ProposedWrite],
) -> Result<(Vec<ProposedWrite>, Needs, ConfigViolations, Vec<String>), StoreError> {
    change.make_each(writes, at_write).await?;
    if change.recorded() == 0 {
        return Err(StoreError::invalid(
            "/writes",
            "these writes change nothing: each entity already holds what they write",
        ));
    }
    let scopes = change.owners().iter().cloned().collect();
    let violations = change.violations().await?;
    let needs = change.needs().await?;
    // The images as the store wrote them: secrets sealed for their place.
    let mut written: BTreeMap<(String, String), Option<Value>> = BTreeMap::new();
    for record in change.records().await? {
        let key = record
            .after
            .as_ref()
            .or(record.before.as_ref())
            .map(|image| key_of(&record.kind, image))
            .transpose()?
            .unwrap_or_default();
        written.insert((record.kind, key), record.after);
    }
    let writes = writes
        .iter()
        .map(|w| ProposedWrite {
            image: written
                .get(&(w.kind.name().to_owned(), w.key.clone()))
                .cloned()
                .unwrap_or_else(|| w.image.clone()),
            ..w.clone()
        })
        .collect();
    Ok((writes, needs, violations, scopes))
}

/// The key of the entity of `kind` (a name as history has it) whose image is `image`.
fn key_of(kind: &str, image: &Value) -> Result<String, StoreError> {
    let kind = Kind::from_name(kind)
        .ok_or_else(|| StoreError::corrupt(format!("a change record of kind {kind:?}")))?;
    with_kind!(kind, E => serde_json::from_value::<E>(image.clone())
        .map(|e| Entity::key(&e))
        .map_err(|e| StoreError::corrupt(format!("a written {} does not read back: {e}", kind.name()))))
}

/// The latest version of an entity and whether it exists at it (not deleted); none when it
/// never existed.
pub(crate) async fn current_version(
    pool: &sqlx::AnyPool,
    kind: Kind,
    key: &str,
) -> Result<Option<(i64, bool)>, StoreError> {
    let row = sqlx::query(
        "SELECT entity_version, after_image IS NOT NULL AS present FROM changes \
         WHERE entity_kind = $1 AND entity_key = $2 ORDER BY entity_version DESC LIMIT 1",
    )
    .bind(kind.name())
    .bind(key)
    .fetch_optional(pool)
    .await?;
    row.map(|row| -> Result<(i64, bool), StoreError> {
        let present = match row.try_get::<bool, _>("present") {
            Ok(present) => present,
            Err(_) => row.try_get::<i64, _>("present")? != 0,
        };
        Ok((row.try_get("entity_version")?, present))
    })
    .transpose()
}

fn check_request(
    title: &str,
    description: &str,
    writes: &[ProposedWrite],
) -> Result<(), StoreError> {
    let invalid = |e: strata_domain::rules::FieldError| StoreError::invalid(e.field, e.rule);
    check_title(title).map_err(invalid)?;
    check_text("/description", description).map_err(invalid)?;
    check_writes(writes).map_err(invalid)
}

pub(crate) fn changed_meanwhile(id: i64) -> StoreError {
    StoreError::invalid(
        "/content_hash",
        format!("change request #{id} changed since you read it: read it again"),
    )
}

pub(crate) fn not_open(request: &ChangeRequest) -> StoreError {
    StoreError::invalid(
        "/state",
        format!(
            "change request #{} is {}, not open",
            request.id,
            request.state.as_str()
        ),
    )
}

fn json_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("entities serialize")
}

pub(crate) fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

/// Appends one line to a request's history, numbered after the last.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn append(
    conn: &mut AnyConnection,
    request: i64,
    actor: &Actor,
    person: &str,
    event: RequestEvent,
    hash: &str,
    comment: &str,
    pointer: Option<&str>,
    reply_to: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO change_request_events (request, seq, at_ms, actor, person, event, \
         content_hash, comment, pointer, reply_to) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 \
         FROM change_request_events WHERE request = $1",
    )
    .bind(request)
    .bind(now_ms())
    .bind(actor.name())
    .bind(person)
    .bind(event.as_str())
    .bind(hash)
    .bind(comment)
    .bind(pointer)
    .bind(reply_to)
    .execute(&mut *conn)
    .await?;
    // The audit log names the request and what happened, not its content: its title and
    // writes are for those who may see the request.
    let revision: i64 = sqlx::query_scalar(
        "SELECT COALESCE(applied_revision, base_revision) FROM change_requests WHERE id = $1",
    )
    .bind(request)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO audit_events (at_ms, action, actor, triggered_by, revision, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, 'succeeded', $6)",
    )
    .bind(now_ms())
    .bind(AuditAction::ChangeRequest.as_str())
    .bind(actor.name())
    .bind(person)
    .bind(revision)
    .bind(serde_json::json!({"request": request, "event": event.as_str()}).to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether `actor` may see a request writing entities of `scopes`: it reads every one. A
/// request that names no scope (none is ever stored so) is a domain admin's alone.
pub(crate) fn may_see(actor: &Actor, scopes: &[String]) -> bool {
    if scopes.is_empty() {
        return actor.may(Action::Change, &Scope::Domain);
    }
    scopes
        .iter()
        .all(|s| actor.may(Action::Read, &stored_scope(s)))
}
