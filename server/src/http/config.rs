//! The read path for services: a tenant's resolved config for one deployable on one tier,
//! served from the compiled revision in memory, never from SQL. The ETag is the revision, so
//! a service that asks again with `If-None-Match` gets 304 until something changes.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use strata_domain::compile::to_env;

use crate::served::Served;

pub fn router(served: Served) -> Router {
    Router::new()
        .route("/api/v1/config/{tier}/{tenant}/{deployable}", get(config))
        .route("/api/v1/watch", get(watch))
        .with_state(served)
}

#[derive(Deserialize)]
struct After {
    after: Option<i64>,
}

/// Server-Sent Events: one `revision` event for each revision served after `after` (the
/// current one first, if newer), in order. A slow reader may skip revisions it was too late
/// for, but always ends on the newest.
async fn watch(State(served): State<Served>, Query(after): Query<After>) -> Response {
    use futures_util::StreamExt;
    let mut last = after.after.unwrap_or(0);
    let events =
        tokio_stream::wrappers::WatchStream::new(served.revisions()).filter_map(move |revision| {
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

#[derive(Deserialize)]
struct Format {
    format: Option<String>,
}

fn error(status: StatusCode, part: Option<&str>, message: String) -> Response {
    (status, Json(json!({"error": message, "unknown": part}))).into_response()
}

async fn config(
    State(served): State<Served>,
    Path((tier, tenant, deployable)): Path<(String, String, String)>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let env = match format.format.as_deref() {
        None | Some("json") => false,
        Some("env") => true,
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                None,
                format!("format {other:?} is not json or env"),
            );
        }
    };
    let Some(compiled) = served.current() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "no revision has been published yet".into(),
        );
    };
    let bytes = match compiled.get(&tier, &tenant, &deployable) {
        Ok(bytes) => bytes,
        Err(unknown) => {
            return error(
                StatusCode::NOT_FOUND,
                Some(unknown.part()),
                unknown.message(),
            );
        }
    };
    let etag = format!("\"{}\"", compiled.revision);
    let etag_value = HeaderValue::from_str(&etag).expect("a number in quotes is a header value");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    if env {
        let config = serde_json::from_slice(&bytes).expect("compiled configs are JSON");
        return (
            [
                (header::ETAG, etag_value),
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                ),
            ],
            to_env(&config),
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
