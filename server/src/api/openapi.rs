//! The API's OpenAPI 3.1 document, made from the code: every route of `api/` per kind of
//! entity, with JSON Schemas (2020-12) derived from the very types the handlers send and
//! receive (`answers.rs`, the domain's entities). Served at `/api/openapi.json`, and read by
//! people at `/api/docs`; neither needs signing in.

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};
use strata_store::entity::Entity;
use strata_store::resolution::Impact;

use super::answers::*;
use super::entities::MAX_BODY_BYTES;
use strata_domain::kind::Kind;

use strata_domain::listing::MAX_LIMIT;

/// Refusals any call may meet: the body is the API's one error shape.
const READ_REFUSALS: &[u16] = &[400, 401, 403, 404, 422, 503];
const WRITE_REFUSALS: &[u16] = &[400, 401, 403, 404, 409, 413, 422, 428, 503];

pub fn docs_router() -> Router {
    Router::new()
        .route(
            "/api/openapi.json",
            get(|| async {
                (
                    [(header::CACHE_CONTROL, "no-cache")],
                    axum::Json(document().clone()),
                )
            }),
        )
        .route(
            "/api/docs",
            get(|| async {
                // Its one inline style; nothing else.
                let policy =
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
                (
                    [(axum::http::header::CONTENT_SECURITY_POLICY, policy)],
                    Html(page(document())),
                )
                    .into_response()
            }),
        )
}

/// The document, made once per process.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

/// The document as it is being made: the paths so far, and the schemas they refer to.
struct Doc {
    schemas: SchemaGenerator,
    paths: Map<String, Value>,
}

/// One operation: what it is, what it takes and what it answers.
struct Op<'a> {
    id: String,
    tag: &'a str,
    summary: String,
    parameters: Vec<Value>,
    body: Option<Value>,
    answer: (u16, Value),
    refusals: &'a [u16],
}

impl Doc {
    fn schema<T: JsonSchema>(&mut self) -> Value {
        self.schemas.subschema_for::<T>().to_value()
    }

