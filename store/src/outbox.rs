//! The outbox of publications: one row per committed revision (written by the commit itself),
//! claimed by publishers and finished with their figures or their error. Only the newest
//! revision is published; older ones still waiting are superseded by it.

use std::time::Duration;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::access::Actor;
use crate::access::visibility::Visibility;
use crate::audit::FAILURE_FOR_ADMINS;
use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PublicationState {
    Pending,
    Publishing,
    Published,
    Failed,
    Superseded,
}

impl PublicationState {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicationState::Pending => "pending",
            PublicationState::Publishing => "publishing",
            PublicationState::Published => "published",
            PublicationState::Failed => "failed",
            PublicationState::Superseded => "superseded",
        }
    }

    fn parse(text: &str) -> Result<PublicationState, StoreError> {
        Ok(match text {
            "pending" => PublicationState::Pending,
            "publishing" => PublicationState::Publishing,
            "published" => PublicationState::Published,
            "failed" => PublicationState::Failed,
            "superseded" => PublicationState::Superseded,
            other => return Err(StoreError::Corrupt(format!("publication state {other:?}"))),
        })
    }
}

/// A publication as recorded: its state, attempts, last error and, once published, how long
/// each step took and what it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub revision: i64,
    pub state: PublicationState,
    /// Who committed the revision.
    pub actor: String,
    pub committed_ms: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub retry_at_ms: Option<i64>,
    pub published_ms: Option<i64>,
    pub figures: Option<PublishFigures>,
    /// The publisher holding it while publishing, and until when its claim holds unless renewed.
    pub claimed_by: Option<String>,
    pub claimed_until_ms: Option<i64>,
}

impl Publication {
    /// The publication as `actor` may see it: who committed a revision, which server
    /// publishes it and what its last failure said are for domain admins (and the committer,
    /// of their own); others see that someone did, and that it failed. What it wrote (how
    /// many documents, how many bytes, how long each step took) counts every organization's
    /// tenants, so it is for domain admins too.
    pub(crate) fn seen_by(mut self, actor: &Actor) -> Publication {
        if Visibility::of(actor) != Visibility::All {
            if self.actor != actor.name() {
                self.actor = "another person".to_owned();
            }
            self.claimed_by = self.claimed_by.map(|_| "a publisher".to_owned());
            self.last_error = self.last_error.map(|_| FAILURE_FOR_ADMINS.to_owned());
            self.figures = None;
        }
        self
    }

    /// Where this publication stands, in words, for someone who just asked to publish: what
    /// it waits for, if anything.
    pub fn standing(&self, now_ms: i64) -> String {
        let revision = self.revision;
        match self.state {
            PublicationState::Published => format!("revision {revision} is published already"),
            PublicationState::Superseded => {
                format!("revision {revision} was superseded by a newer one")
            }
            PublicationState::Pending => {
                format!("asked the publisher to publish revision {revision} now")
            }
            PublicationState::Failed => format!(
                "revision {revision} failed to publish ({} attempts; last error: {}); asked the publisher to try again now",
                self.attempts,
                self.last_error.as_deref().unwrap_or("unknown")
            ),
            PublicationState::Publishing => {
                let by = self.claimed_by.as_deref().unwrap_or("a publisher");
                match self.claimed_until_ms {
                    Some(until) if until < now_ms => format!(
                        "revision {revision} was being published by {by}, which stopped answering; another publisher takes it over now"
                    ),
                    Some(until) => format!(
                        "revision {revision} is being published by {by} (attempt {}); if it stops, another publisher takes over within {} ms",
                        self.attempts,
                        until - now_ms
                    ),
                    None => format!("revision {revision} is being published by {by}"),
                }
            }
        }
    }
}

/// What a publisher measured while publishing one revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PublishFigures {
    pub build_ms: i64,
    pub upload_ms: i64,
    pub switch_ms: i64,
    pub documents: i64,
    pub documents_uploaded: i64,
    pub bytes_uploaded: i64,
    pub checksum: String,
}

