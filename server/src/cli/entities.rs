//! The domain's entities from a terminal, as drift-config's everyday commands had them:
//! `list`, `view`, `tier|organization|product|tenant info/add/edit`, `set` on a config layer,
//! `history`, `diff` and `rollback` — each one call (or two) to the API through [`Client`].

use axum::http::Method;
use serde_json::{Value, json};
use strata_domain::merge::three_way;
use strata_store::entity::Entity;

use super::client::{Call, Client, segment};
use super::{output, requests};
use crate::cli::CliError;
use strata_domain::kind::Kind;

/// The largest page the API gives.
const PAGE: i64 = 200;

fn usage(what: &'static str, why: impl Into<String>) -> CliError {
    CliError::input(what, why)
}

/// A kind by its API path (`tenants`), its name (`tenant`) or its name with a dash
/// (`config-layer`).
pub fn kind_of(text: &str) -> Result<Kind, CliError> {
    Kind::from_path(text).ok_or_else(|| {
        usage(
            "KIND",
            format!(
                "no such kind {text:?}: one of {}",
                Kind::ALL.map(Kind::path).join(", ")
            ),
        )
    })
}

/// One entity: `KIND/KEY` (`tenants/acme-berlin`, `config-layers/web-api/tier/LIVE`), or the
/// kind and the key as two words.
pub struct EntityRef {
    pub kind: Kind,
    pub key: String,
}

impl EntityRef {
    pub fn parse(entity: &str, key: Option<&str>) -> Result<EntityRef, CliError> {
        let (kind, key) = match key {
            Some(key) => (entity, key),
            None => entity.split_once('/').ok_or_else(|| {
                usage(
                    "ENTITY",
                    format!("{entity:?}: name an entity as KIND/KEY, e.g. tenants/acme-berlin"),
                )
            })?,
        };
        Ok(EntityRef {
            kind: kind_of(kind)?,
            key: key.to_owned(),
        })
    }

    fn path(&self) -> String {
        format!("/api/v1/{}/{}", self.kind.path(), segment(&self.key))
    }

    fn named(&self) -> String {
        format!("{} {}", self.kind.name(), self.key)
    }
}

/// Every entity of `kind` matching `search`, page after page.
async fn all(client: &Client, kind: Kind, search: &str) -> Result<Vec<Value>, CliError> {
    let mut items = Vec::new();
    loop {
        let answer = client
            .get(format!(
                "/api/v1/{}?q={}&offset={}&limit={PAGE}",
                kind.path(),
                segment(search),
                items.len()
            ))
            .await?;
        let page = answer.body["items"].as_array().cloned().unwrap_or_default();
        let total = answer.body["total"].as_i64().unwrap_or_default();
        let done = page.is_empty() || items.len() + page.len() >= total as usize;
        items.extend(page);
        if done {
            return Ok(items);
        }
    }
}

/// The key of an entity as the API shows it: the entity's own `key()`, so a tier deployable
/// reads `LIVE/web-api` and a default layer `web-api/default/` as the store keys them. A
/// new entity the command line is still filling in is named by its `name`.
fn key_of(kind: Kind, item: &Value) -> String {
    strata_domain::with_kind!(kind, E => serde_json::from_value::<E>(item.clone())
        .map(|entity| entity.key())
        .unwrap_or_else(|_| item["name"].as_str().unwrap_or_default().to_owned()))
}

/// `strata list KIND`: a table of key, version and what each is; `--json` the items.
pub async fn list(
    client: &Client,
    kind: &str,
    search: &str,
    as_json: bool,
) -> Result<(), CliError> {
    let kind = kind_of(kind)?;
    let items = all(client, kind, search).await?;
    if as_json {
        output::json(&Value::Array(items));
        return Ok(());
    }
    let about = ["display_name", "product", "tier", "state", "active"];
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            let described = about
                .iter()
                .filter(|f| item.get(**f).is_some_and(|v| !v.is_null()))
                .map(|f| output::cell(&item[*f]))
                .collect::<Vec<_>>()
                .join("  ");
            vec![
                key_of(kind, item),
                format!("v{}", item["version"]),
                described,
            ]
        })
        .collect();
    output::table(&["key", "version", "about"], &rows);
    eprintln!("{} {}", items.len(), kind.path());
    Ok(())
}

