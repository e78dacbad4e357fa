//! Change requests from a terminal: `strata request list|show|propose|comment|approve|
//! request-changes|reject|rebase|withdraw|apply`, and `--propose` on `set` and `KIND edit`,
//! which proposes the write instead of making it. Every check is the store's, through the API.

use axum::http::Method;
use serde_json::{Value, json};

use strata_domain::kind::Kind;

use super::client::{Call, Client};
use super::output;
use crate::cli::CliError;
use crate::cli::args::RequestAction;

/// The write that makes the entity of `kind` and `key` (as the API answers it at `path`)
/// `mine`, proposed on the version read.
pub async fn entity_write(
    client: &Client,
    kind: Kind,
    key: &str,
    path: &str,
    mut mine: Value,
) -> Result<Value, CliError> {
    let item = client.get(path).await?.body["item"].clone();
    if let Some(fields) = mine.as_object_mut() {
        fields.remove("version");
    }
    Ok(json!({"kind": kind, "key": key, "base_version": item["version"], "image": mine}))
}

/// The write that sets the layer at `path` to `mine`: in the entity holding it (a stored
/// layer, made when not written yet; or the deployable, for its default config), proposed on
/// the version read.
pub async fn layer_write(client: &Client, path: &str, mine: Value) -> Result<Value, CliError> {
    let item = client.get(path).await?.body["item"].clone();
    let version = item["version"].as_i64().unwrap_or_default();
    let base = if version == 0 {
        Value::Null
    } else {
        json!(version)
    };
    let held_by = &item["held_by"];
    let key = held_by["key"].as_str().unwrap_or_default().to_owned();
    match held_by["kind"].as_str() {
        Some("deployable") => {
            let deployable = client
                .get(held_by["path"].as_str().unwrap_or_default())
                .await?
                .body["item"]
                .clone();
            let mut image = deployable;
            if let Some(fields) = image.as_object_mut() {
                fields.remove("version");
                fields.insert("default_config".into(), mine);
            }
            Ok(json!({"kind": "deployable", "key": key, "base_version": base, "image": image}))
        }
        _ => Ok(json!({
            "kind": "config_layer",
            "key": key,
            "base_version": base,
            "image": {"deployable": item["deployable"], "scope": item["scope"], "config": mine},
        })),
    }
}

/// Proposes `writes` with `title` (and says which request it is).
pub async fn propose(
    client: &Client,
    title: &str,
    description: &str,
    writes: Vec<Value>,
    as_json: bool,
) -> Result<(), CliError> {
    let answer = client
        .send(
            Call::write(Method::POST, "/api/v1/change-requests", title).body(json!({
                "title": title,
                "description": description,
                "writes": writes,
            })),
        )
        .await?;
    let request = &answer.body;
    if as_json {
        output::json(request);
        return Ok(());
    }
    output::done(format!(
        "proposed change request #{}: {} — nothing is written until it is approved and applied",
        request["id"],
        output::cell(&request["title"])
    ));
    for need in request["needs"]["policies"]
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "  needs {} ({}: policy {})",
            output::cell(&need["asks"]),
            output::cell(&need["covering"]),
            output::cell(&need["policy"])
        );
    }
    Ok(())
}