/// A claimed revision: the publisher that holds it may publish it until the lease ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub revision: i64,
    pub actor: String,
    pub attempt: i64,
    /// When the revision was committed.
    pub committed_ms: i64,
}

/// What waits in the outbox: revisions committed and not yet published (pending, failed, or
/// being published), and when the oldest of them was committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxStanding {
    pub waiting: i64,
    pub oldest_committed_ms: Option<i64>,
}

const COLUMNS: &str = "revision, state, actor, committed_ms, attempts, last_error, retry_at_ms, \
                       published_ms, build_ms, upload_ms, switch_ms, documents, documents_uploaded, \
                       bytes_uploaded, checksum, claimed_by, claimed_until_ms";

fn publication_from_row(row: &AnyRow) -> Result<Publication, StoreError> {
    let state = PublicationState::parse(&row.try_get::<String, _>("state")?)?;
    let figures = match row.try_get::<Option<String>, _>("checksum")? {
        Some(checksum) => Some(PublishFigures {
            build_ms: row.try_get::<Option<i64>, _>("build_ms")?.unwrap_or(0),
            upload_ms: row.try_get::<Option<i64>, _>("upload_ms")?.unwrap_or(0),
            switch_ms: row.try_get::<Option<i64>, _>("switch_ms")?.unwrap_or(0),
            documents: row.try_get::<Option<i64>, _>("documents")?.unwrap_or(0),
            documents_uploaded: row
                .try_get::<Option<i64>, _>("documents_uploaded")?
                .unwrap_or(0),
            bytes_uploaded: row
                .try_get::<Option<i64>, _>("bytes_uploaded")?
                .unwrap_or(0),
            checksum,
        }),
        None => None,
    };
    Ok(Publication {
        revision: row.try_get("revision")?,
        state,
        actor: row.try_get("actor")?,
        committed_ms: row.try_get("committed_ms")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        retry_at_ms: row.try_get("retry_at_ms")?,
        published_ms: row.try_get("published_ms")?,
        figures,
        claimed_by: row.try_get("claimed_by")?,
        claimed_until_ms: row.try_get("claimed_until_ms")?,
    })
}

impl Store {
    /// Tells when a change set commits through this store (one permit is kept when nobody
    /// waits), so a publisher starts without polling.
    pub fn commits(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.committed.clone()
    }

