//! The read path for services: a tenant's resolved config for one deployable on one tier,
//! served from the compiled revision in memory, never from SQL. The ETag is the revision, so
//! a service that asks again with `If-None-Match` gets 304 until something changes. Every
//! route needs a read token (`Authorization: Bearer`): none or a bad one is 401, one whose
//! scope does not cover the config 403 — judged before anything is looked up, so a token
//! cannot tell what exists beyond its scope. Secret values are served as compiled, sealed,
//! except to tokens with the `secrets` scope, which get them opened.

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use strata_domain::compile::{Compiled, EnvStyle, Unknown, to_env};
use strata_domain::secret::SEALED_PREFIX;
use strata_domain::token::{OutOfScope, TokenScope};
use strata_store::sealing::{Sealer, Unopened};

use crate::api::ApiError;
use crate::auth::Bearer;
use crate::observe::Metrics;
use crate::observe::RequestSpan;
use crate::observe::metrics::{READ_ROUTE, UNKNOWN_TIER};
use crate::observe::requests::ServerErrorCause;
use crate::served::Served;

#[derive(Clone)]
struct ReadPath {
    served: Served,
    bearer: Bearer,
    sealer: Sealer,
    metrics: Metrics,
}

pub fn router(served: Served, bearer: Bearer, sealer: Sealer, metrics: Metrics) -> Router {
    Router::new()
        .route(READ_ROUTE, get(config))
        .route("/api/v1/watch", get(watch))
        // Behind one Arc: state is cloned for every request.
        .with_state(Arc::new(ReadPath {
            served,
            bearer,
            sealer,
            metrics,
        }))
}

/// The read token the request presents, named as its actor; or the response refusing it.
async fn read_token(
    path: &ReadPath,
    headers: &HeaderMap,
    span: Option<&RequestSpan>,
) -> Result<TokenScope, Response> {
    let token = path
        .bearer
        .verify(headers)
        .await
        .map_err(IntoResponse::into_response)?;
    if let Some(span) = span {
        span.name_actor(format_args!("token:{}", token.name));
    }
    match token.scope {
        TokenScope::Read { .. } => Ok(token.scope),
        TokenScope::Act { .. } | TokenScope::Admin => Err(out_of_scope(OutOfScope::NotARead)),
    }
}

fn out_of_scope(why: OutOfScope) -> Response {
    error(StatusCode::FORBIDDEN, None, why.message())
}

#[derive(Deserialize)]
struct After {
    after: Option<i64>,
}

/// Server-Sent Events: one `revision` event for each revision served after `after` (the
/// current one first, if newer), in order. A slow reader may skip revisions it was too late
/// for, but always ends on the newest.
async fn watch(
    State(path): State<Arc<ReadPath>>,
    Query(after): Query<After>,
    span: Option<Extension<RequestSpan>>,
    headers: HeaderMap,
) -> Response {
    use futures_util::StreamExt;
    let span = span.as_ref().map(|Extension(span)| span);
    if let Err(refused) = read_token(&path, &headers, span).await {
        return refused;
    }
    let served = path.served.clone();
    let mut last = after.after.unwrap_or(0);
    // Counted while the stream lives: dropped with it when the service goes away.
    let watching = path.metrics.watching();
    let events = tokio_stream::wrappers::WatchStream::new(served.revisions())
        .take_until(served.stopped())
        .filter_map(move |revision| {
            let _watching = &watching;
            let fresh = revision > last;
            if fresh {
                last = revision;
            }
            std::future::ready(fresh.then(|| {
                Ok::<_, std::convert::Infallible>(
                    axum::response::sse::Event::default()
                        .event("revision")
                        .id(revision.to_string())
                        .data(json!({"revision": revision}).to_string()),
                )
            }))
        });
    axum::response::sse::Sse::new(events)
        .keep_alive(axum::response::sse::KeepAlive::default())
        .into_response()
}

/// A compiled config with its secret values opened (as it is, when it holds none).
fn opened(sealer: &Sealer, deployable: &str, bytes: Arc<[u8]>) -> Result<Arc<[u8]>, Unopened> {
    if !String::from_utf8_lossy(&bytes).contains(SEALED_PREFIX) {
        return Ok(bytes);
    }
    let config = serde_json::from_slice(&bytes).expect("compiled configs are JSON");
    let (plain, _) = sealer.open_document(deployable, &config)?;
    Ok(plain.to_string().into_bytes().into())
}

#[derive(Deserialize)]
struct Format {
    format: Option<String>,
    /// How `format=env` quotes values: `sh` (the default), `dotenv` or `docker`.
    style: Option<String>,
    /// `true`: secret values stay sealed even for a token that may open them (`strata env`
    /// without `--secrets`).
    #[serde(default)]
    sealed: bool,
}

/// A refusal in the API's shape; `part` names what is unknown ("tier", "tenant",
/// "deployable") in its details.
fn error(status: StatusCode, part: Option<&str>, message: String) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "internal",
    };
    ApiError {
        details: part.map(|p| json!({"unknown": p})).into_iter().collect(),
        ..ApiError::new(status, code, message)
    }
    .into_response()
}