    fn add(&mut self, path: &str, method: &str, op: Op<'_>) {
        let mut responses = Map::new();
        let (status, schema) = op.answer;
        responses.insert(
            status.to_string(),
            json!({"description": "done", "content": {"application/json": {"schema": schema}}}),
        );
        for status in op.refusals {
            responses.insert(
                status.to_string(),
                json!({"$ref": "#/components/responses/Refused"}),
            );
        }
        let mut operation = json!({
            "operationId": op.id,
            "tags": [op.tag],
            "summary": op.summary,
            "parameters": op.parameters,
            "responses": responses,
        });
        if let Some(body) = op.body {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": body}},
            });
        }
        self.paths
            .entry(path.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object")
            .insert(method.to_owned(), operation);
    }

    /// The routes of one kind of entity.
    fn entity_routes<E: Entity + JsonSchema>(&mut self, kind: Kind) {
        let plural = kind.path();
        let one = E::KIND;
        let tag = plural;
        let id = plural.replace('-', "_");
        let collection = format!("/api/v1/{plural}");
        let item = format!("{collection}/{{key}}");
        let mut key = path_param(
            "key",
            &format!("the {one}'s key (a `/` in it as `%2F`)"),
            json!({"type": "string"}),
        );
        key["example"] = json!(example_key(kind));

        let page = self.schema::<Page<E>>();
        self.add(
            &collection,
            "get",
            Op {
                id: format!("list_{id}"),
                tag,
                summary: format!("The {plural} the caller may read, a page at a time"),
                parameters: vec![
                    query_param(
                        "q",
                        "text the key or the fields hold",
                        json!({"type": "string"}),
                        false,
                    ),
                    query_param(
                        "sort",
                        "a field to sort by",
                        json!({"type": "string"}),
                        false,
                    ),
                    query_param("desc", "sort descending", json!({"type": "boolean"}), false),
                    offset_param(),
                    limit_param(),
                ],
                body: None,
                answer: (200, page),
                refusals: READ_REFUSALS,
            },
        );
        let created = self.schema::<Written<E>>();
        let entity = self.schema::<E>();
        self.add(
            &collection,
            "post",
            Op {
                id: format!("create_{id}"),
                tag,
                summary: format!("Creates a {one}"),
                parameters: vec![reason_header()],
                body: Some(entity),
                answer: (201, created.clone()),
                refusals: WRITE_REFUSALS,
            },
        );
        let found = self.schema::<Item<E>>();
        self.add(
            &item,
            "get",
            Op {
                id: format!("read_{id}"),
                tag,
                summary: format!("One {one} and its version (also the ETag)"),
                parameters: vec![key.clone()],
                body: None,
                answer: (200, found),
                refusals: READ_REFUSALS,
            },
        );
        let edit = self.schema::<Edit<E>>();
        self.add(
            &item,
            "put",
            Op {
                id: format!("update_{id}"),
                tag,
                summary: format!("Replaces a {one}: the version edited in If-Match or `version`"),
                parameters: vec![key.clone(), if_match(), reason_header()],
                body: Some(edit.clone()),
                answer: (200, created.clone()),
                refusals: WRITE_REFUSALS,
            },
        );
        self.add(
            &item,
            "delete",
            Op {
                id: format!("delete_{id}"),
                tag,
                summary: format!("Deletes a {one}: the version edited in If-Match or `version`"),
                parameters: vec![
                    key.clone(),
                    if_match(),
                    reason_header(),
                    query_param(
                        "version",
                        "the version edited",
                        json!({"type": "integer"}),
                        false,
                    ),
                ],
                body: None,
                answer: (200, created.clone()),
                refusals: WRITE_REFUSALS,
            },
        );
        let versions = self.schema::<Versions>();
        self.add(
            &format!("{item}/history"),
            "get",
            Op {
                id: format!("history_of_{id}"),
                tag,
                summary: format!("Every version of a {one}, oldest first"),
                parameters: vec![key.clone()],
                body: None,
                answer: (200, versions),
                refusals: READ_REFUSALS,
            },
        );
        let difference = self.schema::<Difference>();
        self.add(
            &format!("{item}/diff"),
            "get",
            Op {
                id: format!("diff_{id}"),
                tag,
                summary: format!("The RFC 6902 patch between two versions of a {one}"),
                parameters: vec![
                    key.clone(),
                    query_param("from", "a version", json!({"type": "integer"}), true),
                    query_param("to", "another version", json!({"type": "integer"}), true),
                ],
                body: None,
                answer: (200, difference),
                refusals: READ_REFUSALS,
            },
        );
        let roll_back = self.schema::<RollBack>();
        self.add(
            &format!("{item}/rollback"),
            "post",
            Op {
                id: format!("roll_back_{id}"),
                tag,
                summary: format!("Makes a {one} what an earlier version was, as a new version"),
                parameters: vec![key.clone(), if_match(), reason_header()],
                body: Some(roll_back),
                answer: (200, created),
                refusals: WRITE_REFUSALS,
            },
        );
        let impact = self.schema::<Impact>();
        self.add(&format!("{item}/impact"), "post", Op {
            id: format!("impact_of_{id}"),
            tag,
            summary: format!(
                "What saving this {one} would change in resolved configs, and what they would break; writes nothing"
            ),
            parameters: vec![key, if_match()],
            body: Some(edit),
            answer: (200, impact),
            refusals: WRITE_REFUSALS,
        });
    }

    /// One layer of a deployable, whichever entity holds it (`api/layers.rs`).
    fn layer_routes(&mut self) {
        let found = self.schema::<Item<LayerShown>>();
        let edit = self.schema::<Edit<LayerValues>>();
        let written = self.schema::<Written<LayerValues>>();
        let name = |n: &str, what: &str, example: &str| {
            let mut p = path_param(n, what, json!({"type": "string"}));
            p["example"] = json!(example);
            p
        };
        let deployable = name("deployable", "a deployable", "web-api");
        let scoped = vec![
            deployable.clone(),
            name("kind", "tier, product or tenant", "tier"),
            name("name", "the tier's, product's or tenant's name", "LIVE"),
        ];
        for (path, parameters, which) in [
            (
                "/api/v1/layers/{deployable}/default",
                vec![deployable],
                "default",
            ),
            (
                "/api/v1/layers/{deployable}/{kind}/{name}",
                scoped,
                "scoped",
            ),
        ] {
            self.add(path, "get", Op {
                id: format!("read_{which}_layer"),
                tag: "config-layers",
                summary: "One layer of a deployable: its values and the version of the entity holding it (0: not written yet; also the ETag)".into(),
                parameters: parameters.clone(),
                body: None,
                answer: (200, found.clone()),
                refusals: READ_REFUSALS,
            });
            let mut writing = parameters;
            writing.extend([if_match(), reason_header()]);
            self.add(path, "put", Op {
                id: format!("write_{which}_layer"),
                tag: "config-layers",
                summary: "Writes one layer of a deployable (made when not written yet, as version 0): the version edited in If-Match or `version`".into(),
                parameters: writing,
                body: Some(edit.clone()),
                answer: (200, written.clone()),
                refusals: WRITE_REFUSALS,
            });
        }
    }

    /// Change requests: proposed, reviewed, approved and applied (`change_requests.rs`).
    fn change_request_routes(&mut self) {
        use strata_store::review::requests::{ChangeRequest, RequestEntry};
        use strata_store::review::reviews::RequestReview;
        let tag = "change-requests";
        let mut id = path_param(
            "id",
            "a change request's number",
            json!({"type": "integer", "minimum": 1}),
        );
        id["example"] = json!(1);
        let request = self.schema::<ChangeRequest>();
        let list = self.schema::<ChangeRequests>();
        self.add("/api/v1/change-requests", "get", Op {
            id: "change_requests".into(),
            tag,
            summary: "The change requests the caller may see (every entity they write readable), newest first, at most 200".into(),
            parameters: vec![
                query_param("filter", "all (the default), waiting (open ones the caller may approve and has not approved as they stand) or mine", json!({"type": "string", "enum": ["all", "waiting", "mine"]}), false),
                query_param("state", "only those in this state", json!({"type": "string", "enum": ["open", "applied", "rejected", "withdrawn"]}), false),
            ],
            body: None,
            answer: (200, list),
            refusals: READ_REFUSALS,
        });
        let proposal = self.schema::<Proposal>();
        self.add("/api/v1/change-requests", "post", Op {
            id: "propose".into(),
            tag,
            summary: "Proposes writes for review instead of making them: refused as the writes would be (rules, stale versions, configs they break); secrets are stored sealed".into(),
            parameters: vec![],
            body: Some(proposal),
            answer: (201, request.clone()),
            refusals: WRITE_REFUSALS,
        });
        let review = self.schema::<RequestReview>();
        self.add("/api/v1/change-requests/{id}", "get", Op {
            id: "change_request".into(),
            tag,
            summary: "One request judged now: its history, the policies it needs, who approved its current content, stale writes, and what the caller may do".into(),
            parameters: vec![id.clone()],
            body: None,
            answer: (200, review),
            refusals: READ_REFUSALS,
        });
        let edit = self.schema::<RequestEdit>();
        self.add("/api/v1/change-requests/{id}", "put", Op {
            id: "edit_change_request".into(),
            tag,
            summary: "Its author replaces its title, description and writes (content_hash: what they edited); approvals given before no longer count".into(),
            parameters: vec![id.clone()],
            body: Some(edit),
            answer: (200, request.clone()),
            refusals: WRITE_REFUSALS,
        });
        let impact = self.schema::<Impact>();
        self.add("/api/v1/change-requests/{id}/impact", "get", Op {
            id: "change_request_impact".into(),
            tag,
            summary: "Every resolved config the request's writes would change (those the caller may read), and the rules they would break".into(),
            parameters: vec![id.clone()],
            body: None,
            answer: (200, impact),
            refusals: READ_REFUSALS,
        });
        let asked = self.schema::<ReviewAsked>();
        let entry = self.schema::<RequestEntry>();
        self.add("/api/v1/change-requests/{id}/reviews", "post", Op {
            id: "review_change_request".into(),
            tag,
            summary: "A comment (anyone who sees the request), or a verdict on the content the reviewer read: approve, request_changes or reject (a reviewer the policy names; never the author)".into(),
            parameters: vec![id.clone()],
            body: Some(asked),
            answer: (201, entry),
            refusals: WRITE_REFUSALS,
        });
        let seen = self.schema::<Seen>();
        self.add("/api/v1/change-requests/{id}/rebase", "post", Op {
            id: "rebase_change_request".into(),
            tag,
            summary: "Its author takes in what changed meanwhile in the entities it writes (a three-way merge); refused where both changed the same value".into(),
            parameters: vec![id.clone()],
            body: Some(seen),
            answer: (200, request.clone()),
            refusals: WRITE_REFUSALS,
        });
        let withdrawal = self.schema::<Withdrawal>();
        self.add(
            "/api/v1/change-requests/{id}/withdraw",
            "post",
            Op {
                id: "withdraw_change_request".into(),
                tag,
                summary: "Its author takes it back".into(),
                parameters: vec![id.clone()],
                body: Some(withdrawal),
                answer: (200, request),
                refusals: WRITE_REFUSALS,
            },
        );
        let applied = self.schema::<RequestApplied>();
        self.add("/api/v1/change-requests/{id}/apply", "post", Op {
            id: "apply_change_request".into(),
            tag,
            summary: "Applies an approved request as one change set and one revision (its author or an approver); applied once however many ask".into(),
            parameters: vec![id],
            body: None,
            answer: (200, applied),
            refusals: WRITE_REFUSALS,
        });
    }

    /// The read path services use (`http/config.rs`), with a read token.
    fn read_path(&mut self) {
        let refusals: Map<String, Value> = [400, 401, 403, 404, 422, 503]
            .iter()
            .map(|status| {
                (
                    status.to_string(),
                    json!({"$ref": "#/components/responses/Refused"}),
                )
            })
            .collect();
        let mut responses = json!({
            "200": {
                "description": "the resolved config as compiled for the published revision; the ETag is the revision",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/plain": {"schema": {"type": "string"}},
                },
            },
            "304": {"description": "not modified since the revision If-None-Match names"},
        });
        responses
            .as_object_mut()
            .expect("an object")
            .extend(refusals);
        let name = |n: &str, example: &str| {
            let mut p = path_param(
                n,
                &format!("a {n} (a tenant's alias works too)"),
                json!({"type": "string"}),
            );
            p["example"] = json!(example);
            p
        };
        self.paths.insert(
            "/api/v1/config/{tier}/{tenant}/{deployable}".to_owned(),
            json!({"get": {
                "operationId": "read_config",
                "tags": ["configs"],
                // A read token only; the console's session reads no configs here.
                "security": [{"bearer": []}],
                "summary": "The config a tenant runs a deployable with, for services: needs a read token whose scope covers it (secrets opened only for a token with the secrets scope)",
                "parameters": [
                    name("tier", "LIVE"),
                    name("tenant", "acme-berlin"),
                    name("deployable", "web-api"),
                    query_param("format", "json (the default) or env: KEY=value lines", json!({"type": "string", "enum": ["json", "env"]}), false),
                    query_param("style", "how format=env quotes values: sh (the default; read back exactly by sh, and by python-dotenv but for values with a quote or backslash and a $ or backtick, or a trailing backslash), dotenv (python-dotenv) or docker (docker run --env-file; refused with 422 for a value with a line break)", json!({"type": "string", "enum": ["sh", "dotenv", "docker"]}), false),
                    query_param("sealed", "true: secret values stay sealed even for a token that may open them", json!({"type": "boolean"}), false),
                    {"name": "If-None-Match", "in": "header", "required": false,
                     "description": "the revision already held, in quotes", "schema": {"type": "string"}},
                ],
                "responses": responses,
            }}),
        );
    }

    fn domain_routes(&mut self) {
        let resolved = self.schema::<ResolvedConfig>();
        let name = |n: &str, what: &str, example: &str| {
            let mut p = path_param(n, what, json!({"type": "string"}));
            p["example"] = json!(example);
            p
        };
        self.add("/api/v1/resolve/{tier}/{tenant}/{deployable}", "get", Op {
            id: "resolve".into(),
            tag: "configs",
            summary: "The config a tenant runs a deployable with, each value with the layer that set it".into(),
            parameters: vec![
                name("tier", "a tier", "LIVE"),
                name("tenant", "a tenant", "acme-berlin"),
                name("deployable", "a deployable", "web-api"),
            ],
            body: None,
            answer: (200, resolved),
            refusals: READ_REFUSALS,
        });
        let mut revision = path_param(
            "revision",
            "a revision number",
            json!({"type": "integer", "minimum": 0}),
        );
        revision["example"] = json!(1);
        let state = self.schema::<StateAt>();
        self.add(
            "/api/v1/revisions/{revision}",
            "get",
            Op {
                id: "state_at".into(),
                tag: "revisions",
                summary:
                    "What the caller may read of the domain as it stood right after a revision"
                        .into(),
                parameters: vec![revision.clone()],
                body: None,
                answer: (200, state),
                refusals: READ_REFUSALS,
            },
        );
        let restored = self.schema::<Restored>();
        self.add("/api/v1/revisions/{revision}/restore", "post", Op {
            id: "restore".into(),
            tag: "revisions",
            summary: "Makes the domain what it was at a revision, as one new revision (domain admins)".into(),
            parameters: vec![revision.clone(), reason_header()],
            body: None,
            answer: (200, restored),
            refusals: WRITE_REFUSALS,
        });
        let publications = self.schema::<Publications>();
        self.add(
            "/api/v1/publications",
            "get",
            Op {
                id: "publications".into(),
                tag: "publications",
                summary: "The newest publications, newest first".into(),
                parameters: vec![limit_param()],
                body: None,
                answer: (200, publications),
                refusals: READ_REFUSALS,
            },
        );
        let publication = self.schema::<PublicationShown>();
        self.add(
            "/api/v1/publications/{revision}",
            "get",
            Op {
                id: "publication".into(),
                tag: "publications",
                summary: "One revision's publication".into(),
                parameters: vec![revision],
                body: None,
                answer: (200, publication),
                refusals: READ_REFUSALS,
            },
        );
        let asked = self.schema::<PublishAsked>();
        self.add(
            "/api/v1/publish",
            "post",
            Op {
                id: "publish".into(),
                tag: "publications",
                summary: "Asks the publisher to publish the newest revision now (publishers)"
                    .into(),
                parameters: vec![],
                body: None,
                answer: (202, asked),
                refusals: WRITE_REFUSALS,
            },
        );
        let trail = self.schema::<AuditTrail>();
        let text = |n: &str, what: &str| query_param(n, what, json!({"type": "string"}), false);
        self.add(
            "/api/v1/audit",
            "get",
            Op {
                id: "audit_trail".into(),
                tag: "audit",
                summary: "The changes the caller may read, newest first".into(),
                parameters: vec![
                    text("actor", "exactly this actor"),
                    text("kind", "exactly this kind: tier, tenant, config layer, …"),
                    text("key", "keys holding this text"),
                    offset_param(),
                    limit_param(),
                ],
                body: None,
                answer: (200, trail),
                refusals: READ_REFUSALS,
            },
        );
        let tokens = self.schema::<Tokens>();
        self.add(
            "/api/v1/tokens",
            "get",
            Op {
                id: "tokens".into(),
                tag: "tokens",
                summary: "The API tokens the caller may manage (never their secrets)".into(),
                parameters: vec![],
                body: None,
                answer: (200, tokens),
                refusals: READ_REFUSALS,
            },
        );
        let asked = self.schema::<NewTokenAsked>();
        let made = self.schema::<TokenMade>();
        self.add(
            "/api/v1/tokens",
            "post",
            Op {
                id: "create_token".into(),
                tag: "tokens",
                summary: "Creates a token; its secret is in the answer, this once".into(),
                parameters: vec![],
                body: Some(asked),
                answer: (201, made),
                refusals: WRITE_REFUSALS,
            },
        );
        let shown = self.schema::<TokenShown>();
        let mut name = path_param("name", "the token's name", json!({"type": "string"}));
        name["example"] = json!("deploy-bot");
        self.add(
            "/api/v1/tokens/{name}",
            "delete",
            Op {
                id: "revoke_token".into(),
                tag: "tokens",
                summary: "Revokes a token: it stops working within seconds on every server".into(),
                parameters: vec![name],
                body: None,
                answer: (200, shown),
                refusals: WRITE_REFUSALS,
            },
        );
        let events = self.schema::<Events>();
        self.add(
            "/api/v1/audit/events",
            "get",
            Op {
                id: "audit_events".into(),
                tag: "audit",
                summary: "The newest events: publications, compiles, restores, secrets revealed"
                    .into(),
                parameters: vec![limit_param()],
                body: None,
                answer: (200, events),
                refusals: READ_REFUSALS,
            },
        );
    }
}