/// `strata view KIND [FIELD=VALUE …]`: the whole of every entity whose fields equal the
/// filters (dotted paths reach inside), like drift-config's `view TABLE`.
pub async fn view(
    client: &Client,
    kind: &str,
    filters: &[String],
    as_json: bool,
) -> Result<(), CliError> {
    let kind = kind_of(kind)?;
    let filters: Vec<(Vec<String>, Value)> = filters
        .iter()
        .map(|f| assignment(f))
        .collect::<Result<_, _>>()?;
    let items: Vec<Value> = all(client, kind, "")
        .await?
        .into_iter()
        .filter(|item| {
            filters.iter().all(|(path, wanted)| {
                let found = path.iter().try_fold(item, |v, p| v.get(p));
                found.is_some_and(|v| v == wanted || output::cell(v) == output::cell(wanted))
            })
        })
        .collect();
    if as_json {
        output::json(&Value::Array(items));
        return Ok(());
    }
    let bold = console::Style::new().bold();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("{}", bold.apply_to(key_of(kind, item)));
        output::fields(item);
    }
    eprintln!("{} {}", items.len(), kind.path());
    Ok(())
}

/// `strata KIND info KEY`.
pub async fn info(client: &Client, entity: &EntityRef, as_json: bool) -> Result<(), CliError> {
    let item = client.get(entity.path()).await?.body["item"].clone();
    match as_json {
        true => output::json(&item),
        false => output::fields(&item),
    }
    Ok(())
}

/// `FIELD=VALUE`: a dotted path and a value, JSON when it reads as JSON, else text.
fn assignment(text: &str) -> Result<(Vec<String>, Value), CliError> {
    let (path, value) = text
        .split_once('=')
        .filter(|(path, _)| !path.is_empty())
        .ok_or_else(|| usage("FIELD=VALUE", format!("{text:?}: write FIELD=VALUE")))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((path.split('.').map(str::to_owned).collect(), value))
}

/// Sets `value` at `path` inside `target`, making the objects on the way.
fn set_at(target: &mut Value, path: &[String], value: Value) -> Result<(), CliError> {
    let (last, parents) = path.split_last().expect("a path has a field");
    let mut here = target;
    for part in parents {
        if !here.is_object() {
            return Err(usage(
                "FIELD=VALUE",
                format!("{} is not an object", path.join(".")),
            ));
        }
        here = here
            .as_object_mut()
            .expect("checked")
            .entry(part.clone())
            .or_insert_with(|| json!({}));
    }
    match here.as_object_mut() {
        Some(fields) => {
            fields.insert(last.clone(), value);
            Ok(())
        }
        None => Err(usage(
            "FIELD=VALUE",
            format!(
                "{} is inside something that is not an object",
                path.join(".")
            ),
        )),
    }
}

fn remove_at(target: &mut Value, path: &[String]) -> bool {
    let (last, parents) = path.split_last().expect("a path has a field");
    let Some(parent) = parents.iter().try_fold(target, |v, p| v.get_mut(p)) else {
        return false;
    };
    parent
        .as_object_mut()
        .is_some_and(|fields| fields.remove(last).is_some())
}

fn apply(target: &mut Value, assignments: &[String]) -> Result<(), CliError> {
    for text in assignments {
        let (path, value) = assignment(text)?;
        set_at(target, &path, value)?;
    }
    Ok(())
}

/// `strata KIND add FIELD=VALUE …`: a new entity from its fields (a display name defaults to
/// the name; a short name to the organization's name).
pub async fn add(
    client: &Client,
    kind: Kind,
    assignments: &[String],
    reason: Option<String>,
    as_json: bool,
) -> Result<(), CliError> {
    let mut item = Value::Object(kind.blank());
    apply(&mut item, assignments)?;
    // Names left empty are the entity's name, as a person would most often write them.
    let fields = item.as_object_mut().expect("an object");
    if let Some(name) = fields.get("name").cloned() {
        for same in ["display_name", "short_name"] {
            if fields.get(same).is_some_and(|v| v == "") {
                fields.insert(same.to_owned(), name.clone());
            }
        }
    }
    let key = key_of(kind, &item);
    let reason = reason.unwrap_or_else(|| format!("add {} {key}", kind.name()));
    let answer = client
        .send(Call::write(Method::POST, format!("/api/v1/{}", kind.path()), &reason).body(item))
        .await?;
    output::written(as_json, &answer.body, || {
        format!(
            "created {} {key} (version {}, revision {})",
            kind.name(),
            answer.body["item"]["version"],
            answer.body["revision"]
        )
    });
    Ok(())
}

/// How many times a write is merged again into what someone else saved meanwhile.
const MERGE_ATTEMPTS: usize = 10;

/// What an edit reads and writes back: an entity as the API has it, or one layer of a
/// deployable (whichever entity holds it, the server knows).
enum Edited<'a> {
    Entity(&'a EntityRef),
    Layer { path: String },
}

