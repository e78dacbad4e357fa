//! Publishing to a directory origin: content-addressed documents, a manifest that checks
//! them, HEAD moved last with a conditional write; one publisher per revision; an origin that
//! is down leaves publications waiting while commits go on.

use crate::common;

use std::time::Duration;

use common::{head_of, published, race_publishers, rename_tier};
use strata_domain::snapshot::{
    document_path, render_document, shard_name, shard_of, tables_of_documents,
};
use strata_server::origin::{DirectoryOrigin, Origin, OriginError};
use strata_server::publisher::{Outcome, Publisher};
use strata_store::Backend;
use strata_store::audit::AuditAction;
use strata_store::outbox::PublicationState;
use strata_store::test_support::TestDatabase;

#[tokio::test]
async fn a_published_revision_is_a_manifest_of_checked_documents_named_by_head() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let publisher = Publisher::new(store.clone(), origin.clone(), "test", Default::default());
    assert_eq!(
        publisher.publish_next().await.unwrap(),
        None,
        "nothing committed yet"
    );

    store.load_demo("judy").await.unwrap();
    let figures = published(publisher.publish_next().await.unwrap());
    let (head, manifest) = head_of(&origin).await;
    assert_eq!(figures.documents, manifest.documents.len() as i64);
    assert_eq!(figures.documents_uploaded, figures.documents);
    assert_eq!(
        (head.revision, manifest.revision, manifest.parent),
        (1, 1, None)
    );
    assert_eq!(manifest.actor, "judy");
    assert!(manifest.is_consistent());
    assert_eq!(manifest.checksum, figures.checksum);
    let mut documents = std::collections::BTreeMap::new();
    for (name, doc) in &manifest.documents {
        let bytes = origin
            .get(&document_path(&doc.sha256))
            .await
            .unwrap()
            .unwrap();
        manifest.check_document(name, &bytes).unwrap();
        documents.insert(name.clone(), bytes);
    }
    // Each table lies in shards of the export format, each entity in the shard its key names.
    let tables = tables_of_documents(&documents).unwrap();
    assert_eq!(tables, store.as_operator().state_at(1).await.unwrap());
    // A kind without entities has no shard, and is named all the same.
    assert_eq!(
        tables_of_documents(&Default::default()).unwrap(),
        strata_store::history::empty_state()
    );
    assert!(
        manifest.documents.len() > 7,
        "{:?}",
        manifest.documents.keys()
    );
    let export = tempfile::tempdir().unwrap();
    store.export(export.path()).await.unwrap();
    let tenants = std::fs::read(export.path().join("tenants.json")).unwrap();
    assert_eq!(tenants, render_document(&tables["tenant"]));
    for (key, _) in &tables["tenant"] {
        let shard = &documents[&shard_name("tenants", shard_of(key))];
        assert!(String::from_utf8_lossy(shard).contains(&format!("\"{key}\": {{")));
    }

    // One entity changes: one shard is uploaded.
    rename_tier(&store, "LIVE", "Production").await;
    let figures = published(publisher.publish_next().await.unwrap());
    assert_eq!(figures.documents_uploaded, 1);
    let (head, manifest) = head_of(&origin).await;
    assert_eq!((head.revision, manifest.parent), (2, Some(1)));
    let state = store.as_operator().state_at(2).await.unwrap();
    let shard = shard_of("LIVE");
    let rows = state["tier"]
        .iter()
        .filter(|(key, _)| shard_of(key) == shard);
    manifest
        .check_document(&shard_name("tiers", shard), &render_document(rows))
        .unwrap();
    assert_eq!(
        store
            .as_operator()
            .publication(2)
            .await
            .unwrap()
            .unwrap()
            .state,
        PublicationState::Published
    );

    // Each publication and compilation is in the audit log: by whom, for whom, how it went.
    let events: Vec<_> = store
        .audit_events(Some(2), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.actor, e.triggered_by, e.succeeded, e.detail))
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    let (action, actor, triggered_by, succeeded, detail) = &events[0];
    assert_eq!(
        (*action, actor.as_str(), triggered_by.as_str(), *succeeded),
        (AuditAction::Publish, "test", "judy", true)
    );
    assert_eq!(detail["figures"]["documents_uploaded"], 1);
    assert!(detail["origin"].as_str().unwrap().starts_with("file://"));
    let (action, _, _, succeeded, detail) = &events[1];
    assert_eq!((*action, *succeeded), (AuditAction::Compile, true));
    assert_eq!(detail["cache"], "in-process");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_several_publishers_one_publishes_a_revision() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    store.load_demo("judy").await.unwrap();
    let outcomes = race_publishers(&store, &origin, 4).await;
    assert_eq!(outcomes.iter().flatten().count(), 1, "{outcomes:?}");
    assert_eq!(head_of(&origin).await.0.revision, 1);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_conditional_head_writes_from_the_same_state_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let origin = DirectoryOrigin::new(dir.path());
    origin.swap_head(None, b"first".to_vec()).await.unwrap();
    let (_, tag) = origin.head().await.unwrap().unwrap();
    // Tags are content hashes (as S3's ETags are): each HEAD differs, as each revision does.
    for i in 0..20 {
        let (_, tag) = origin.head().await.unwrap().unwrap();
        let (a, b) = tokio::join!(
            origin.swap_head(Some(tag.clone()), format!("{i} from a").into_bytes()),
            origin.swap_head(Some(tag.clone()), format!("{i} from b").into_bytes()),
        );
        assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
        let lost = a.err().or(b.err()).unwrap();
        assert!(matches!(lost, OriginError::HeadMoved { .. }), "{lost}");
    }
    // A stale tag, and a create over an existing HEAD, are refused.
    assert!(matches!(
        origin.swap_head(Some(tag), b"late".to_vec()).await,
        Err(OriginError::HeadMoved { .. })
    ));
    assert!(matches!(
        origin.swap_head(None, b"again".to_vec()).await,
        Err(OriginError::HeadMoved { .. })
    ));
    // Immutable objects stay as first written.
    assert!(
        origin
            .put_immutable("documents/x.json", b"1".to_vec())
            .await
            .unwrap()
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
}