/// The full content hash a reviewer names by its first characters, checked against what the
/// request holds now: a verdict is on what the reviewer read.
async fn content_named(client: &Client, id: i64, prefix: &str) -> Result<String, CliError> {
    let review = client.get(format!("/api/v1/change-requests/{id}")).await?;
    let hash = review.body["request"]["content_hash"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if prefix.len() < 8 || !hash.starts_with(prefix) {
        return Err(CliError::Refused {
            status: 422,
            code: "invalid".into(),
            message: format!(
                "/content_hash: change request #{id} is now content {}: read it again \
                 (`strata request show {id}`) and name that content",
                &hash[..hash.len().min(12)]
            ),
            details: Vec::new(),
        });
    }
    Ok(hash)
}

pub async fn run(client: &Client, action: RequestAction) -> Result<(), CliError> {
    match action {
        RequestAction::List {
            waiting,
            mine,
            state,
            json,
        } => {
            let query = match (waiting, mine, state) {
                (true, _, _) => "?filter=waiting".to_owned(),
                (_, true, _) => "?filter=mine".to_owned(),
                (_, _, Some(state)) => format!("?state={}", super::client::segment(&state)),
                _ => String::new(),
            };
            let answer = client
                .get(format!("/api/v1/change-requests{query}"))
                .await?;
            let items = answer.body["items"].as_array().cloned().unwrap_or_default();
            if json {
                output::json(&Value::Array(items));
                return Ok(());
            }
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|r| {
                    vec![
                        format!("#{}", r["id"]),
                        output::cell(&r["state"]),
                        output::cell(&r["author"]),
                        r["writes"].as_array().map_or(0, Vec::len).to_string(),
                        output::cell(&r["title"]),
                    ]
                })
                .collect();
            output::table(&["request", "state", "author", "writes", "title"], &rows);
            Ok(())
        }
        RequestAction::Show { id, json } => {
            let review = client
                .get(format!("/api/v1/change-requests/{id}"))
                .await?
                .body;
            if json {
                output::json(&review);
                return Ok(());
            }
            show(&review);
            Ok(())
        }
        RequestAction::Propose {
            file,
            title,
            description,
            json,
        } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| CliError::input("FILE", format!("stdin: {e}")))?
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| CliError::input("FILE", format!("{}: {e}", file.display())))?
            };
            let writes: Value = serde_json::from_str(&text)
                .map_err(|e| CliError::input("FILE", format!("not JSON: {e}")))?;
            let writes = match writes {
                Value::Array(writes) => writes,
                one @ Value::Object(_) => vec![one],
                _ => {
                    return Err(CliError::input(
                        "FILE",
                        "a JSON array of writes: {\"kind\", \"key\", \"base_version\", \"image\"}",
                    ));
                }
            };
            propose(
                client,
                &title,
                &description.unwrap_or_default(),
                writes,
                json,
            )
            .await
        }
        RequestAction::Comment {
            id,
            text,
            pointer,
            reply_to,
        } => {
            let body = json!({"verdict": "comment", "comment": text, "pointer": pointer, "reply_to": reply_to});
            say(client, id, body).await
        }
        RequestAction::Approve {
            id,
            content,
            comment,
        } => {
            let hash = content_named(client, id, &content).await?;
            say(client, id, json!({"verdict": "approve", "content_hash": hash, "comment": comment.unwrap_or_default()})).await
        }
        RequestAction::RequestChanges {
            id,
            content,
            comment,
        } => {
            let hash = content_named(client, id, &content).await?;
            say(
                client,
                id,
                json!({"verdict": "request_changes", "content_hash": hash, "comment": comment}),
            )
            .await
        }
        RequestAction::Reject {
            id,
            content,
            comment,
        } => {
            let hash = content_named(client, id, &content).await?;
            say(client, id, json!({"verdict": "reject", "content_hash": hash, "comment": comment.unwrap_or_default()})).await
        }
        RequestAction::Rebase { id } => {
            let review = client
                .get(format!("/api/v1/change-requests/{id}"))
                .await?
                .body;
            let hash = review["request"]["content_hash"].clone();
            let answer = client
                .send(
                    Call::write(
                        Method::POST,
                        format!("/api/v1/change-requests/{id}/rebase"),
                        "rebase",
                    )
                    .body(json!({"content_hash": hash})),
                )
                .await?;
            output::done(format!(
                "rebased change request #{id}: now content {}; approvals given before no longer count",
                short(&answer.body["content_hash"])
            ));
            Ok(())
        }
        RequestAction::Withdraw { id, comment } => {
            client
                .send(
                    Call::write(
                        Method::POST,
                        format!("/api/v1/change-requests/{id}/withdraw"),
                        "withdraw",
                    )
                    .body(json!({"comment": comment.unwrap_or_default()})),
                )
                .await?;
            output::done(format!("withdrew change request #{id}"));
            Ok(())
        }
        RequestAction::Apply { id, json } => {
            let answer = client
                .send(Call::write(
                    Method::POST,
                    format!("/api/v1/change-requests/{id}/apply"),
                    "apply",
                ))
                .await?;
            output::written(json, &answer.body, || {
                format!(
                    "applied change request #{id} as revision {}",
                    answer.body["revision"]
                )
            });
            Ok(())
        }
    }
}