/// A key of each kind, as the demo domain has them, for people reading the document.
fn example_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Tier => "LIVE",
        Kind::Organization => "acme",
        Kind::Product => "acme-shop",
        Kind::Deployable => "web-api",
        Kind::TierDeployable => "LIVE/web-api",
        Kind::Tenant => "acme-berlin",
        Kind::ConfigLayer => "web-api/tier/LIVE",
        Kind::ApprovalPolicy => "live-review",
    }
}

fn path_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
}

fn query_param(name: &str, description: &str, schema: Value, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": description, "schema": schema})
}

/// How many to skip of a list.
fn offset_param() -> Value {
    query_param(
        "offset",
        "how many to skip",
        json!({"type": "integer", "minimum": 0}),
        false,
    )
}

/// How many a page holds at most.
fn limit_param() -> Value {
    query_param(
        "limit",
        "how many at most",
        json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
        false,
    )
}

fn if_match() -> Value {
    json!({"name": "If-Match", "in": "header", "required": false,
           "description": "the version edited, in quotes: \"3\"",
           "schema": {"type": "string"}})
}

fn reason_header() -> Value {
    json!({"name": "Strata-Reason", "in": "header", "required": true,
           "description": "why: history and the audit trail keep it. Plain ASCII as it is; any \
                           other text (accents, CJK, emoji, line breaks) percent-encoded as UTF-8 \
                           after UTF-8'' (RFC 8187): UTF-8''f%C3%BCr%20Berlin",
           "schema": {"type": "string", "minLength": 1}})
}

