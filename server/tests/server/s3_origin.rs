//! Publishing to a real S3 server (SeaweedFS, signed requests): content-addressed documents
//! uploaded once, conditional writes of HEAD, local copies, an outage of S3 under a running
//! server, and publishers killed at any moment.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::seaweed::Seaweed;
use common::{
    head_of, published, race_publishers, rename_tier, start_server_on, until, until_revision,
};
use strata_server::cache::CacheSetting;
use strata_server::local_copy;
use strata_server::origin::{OriginError, OriginSetting, fetch_current};
use strata_server::publisher::Publisher;
use strata_store::outbox::PublicationState;
use strata_store::test_support::TestDatabase;
use strata_store::{Backend, DatabaseUrl, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_published_to_s3_reads_back_whole_and_unchanged_tables_stay_put() {
    let s3 = Seaweed::start().await;
    let origin = s3.origin("domains/acme").await;
    assert_eq!(origin.probe(Duration::from_secs(5)).await.error, None);
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    let publisher = Publisher::new(store.clone(), origin.clone(), "test", Default::default());

    store.load_demo("judy").await.unwrap();
    let figures = published(publisher.publish_next().await.unwrap());
    assert_eq!(figures.documents_uploaded, figures.documents);
    let fetched = fetch_current(&origin).await.unwrap().expect("a revision");
    assert_eq!(fetched.manifest.revision, 1);
    assert_eq!(fetched.manifest.checksum, figures.checksum);
    assert_eq!(
        fetched.documents.len() as i64,
        figures.documents,
        "every document, each hash checked"
    );
    assert_eq!(
        strata_domain::snapshot::tables_of_documents(&fetched.documents).unwrap(),
        store.as_operator().state_at(1).await.unwrap()
    );

    // A local copy of the S3 origin, kept up to date.
    let copy = tempfile::tempdir().unwrap();
    let endpoint = s3.endpoint();
    let line = local_copy::init("s3://strata/domains/acme", Some(&endpoint), copy.path())
        .await
        .unwrap();
    assert!(
        line.starts_with("copied revision 1 of s3://strata/domains/acme at http://127.0.0.1:"),
        "{line}"
    );

    rename_tier(&store, "LIVE", "Production").await;
    let figures = published(publisher.publish_next().await.unwrap());
    assert_eq!(
        figures.documents_uploaded, 1,
        "only LIVE's shard of tiers changed"
    );
    let (head, manifest) = head_of(&origin).await;
    assert_eq!((head.revision, manifest.parent), (2, Some(1)));
    let lines = local_copy::pull(copy.path(), Some(&endpoint), false)
        .await
        .unwrap();
    assert_eq!(lines, ["revision 1 → 2", "tiers.json: 1 changed (LIVE)"]);

    // Immutable objects stay as first written; the prefix keeps origins apart.
    assert!(
        origin
            .put_immutable("documents/x.json", b"1".to_vec())
            .await
            .unwrap(),
        "written the first time"
    );
    assert!(
        !origin
            .put_immutable("documents/x.json", b"1".to_vec())
            .await
            .unwrap()
    );
    assert_eq!(
        origin
            .put_immutable("documents/x.json", b"2".to_vec())
            .await,
        Err(OriginError::Immutable("documents/x.json".into()))
    );
    assert!(
        s3.origin("domains/other")
            .await
            .head()
            .await
            .unwrap()
            .is_none()
    );

    // A bucket that is not there is named.
    let missing = OriginSetting::parse("s3://no-such-bucket/x", Some(&endpoint))
        .unwrap()
        .open()
        .await;
    let probe = missing.probe(Duration::from_secs(5)).await;
    assert_eq!(probe.kind, "S3");
    let error = probe.error.expect("a missing bucket is an error");
    assert!(error.contains("no-such-bucket does not exist"), "{error}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_publishers_racing_for_the_s3_head_one_wins_and_the_other_sees_it() {
    let s3 = Seaweed::start().await;
    let origin = s3.origin("race").await;
    origin.swap_head(None, b"first".to_vec()).await.unwrap();
    assert!(matches!(
        origin.swap_head(None, b"again".to_vec()).await,
        Err(OriginError::HeadMoved {
            expected: None,
            found: Some(_)
        })
    ));
    let (_, stale) = origin.head().await.unwrap().unwrap();
    for i in 0..10 {
        let (_, tag) = origin.head().await.unwrap().unwrap();
        let (a, b) = tokio::join!(
            origin.swap_head(Some(tag.clone()), format!("{i} from a").into_bytes()),
            origin.swap_head(Some(tag.clone()), format!("{i} from b").into_bytes()),
        );
        assert!(a.is_ok() != b.is_ok(), "round {i}: {a:?} {b:?}");
        let (bytes, now) = origin.head().await.unwrap().unwrap();
        let winner = if a.is_ok() { "a" } else { "b" };
        assert_eq!(bytes, format!("{i} from {winner}").into_bytes());
        match a.err().or(b.err()).unwrap() {
            OriginError::HeadMoved { expected, found } => {
                assert_eq!(expected, Some(tag));
                assert_eq!(found, Some(now), "the loser is told what HEAD is now");
            }
            other => panic!("round {i}: {other}"),
        }
    }
    assert!(matches!(
        origin.swap_head(Some(stale), b"late".to_vec()).await,
        Err(OriginError::HeadMoved { .. })
    ));

    // Whole publishers on one store: one publishes the revision.
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    store.load_demo("judy").await.unwrap();
    let origin = s3.origin("publishers").await;
    let outcomes = race_publishers(&store, &origin, 3).await;
    assert_eq!(outcomes.iter().flatten().count(), 1, "{outcomes:?}");
    assert_eq!(head_of(&origin).await.0.revision, 1);
    store.close().await;
}

/// How long S3 may take to come back, publications included.
const WAIT: Duration = Duration::from_secs(60);

async fn served_revision(url: &str) -> Option<String> {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(common::READER_TOKEN)
        .send()
        .await
        .ok()?;
    response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().trim_matches('"').to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_s3_stopped_a_running_server_keeps_committing_and_publishes_once_it_is_back() {
    let mut s3 = Seaweed::start().await;
    let db = TestDatabase::new(Backend::Sqlite).await;
    let site = tempfile::tempdir().unwrap();
    let server = start_server_on(
        &db,
        s3.setting("outage"),
        site.path(),
        CacheSetting::InProcess,
    )
    .await;
    let url = format!("{server}/api/v1/config/LIVE/acme-berlin/web-api");
    let store = db.store().await;
    store.load_demo("judy").await.unwrap();
    until_revision(&url, 1, WAIT).await;

    s3.stop();
    for name in ["Production", "Live", "Prod"] {
        rename_tier(&store, "LIVE", name).await;
    }
    assert_eq!(store.domain().await.unwrap().revision, 4, "commits go on");
    let failed = until("a failed attempt at revision 4", WAIT, async || {
        store
            .as_operator()
            .publication(4)
            .await
            .unwrap()
            .filter(|p| p.state == PublicationState::Failed)
    })
    .await;
    let error = failed.last_error.unwrap();
    assert!(
        error.contains("the origin is unavailable: s3://strata/outage"),
        "{error}"
    );
    assert_eq!(
        served_revision(&url).await.as_deref(),
        Some("1"),
        "readers keep revision 1"
    );
    let ready = reqwest::get(format!("{server}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503, "readiness says the origin is down");

    s3.restart().await;
    until_revision(&url, 4, WAIT).await;
    let origin = s3.origin("outage").await;
    let fetched = fetch_current(&origin).await.unwrap().unwrap();
    assert_eq!(fetched.manifest.revision, 4);
    let states: Vec<_> = store
        .as_operator()
        .publications(10)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.revision, p.state))
        .collect();
    assert_eq!(
        states,
        [
            (4, PublicationState::Published),
            (3, PublicationState::Superseded),
            (2, PublicationState::Superseded),
            (1, PublicationState::Published)
        ]
    );
    store.close().await;
}

/// `strata publish` killed (SIGKILL) at moments spread over a publication: whatever step it
/// was in, the origin's HEAD names a whole revision, the old or the new one, and the next
/// publisher completes the newest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishers_killed_at_any_moment_leave_readers_on_a_whole_revision() {
    let s3 = Seaweed::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/kill.db", dir.path().display());
    let endpoint = s3.endpoint();
    let publish = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
        command
            .arg("publish")
            .env("STRATA_DATABASE_URL", &database)
            .env("STRATA_ORIGIN", "s3://strata/killed")
            .env("STRATA_S3_ENDPOINT", &endpoint)
            .env("RUST_LOG", "off")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    };
    let store = Store::connect(&DatabaseUrl::parse(&database).unwrap())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.load_demo("judy").await.unwrap();
    assert!(publish().status().unwrap().success());
    let origin = s3.origin("killed").await;
    let mut before = 1;
    let (mut killed_early, mut killed_late) = (0, 0);
    for round in 0..12u64 {
        rename_tier(&store, "LIVE", &format!("Production {round}")).await;
        let revision = store.domain().await.unwrap().revision;
        let mut child = publish().spawn().unwrap();
        std::thread::sleep(Duration::from_millis(15 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        let fetched = fetch_current(&origin)
            .await
            .unwrap()
            .expect("HEAD always names a revision");
        let now = fetched.manifest.revision;
        assert!(
            now == before || now == revision,
            "round {round}: HEAD names revision {now}, neither {before} nor {revision}"
        );
        if now == before {
            killed_early += 1;
        } else {
            killed_late += 1;
        }
        before = now;
    }
    // A killed claim holds its lease; a new commit is published at once.
    rename_tier(&store, "LIVE", "Production").await;
    assert!(publish().status().unwrap().success());
    assert_eq!(
        fetch_current(&origin)
            .await
            .unwrap()
            .unwrap()
            .manifest
            .revision,
        store.domain().await.unwrap().revision
    );
    eprintln!("killed before HEAD moved: {killed_early}, after: {killed_late}");
    store.close().await;
}
