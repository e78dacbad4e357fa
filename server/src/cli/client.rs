//! The command line's one way to the domain: the HTTP API. Against a server (`--server URL`,
//! a token in `STRATA_TOKEN`) it speaks HTTP; on a local database it runs the same API router
//! in this process as the operator, so every command behaves, refuses and prints alike either
//! way.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::Value;
use strata_store::access::Actor;
use tower::ServiceExt;

use crate::cli::CliError;
use crate::startup::open_store;

/// Where the domain is.
pub enum Client {
    /// The API in this process, on the database of `STRATA_DATABASE_URL`.
    Local { api: Router, actor: Actor },
    /// A server's API.
    Remote {
        base: String,
        token: Option<String>,
        http: reqwest::Client,
    },
}

/// An answer of 2xx: its body, and the version in its ETag if it has one.
#[derive(Debug)]
pub struct Answer {
    pub body: Value,
    pub etag: Option<i64>,
}

/// One call: the method, the path under the server, the JSON body and the headers to send.
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Call {
        Call {
            method: Method::GET,
            path: path.into(),
            body: None,
            headers: Vec::new(),
        }
    }

    /// A write, saying why (any text: the header carries it encoded when it must).
    pub fn write(method: Method, path: impl Into<String>, reason: &str) -> Call {
        Call {
            method,
            path: path.into(),
            body: None,
            headers: vec![(
                crate::api::reason::HEADER,
                crate::api::reason::encode(reason),
            )],
        }
    }

    pub fn body(mut self, body: Value) -> Call {
        self.body = Some(body);
        self
    }

    /// The version the caller edited.
    pub fn edited(mut self, version: i64) -> Call {
        self.headers.push(("if-match", format!("\"{version}\"")));
        self
    }
}

impl Client {
    /// The server `server` names (with `token`), else the local database as `actor`.
    pub async fn open(
        settings: &crate::config::Settings,
        server: Option<&str>,
        token: Option<String>,
        actor: &str,
    ) -> Result<Client, CliError> {
        match server {
            Some(server) => {
                let url = url::Url::parse(server)
                    .map_err(|e| CliError::input("STRATA_SERVER", format!("{server:?}: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(CliError::input(
                        "STRATA_SERVER",
                        format!("{server:?}: an http:// or https:// address"),
                    ));
                }
                let http = reqwest::Client::builder()
                    .user_agent(concat!("strata-cli/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| CliError::input("STRATA_SERVER", e.to_string()))?;
                Ok(Client::Remote {
                    base: server.trim_end_matches('/').to_owned(),
                    token,
                    http,
                })
            }
            None => {
                let store = open_store(settings).await?;
                let api = crate::api::router(store)
                    .layer(axum::middleware::from_fn(crate::api::always_json));
                Ok(Client::Local {
                    api,
                    actor: Actor::operator(actor),
                })
            }
        }
    }

    /// Sends `call`; an answer of 2xx is returned, anything else is the API's refusal.
    pub async fn send(&self, call: Call) -> Result<Answer, CliError> {
        let (status, headers, bytes) = match self {
            Client::Local { api, actor } => {
                let mut request = Request::builder().method(call.method).uri(&call.path);
                for (name, value) in &call.headers {
                    request = request.header(*name, value);
                }
                let body = match &call.body {
                    Some(body) => {
                        request = request.header(header::CONTENT_TYPE, "application/json");
                        Body::from(serde_json::to_vec(body).expect("JSON serializes"))
                    }
                    None => Body::empty(),
                };
                let mut request = request
                    .body(body)
                    .map_err(|e| CliError::input("the request", e.to_string()))?;
                request.extensions_mut().insert(actor.clone());
                let response = api
                    .clone()
                    .oneshot(request)
                    .await
                    .expect("routers never fail");
                let (parts, body) = response.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .map_err(|e| CliError::Failed(e.to_string()))?;
                (parts.status, parts.headers, bytes.to_vec())
            }
            Client::Remote { base, token, http } => {
                let mut request = http.request(call.method, format!("{base}{}", call.path));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                for (name, value) in &call.headers {
                    request = request.header(*name, value);
                }
                if let Some(body) = &call.body {
                    request = request.json(body);
                }
                let response = request.send().await.map_err(|e| {
                    CliError::input("STRATA_SERVER", format!("{base}: {}", plain(&e)))
                })?;
                let status = response.status();
                let headers = response.headers().clone();
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| CliError::Failed(format!("{base}: {}", plain(&e))))?;
                (status, headers, bytes.to_vec())
            }
        };
        answer(status, &headers, &bytes)
    }

    pub async fn get(&self, path: impl Into<String>) -> Result<Answer, CliError> {
        self.send(Call::get(path)).await
    }
}

/// A reqwest error with its causes, in one line.
fn plain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn answer(status: StatusCode, headers: &HeaderMap, bytes: &[u8]) -> Result<Answer, CliError> {
    let body: Value = match bytes.is_empty() {
        true => Value::Null,
        false => serde_json::from_slice(bytes).map_err(|_| CliError::Refused {
            status: status.as_u16(),
            code: "not_json".into(),
            message: format!(
                "the server answered {status} with something that is not JSON: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ),
            details: Vec::new(),
        })?,
    };
    if !status.is_success() {
        let error = &body["error"];
        return Err(CliError::Refused {
            status: status.as_u16(),
            code: error["code"].as_str().unwrap_or("refused").to_owned(),
            message: error["message"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("the server answered {status}")),
            details: error["details"].as_array().cloned().unwrap_or_default(),
        });
    }
    let etag = headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        // `"12"`, or `"12-env-sh"` for another answer of revision 12.
        .and_then(|v| v.trim_matches('"').split('-').next()?.parse().ok());
    Ok(Answer { body, etag })
}

/// A path segment: `/` and everything else outside the unreserved set percent-encoded.
pub fn segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