    /// Claims the newest revision if it still waits to be published (pending, failed and due
    /// for a retry, or held by a publisher whose lease ran out). One publisher gets it: the
    /// claim is one conditional update.
    pub async fn claim_publication(
        &self,
        publisher: &str,
        lease: Duration,
    ) -> Result<Option<Claim>, StoreError> {
        let now = now_ms();
        let row = sqlx::query(
            "UPDATE publications SET state = 'publishing', attempts = attempts + 1, \
             claimed_by = $1, claimed_until_ms = $2 \
             WHERE revision = (SELECT MAX(revision) FROM publications) \
             AND (state = 'pending' \
                  OR (state = 'failed' AND COALESCE(retry_at_ms, 0) <= $3) \
                  OR (state = 'publishing' AND claimed_until_ms < $3)) \
             RETURNING revision, actor, attempts, committed_ms",
        )
        .bind(publisher)
        .bind(now + lease.as_millis() as i64)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Claim {
                revision: row.try_get("revision")?,
                actor: row.try_get("actor")?,
                attempt: row.try_get("attempts")?,
                committed_ms: row.try_get("committed_ms")?,
            })
        })
        .transpose()
    }

    /// Extends `publisher`'s claim on `revision` while it still holds it: a publisher renews
    /// its short lease as it works, so one that died is taken over within the lease. Answers
    /// whether the claim was still its own.
    pub async fn renew_claim(
        &self,
        revision: i64,
        publisher: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let renewed = sqlx::query(
            "UPDATE publications SET claimed_until_ms = $1 \
             WHERE revision = $2 AND claimed_by = $3 AND state = 'publishing'",
        )
        .bind(now_ms() + lease.as_millis() as i64)
        .bind(revision)
        .bind(publisher)
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Records a published revision with its figures; older revisions still waiting are
    /// superseded by it.
    pub async fn finish_publication(
        &self,
        revision: i64,
        figures: &PublishFigures,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE publications SET state = 'published', published_ms = $2, last_error = NULL, \
             retry_at_ms = NULL, claimed_until_ms = NULL, build_ms = $3, upload_ms = $4, \
             switch_ms = $5, documents = $6, documents_uploaded = $7, bytes_uploaded = $8, \
             checksum = $9 WHERE revision = $1",
        )
        .bind(revision)
        .bind(now_ms())
        .bind(figures.build_ms)
        .bind(figures.upload_ms)
        .bind(figures.switch_ms)
        .bind(figures.documents)
        .bind(figures.documents_uploaded)
        .bind(figures.bytes_uploaded)
        .bind(&figures.checksum)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE publications SET state = 'superseded', claimed_until_ms = NULL \
             WHERE revision < $1 AND state IN ('pending', 'failed', 'publishing')",
        )
        .bind(revision)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records `publisher`'s failed attempt and when to try again, if the revision is still
    /// its to publish: a publisher whose claim was taken over (its lease ran out) or that
    /// another one finished meanwhile changes nothing. Answers whether it was recorded.
    pub async fn fail_publication(
        &self,
        revision: i64,
        publisher: &str,
        error: &str,
        retry_in: Duration,
    ) -> Result<bool, StoreError> {
        let failed = sqlx::query(
            "UPDATE publications SET state = 'failed', last_error = $2, retry_at_ms = $3, \
             claimed_until_ms = NULL \
             WHERE revision = $1 AND state = 'publishing' AND claimed_by = $4",
        )
        .bind(revision)
        .bind(error)
        .bind(now_ms() + retry_in.as_millis() as i64)
        .bind(publisher)
        .execute(&self.pool)
        .await?;
        Ok(failed.rows_affected() == 1)
    }

    /// Asks the publishers to publish the newest revision now: a failed publication is due
    /// at once (its backoff skipped) and a waiting publisher of this process wakes. Answers
    /// the newest publication as it stands. Someone who publishes somewhere may ask.
    pub async fn publish_now(&self, actor: &Actor) -> Result<Option<Publication>, StoreError> {
        self.retry_failed_now(actor).await?;
        self.commits().notify_one();
        Ok(self
            .publications(1)
            .await?
            .into_iter()
            .next()
            .map(|p| p.seen_by(actor)))
    }

    /// Makes failed publications due for a retry now, keeping their last error. Someone
    /// who publishes somewhere (a publisher or more of an organization) may ask.
    pub async fn retry_failed_now(&self, actor: &Actor) -> Result<(), StoreError> {
        actor.check_publishes()?;
        sqlx::query("UPDATE publications SET retry_at_ms = $1 WHERE state = 'failed'")
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The latest publications, newest first.
    pub(crate) async fn publications(&self, limit: i64) -> Result<Vec<Publication>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM publications ORDER BY revision DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(publication_from_row)
        .collect()
    }

    /// What waits to be published.
    pub async fn outbox_standing(&self) -> Result<OutboxStanding, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS waiting, MIN(committed_ms) AS oldest FROM publications \
             WHERE state IN ('pending', 'failed', 'publishing')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxStanding {
            waiting: row.try_get("waiting")?,
            oldest_committed_ms: row.try_get("oldest")?,
        })
    }

    /// When `revision` was committed, if the outbox holds it.
    pub async fn committed_ms(&self, revision: i64) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT committed_ms FROM publications WHERE revision = $1")
                .bind(revision)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The newest revision some publisher published, if any.
    pub async fn newest_published(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(revision) FROM publications WHERE state = 'published'",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub(crate) async fn publication(
        &self,
        revision: i64,
    ) -> Result<Option<Publication>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM publications WHERE revision = $1"
        ))
        .bind(revision)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(publication_from_row)
        .transpose()
    }
}
