//! The domain's entities over HTTP: list, read, create, update and delete tiers,
//! organizations, products, deployables, tier deployables, tenants and config layers, through
//! the store's one write path as the signed-in person or acting token.
//!
//! `GET /api/v1/{kind}` lists (`q`, `sort`, `desc`, `offset`, `limit` ≤ 200) what the caller
//! may read; `GET /api/v1/{kind}/{key}` answers `{"item": {…, "version": n}}` with the version
//! as ETag; `POST /api/v1/{kind}` creates; `PUT` and `DELETE /api/v1/{kind}/{key}` take the
//! version the caller edited (`If-Match: "n"`, or a `version` field / query parameter) and
//! answer the item and the one it replaced, `{"item": …, "prev": …}`. Writes say why in the
//! `Strata-Reason` header. A key holding `/` (tier deployables, config layers) is sent with
//! `%2F`.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use strata_domain::listing::{ListQuery, MAX_LIMIT};
use strata_domain::resolve::escape;
use strata_domain::rules::Versioned;
use strata_store::access::Actor;
use strata_store::changes::ChangeSet;
use strata_store::entity::Entity;
use strata_store::{Store, StoreError};

use super::answers::{Item, Page, Written, shown};
use super::caller::Caller;
use super::error::ApiError;
use super::reason;

use super::resource::kind_at;

/// The largest body a write may send.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/{kind}", get(list).post(create))
        .route("/api/v1/{kind}/{key}", get(read).put(update).delete(remove))
        .with_state(store)
}

/// A write's answer: the entity as written (none for a deletion), the one it replaced, and
/// the revision committed; the new version as ETag.
pub(super) fn written<E: Entity>(
    item: Option<&Versioned<E>>,
    prev: Option<&Versioned<E>>,
    revision: i64,
) -> Response {
    let body = Json(Written {
        item: item.map(shown),
        prev: prev.map(shown),
        revision,
    });
    match item {
        Some(item) => ([(header::ETAG, etag(item.version))], body).into_response(),
        None => body.into_response(),
    }
}

/// Makes `write` to the entity of `key` by `actor`, for the reason the request gives, and
/// answers what it wrote with the entity as it stood before (none when it did not exist).
pub(super) async fn commit_write<E: Entity>(
    store: &Store,
    actor: &Actor,
    headers: &HeaderMap,
    key: &str,
    write: impl AsyncFnOnce(&mut ChangeSet) -> Result<Option<Versioned<E>>, StoreError>,
) -> Result<Response, ApiError> {
    let done = store
        .write::<E>(actor, &reason::decode(headers)?, key, write)
        .await?;
    Ok(written(
        done.item.as_ref(),
        done.prev.as_ref(),
        done.revision,
    ))
}

pub(super) fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("a number in quotes is a header value")
}

#[derive(Deserialize)]
struct ListParams {
    #[serde(default)]
    q: String,
    sort: Option<String>,
    #[serde(default)]
    desc: bool,
    #[serde(default)]
    offset: i64,
    limit: Option<i64>,
}

/// The page size asked for (50 when none), if it is one the API gives.
pub(super) fn page_size(limit: Option<i64>, what: &str) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(50);
    match (1..=MAX_LIMIT).contains(&limit) {
        true => Ok(limit),
        false => Err(ApiError::invalid(
            "/limit",
            format!("from 1 to {MAX_LIMIT} {what}"),
        )),
    }
}

pub(super) fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::invalid("/query", e.body_text()))
}

async fn list(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path(kind): Path<String>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    let params = query(params)?;
    let list = ListQuery {
        search: params.q,
        sort: params.sort,
        descending: params.desc,
        offset: params.offset,
        limit: params.limit.unwrap_or(ListQuery::default().limit),
    };
    strata_domain::with_kind!(kind, E => {
        let page = store.as_actor(&actor).list_page::<E>(&list).await?;
        Ok(Json(Page {
            items: page.items.iter().map(shown).collect(),
            total: page.total,
            offset: list.offset,
            limit: list.limit,
        })
        .into_response())
    })
}

async fn read(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((kind, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    strata_domain::with_kind!(kind, E => {
        let found = store.as_actor(&actor).get::<E>(&key).await?;
        Ok(([(header::ETAG, etag(found.version))], Json(Item { item: shown(&found) })).into_response())
    })
}

/// A write's body as JSON: readable, at most [`MAX_BODY_BYTES`], no NUL character anywhere.
pub(super) fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|e| {
        let status = e.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            _ => "unreadable_body",
        };
        ApiError::new(
            status,
            code,
            format!("{} (at most {MAX_BODY_BYTES} bytes)", e.body_text()),
        )
    })?;
    let document: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::invalid("", format!("not JSON: {e}")))?;
    if let Some(at) = nul_in(&document) {
        return Err(ApiError::invalid(
            &at,
            "text may not hold the NUL character (\\u0000)",
        ));
    }
    Ok(document)
}