#[tokio::test]
async fn with_the_origin_down_commits_go_on_and_the_publication_waits_then_completes() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("origin");
    // A file where the origin's directory should be: every write fails.
    std::fs::write(&root, b"not a directory").unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(&root));
    let publisher = Publisher::new(store.clone(), origin.clone(), "test", Default::default());
    store.load_demo("judy").await.unwrap();
    match publisher.publish_next().await.unwrap() {
        Some(Outcome::Failed {
            revision: 1,
            error,
            retry_in,
        }) => {
            assert!(error.contains("origin is unavailable"), "{error}");
            assert_eq!(retry_in, Duration::from_millis(500));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let failed = store.as_operator().publication(1).await.unwrap().unwrap();
    assert_eq!(
        (failed.state, failed.attempts),
        (PublicationState::Failed, 1)
    );
    assert!(failed.last_error.unwrap().contains("origin"));
    let event = &store.audit_events(Some(1), 1).await.unwrap()[0];
    assert_eq!(
        (event.action, event.succeeded),
        (AuditAction::Publish, false)
    );
    assert!(
        event.detail["error"]
            .as_str()
            .unwrap()
            .contains("origin is unavailable")
    );

    // Writes keep committing meanwhile.
    rename_tier(&store, "LIVE", "Production").await;
    assert_eq!(store.domain().await.unwrap().revision, 2);

    // The origin comes back: the newest revision is published, the older one superseded.
    std::fs::remove_file(&root).unwrap();
    let figures = published(publisher.publish_next().await.unwrap());
    assert_eq!(figures.documents_uploaded, figures.documents);
    assert_eq!(head_of(&origin).await.0.revision, 2);
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
        vec![
            (2, PublicationState::Published),
            (1, PublicationState::Superseded)
        ]
    );
    store.close().await;
}

