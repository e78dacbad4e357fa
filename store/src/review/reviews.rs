//! Reading change requests and reviewing them: only those whose every write the actor may
//! read exist for them; a comment is anyone's who sees the request, an approval, a request
//! for changes or a rejection a qualified reviewer's — never the author's — and an approval
//! names the content it approves.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::access::{Action, Scope};
use strata_domain::change_request::{
    RequestEvent, RequestState, Verdict, check_pointer, check_text,
};

use crate::access::scope::stored_scope;
use crate::access::{Actor, Reader};
use crate::resolution::{ConfigViolations, Impact};
use crate::review::gate::Needs;
use crate::review::requests::of_request;
use crate::review::requests::{
    ChangeRequest, MAX_LISTED, RequestEntry, RequestFilter, append, changed_meanwhile,
    current_version, may_see, not_open,
};
use crate::{Store, StoreError, now_ms};

/// A request as its review shows it, judged now.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RequestReview {
    pub request: ChangeRequest,
    pub history: Vec<RequestEntry>,
    /// What its writes need approved now.
    pub needs: Needs,
    /// Who approved its current content (the author never counts).
    pub approved_by: Vec<String>,
    /// What approvals still fall short; none when it may apply.
    pub unmet: Option<String>,
    /// Writes whose entity changed since the request was proposed on it: rebase first.
    pub stale: Vec<StaleWrite>,
    /// What the reader may do with it now.
    pub may: RequestRights,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StaleWrite {
    pub kind: String,
    pub key: String,
    pub base_version: Option<i64>,
    /// Its version now; none when it never existed.
    pub current_version: Option<i64>,
}

/// What one person may do with a request.
#[derive(Debug, Clone, Copy, Default, Serialize, schemars::JsonSchema)]
pub struct RequestRights {
    pub comment: bool,
    /// Approve, request changes or reject.
    pub review: bool,
    /// Edit, rebase or withdraw: its author, while it is open.
    pub edit: bool,
    pub apply: bool,
}

const SELECT: &str = "SELECT id, title, description, author, state, writes, content_hash, \
                      base_revision, scopes, needs, applied_revision, created_ms, updated_ms \
                      FROM change_requests";

/// The JSON text of `column`, read back.
fn parse<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::corrupt(format!("a change request's {column}: {e}")))
}

fn request_from_row(row: &AnyRow) -> Result<ChangeRequest, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(ChangeRequest {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        author: row.try_get("author")?,
        state: RequestState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(format!("a change request {state:?}")))?,
        writes: parse(row, "writes")?,
        content_hash: row.try_get("content_hash")?,
        base_revision: row.try_get("base_revision")?,
        applied_revision: row.try_get("applied_revision")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        needs: parse(row, "needs")?,
        scopes: parse(row, "scopes")?,
    })
}

fn entry_from_row(row: &AnyRow) -> Result<RequestEntry, StoreError> {
    let event: String = row.try_get("event")?;
    Ok(RequestEntry {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        actor: row.try_get("actor")?,
        person: row.try_get("person")?,
        event: RequestEvent::parse(&event)
            .ok_or_else(|| StoreError::corrupt(format!("a change request event {event:?}")))?,
        content_hash: row.try_get("content_hash")?,
        comment: row.try_get("comment")?,
        pointer: row.try_get("pointer")?,
        reply_to: row.try_get("reply_to")?,
    })
}