fn build() -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    let mut doc = Doc {
        schemas: settings.into_generator(),
        paths: Map::new(),
    };
    for kind in Kind::ALL {
        strata_domain::with_kind!(kind, E => doc.entity_routes::<E>(kind));
    }
    doc.domain_routes();
    doc.layer_routes();
    doc.read_path();
    doc.change_request_routes();
    let refused = doc.schema::<ErrorBody>();
    let schemas = doc.schemas.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Strata",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "The configuration database's API: tiers, organizations, products, deployables, \
                 tier deployables, tenants and config layers, their history, resolved configs, \
                 revisions, publications and the audit trail. Send a token that acts in an \
                 organization as `Authorization: Bearer …` (or use the console's session). \
                 Writes say why in `Strata-Reason`; bodies are at most {MAX_BODY_BYTES} bytes; \
                 lists give at most 200 at a time. Every refusal is \
                 `{{\"error\": {{\"code\", \"message\", \"details\"}}}}`."
            ),
        },
        "servers": [{"url": "/"}],
        // Either: a token that acts in an organization, or the console's session (whose
        // writes also carry the console's Origin).
        "security": [{"bearer": []}, {"session": []}],
        "paths": doc.paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::sessions::COOKIE},
            },
            "responses": {"Refused": {
                "description": "refused: the code says why, the details say where",
                "content": {"application/json": {"schema": refused}},
            }},
        },
    })
}