/// A config, counted by tier (one the served revision has, asked by a token that may read it),
/// format and status.
async fn config(
    State(path): State<Arc<ReadPath>>,
    Path((tier, tenant, deployable)): Path<(String, String, String)>,
    Query(format): Query<Format>,
    span: Option<Extension<RequestSpan>>,
    headers: HeaderMap,
) -> Response {
    let span = span.as_ref().map(|Extension(span)| span);
    let compiled = path.served.current();
    let request = Request {
        tier: &tier,
        tenant: &tenant,
        deployable: &deployable,
        format: &format,
        headers: &headers,
        span,
    };
    let response = answer(&path, compiled.as_deref(), request).await;
    // Named only for a token that may read the tier: /metrics must not tell a caller without
    // one which tiers exist.
    let refused = matches!(
        response.status(),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    );
    let tier = match compiled {
        Some(compiled) if !refused && compiled.has_tier(&tier) => tier.as_str(),
        _ => UNKNOWN_TIER,
    };
    let format = match format.format.as_deref() {
        None | Some("json") => "json",
        Some("env") => "env",
        Some(_) => "other",
    };
    path.metrics
        .config_read(tier, format, response.status().as_str());
    response
}

/// What a config read asks for.
struct Request<'r> {
    tier: &'r str,
    tenant: &'r str,
    deployable: &'r str,
    format: &'r Format,
    headers: &'r HeaderMap,
    span: Option<&'r RequestSpan>,
}

/// The answer to a config read, from `compiled` (the served revision, if any).
async fn answer(path: &ReadPath, compiled: Option<&Compiled>, request: Request<'_>) -> Response {
    let Request {
        tier,
        tenant,
        deployable,
        format,
        headers,
        span,
    } = request;
    let scope = match read_token(path, headers, span).await {
        Ok(scope) => scope,
        Err(refused) => return refused,
    };
    let env = match format.format.as_deref() {
        None | Some("json") => None,
        Some("env") => match format.style.as_deref().map(EnvStyle::parse) {
            None => Some(EnvStyle::default()),
            Some(Some(style)) => Some(style),
            Some(None) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    None,
                    format!(
                        "style: one of {}",
                        EnvStyle::ALL.map(EnvStyle::as_str).join(", ")
                    ),
                );
            }
        },
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                None,
                format!("format {other:?} is not json or env"),
            );
        }
    };
    let Some(compiled) = compiled else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "no revision has been published yet".into(),
        );
    };
    if let Some(span) = span {
        span.name_revision(compiled.revision);
    }
    if let Err(why) = scope.may_read(tier, compiled.own_name(tenant), deployable) {
        // Named as asked: a tenant's own name is not told for an alias the token may not read.
        return out_of_scope(match why {
            OutOfScope::Tenant(_) => OutOfScope::Tenant(tenant.to_owned()),
            why => why,
        });
    }
    let mut bytes = match compiled.get(tier, tenant, deployable) {
        Ok(bytes) => bytes,
        // Which tier a tenant runs on is told only to a token that may read it there.
        Err(Unknown::Tier { runs_on, .. })
            if scope
                .may_read(&runs_on, compiled.own_name(tenant), deployable)
                .is_err() =>
        {
            let unknown = Unknown::Tenant(tenant.to_owned());
            return error(
                StatusCode::NOT_FOUND,
                Some(unknown.part()),
                unknown.message(),
            );
        }
        Err(unknown) => {
            return error(
                StatusCode::NOT_FOUND,
                Some(unknown.part()),
                unknown.message(),
            );
        }
    };
    if scope.opens_secrets() && !format.sealed {
        match opened(&path.sealer, deployable, bytes) {
            Ok(plain) => bytes = plain,
            Err(unopened) => {
                let mut refused = error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    format!(
                        "the secret at {} cannot be opened: {}",
                        unopened.pointer, unopened.reason
                    ),
                );
                // Logged by the request layer with the request's id.
                refused.extensions_mut().insert(ServerErrorCause(format!(
                    "{deployable}: the secret at {}: {}",
                    unopened.pointer, unopened.reason
                )));
                return refused;
            }
        }
    }
    // The revision, and which of its answers this is: JSON, env lines in a style, secrets
    // sealed or opened are different bodies, so they have different tags.
    let sealed_on_request = scope.opens_secrets() && format.sealed;
    let etag = match (env, sealed_on_request) {
        (None, false) => format!("\"{}\"", compiled.revision),
        (None, true) => format!("\"{}-sealed\"", compiled.revision),
        (Some(style), false) => format!("\"{}-env-{}\"", compiled.revision, style.as_str()),
        (Some(style), true) => {
            format!("\"{}-env-{}-sealed\"", compiled.revision, style.as_str())
        }
    };
    let etag_value = HeaderValue::from_str(&etag).expect("a number in quotes is a header value");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    if let Some(style) = env {
        let config = serde_json::from_slice(&bytes).expect("compiled configs are JSON");
        let text = match to_env(&config, style) {
            Ok(text) => text,
            Err(unwritable) => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    unwritable.to_string(),
                );
            }
        };
        return (
            [
                (header::ETAG, etag_value),
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                ),
            ],
            text,
        )
            .into_response();
    }
    (
        [
            (header::ETAG, etag_value),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
        ],
        bytes.to_vec(),
    )
        .into_response()
}