impl Reader<'_> {
    /// One request, if the actor may read every entity it writes; else "does not exist".
    pub async fn change_request(&self, id: i64) -> Result<ChangeRequest, StoreError> {
        let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.store().pool)
            .await?;
        match row.map(|row| request_from_row(&row)).transpose()? {
            Some(request) if may_see(self.actor(), &request.scopes) => Ok(request),
            _ => Err(StoreError::NotFound {
                kind: "change request",
                key: id.to_string(),
            }),
        }
    }

    /// The requests the actor may see, newest first, at most [`MAX_LISTED`].
    pub async fn change_requests(
        &self,
        filter: RequestFilter,
    ) -> Result<Vec<ChangeRequest>, StoreError> {
        let store = self.store();
        let person = store.person_behind(self.actor()).await?;
        let (condition, bind): (&str, Option<String>) = match filter {
            RequestFilter::All => ("1 = 1", None),
            RequestFilter::WaitingForMe => {
                ("state = 'open' AND author <> $1", Some(person.clone()))
            }
            RequestFilter::Mine => ("author = $1", Some(person.clone())),
            RequestFilter::MineOpen => ("author = $1 AND state = 'open'", Some(person.clone())),
            RequestFilter::In(state) => ("state = $1", Some(state.as_str().to_owned())),
        };
        // Read in pages until enough visible ones are found, so another organization's many
        // requests do not hide the reader's own.
        let mut found = Vec::new();
        let mut before = i64::MAX;
        loop {
            let sql = format!(
                "{SELECT} WHERE {condition} AND id < ${} ORDER BY id DESC LIMIT 500",
                if bind.is_some() { 2 } else { 1 }
            );
            let mut query = sqlx::query(&sql);
            if let Some(bind) = &bind {
                query = query.bind(bind);
            }
            let rows = query.bind(before).fetch_all(&store.pool).await?;
            let read = rows.len();
            for row in rows {
                let request = request_from_row(&row)?;
                before = request.id;
                if !may_see(self.actor(), &request.scopes) {
                    continue;
                }
                if filter == RequestFilter::WaitingForMe
                    && !self.waits_for(&request, &person).await?
                {
                    continue;
                }
                found.push(request);
                if found.len() as i64 == MAX_LISTED {
                    return Ok(found);
                }
            }
            if read < 500 {
                return Ok(found);
            }
        }
    }

    /// Whether the request waits for this reader's review: its needs ask for someone like
    /// them, and they have not approved it as it stands.
    async fn waits_for(&self, request: &ChangeRequest, person: &str) -> Result<bool, StoreError> {
        let Actor::Person(reader) = self.actor() else {
            return Ok(false);
        };
        if !request.needs.may_approve(&reader.grants) {
            return Ok(false);
        }
        let approved: Option<i64> = sqlx::query_scalar(
            "SELECT seq FROM change_request_events WHERE request = $1 AND person = $2 \
             AND event = 'approved' AND content_hash = $3 LIMIT 1",
        )
        .bind(request.id)
        .bind(person)
        .bind(&request.content_hash)
        .fetch_optional(&self.store().pool)
        .await?;
        Ok(approved.is_none())
    }

    /// A request's history, oldest first.
    pub async fn request_history(&self, id: i64) -> Result<Vec<RequestEntry>, StoreError> {
        self.change_request(id).await?;
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, person, event, content_hash, comment, pointer, reply_to \
             FROM change_request_events WHERE request = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.store().pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The request judged now: what it needs, who approved it as it stands, what falls
    /// short, which writes are stale, and what the reader may do.
    pub async fn request_review(&self, id: i64) -> Result<RequestReview, StoreError> {
        let store = self.store();
        let request = self.change_request(id).await?;
        let history = self.request_history(id).await?;
        let open = request.state == RequestState::Open;
        // What it needs as judged when its content last changed (judging it again would try
        // its writes under the write lock on every view), less the policies no longer in
        // force. Applying it judges it anew.
        let mut needs = request.needs.clone();
        if open {
            let active: Vec<String> =
                sqlx::query_scalar("SELECT name FROM approval_policies WHERE state = 'active'")
                    .fetch_all(&store.pool)
                    .await?;
            needs.policies.retain(|need| active.contains(&need.policy));
        }
        let approvers = store.approvers(&request).await?;
        let approved_by = approvers.iter().map(|a| a.name.clone()).collect();
        let unmet = needs.unmet(&approvers);
        let mut stale = Vec::new();
        if open {
            for write in &request.writes {
                let current = current_version(&store.pool, write.kind, &write.key).await?;
                // A creation is stale once the entity exists; an edit or deletion once its
                // version moved on.
                let moved = match (write.base_version, current) {
                    (None, Some((_, exists))) => exists,
                    (None, None) => false,
                    (Some(base), Some((now, _))) => base != now,
                    (Some(_), None) => true,
                };
                if moved {
                    stale.push(StaleWrite {
                        kind: write.kind.name().to_owned(),
                        key: write.key.clone(),
                        base_version: write.base_version,
                        current_version: current.map(|(version, _)| version),
                    });
                }
            }
        }
        let person = store.person_behind(self.actor()).await?;
        let author = person == request.author;
        let may_review = open && !author && self.may_review(&request, &needs);
        let may = RequestRights {
            comment: true,
            review: may_review,
            edit: open && author,
            apply: open
                && stale.is_empty()
                && unmet.is_none()
                && (author || approvers.iter().any(|a| a.name == person)),
        };
        Ok(RequestReview {
            request,
            history,
            needs,
            approved_by,
            unmet,
            stale,
            may,
        })
    }

    /// Whether the reader may approve, request changes or reject: a person who qualifies
    /// under a policy the request needs or, where none applies, who may change everything it
    /// writes.
    fn may_review(&self, request: &ChangeRequest, needs: &Needs) -> bool {
        let Actor::Person(person) = self.actor() else {
            return false;
        };
        if needs.is_empty() {
            return request
                .scopes
                .iter()
                .all(|s| person.grants.may(Action::Change, &stored_scope(s)));
        }
        needs.may_approve(&person.grants)
    }

    /// What the request's writes would do to resolved configs now: the configs the reader
    /// may read, whose they are not hidden.
    pub async fn request_impact(&self, id: i64) -> Result<Impact, StoreError> {
        let store = self.store();
        let request = self.change_request(id).await?;
        let writes = request.writes.clone();
        let mut impact = store
            .preview_write(&Actor::operator("review"), |change| {
                let writes = writes.clone();
                Box::pin(async move { change.make_each(&writes, of_request).await })
            })
            .await?;
        // A tier layer is everyone's to read, the tenants it reaches are not: each config is
        // shown only to who may read its product.
        let products: BTreeSet<String> = impact
            .changed
            .iter()
            .map(|c| c.target.product.to_string())
            .chain(
                impact
                    .violations
                    .first
                    .iter()
                    .map(|v| v.target.product.to_string()),
            )
            .collect();
        let mut owner: BTreeMap<String, String> = BTreeMap::new();
        for product in products {
            let organization: Option<String> =
                sqlx::query_scalar("SELECT organization FROM products WHERE name = $1")
                    .bind(&product)
                    .fetch_optional(&store.pool)
                    .await?;
            owner.insert(product, organization.unwrap_or_default());
        }
        let readable = |product: &str| {
            owner.get(product).is_some_and(|o| {
                self.actor()
                    .may(Action::Read, &Scope::Organization(o.clone()))
            })
        };
        impact
            .changed
            .retain(|c| readable(c.target.product.as_str()));
        let first: Vec<_> = impact
            .violations
            .first
            .iter()
            .filter(|v| readable(v.target.product.as_str()))
            .cloned()
            .collect();
        // Counts over every organization's configs are a domain admin's to see.
        if !self.actor().may(Action::Change, &Scope::Domain) {
            impact.unchanged = 0;
            impact.violations = ConfigViolations {
                total: first.len(),
                first,
            };
        }
        Ok(impact)
    }
}