/// `document` read as a `T`; a refusal names the JSON pointer of the field and its rule.
pub(crate) fn read_as<T: serde::de::DeserializeOwned>(document: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(document).map_err(|e| {
        let mut field = pointer_of(e.path());
        let text = e.inner().to_string();
        // A missing member is reported at its object; name the member.
        if let Some(name) = text
            .strip_prefix("missing field `")
            .and_then(|t| t.split('`').next())
        {
            field.push_str(&format!("/{}", escape(name)));
        }
        ApiError::invalid(&field, text)
    })
}

/// What a write sent: the entity and the version it edited, if it named one.
pub(super) fn entity_of<E: Entity>(
    body: Result<Bytes, BytesRejection>,
) -> Result<(E, Option<i64>), ApiError> {
    let mut document = json_body(body)?;
    let Value::Object(fields) = &mut document else {
        return Err(ApiError::invalid(
            "",
            format!("a {} is a JSON object", E::KIND),
        ));
    };
    let version = version_in(fields, "the version edited, a whole number")?;
    Ok((read_as(document)?, version))
}

/// The version a write's body names (its `version` member, taken out), or `rule` broken.
pub(super) fn version_in(
    fields: &mut serde_json::Map<String, Value>,
    rule: &str,
) -> Result<Option<i64>, ApiError> {
    match fields.remove("version") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(_) => Err(ApiError::invalid("/version", rule)),
    }
}

/// Where `value` holds a NUL character (in a string or a member's name), which no database
/// column keeps.
fn nul_in(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in(item).map(|at| format!("/{i}{at}"))),
        Value::Object(fields) => fields.iter().find_map(|(name, item)| {
            let here = format!("/{}", escape(name));
            match name.contains('\0') {
                true => Some(here),
                false => nul_in(item).map(|at| format!("{here}{at}")),
            }
        }),
        _ => None,
    }
}

/// A serde path as a JSON pointer: `config.database[0]` → `/config/database/0`.
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{}", escape(key))),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// The version a write edited: `If-Match: "n"`, else the body's or the query's `version`.
pub(super) fn edited(headers: &HeaderMap, named: Option<i64>) -> Result<i64, ApiError> {
    if let Some(value) = headers.get(header::IF_MATCH) {
        let text = value.to_str().unwrap_or_default().trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        return text
            .parse()
            .map_err(|_| ApiError::invalid("/If-Match", "the version edited, in quotes: \"3\""));
    }
    named.ok_or_else(|| {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "version_required",
            "say which version you edited: If-Match: \"N\" or a version field",
        )
    })
}

async fn create(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    strata_domain::with_kind!(kind, E => {
        let (entity, _) = entity_of::<E>(body)?;
        let key = entity.key();
        let done = store
            .write::<E>(&actor, &reason::decode(&headers)?, &key, async |change| {
                change.create(entity).await.map(Some)
            })
            .await?;
        let location = format!(
            "/api/v1/{}/{}",
            kind.path(),
            url::form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>()
        );
        let mut answer = written(done.item.as_ref(), None, done.revision);
        *answer.status_mut() = StatusCode::CREATED;
        answer.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_str(&location).expect("an encoded path"),
        );
        Ok(answer)
    })
}

async fn update(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((kind, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    strata_domain::with_kind!(kind, E => {
        let (entity, named) = entity_of::<E>(body)?;
        let version = edited(&headers, named)?;
        same_key(&entity, &key)?;
        commit_write::<E>(&store, &actor, &headers, &key, async |change| {
            change.update(version, entity).await.map(Some)
        })
        .await
    })
}

/// The body must name the entity the path names: a key does not change.
pub(super) fn same_key<E: Entity>(entity: &E, key: &str) -> Result<(), ApiError> {
    if entity.key() == key {
        return Ok(());
    }
    Err(ApiError::invalid(
        "",
        format!(
            "the body is {} {:?}, the path names {key:?}; a key does not change",
            E::KIND,
            entity.key()
        ),
    ))
}

#[derive(Deserialize)]
struct Version {
    version: Option<i64>,
}

async fn remove(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((kind, key)): Path<(String, String)>,
    headers: HeaderMap,
    named: Result<Query<Version>, QueryRejection>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    let version = edited(&headers, query(named)?.version)?;
    strata_domain::with_kind!(kind, E => {
        commit_write::<E>(&store, &actor, &headers, &key, async |change| {
            change.delete::<E>(&key, version).await.map(|()| None)
        })
        .await
    })
}