/// A publisher that fails after uploading a revision's documents and manifest but before
/// moving HEAD (as a crash would) leaves readers on the previous whole revision.
#[tokio::test]
async fn a_failure_between_upload_and_head_leaves_readers_on_the_previous_revision() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let publisher = Publisher::new(store.clone(), origin.clone(), "test", Default::default());
    store.load_demo("judy").await.unwrap();
    published(publisher.publish_next().await.unwrap());

    rename_tier(&store, "LIVE", "Production").await;
    // HEAD cannot be replaced: where its new version is written first, a directory stands.
    std::fs::create_dir(dir.path().join("HEAD.partial")).unwrap();
    match publisher.publish_next().await.unwrap() {
        Some(Outcome::Failed { revision: 2, .. }) => {}
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(
        dir.path().join("manifests/000000000002.json").exists(),
        "the upload happened"
    );
    let served = strata_server::served::load_from_origin(&origin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(served.revision, 1, "readers stay on revision 1");
    assert_eq!(head_of(&origin).await.0.revision, 1);

    std::fs::remove_dir(dir.path().join("HEAD.partial")).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let figures = published(publisher.publish_next().await.unwrap());
    assert_eq!(
        figures.documents_uploaded, 0,
        "the retry reuses what was uploaded"
    );
    assert_eq!(head_of(&origin).await.0.revision, 2);
    store.close().await;
}

/// `strata serve` on a free port of its own, on `db` and the directory origin `origin`;
/// answers the process once it says where it listens.
fn spawn_server(db: &TestDatabase, origin: &std::path::Path) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["serve"])
        .env("STRATA_DATABASE_URL", db.url.as_sqlx())
        .env("STRATA_ORIGIN", format!("file://{}", origin.display()))
        .env("STRATA_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        if line.contains("listening on") {
            // Keep reading its log, so the server never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
            return server;
        }
        line.clear();
    }
    let exited = server.wait().unwrap();
    panic!("the server exited before listening: {exited}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_publication_is_taken_over_within_seconds_of_its_restart() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    store.load_demo("judy").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let origin_dir = dir.path().join("origin");
    let origin = Origin::Directory(DirectoryOrigin::new(&origin_dir));
    let mut server = spawn_server(&db, &origin_dir);
    let state_of = async |revision: i64| {
        store
            .as_operator()
            .publication(revision)
            .await
            .unwrap()
            .map(|p| p.state)
    };
    common::until(
        "revision 1 to be published",
        Duration::from_secs(30),
        async || (state_of(1).await == Some(PublicationState::Published)).then_some(()),
    )
    .await;

    // Hold HEAD's lock, as a slow publisher elsewhere would: the server's publication of the
    // next revision stops at moving HEAD, holding its claim. Then kill it there.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(origin_dir.join("HEAD.lock"))
        .unwrap();
    lock.lock().unwrap();
    rename_tier(&store, "LIVE", "Live, renamed").await;
    common::until(
        "revision 2 to be claimed",
        Duration::from_secs(10),
        async || (state_of(2).await == Some(PublicationState::Publishing)).then_some(()),
    )
    .await;
    server.kill().unwrap();
    let killed = std::time::Instant::now();
    server.wait().unwrap();
    drop(lock);

    let mut restarted = spawn_server(&db, &origin_dir);
    common::until(
        "revision 2 to be published",
        Duration::from_secs(20),
        async || (state_of(2).await == Some(PublicationState::Published)).then_some(()),
    )
    .await;
    let took = killed.elapsed();
    println!(
        "published {} ms after the SIGKILL (restart included)",
        took.as_millis()
    );
    assert!(took < Duration::from_secs(8), "{took:?}");
    assert_eq!(head_of(&origin).await.0.revision, 2);
    restarted.kill().unwrap();
    restarted.wait().unwrap();
}