impl Store {
    /// Says `verdict` of request `id` as `actor`, with `comment` (pinned to `pointer`,
    /// answering comment `reply_to`). `seen` is the content hash the reviewer read: an
    /// approval of content that changed since is refused, never counted for the new content.
    #[allow(clippy::too_many_arguments)]
    pub async fn review_request(
        &self,
        actor: &Actor,
        id: i64,
        verdict: Verdict,
        seen: &str,
        comment: &str,
        pointer: Option<&str>,
        reply_to: Option<i64>,
    ) -> Result<RequestEntry, StoreError> {
        let invalid = |e: strata_domain::rules::FieldError| StoreError::invalid(e.field, e.rule);
        check_text("/comment", comment).map_err(invalid)?;
        if let Some(pointer) = pointer {
            check_pointer(pointer).map_err(invalid)?;
        }
        let reader = self.as_actor(actor);
        let request = reader.change_request(id).await?;
        let person = self.person_behind(actor).await?;
        if verdict != Verdict::Comment && seen.trim().is_empty() {
            return Err(StoreError::invalid(
                "/content_hash",
                "name the content you review: the request's content_hash as you read it",
            ));
        }
        if verdict == Verdict::Comment {
            if comment.trim().is_empty() {
                return Err(StoreError::invalid("/comment", "say something"));
            }
        } else {
            if request.state != RequestState::Open {
                return Err(not_open(&request));
            }
            if person == request.author {
                return Err(StoreError::Forbidden(format!(
                    "{person} proposed change request #{id} and may not review it: another \
                     person approves, requests changes or rejects"
                )));
            }
            if matches!(actor, Actor::Operator(_))
                || self.signed_in_person(&person).await?.is_none()
            {
                return Err(StoreError::Forbidden(format!(
                    "{} may not review change request #{id}: a review is a person's, signed in \
                     (or through a token they made)",
                    actor.name()
                )));
            }
            let review = reader.request_review(id).await?;
            if !review.may.review {
                let asks: Vec<String> = review
                    .needs
                    .policies
                    .iter()
                    .map(|n| format!("{} ({})", n.asks, n.covering))
                    .collect();
                return Err(StoreError::Forbidden(format!(
                    "{person} may not review change request #{id}: it needs {}",
                    if asks.is_empty() {
                        "a reviewer who may change what it writes".to_owned()
                    } else {
                        asks.join("; ")
                    }
                )));
            }
        }
        if let Some(reply_to) = reply_to {
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM change_request_events WHERE request = $1 AND seq = $2",
            )
            .bind(id)
            .bind(reply_to)
            .fetch_optional(&self.pool)
            .await?;
            if exists.is_none() {
                return Err(StoreError::invalid(
                    "/reply_to",
                    format!("change request #{id} has no comment {reply_to}"),
                ));
            }
        }
        let mut tx = self.pool.begin().await?;
        // The request's row, touched first: concurrent reviews of it queue here, and a
        // verdict on content that changed meanwhile is refused.
        let condition = if verdict == Verdict::Comment {
            "id = $2"
        } else {
            "id = $2 AND state = 'open' AND content_hash = $3"
        };
        let sql = format!("UPDATE change_requests SET updated_ms = $1 WHERE {condition}");
        let mut touch = sqlx::query(&sql).bind(now_ms()).bind(id);
        if verdict != Verdict::Comment {
            touch = touch.bind(seen);
        }
        if touch.execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(changed_meanwhile(id));
        }
        if verdict == Verdict::Reject {
            sqlx::query("UPDATE change_requests SET state = 'rejected' WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let hash = if verdict == Verdict::Comment {
            request.content_hash.clone()
        } else {
            seen.to_owned()
        };
        append(
            &mut tx,
            id,
            actor,
            &person,
            verdict.event(),
            &hash,
            comment,
            pointer,
            reply_to,
        )
        .await?;
        tx.commit().await?;
        let history = reader.request_history(id).await?;
        history
            .into_iter()
            .last()
            .ok_or_else(|| StoreError::corrupt("a review left no line"))
    }

    /// Takes back an open request: its author's.
    pub async fn withdraw_request(
        &self,
        actor: &Actor,
        id: i64,
        comment: &str,
    ) -> Result<ChangeRequest, StoreError> {
        check_text("/comment", comment).map_err(|e| StoreError::invalid(e.field, e.rule))?;
        let request = self.as_actor(actor).change_request(id).await?;
        let person = self.person_behind(actor).await?;
        if person != request.author {
            return Err(StoreError::Forbidden(format!(
                "{person} may not withdraw change request #{id}: only its author, {}, does",
                request.author
            )));
        }
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE change_requests SET state = 'withdrawn', updated_ms = $1 \
             WHERE id = $2 AND state = 'open'",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_open(&request));
        }
        append(
            &mut tx,
            id,
            actor,
            &person,
            RequestEvent::Withdrawn,
            &request.content_hash,
            comment,
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        self.as_actor(actor).change_request(id).await
    }
}
