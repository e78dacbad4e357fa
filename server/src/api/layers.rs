//! One layer of a deployable over HTTP, whichever entity holds it (the deployable itself for
//! the default layer, else a stored config layer, which exists once first written):
//! `GET /api/v1/layers/{deployable}/default` or `…/{kind}/{name}` answers its values and the
//! holder's version (0: not written yet) as ETag; `PUT` the same path with `{"config": {…}}`
//! and the version edited (`If-Match: "n"` or a `version` field) writes it.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use strata_domain::layer::Layer;
use strata_domain::names::DeployableName;
use strata_store::Store;

use strata_domain::rules::Versioned;

use super::answers::{HeldBy, Item, LayerShown, LayerValues, Shown, Written, shown};
use super::caller::Caller;
use super::entities::{edited, etag, json_body, read_as, version_in};
use super::error::ApiError;
use super::reason;

pub fn router(store: Store) -> Router {
    Router::new()
        .route(
            "/api/v1/layers/{deployable}/default",
            get(read_default).put(write_default),
        )
        .route(
            "/api/v1/layers/{deployable}/{kind}/{name}",
            get(read).put(write),
        )
        .with_state(store)
}

/// The layer a path names, or the rule its parts break.
fn named(deployable: &str, kind: &str, name: &str) -> Result<(DeployableName, Layer), ApiError> {
    let deployable = DeployableName::parse(deployable)
        .map_err(|e| ApiError::invalid("/deployable", e.to_string()))?;
    let scope = Layer::parse(kind, name).map_err(|e| ApiError::invalid(&e.field, e.rule))?;
    Ok((deployable, scope))
}

async fn read_default(
    store: State<Store>,
    caller: Caller,
    Path(deployable): Path<String>,
) -> Result<Response, ApiError> {
    read(
        store,
        caller,
        Path((deployable, "default".into(), String::new())),
    )
    .await
}

async fn read(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((deployable, kind, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (deployable, scope) = named(&deployable, &kind, &name)?;
    let found = store.as_actor(&actor).layer(&deployable, &scope).await?;
    let (kind, key) = found.holder;
    let held_by = HeldBy {
        path: format!(
            "/api/v1/{}/{}",
            kind.path(),
            url::form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>()
        ),
        kind: kind.name().to_owned(),
        key,
    };
    let item = Shown {
        item: LayerShown {
            deployable: deployable.to_string(),
            scope,
            config: found.config,
            held_by,
        },
        version: found.version,
    };
    Ok(([(header::ETAG, etag(found.version))], Json(Item { item })).into_response())
}

async fn write_default(
    store: State<Store>,
    caller: Caller,
    Path(deployable): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let path = Path((deployable, "default".into(), String::new()));
    write(store, caller, path, headers, body).await
}

async fn write(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((deployable, kind, name)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (deployable, scope) = named(&deployable, &kind, &name)?;
    let mut document = json_body(body)?;
    let named_version = match document.as_object_mut() {
        Some(fields) => version_in(
            fields,
            "the version edited, a whole number (0: not written yet)",
        )?,
        None => None,
    };
    let LayerValues { config } = read_as(document)?;
    let version = edited(&headers, named_version)?;
    let done = store
        .write_layer(
            &actor,
            &reason::decode(&headers)?,
            &deployable,
            &scope,
            config,
            version,
        )
        .await?;
    let values = |v: Option<Versioned<serde_json::Value>>| {
        v.map(|v| shown(&v.map(|config| LayerValues { config })))
    };
    let version = done.version();
    let body = Json(Written {
        item: values(done.item),
        prev: values(done.prev),
        revision: done.revision,
    });
    Ok(([(header::ETAG, etag(version))], body).into_response())
}