impl Edited<'_> {
    fn path(&self) -> String {
        match self {
            Edited::Entity(entity) => entity.path(),
            Edited::Layer { path } => path.clone(),
        }
    }

    /// The document edited out of what the API answered, without its version; and the
    /// version; and how to name what holds it.
    fn read(&self, item: &Value) -> (Value, i64, String) {
        let version = item["version"].as_i64().unwrap_or_default();
        match self {
            Edited::Entity(entity) => {
                let mut document = item.clone();
                document
                    .as_object_mut()
                    .map(|fields| fields.remove("version"));
                (document, version, entity.named())
            }
            Edited::Layer { .. } => {
                let held_by = &item["held_by"];
                let named = format!(
                    "{} {}",
                    output::cell(&held_by["kind"]),
                    output::cell(&held_by["key"])
                );
                (item["config"].clone(), version, named)
            }
        }
    }

    /// What a write sends for `document`.
    fn body(&self, document: Value) -> Value {
        match self {
            Edited::Entity(_) => document,
            Edited::Layer { .. } => json!({"config": document}),
        }
    }
}

/// Reads what `edited` names, changes it with `change`, and writes it back as an edit of the
/// version read; says what happened. When someone else saved a newer version meanwhile, only
/// what `change` changed is merged into theirs (a three-way merge) and written again; a field
/// both changed is refused, naming it, rather than overwritten.
async fn edit_with(
    client: &Client,
    edited: Edited<'_>,
    reason: String,
    propose: bool,
    as_json: bool,
    change: impl FnOnce(&mut Value) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let (mut base, mut version, named) = read_for_edit(client, &edited).await?;
    let mut mine = base.clone();
    change(&mut mine)?;
    if propose {
        let write = match &edited {
            Edited::Entity(entity) => {
                requests::entity_write(client, entity.kind, &entity.key, &entity.path(), mine)
                    .await?
            }
            Edited::Layer { path } => requests::layer_write(client, path, mine).await?,
        };
        return requests::propose(client, &reason, "", vec![write], as_json).await;
    }
    let mut attempts = 1;
    let answer = loop {
        let call = Call::write(Method::PUT, edited.path(), &reason)
            .body(edited.body(mine.clone()))
            .edited(version);
        match client.send(call).await {
            Ok(answer) => break answer,
            // Saved meanwhile, or (a layer) written for the first time meanwhile.
            Err(CliError::Refused { code, .. })
                if (code == "conflict" || code == "duplicate") && attempts < MERGE_ATTEMPTS =>
            {
                attempts += 1;
                let (theirs, now, _) = read_for_edit(client, &edited).await?;
                let merge = three_way(&base, &theirs, &mine);
                if !merge.is_clean() {
                    let fields: Vec<&str> =
                        merge.conflicts.iter().map(|c| c.pointer.as_str()).collect();
                    return Err(CliError::Refused {
                        status: 409,
                        code: "conflict".into(),
                        message: format!(
                            "{named} changed meanwhile (now version {now}) where you change it too: {}. \
                             Nothing of yours was written; look at its history and run the command again.",
                            fields.join(", ")
                        ),
                        details: Vec::new(),
                    });
                }
                eprintln!(
                    "{named} changed meanwhile (now version {now}): your changes go on top of it"
                );
                (base, mine, version) = (theirs, merge.merged, now);
            }
            Err(e) => return Err(e),
        }
    };
    let now = answer.body["item"]["version"].as_i64().unwrap_or_default();
    output::written(as_json, &answer.body, || match (version, now) {
        (before, now) if before == now => format!("{named} was already so: nothing changed"),
        (0, now) => format!(
            "created {named} (version {now}, revision {})",
            answer.body["revision"]
        ),
        (_, now) => format!(
            "updated {named} to version {now} (revision {})",
            answer.body["revision"]
        ),
    });
    Ok(())
}

/// What `edited` names as the API has it: the document, its version, and its name.
async fn read_for_edit(
    client: &Client,
    edited: &Edited<'_>,
) -> Result<(Value, i64, String), CliError> {
    let found = client.get(edited.path()).await?;
    Ok(edited.read(&found.body["item"]))
}

/// `strata KIND edit KEY FIELD=VALUE …`.
pub async fn edit(
    client: &Client,
    entity: &EntityRef,
    assignments: &[String],
    reason: Option<String>,
    propose: bool,
    as_json: bool,
) -> Result<(), CliError> {
    let reason = reason.unwrap_or_else(|| format!("edit {}", entity.named()));
    edit_with(
        client,
        Edited::Entity(entity),
        reason,
        propose,
        as_json,
        |item| apply(item, assignments),
    )
    .await
}