async fn say(client: &Client, id: i64, body: Value) -> Result<(), CliError> {
    let verdict = body["verdict"].as_str().unwrap_or("comment").to_owned();
    let answer = client
        .send(
            Call::write(
                Method::POST,
                format!("/api/v1/change-requests/{id}/reviews"),
                &verdict,
            )
            .body(body),
        )
        .await?;
    output::done(format!(
        "change request #{id}: {} {}",
        output::cell(&answer.body["person"]),
        match verdict.as_str() {
            "approve" => "approved it",
            "request_changes" => "asked for changes",
            "reject" => "rejected it",
            _ => "commented",
        }
    ));
    Ok(())
}

fn short(hash: &Value) -> String {
    let hash = hash.as_str().unwrap_or_default();
    hash[..hash.len().min(12)].to_owned()
}

/// A request as `show` prints it: what it is, where it stands, what it writes, its history.
fn show(review: &Value) {
    let r = &review["request"];
    println!("change request #{}: {}", r["id"], output::cell(&r["title"]));
    println!("  state:    {}", output::cell(&r["state"]));
    println!("  author:   {}", output::cell(&r["author"]));
    println!("  content:  {}", short(&r["content_hash"]));
    if let Some(text) = r["description"].as_str().filter(|t| !t.is_empty()) {
        println!("  description:");
        for line in text.lines() {
            println!("    {line}");
        }
    }
    for need in review["needs"]["policies"].as_array().into_iter().flatten() {
        println!(
            "  needs:    {} ({}: policy {})",
            output::cell(&need["asks"]),
            output::cell(&need["covering"]),
            output::cell(&need["policy"])
        );
    }
    let approved: Vec<String> = review["approved_by"]
        .as_array()
        .into_iter()
        .flatten()
        .map(output::cell)
        .collect();
    println!(
        "  approved: {}",
        if approved.is_empty() {
            "nobody yet".to_owned()
        } else {
            approved.join(", ")
        }
    );
    match review["unmet"].as_str() {
        Some(unmet) => println!("  missing:  {unmet}"),
        None if r["state"] == "open" => println!("  ready to apply"),
        None => {}
    }
    for stale in review["stale"].as_array().into_iter().flatten() {
        println!(
            "  stale:    {} {} changed since (version {} → {}): `strata request rebase {}`",
            output::cell(&stale["kind"]),
            output::cell(&stale["key"]),
            output::cell(&stale["base_version"]),
            output::cell(&stale["current_version"]),
            r["id"]
        );
    }
    println!("  writes:");
    for w in r["writes"].as_array().into_iter().flatten() {
        let what = if w["image"].is_null() {
            "delete"
        } else if w["base_version"].is_null() {
            "create"
        } else {
            "update"
        };
        println!(
            "    {what} {} {} (on version {})",
            output::cell(&w["kind"]),
            output::cell(&w["key"]),
            output::cell(&w["base_version"])
        );
    }
    println!("  history:");
    for e in review["history"].as_array().into_iter().flatten() {
        let comment = e["comment"].as_str().unwrap_or_default();
        println!(
            "    {} {} {}{}",
            e["seq"],
            output::cell(&e["person"]),
            output::cell(&e["event"]),
            if comment.is_empty() {
                String::new()
            } else {
                format!(": {comment}")
            }
        );
    }
}