/// Origins published before tables were stored in shards (format 1: each table one document)
/// still load, follow and copy.
#[tokio::test]
async fn a_snapshot_of_whole_table_documents_still_loads_and_copies() {
    use strata_domain::snapshot::{DocumentRef, Head, Manifest, manifest_path, sha256_hex};

    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    store.load_demo("judy").await.unwrap();
    let state = store.as_operator().state_at(1).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let mut documents = std::collections::BTreeMap::new();
    for kind in strata_domain::kind::Kind::ALL {
        let bytes = render_document(&state[kind.name()]);
        let sha256 = sha256_hex(&bytes);
        let size = bytes.len() as u64;
        origin
            .put_immutable(&document_path(&sha256), bytes)
            .await
            .unwrap();
        documents.insert(
            format!("{}.json", kind.table()),
            DocumentRef { sha256, size },
        );
    }
    let manifest = Manifest {
        format: 1,
        domain: "strata".into(),
        revision: 1,
        parent: None,
        published_at: "2026-11-23T12:00:00.000Z".into(),
        actor: "judy".into(),
        checksum: Manifest::checksum_of(1, 1, &documents),
        documents,
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).unwrap();
    origin
        .put_immutable(&manifest_path(1), manifest_bytes.clone())
        .await
        .unwrap();
    let head = Head {
        revision: 1,
        manifest: manifest_path(1),
        manifest_sha256: sha256_hex(&manifest_bytes),
    };
    origin
        .swap_head(None, serde_json::to_vec(&head).unwrap())
        .await
        .unwrap();

    let loaded = strata_server::served::load_from_origin(&origin)
        .await
        .unwrap()
        .unwrap();
    let built = strata_domain::compile::Compiled::build(1, std::sync::Arc::new(state)).unwrap();
    let configs = |c: &strata_domain::compile::Compiled| {
        let mut all: Vec<_> = c
            .configs()
            .map(|(tier, tenant, deployable, bytes)| {
                (
                    tier.to_owned(),
                    tenant.to_owned(),
                    deployable.to_owned(),
                    bytes.to_vec(),
                )
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(loaded.revision, 1);
    assert_eq!(configs(&loaded), configs(&built));
    assert!(!configs(&loaded).is_empty());

    let copy = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    strata_server::local_copy::init(&url, None, copy.path())
        .await
        .unwrap();
    let export = tempfile::tempdir().unwrap();
    store.export(export.path()).await.unwrap();
    for kind in strata_domain::kind::Kind::ALL {
        let name = format!("{}.json", kind.table());
        assert_eq!(
            std::fs::read(copy.path().join(&name)).unwrap(),
            std::fs::read(export.path().join(&name)).unwrap(),
            "{name}"
        );
    }
    store.close().await;
}

/// A change to one tenant's layer uploads the one shard of `config_layers` that holds it; every
/// other document of the manifest keeps its hash.
#[tokio::test]
async fn a_one_tenant_change_uploads_only_the_shard_it_touches() {
    use strata_domain::layer::Layer;
    use strata_domain::names::{DeployableName, TenantName};

    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    strata_store::test_support::seed_large_domain(&store, 2_000).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let publisher = Publisher::new(store.clone(), origin.clone(), "test", Default::default());
    let whole = published(publisher.publish_next().await.unwrap());
    let (_, before) = head_of(&origin).await;
    assert!(before.documents.len() > 256, "{}", before.documents.len());

    strata_store::test_support::set_layer(
        &store,
        &DeployableName::parse("service-3").unwrap(),
        &Layer::Tenant(TenantName::parse("big-t00042").unwrap()),
        serde_json::json!({"log_level": "debug"}),
        "one tenant's layer",
    )
    .await;
    let figures = published(publisher.publish_next().await.unwrap());
    let (_, after) = head_of(&origin).await;
    let differing: Vec<&String> = after
        .documents
        .iter()
        .filter(|(name, doc)| before.documents.get(*name) != Some(*doc))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert!(differing[0].starts_with("config_layers/"), "{differing:?}");
    assert_eq!(after.documents.len(), before.documents.len());
    assert_eq!(figures.documents_uploaded, 1);
    let shard = after.documents[differing[0]].size as i64;
    assert!(
        figures.bytes_uploaded < shard + 200_000 && whole.bytes_uploaded > 50 * shard,
        "{} bytes uploaded of {} for the whole domain",
        figures.bytes_uploaded,
        whole.bytes_uploaded
    );
    store.close().await;
}