/// A layer as the API's path has it: `DEPLOYABLE/default`, `DEPLOYABLE/tier/TIER`, … (the
/// server says which scopes there are).
fn layer_path(text: &str) -> Result<String, CliError> {
    let parts: Vec<&str> = text.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        [deployable, scope @ ..] if !deployable.is_empty() && (1..=2).contains(&scope.len()) => {
            Ok(format!(
                "/api/v1/layers/{}",
                parts
                    .iter()
                    .map(|p| segment(p))
                    .collect::<Vec<_>>()
                    .join("/")
            ))
        }
        _ => Err(usage(
            "LAYER",
            format!(
                "{text:?}: DEPLOYABLE/default, DEPLOYABLE/tier/TIER, DEPLOYABLE/product/PRODUCT or DEPLOYABLE/tenant/TENANT"
            ),
        )),
    }
}

/// `strata set LAYER KEY=VALUE … [--unset KEY …]`: changes values in one config layer (made
/// when it was not written yet), validated as every write is.
pub async fn set(
    client: &Client,
    layer: &str,
    assignments: &[String],
    unset: &[String],
    reason: Option<String>,
    propose: bool,
    as_json: bool,
) -> Result<(), CliError> {
    if assignments.is_empty() && unset.is_empty() {
        return Err(usage(
            "KEY=VALUE",
            "say what to set (KEY=VALUE) or --unset KEY",
        ));
    }
    let path = layer_path(layer)?;
    let reason = reason.unwrap_or_else(|| said(assignments, unset));
    edit_with(
        client,
        Edited::Layer { path },
        reason,
        propose,
        as_json,
        |config| {
            apply(config, assignments)?;
            for path in unset {
                let path: Vec<String> = path.split('.').map(str::to_owned).collect();
                remove_at(config, &path);
            }
            Ok(())
        },
    )
    .await
}

/// The reason `strata set` gives when none is given: the keys it sets and unsets, never their
/// values (a value may be a secret, and history keeps reasons in the clear).
fn said(assignments: &[String], unset: &[String]) -> String {
    let keys = |texts: &[String]| -> Vec<String> {
        texts
            .iter()
            .map(|t| t.split_once('=').map_or(t.as_str(), |(k, _)| k).to_owned())
            .collect()
    };
    let mut parts = Vec::new();
    if !assignments.is_empty() {
        parts.push(format!("set {}", keys(assignments).join(", ")));
    }
    if !unset.is_empty() {
        parts.push(format!("unset {}", keys(unset).join(", ")));
    }
    parts.join("; ")
}

/// `strata history ENTITY`: every version, oldest first.
pub async fn history(client: &Client, entity: &EntityRef, as_json: bool) -> Result<(), CliError> {
    let answer = client.get(format!("{}/history", entity.path())).await?;
    let versions = answer.body["versions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if as_json {
        output::json(&Value::Array(versions));
        return Ok(());
    }
    let text = |v: &Value, f: &str| output::cell(&v[f]);
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                format!("v{}", v["version"]),
                text(v, "at"),
                text(v, "operation"),
                text(v, "actor"),
                text(v, "revision"),
                text(v, "reason"),
            ]
        })
        .collect();
    output::table(
        &["version", "at", "operation", "actor", "revision", "reason"],
        &rows,
    );
    Ok(())
}

/// `strata diff ENTITY V1 V2`: what changed from one version to the other.
pub async fn diff(
    client: &Client,
    entity: &EntityRef,
    from: i64,
    to: i64,
    as_json: bool,
) -> Result<(), CliError> {
    let answer = client
        .get(format!("{}/diff?from={from}&to={to}", entity.path()))
        .await?;
    let patch = answer.body["patch"].as_array().cloned().unwrap_or_default();
    match as_json {
        true => output::json(&Value::Array(patch)),
        false => output::patch(&patch),
    }
    Ok(())
}

/// `strata rollback ENTITY VERSION`: the entity as that version had it, as a new version.
pub async fn rollback(
    client: &Client,
    entity: &EntityRef,
    to_version: i64,
    reason: Option<String>,
    as_json: bool,
) -> Result<(), CliError> {
    // The version edited: the current one, or 0 when it is deleted now.
    let current = match client.get(entity.path()).await {
        Ok(found) => found.body["item"]["version"].as_i64().unwrap_or_default(),
        Err(CliError::Refused { status: 404, .. }) => 0,
        Err(e) => return Err(e),
    };
    let reason =
        reason.unwrap_or_else(|| format!("roll {} back to version {to_version}", entity.named()));
    let answer = client
        .send(
            Call::write(Method::POST, format!("{}/rollback", entity.path()), &reason)
                .body(json!({"to_version": to_version}))
                .edited(current),
        )
        .await?;
    output::written(as_json, &answer.body, || {
        format!(
            "rolled {} back to version {to_version}: now version {} (revision {})",
            entity.named(),
            answer.body["item"]["version"],
            answer.body["revision"]
        )
    });
    Ok(())
}