/// The document for people: each operation with what it takes and answers.
fn page(doc: &Value) -> String {
    let escape = strata_domain::text::escape_html;
    let schema_name = |schema: &Value| -> String {
        let name = schema["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or("JSON");
        format!("<a href=\"#schema-{0}\">{0}</a>", escape(name))
    };
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Strata API</title>\
         <style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1d2430}\
         h2{margin-top:2.5rem;border-bottom:1px solid #d8dde6}code,pre{font:13px ui-monospace,monospace}\
         .op{margin:.6rem 0;padding:.5rem .8rem;border:1px solid #d8dde6;border-radius:6px}\
         .method{display:inline-block;min-width:4.5rem;font-weight:600;text-transform:uppercase}\
         pre{background:#f5f7fa;padding:.6rem;overflow:auto;max-height:20rem}</style></head><body>",
    );
    html.push_str(&format!(
        "<h1>{} API {}</h1><p>{}</p><p>The machine-readable document: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1).</p>",
        escape(doc["info"]["title"].as_str().unwrap_or_default()),
        escape(doc["info"]["version"].as_str().unwrap_or_default()),
        escape(doc["info"]["description"].as_str().unwrap_or_default()),
    ));
    let mut by_tag: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let params: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    format!(
                        "<code>{}</code> ({}{}): {}",
                        escape(p["name"].as_str().unwrap_or_default()),
                        escape(p["in"].as_str().unwrap_or_default()),
                        if p["required"] == true {
                            ", required"
                        } else {
                            ""
                        },
                        escape(p["description"].as_str().unwrap_or_default())
                    )
                })
                .collect();
            let body = op["requestBody"]["content"]["application/json"]["schema"].clone();
            let (status, answer) = op["responses"]
                .as_object()
                .and_then(|r| r.iter().find(|(s, _)| s.starts_with('2')))
                .map(|(s, r)| {
                    (
                        s.clone(),
                        r["content"]["application/json"]["schema"].clone(),
                    )
                })
                .unwrap_or_default();
            let mut entry = format!(
                "<div class=\"op\"><span class=\"method\">{}</span><code>{}</code> — {}",
                escape(method),
                escape(path),
                escape(op["summary"].as_str().unwrap_or_default())
            );
            if !params.is_empty() {
                entry.push_str(&format!("<br>Takes {}", params.join("; ")));
            }
            if !body.is_null() {
                entry.push_str(&format!("<br>Body: {}", schema_name(&body)));
            }
            entry.push_str(&format!(
                "<br>Answers {status} with {}; refusals as <a href=\"#schema-ErrorBody\">ErrorBody</a></div>",
                schema_name(&answer)
            ));
            by_tag.push((tag, entry));
        }
    }
    let mut tags: Vec<&str> = by_tag.iter().map(|(t, _)| t.as_str()).collect();
    tags.dedup();
    for tag in tags {
        html.push_str(&format!("<h2 id=\"tag-{0}\">{0}</h2>", escape(tag)));
        for (_, entry) in by_tag.iter().filter(|(t, _)| t == tag) {
            html.push_str(entry);
        }
    }
    html.push_str("<h2>Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        html.push_str(&format!(
            "<h3 id=\"schema-{0}\">{0}</h3><pre>{1}</pre>",
            escape(name),
            escape(&serde_json::to_string_pretty(schema).unwrap_or_default())
        ));
    }
    html.push_str("</body></html>");
    html
}
