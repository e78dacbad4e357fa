//! `GET /metrics` through a commit → publication → read sequence on the demo domain: the
//! counters and the lag histogram move by what happened (values, not names); the read path is
//! labelled by route template and tier, never by a raw path or a tenant, so reading a thousand
//! different tenants adds no series; every answer carries a request id.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common;

use common::{READER_TOKEN, signed_in, test_server, until_revision};
use serde_json::{Value, json};

/// One scrape: each series (name and labels, as written) → its value.
struct Scraped(BTreeMap<String, f64>);

async fn scrape(address: &str) -> Scraped {
    let response = reqwest::get(format!("{address}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        response.headers()
    );
    let text = response.text().await.unwrap();
    let series = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect();
    Scraped(series)
}

impl Scraped {
    /// A series' value; 0 when absent.
    fn get(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }

    fn has(&self, series: &str) -> bool {
        self.0.contains_key(series)
    }

    fn count(&self) -> usize {
        self.0.len()
    }
}

const READ_ROUTE: &str = "/api/v1/config/{tier}/{tenant}/{deployable}";

fn reads(tier: &str, format: &str, status: u16) -> String {
    format!("strata_config_reads_total{{format=\"{format}\",status=\"{status}\",tier=\"{tier}\"}}")
}

fn requests(route: &str, method: &str, status: u16) -> String {
    format!(
        "strata_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    )
}

#[tokio::test]
async fn metrics_follow_a_commit_its_publication_and_reads_with_bounded_labels() {
    let server = test_server().await.with_demo().await;
    let address = server.address.clone();
    let config_url = format!("{address}/api/v1/config/LIVE/acme-berlin/web-api");
    let reader = reqwest::Client::new();
    let admin = signed_in(&address, &server.db).await;
    let before = scrape(&address).await;
    assert_eq!(before.get("strata_served_revision"), 1.0);
    assert_eq!(before.get("strata_outbox_waiting"), 0.0);
    for dependency in ["database", "origin", "cache"] {
        assert_eq!(
            before.get(&format!(
                "strata_dependency_up{{dependency=\"{dependency}\"}}"
            )),
            1.0,
            "{dependency}"
        );
    }
    // Every outcome is a series before it first happens.
    assert!(before.has("strata_commits_total{outcome=\"conflict\"}"));
    assert!(before.has("strata_sign_ins_total{outcome=\"limited\"}"));
    assert!(before.has("process_resident_memory_bytes"));
    assert_eq!(
        before.get("strata_sign_ins_total{outcome=\"succeeded\"}"),
        1.0
    );

    // A commit through the API: the tier's display name.
    let tier: Value = admin
        .get(format!("{address}/api/v1/tiers/STAGING"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let version = tier["item"]["version"].as_i64().unwrap();
    let put = |version: i64, display: &str| {
        admin
            .put(format!("{address}/api/v1/tiers/STAGING"))
            .header("strata-reason", "metrics test")
            .json(&json!({"version": version, "name": "STAGING", "display_name": display, "is_live": false, "state": "active"}))
            .send()
    };
    assert_eq!(put(version, "Staging (EU)").await.unwrap().status(), 200);
    // The same version again: a conflict. An empty name: refused by a rule.
    assert_eq!(put(version, "Again").await.unwrap().status(), 409);
    assert_eq!(put(version + 1, "").await.unwrap().status(), 422);
    until_revision(&config_url, 2, Duration::from_secs(15)).await;

    // Reads: one served, one answered 304 to the revision the service holds, one refused.
    let read = reader
        .get(&config_url)
        .bearer_auth(READER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let unchanged = reader
        .get(&config_url)
        .bearer_auth(READER_TOKEN)
        .header("if-none-match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    let env = reader
        .get(format!("{config_url}?format=env"))
        .bearer_auth(READER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(env.status(), 200);
    let refused = reader.get(&config_url).send().await.unwrap();
    assert_eq!(refused.status(), 401);

    // Served comes before the publication is recorded as done: wait for that too.
    let published = "strata_publications_total{outcome=\"published\"}";
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let after = loop {
        let after = scrape(&address).await;
        if after.get(published) > before.get(published) {
            break after;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "revision 2 never recorded published"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let moved = |series: &str| after.get(series) - before.get(series);
    assert_eq!(moved("strata_commits_total{outcome=\"committed\"}"), 1.0);
    assert_eq!(moved("strata_commits_total{outcome=\"conflict\"}"), 1.0);
    assert_eq!(moved("strata_commits_total{outcome=\"refused\"}"), 1.0);
    assert_eq!(moved("strata_commit_duration_seconds_count"), 1.0);
    assert!(moved("strata_commit_duration_seconds_sum") > 0.0);
    assert_eq!(
        moved("strata_publications_total{outcome=\"published\"}"),
        1.0
    );
    assert!(after.has("strata_publications_total{outcome=\"failed\"}"));
    assert_eq!(moved("strata_publications_total{outcome=\"failed\"}"), 0.0);
    assert_eq!(after.get("strata_served_revision"), 2.0);
    // Revision 2 was served once, some time after its commit and within the wait above.
    assert_eq!(moved("strata_publication_lag_seconds_count"), 1.0);
    let lag = moved("strata_publication_lag_seconds_sum");
    assert!(lag > 0.0 && lag < 15.0, "lag {lag}");
    assert_eq!(
        moved("strata_publication_lag_seconds_bucket{le=\"60\"}"),
        1.0
    );
    assert_eq!(
        moved("strata_publication_step_duration_seconds_count{step=\"upload\"}"),
        1.0
    );
    assert!(after.has("strata_outbox_waiting"));
    assert_eq!(moved("strata_outbox_waiting"), 0.0);
    // until_revision's polling read too: at least the two 200s here, exactly one 304 and 401.
    assert!(moved(&reads("LIVE", "json", 200)) >= 2.0);
    assert_eq!(moved(&reads("LIVE", "env", 200)), 1.0);
    assert_eq!(moved(&reads("LIVE", "json", 304)), 1.0);
    assert_eq!(moved(&reads("unknown", "json", 401)), 1.0);
    assert_eq!(moved(&requests(READ_ROUTE, "GET", 304)), 1.0);
    assert_eq!(moved(&requests("/api/v1/{kind}/{key}", "PUT", 409)), 1.0);
    assert!(moved("strata_token_cache_lookups_total{result=\"hit\"}") >= 3.0);
    assert!(after.get("strata_token_cache_size") >= 1.0);
    assert!(after.get("strata_sessions_active") >= 1.0);

    // A thousand tenants nobody has, on the tiers the token reads (some of which the demo
    // has) and, one in ten, on tiers it does not: one series per tier label and status,
    // none named after what was asked.
    for i in 0..1000 {
        let tier = match i % 10 {
            9 => format!("tier-{i}"),
            n => ["LIVE", "STAGING", "TEST", "DEV"][n % 4].to_owned(),
        };
        let response = reader
            .get(format!(
                "{address}/api/v1/config/{tier}/tenant-{i:04}/web-api"
            ))
            .bearer_auth(READER_TOKEN)
            .send()
            .await
            .unwrap();
        let expected = if i % 10 == 9 { 403 } else { 404 };
        assert_eq!(response.status(), expected, "{tier}/tenant-{i:04}");
    }
    // Methods anyone may make up are one label value.
    for i in 0..50 {
        let method = reqwest::Method::from_bytes(format!("M{i}X").as_bytes()).unwrap();
        let response = reader
            .request(
                method,
                format!("{address}/api/v1/config/LIVE/acme-berlin/web-api"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
    }
    let loaded = scrape(&address).await;
    let new: Vec<&String> = loaded
        .0
        .keys()
        .filter(|series| !after.has(series))
        .collect();
    assert_eq!(
        moved_by(&loaded, &after, &requests(READ_ROUTE, "other", 405)),
        50.0
    );
    // At most: a series per tier label and status of the reads (8), and for the method
    // `other` its count (1) and its latency histogram (16 buckets, +Inf, sum, count: 19).
    assert!(
        new.len() <= 8 + 19,
        "a thousand tenants made {} new series: {new:?}",
        new.len()
    );
    let refused_reads: f64 = loaded
        .0
        .keys()
        .filter(|s| {
            s.starts_with("strata_config_reads_total")
                && (s.contains("\"404\"") || s.contains("\"403\""))
        })
        .map(|s| moved_by(&loaded, &after, s))
        .sum();
    assert_eq!(refused_reads, 1000.0);
    assert_eq!(
        moved_by(&loaded, &after, &reads("unknown", "json", 403)),
        100.0
    );
    assert_eq!(
        moved_by(&loaded, &after, &requests(READ_ROUTE, "GET", 404))
            + moved_by(&loaded, &after, &requests(READ_ROUTE, "GET", 403)),
        1000.0
    );
    for series in loaded.0.keys() {
        assert!(
            !series.contains("tenant-")
                && !series.contains("acme-berlin")
                && !series.contains("tier-")
                && !series.contains("X\""),
            "{series}"
        );
    }
    eprintln!(
        "series: {} before the reads of a thousand tenants, {} after",
        after.count(),
        loaded.count()
    );
}

#[tokio::test]
async fn watchers_are_counted_while_connected_and_tiers_are_named_only_to_readers() {
    let server = test_server().await.with_demo().await;
    let address = server.address.clone();
    let client = reqwest::Client::new();
    let watchers = async || scrape(&address).await.get("strata_watchers");
    assert_eq!(watchers().await, 0.0);
    let watching = client
        .get(format!("{address}/api/v1/watch"))
        .bearer_auth(READER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(watching.status(), 200);
    assert_eq!(watchers().await, 1.0);
    drop(watching);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while watchers().await != 0.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the watcher is still counted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Without a token (or with one that may not read it), a tier is not named: /metrics
    // tells nobody which tiers exist.
    let before = scrape(&address).await;
    for token in [None, Some("strata_not-a-token")] {
        let mut request = client.get(format!(
            "{address}/api/v1/config/STAGING/acme-berlin/web-api"
        ));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        assert_eq!(request.send().await.unwrap().status(), 401);
    }
    let after = scrape(&address).await;
    assert_eq!(
        moved_by(&after, &before, &reads("unknown", "json", 401)),
        2.0
    );
    assert!(!after.has(&reads("STAGING", "json", 401)));
}

fn moved_by(now: &Scraped, then: &Scraped, series: &str) -> f64 {
    now.get(series) - then.get(series)
}

#[tokio::test]
async fn every_answer_carries_a_request_id_the_callers_when_usable() {
    let server = test_server().await;
    let client = reqwest::Client::new();
    let ids = |response: &reqwest::Response| {
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let given = client
        .get(server.url("/healthz"))
        .header("x-request-id", "trace-4bf92f35-77b3")
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&given), "trace-4bf92f35-77b3");
    let made = client.get(server.url("/healthz")).send().await.unwrap();
    let again = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(ids(&made).len(), 16);
    assert_ne!(ids(&made), ids(&again));
    // One that could split a log line or flood it is replaced by one made here.
    let unusable = client
        .get(server.url("/api/v1/config/LIVE/a/b"))
        .header("x-request-id", "x".repeat(200))
        .send()
        .await
        .unwrap();
    assert_eq!(unusable.status(), 401);
    assert_eq!(ids(&unusable).len(), 16);
    let missing = client
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert!(missing.headers().contains_key("x-request-id"));
}
