//! The `strata` command line: its help, `migrate`, and what it says about bad settings:
//! one line naming the variable, exit code 1, no panic.

use crate::common;

use std::process::{Command, Output};
use std::time::Duration;

use common::strata;
use serde_json::json;

/// Asserts the command failed with exactly one line that names `variable`.
fn assert_one_line_error(output: &Output, variable: &str, words: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(
        lines[0].starts_with(&format!("error: {variable}: ")),
        "{stderr}"
    );
    assert!(lines[0].contains(words), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn help_lists_the_subcommands() {
    let output = strata(&["--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for subcommand in ["serve", "migrate", "demo", "export", "import"] {
        assert!(help.contains(subcommand), "{help}");
    }
    assert!(
        help.contains("STRATA_DATABASE_URL"),
        "flags show their variables: {help}"
    );
}

#[test]
fn migrate_creates_the_embedded_database_and_reports_its_revision() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/strata.db", dir.path().display());
    let output = strata(&["migrate"], &[("STRATA_DATABASE_URL", &url)]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date (revision 0)"));
    assert!(dir.path().join("nested/strata.db").exists());
}

#[test]
fn an_unparsable_database_url_is_named() {
    let output = strata(
        &["migrate"],
        &[("STRATA_DATABASE_URL", "mysql://db/strata")],
    );
    assert_one_line_error(&output, "STRATA_DATABASE_URL", "not a database URL");
}

#[test]
fn an_unreachable_database_is_named() {
    let output = strata(
        &["migrate"],
        &[("STRATA_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")],
    );
    assert_one_line_error(&output, "STRATA_DATABASE_URL", "cannot open the database");
}

#[test]
fn an_unknown_origin_scheme_is_named() {
    let output = strata(&["serve"], &[("STRATA_ORIGIN", "ftp://example/origin")]);
    assert_one_line_error(&output, "STRATA_ORIGIN", "unknown scheme \"ftp\"");
}

#[test]
fn a_bad_redis_url_is_named() {
    let output = strata(&["serve"], &[("STRATA_REDIS_URL", "http://127.0.0.1:6379")]);
    assert_one_line_error(&output, "STRATA_REDIS_URL", "not a Redis URL");
}

#[test]
fn a_bad_address_is_named() {
    let output = strata(&["serve"], &[("STRATA_ADDR", "localhost")]);
    assert_one_line_error(&output, "STRATA_ADDR", "not an address to listen on");
}

#[test]
fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = strata(&["serve"], &[("STRATA_ADDR", &addr)]);
    assert_one_line_error(&output, "STRATA_ADDR", "already in use");
}

fn ok(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn demo_export_and_import_carry_a_domain_to_another_database_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("sqlite://{}/first.db", dir.path().display());
    let second = format!("sqlite://{}/second.db", dir.path().display());
    let out = ok(&strata(
        &["demo", "--without-review", "--actor", "ivy"],
        &[("STRATA_DATABASE_URL", &first)],
    ));
    assert!(
        out.contains("loaded the demo domain as revision 1"),
        "{out}"
    );
    assert!(out.contains("40 tenant(s)"), "{out}");

    let again = strata(&["demo"], &[("STRATA_DATABASE_URL", &first)]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("the demo loads into an empty domain"));

    let a = dir.path().join("a");
    let out = ok(&strata(
        &["export", a.to_str().unwrap()],
        &[("STRATA_DATABASE_URL", &first)],
    ));
    assert!(out.contains("tenants.json: 40 row(s)"), "{out}");
    let out = ok(&strata(
        &["import", a.to_str().unwrap()],
        &[("STRATA_DATABASE_URL", &second)],
    ));
    assert!(out.contains("as revision 1"), "{out}");
    let out = ok(&strata(
        &["import", a.to_str().unwrap()],
        &[("STRATA_DATABASE_URL", &second)],
    ));
    assert!(out.contains("nothing changed"), "{out}");
    let b = dir.path().join("b");
    ok(&strata(
        &["export", b.to_str().unwrap()],
        &[("STRATA_DATABASE_URL", &second)],
    ));
    for file in [
        "tiers.json",
        "tenants.json",
        "config_layers.json",
        "products.json",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn import_drift_reports_what_it_mapped_and_what_it_could_not() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/drift.db", dir.path().display());
    let origin = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../store/tests/fixtures/drift-origin"
    );
    let out = ok(&strata(
        &["import", "--drift", origin],
        &[("STRATA_DATABASE_URL", &url)],
    ));
    assert!(out.contains("imported 12 tenant(s)"), "{out}");
    assert!(out.contains("not mapped: api-router/routing.json"), "{out}");
    assert!(out.contains("as revision 1"), "{out}");
}

#[test]
fn an_import_error_is_one_line_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bad.db", dir.path().display());
    let export = dir.path().join("export");
    std::fs::create_dir(&export).unwrap();
    std::fs::write(
        export.join("tiers.json"),
        r#"{"LIVE": {"name": "LIVE", "display_name": "", "is_live": true, "state": "active"}}"#,
    )
    .unwrap();
    let output = strata(
        &["import", export.to_str().unwrap()],
        &[("STRATA_DATABASE_URL", &url)],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: /tiers.json/LIVE/display_name: must not be empty"
    );
}

/// Runs `strata import DIR` (or `--drift DIR`), killed if it takes longer than 20 seconds:
/// its exit code, standard error, and how long it took.
fn import_within(dir: &std::path::Path, drift: bool) -> (Option<i32>, String, Duration) {
    let db = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/import.db", db.path().display());
    let mut args = vec!["import"];
    if drift {
        args.push("--drift");
    }
    args.push(dir.to_str().unwrap());
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(&args)
        .env("STRATA_DATABASE_URL", &url)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    (output.status.code(), stderr, started.elapsed())
}

#[test]
fn import_reads_only_regular_files_inside_its_directory_and_of_bounded_size() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.json"),
        r#"{"LIVE": {"name": "LIVE", "display_name": "Live", "is_live": true, "state": "active"}}"#,
    )
    .unwrap();
    for drift in [false, true] {
        // A FIFO nobody writes to: reading it would wait for ever.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir
            .path()
            .join(if drift { "domain.json" } else { "tiers.json" });
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let (code, stderr, took) = import_within(dir.path(), drift);
        assert_eq!(code, Some(1), "drift {drift}: {stderr}");
        assert!(
            stderr.contains("not a regular file"),
            "drift {drift}: {stderr}"
        );
        assert!(took < Duration::from_secs(10), "drift {drift}: {took:?}");

        // A link out of the directory: whatever it points at is not read.
        let dir = tempfile::tempdir().unwrap();
        let name = if drift { "domain.json" } else { "tiers.json" };
        std::os::unix::fs::symlink(outside.path().join("secret.json"), dir.path().join(name))
            .unwrap();
        let (code, stderr, _) = import_within(dir.path(), drift);
        assert_eq!(code, Some(1), "drift {drift}: {stderr}");
        assert!(stderr.contains("outside"), "drift {drift}: {stderr}");

        // A file larger than an import reads (sparse: it takes no room on disk).
        let dir = tempfile::tempdir().unwrap();
        let big = std::fs::File::create(dir.path().join(name)).unwrap();
        big.set_len(300 * 1024 * 1024).unwrap();
        let (code, stderr, _) = import_within(dir.path(), drift);
        assert_eq!(code, Some(1), "drift {drift}: {stderr}");
        assert!(
            stderr.contains("larger than 64 MiB"),
            "drift {drift}: {stderr}"
        );
    }
}

/// How many documents the manifest that HEAD names in the directory origin `root` lists.
fn documents_in(root: &std::path::Path) -> usize {
    let read = |path: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(root.join(path)).unwrap()).unwrap()
    };
    let head = read("HEAD");
    read(head["manifest"].as_str().unwrap())["documents"]
        .as_object()
        .unwrap()
        .len()
}

#[test]
fn publish_writes_the_newest_revision_to_the_origin_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/pub.db", dir.path().display());
    let origin = format!("file://{}/origin", dir.path().display());
    let env = [
        ("STRATA_DATABASE_URL", url.as_str()),
        ("STRATA_ORIGIN", origin.as_str()),
    ];
    let out = ok(&strata(&["publish"], &env));
    assert!(
        out.contains("nothing to publish: no revision was committed yet"),
        "{out}"
    );
    ok(&strata(&["demo", "--without-review"], &env));
    let out = ok(&strata(&["publish"], &env));
    assert!(out.contains("published revision 1 to file://"), "{out}");
    let documents = documents_in(&dir.path().join("origin"));
    assert!(documents > 7, "{documents} documents");
    assert!(
        out.contains(&format!("{documents} documents ({documents} new")),
        "{out}"
    );
    // Each step as it completes, then the summary.
    for step in [
        format!("  revision 1: {documents} documents rendered"),
        format!("  uploaded {documents} new documents and the manifest to file://"),
        "  HEAD names revision 1".to_owned(),
        "  compiled 150 configs in memory (40 tenants resolved again)".to_owned(),
    ] {
        assert!(out.contains(&step), "{step:?} missing in {out}");
    }
    assert!(dir.path().join("origin/HEAD").exists());
    let out = ok(&strata(&["publish"], &env));
    assert!(
        out.contains("nothing to publish: revision 1 is published"),
        "{out}"
    );
}

#[test]
fn init_pull_and_diff_keep_a_local_copy_of_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/copy.db", dir.path().display());
    let origin = format!("file://{}/origin", dir.path().display());
    let env = [
        ("STRATA_DATABASE_URL", url.as_str()),
        ("STRATA_ORIGIN", origin.as_str()),
    ];
    let copy = dir.path().join("copy");
    let copy_arg = copy.to_str().unwrap();

    let nothing = strata(&["init", &origin, copy_arg], &env);
    assert_eq!(nothing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("has no published revision yet"));

    ok(&strata(&["demo", "--without-review"], &env));
    ok(&strata(&["publish"], &env));
    let out = ok(&strata(&["init", &origin, copy_arg], &env));
    assert!(out.contains("copied revision 1"), "{out}");
    assert!(out.contains("every hash checked"), "{out}");
    assert!(copy.join("tenants.json").exists() && copy.join(".strata/manifest.json").exists());
    let out = ok(&strata(&["pull", copy_arg], &env));
    assert!(out.contains("up to date at revision 1"), "{out}");

    // A new revision: diff names it, pull brings it and says what changed.
    let export = dir.path().join("export");
    ok(&strata(&["export", export.to_str().unwrap()], &env));
    let tiers = std::fs::read_to_string(export.join("tiers.json"))
        .unwrap()
        .replace("\"Development\"", "\"Dev and test\"");
    std::fs::write(export.join("tiers.json"), tiers).unwrap();
    ok(&strata(&["import", export.to_str().unwrap()], &env));
    ok(&strata(&["publish"], &env));
    let out = ok(&strata(&["diff", copy_arg], &env));
    assert!(
        out.contains("local copy of revision 1, origin at revision 2"),
        "{out}"
    );
    assert!(out.contains("tiers.json: 1 changed (DEV)"), "{out}");
    let out = ok(&strata(&["pull", copy_arg], &env));
    assert!(out.contains("revision 1 → 2"), "{out}");
    assert!(out.contains("tiers.json: 1 changed (DEV)"), "{out}");
    let out = ok(&strata(&["diff", copy_arg], &env));
    assert!(out.contains("no differences"), "{out}");

    // Local edits are not overwritten unless forced.
    std::fs::write(copy.join("tiers.json"), "{}\n").unwrap();
    let refused = strata(&["pull", copy_arg], &env);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("tiers.json were edited here since revision 2"),
        "{stderr}"
    );
    let out = ok(&strata(&["pull", "--force", copy_arg], &env));
    assert!(out.contains("tiers.json: 3 added"), "{out}");
}

/// Redis for CLI tests, in a database of its own (7), away from the servers of other tests.
fn cli_redis_url() -> String {
    let base = std::env::var("STRATA_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    format!("{}/7", base.trim_end_matches('/'))
}

/// The revision Redis names current for the domain `strata`.
fn current_revision(url: &str) -> Option<i64> {
    use strata_server::redis_cache::{Keys, parse_current};
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    let current: Option<String> = redis::cmd("GET")
        .arg(Keys::new("strata").current())
        .query(&mut conn)
        .unwrap();
    parse_current(&current?).map(|(revision, _)| revision)
}

#[test]
fn cache_rebuild_and_watch_compile_the_origin_into_redis_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cache.db", dir.path().display());
    let origin = format!("file://{}/origin", dir.path().display());
    let redis = cli_redis_url();
    let forget = || {
        let mut conn = redis::Client::open(redis.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        // Database 7 is this test's own.
        let _: () = redis::cmd("FLUSHDB").query(&mut conn).unwrap();
    };
    forget();
    let env = [
        ("STRATA_DATABASE_URL", url.as_str()),
        ("STRATA_ORIGIN", origin.as_str()),
    ];
    let without = strata(&["cache", "rebuild"], &env);
    assert_one_line_error(&without, "STRATA_REDIS_URL", "give --redis-url");

    ok(&strata(&["demo", "--without-review"], &env));
    ok(&strata(&["publish"], &env));
    // No database: the origin alone.
    let origin_only = [
        ("STRATA_DATABASE_URL", "sqlite:///nonexistent/dir/never.db"),
        ("STRATA_ORIGIN", origin.as_str()),
    ];
    let out = ok(&strata(
        &["cache", "rebuild", "--redis-url", &redis, "--tier", "DEV"],
        &origin_only,
    ));
    assert!(
        out.contains("compiled revision 1 of domain strata"),
        "{out}"
    );
    assert_eq!(current_revision(&redis), Some(1));

    // watch follows HEAD.
    let mut watch = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .args([
            "cache",
            "watch",
            "--redis-url",
            &redis,
            "--interval-seconds",
            "1",
        ])
        .env("STRATA_ORIGIN", &origin)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let export = dir.path().join("export");
    ok(&strata(&["export", export.to_str().unwrap()], &env));
    let tiers = std::fs::read_to_string(export.join("tiers.json"))
        .unwrap()
        .replace("\"Staging\"", "\"Pre-production\"");
    std::fs::write(export.join("tiers.json"), tiers).unwrap();
    ok(&strata(&["import", export.to_str().unwrap()], &env));
    ok(&strata(&["publish"], &env));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while current_revision(&redis) != Some(2) {
        assert!(
            std::time::Instant::now() < deadline,
            "watch did not compile revision 2"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    watch.kill().unwrap();
    let _ = watch.wait();
    forget();
}

/// `strata ARGS` with `input` on stdin.
fn strata_with_input(args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
    command
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A database in a fresh directory with the demo domain loaded, and its URL.
fn demo_database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/strata.db", dir.path().display());
    ok(&strata(
        &["demo", "--without-review"],
        &[("STRATA_DATABASE_URL", url.as_str())],
    ));
    (dir, url)
}

/// The environment of commands on the database at `url`, run by the operator `ops`.
fn as_operator(url: &str) -> [(&'static str, &str); 2] {
    [("STRATA_DATABASE_URL", url), ("STRATA_ACTOR", "ops")]
}

#[test]
fn user_commands_add_people_give_roles_and_refuse_bad_input_in_one_line() {
    let (_dir, url) = demo_database();
    let env = as_operator(&url);
    let password = "correct horse battery\n";
    let added = ok(&strata_with_input(
        &["user", "add", "ada", "--role", "admin", "--password-stdin"],
        &env,
        password,
    ));
    assert_eq!(added.trim(), "added ada as a domain admin");
    let editor = ok(&strata_with_input(
        &[
            "user",
            "add",
            "vic",
            "--role",
            "editor",
            "--organization",
            "globex",
            "--display-name",
            "Vic Tor",
        ],
        &env,
        password,
    ));
    assert_eq!(editor.trim(), "added vic as editor of globex");

    let no_org = strata_with_input(&["user", "add", "bob", "--role", "editor"], &env, password);
    assert_one_line_error(&no_org, "strata user", "--role without --organization");
    let short = strata_with_input(&["user", "add", "bob"], &env, "short\n");
    assert_one_line_error(&short, "/password", "at least 12 characters");
    // Someone of that name exists already: a conflict, exit code 3.
    let twice = strata_with_input(&["user", "add", "ada"], &env, password);
    assert_eq!(twice.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("user \"ada\" already exists"));
    let nowhere = strata(&["user", "role", "vic", "initech", "viewer"], &env);
    assert_eq!(nowhere.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&nowhere.stderr)
            .contains("organization \"initech\" does not exist")
    );

    let list = ok(&strata(&["user", "list"], &env));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].starts_with("ada ") && lines[0].ends_with("domain admin"),
        "{list}"
    );
    assert!(
        lines[1].contains("Vic Tor") && lines[1].ends_with("editor of globex"),
        "{list}"
    );

    let withdrawn = ok(&strata(&["user", "role", "vic", "globex", "none"], &env));
    assert_eq!(withdrawn.trim(), "vic no longer has a role in globex");
    ok(&strata(&["user", "disable", "vic"], &env));
    let list = ok(&strata(&["user", "list"], &env));
    assert!(list.lines().nth(1).unwrap().ends_with("disabled"), "{list}");
}

#[test]
fn token_commands_print_the_secret_once_list_uses_and_revoke() {
    let (_dir, url) = demo_database();
    let env = as_operator(&url);
    let created = strata(
        &[
            "token",
            "create",
            "web-live",
            "--tier",
            "LIVE",
            "--deployable",
            "web-api",
        ],
        &env,
    );
    let secret = ok(&created);
    let secret = secret.trim();
    assert!(
        secret.starts_with("strata_") && !secret.contains(' '),
        "{secret}"
    );
    let told = String::from_utf8_lossy(&created.stderr);
    assert!(
        told.contains("created token web-live (reads configs on LIVE; deployables web-api)"),
        "{told}"
    );
    let bot = ok(&strata(
        &[
            "token",
            "create",
            "acme-bot",
            "--organization",
            "acme",
            "--role",
            "editor",
            "--days",
            "7",
        ],
        &env,
    ));
    assert_ne!(bot.trim(), secret);

    let nothing = strata(&["token", "create", "empty"], &env);
    assert_one_line_error(&nothing, "strata token", "--tier T (read configs)");
    let typo = strata(&["token", "create", "typo", "--tier", "LIEV"], &env);
    assert_one_line_error(&typo, "/scope/tiers/0", "tier \"LIEV\" does not exist");
    let long = strata(
        &["token", "create", "long", "--tier", "LIVE", "--days", "400"],
        &env,
    );
    assert_one_line_error(&long, "/days", "from 1 to 366 days");
    let both = strata(
        &[
            "token",
            "create",
            "both",
            "--tier",
            "LIVE",
            "--organization",
            "acme",
            "--role",
            "viewer",
        ],
        &env,
    );
    assert_eq!(
        both.status.code(),
        Some(2),
        "clap refuses --tier with --organization"
    );

    let list = ok(&strata(&["token", "list"], &env));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].starts_with("acme-bot  acts as editor in acme  until "),
        "{list}"
    );
    assert!(
        lines[1].contains("never used") && lines[1].ends_with("(by ops)"),
        "{list}"
    );
    assert!(!list.contains(secret), "the secret is never shown again");

    let revoked = ok(&strata(&["token", "revoke", "web-live"], &env));
    assert!(revoked.starts_with("revoked web-live"), "{revoked}");
    let list = ok(&strata(&["token", "list"], &env));
    assert!(list.lines().nth(1).unwrap().contains("revoked "), "{list}");
    let unknown = strata(&["token", "revoke", "nobody"], &env);
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn a_secret_key_is_made_checked_and_seals_the_demo_in_exports_and_snapshots() {
    let key = ok(&strata(&["secret-key"], &[]));
    let key = key.trim();
    assert_eq!(key.len(), 44, "32 bytes in base64: {key}");
    assert_ne!(ok(&strata(&["secret-key"], &[])).trim(), key);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/strata.db", dir.path().display());
    let origin = format!("file://{}/origin", dir.path().display());
    let bad = strata(
        &["migrate"],
        &[
            ("STRATA_DATABASE_URL", &url),
            ("STRATA_SECRET_KEY", "c2hvcnQ="),
        ],
    );
    assert_one_line_error(&bad, "STRATA_SECRET_KEY", "32 bytes");
    assert!(!String::from_utf8_lossy(&bad.stderr).contains("c2hvcnQ="));

    let env = [
        ("STRATA_DATABASE_URL", url.as_str()),
        ("STRATA_ORIGIN", origin.as_str()),
        ("STRATA_SECRET_KEY", key),
        ("STRATA_ACTOR", "ops"),
    ];
    ok(&strata(&["demo", "--without-review"], &env));
    ok(&strata(&["publish"], &env));
    let export = dir.path().join("export");
    ok(&strata(&["export", export.to_str().unwrap()], &env));
    let mut files = 0;
    let mut pending = vec![export, dir.path().join("origin")];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("acme-berlin-db-password") && !text.contains("live-database-password"),
            "{} holds a secret",
            path.display()
        );
        files += 1;
    }
    assert!(
        files > 10,
        "the export and the origin were read ({files} files)"
    );
    let layers = std::fs::read_to_string(dir.path().join("export/config_layers.json")).unwrap();
    assert!(layers.contains("sealed:v2:tenant/acme-berlin:"), "{layers}");

    let sealed = ok(&strata(&["get", "LIVE", "acme-berlin", "web-api"], &env));
    assert!(
        sealed.contains("\"password\": \"sealed:v2:tenant/acme-berlin:"),
        "{sealed}"
    );
    let lines = ok(&strata(
        &["env", "LIVE", "acme-berlin", "web-api", "--secrets"],
        &env,
    ));
    assert!(
        lines.contains("DATABASE_PASSWORD=acme-berlin-db-password\n")
            && lines.contains("RATE_LIMIT_REQUESTS_PER_SECOND=2000\n"),
        "{lines}"
    );
    let keyless = strata(
        &["env", "LIVE", "acme-berlin", "web-api", "--secrets"],
        &env[..2],
    );
    assert_one_line_error(&keyless, "--secrets", "/database/password");
    let unknown = strata(&["get", "LIVE", "nobody", "web-api"], &env);
    assert_eq!(unknown.status.code(), Some(1));

    let token = strata(
        &["token", "create", "opener", "--tier", "LIVE", "--secrets"],
        &env,
    );
    ok(&token);
    let told = String::from_utf8_lossy(&token.stderr);
    assert!(told.contains("secrets in plain text"), "{told}");
}

#[test]
fn deployable_register_creates_updates_and_refuses_a_schema_that_breaks_tenants() {
    let (dir, url) = demo_database();
    let env = as_operator(&url);
    let file = dir.path().join("deployable.json");
    let file_arg = file.to_str().unwrap();
    let mut audit_log = serde_json::json!({
        "name": "audit-log",
        "display_name": "Audit log",
        "config_schema": {"type": "object", "properties": {"retention_days": {"type": "integer", "minimum": 1}}},
        "default_config": {"retention_days": 30}
    });
    std::fs::write(&file, audit_log.to_string()).unwrap();
    let created = ok(&strata(&["deployable", "register", file_arg], &env));
    assert!(
        created.starts_with("created deployable audit-log (version 1, revision "),
        "{created}"
    );
    let same = ok(&strata(&["deployable", "register", file_arg], &env));
    assert!(same.ends_with("nothing changed\n"), "{same}");
    audit_log["default_config"]["retention_days"] = serde_json::json!(60);
    std::fs::write(&file, audit_log.to_string()).unwrap();
    let updated = ok(&strata(&["deployable", "register", file_arg], &env));
    assert!(
        updated.starts_with("updated deployable audit-log to version 2"),
        "{updated}"
    );

    // web-api allowing fewer requests than acme-berlin's layer sets: refused, each broken
    // config listed.
    let export = dir.path().join("export");
    ok(&strata(&["export", export.to_str().unwrap()], &env));
    let deployables: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(export.join("deployables.json")).unwrap())
            .unwrap();
    let mut web_api = deployables["web-api"].clone();
    web_api["config_schema"]["properties"]["rate_limit"]["properties"]["requests_per_second"]["maximum"] =
        serde_json::json!(1000);
    std::fs::write(&file, web_api.to_string()).unwrap();
    let refused = strata(&["deployable", "register", file_arg], &env);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("  tier LIVE, tenant acme-berlin, deployable web-api: "),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("/rate_limit/requests_per_second: 2000 is greater than the maximum of 1000"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .contains("refused: it would break"),
        "{stderr}"
    );

    std::fs::write(
        &file,
        r#"{"name": "Bad Name", "display_name": "x", "config_schema": {}, "default_config": {}}"#,
    )
    .unwrap();
    let bad = strata(&["deployable", "register", file_arg], &env);
    assert_one_line_error(&bad, "deployable register", "/name");
}

#[test]
fn list_and_history_show_the_domain_in_lines_or_json() {
    let (_dir, url) = demo_database();
    let env = as_operator(&url);
    let tiers = ok(&strata(&["list", "tiers"], &env));
    let keys: Vec<&str> = tiers
        .lines()
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(keys, ["KEY", "DEV", "LIVE", "STAGING"], "{tiers}");
    assert!(
        tiers.lines().skip(1).all(|line| line.contains(" v1 ")),
        "{tiers}"
    );

    let found: serde_json::Value = serde_json::from_str(&ok(&strata(
        &["list", "tenants", "--search", "acme-b", "--json"],
        &env,
    )))
    .unwrap();
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| n.contains("acme-b")),
        "{names:?}"
    );
    assert!(found[0]["version"].as_i64().is_some());
    // Keys as the store has them, also where they join two names.
    let tier_deployables = ok(&strata(&["list", "tier-deployables"], &env));
    assert!(
        tier_deployables.contains("\nLIVE/web-api "),
        "{tier_deployables}"
    );
    let layers = ok(&strata(&["list", "config-layers"], &env));
    assert!(layers.contains("web-api/tier/LIVE"), "{layers}");
    assert_one_line_error(&strata(&["list", "widgets"], &env), "KIND", "no such kind");

    let history = ok(&strata(&["history", "tenants", "acme-berlin"], &env));
    let first = history.lines().nth(1).unwrap_or_default();
    assert!(
        history.starts_with("VERSION ") && first.starts_with("v1 ") && first.contains("  create  "),
        "{history}"
    );
    let versions: serde_json::Value = serde_json::from_str(&ok(&strata(
        &["history", "tenants", "acme-berlin", "--json"],
        &env,
    )))
    .unwrap();
    assert_eq!(versions[0]["operation"], "create");
    assert_eq!(versions[0]["item"]["name"], "acme-berlin");
    let nobody = strata(&["history", "tenants", "nobody"], &env);
    assert_eq!(nobody.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&nobody.stderr),
        "error: tenant \"nobody\" does not exist\n"
    );
}

#[test]
fn a_server_nobody_can_sign_in_to_logs_a_setup_link() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/strata.db", dir.path().display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["serve"])
        .env("STRATA_DATABASE_URL", &url)
        .env(
            "STRATA_ORIGIN",
            format!("file://{}/origin", dir.path().display()),
        )
        .env("STRATA_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(server.stderr.take().unwrap());
    let mut seen = Vec::new();
    let mut link = None;
    for line in stderr.lines() {
        let line = line.unwrap();
        if let Some(at) = line.find("http://127.0.0.1:") {
            link = Some(line[at..].split_whitespace().next().unwrap().to_owned());
            break;
        }
        seen.push(line);
        if seen.len() > 50 {
            break;
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let link = link.unwrap_or_else(|| panic!("no setup link in: {seen:?}"));
    let token = link
        .split_once("/setup?token=")
        .map(|(_, token)| token)
        .unwrap_or_else(|| panic!("{link}"));
    assert_eq!(token.len(), 64, "{link}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{link}");
}

/// The value of `name` once `lines` are loaded by sh (`set -a; . ./file`).
fn sourced(lines: &str, name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("env"), lines).unwrap();
    common::loaded_by_shell("sh", dir.path(), &[name.to_owned()]).remove(0)
}

/// drift-config's everyday commands, one journey that runs the same on a local database and
/// against a server: add, info, edit, view, set, get, env, history, diff and roll back; a
/// duplicate exits 3, a value the schema refuses exits 1 naming the field, bad usage exits 2.
fn everyday_journey(run: &dyn Fn(&[&str]) -> Output) {
    let added = ok(&run(&[
        "tenant",
        "add",
        "name=acme-qa",
        "product=acme-shop",
        "tier=STAGING",
    ]));
    assert!(
        added.starts_with("created tenant acme-qa (version 1, revision "),
        "{added}"
    );
    let info: serde_json::Value =
        serde_json::from_str(&ok(&run(&["tenant", "info", "acme-qa", "--json"]))).unwrap();
    assert_eq!(info["version"], 1);
    // A new tenant starts its life cycle, as in the console.
    assert_eq!(info["state"], "initializing");
    let edited = ok(&run(&["tenant", "edit", "acme-qa", "alias=acme-qa-eu"]));
    assert!(
        edited.starts_with("updated tenant acme-qa to version 2"),
        "{edited}"
    );
    let viewed: serde_json::Value = serde_json::from_str(&ok(&run(&[
        "view",
        "tenants",
        "tier=STAGING",
        "alias=acme-qa-eu",
        "--json",
    ])))
    .unwrap();
    assert_eq!(viewed.as_array().unwrap().len(), 1, "{viewed}");
    assert_eq!(viewed[0]["name"], "acme-qa");
    let shown = ok(&run(&["view", "tenants", "alias=acme-qa-eu"]));
    assert!(
        shown.starts_with("acme-qa\n") && shown.contains("product "),
        "{shown}"
    );
    let listed = ok(&run(&["list", "tenants", "--search", "acme-qa"]));
    assert!(
        listed.starts_with("KEY ") && listed.contains("\nacme-qa "),
        "{listed}"
    );

    let layer = "web-api/tenant/acme-qa";
    let set = ok(&run(&["set", layer, "rate_limit.requests_per_second=500"]));
    assert!(
        set.starts_with("created config layer web-api/tenant/acme-qa (version 1"),
        "{set}"
    );
    let config: serde_json::Value =
        serde_json::from_str(&ok(&run(&["get", "STAGING", "acme-qa", "web-api"]))).unwrap();
    assert_eq!(config["rate_limit"]["requests_per_second"], 500, "{config}");
    let env = ok(&run(&["env", "STAGING", "acme-qa", "web-api"]));
    assert!(
        env.contains("RATE_LIMIT_REQUESTS_PER_SECOND=500\n"),
        "{env}"
    );
    // Ordinary text, in a value and in a reason: accents, CJK, emoji, right-to-left, line
    // breaks, quotes and a shell's special characters, back exactly through get, env and history.
    let text = "Grüß Gott · 東京 · 🚀 · שלום\n\"quoted\" 'single' $HOME `x` # \\ end";
    let reason = "für Berlin — 東京 🚀 שלום\nsecond line";
    ok(&run(&[
        "set",
        layer,
        &format!("database.host={text}"),
        "--reason",
        reason,
    ]));
    let config: serde_json::Value =
        serde_json::from_str(&ok(&run(&["get", "STAGING", "acme-qa", "web-api"]))).unwrap();
    assert_eq!(config["database"]["host"], text);
    let lines = ok(&run(&["env", "STAGING", "acme-qa", "web-api"]));
    assert_eq!(sourced(&lines, "DATABASE_HOST"), text, "{lines}");
    // Without --reason, a multi-line value is set too, and the reason names the key alone.
    ok(&run(&["set", layer, "database.host=one\ntwo"]));
    let entity = "config-layers/web-api/tenant/acme-qa";
    let versions: serde_json::Value =
        serde_json::from_str(&ok(&run(&["history", entity, "--json"]))).unwrap();
    let reasons: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons[1..], [reason, "set database.host"], "{versions}");
    ok(&run(&[
        "set",
        layer,
        "--unset",
        "database.host",
        "--reason",
        "undo",
    ]));

    let set = ok(&run(&[
        "set",
        layer,
        "rate_limit.requests_per_second=600",
        "--reason",
        "more traffic",
    ]));
    assert!(
        set.starts_with("updated config layer web-api/tenant/acme-qa to version 5"),
        "{set}"
    );

    let versions: serde_json::Value =
        serde_json::from_str(&ok(&run(&["history", entity, "--json"]))).unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 5, "{versions}");
    assert_eq!(versions[4]["reason"], "more traffic");
    let diff = ok(&run(&["diff", entity, "4", "5"]));
    assert_eq!(diff, "~ /config/rate_limit/requests_per_second: 600\n");
    let rolled: serde_json::Value =
        serde_json::from_str(&ok(&run(&["rollback", entity, "4", "--json"]))).unwrap();
    assert_eq!(rolled["item"]["version"], 6, "{rolled}");
    assert_eq!(
        rolled["prev"]["config"]["rate_limit"]["requests_per_second"],
        600
    );
    let config: serde_json::Value =
        serde_json::from_str(&ok(&run(&["get", "STAGING", "acme-qa", "web-api"]))).unwrap();
    assert_eq!(config["rate_limit"]["requests_per_second"], 500, "{config}");

    let duplicate = run(&[
        "tenant",
        "add",
        "name=acme-qa",
        "product=acme-shop",
        "tier=STAGING",
    ]);
    assert_eq!(duplicate.status.code(), Some(3), "{duplicate:?}");
    let refused = run(&["set", layer, "rate_limit.requests_per_second=0"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("/rate_limit/requests_per_second"),
        "{stderr}"
    );
    let versions: serde_json::Value =
        serde_json::from_str(&ok(&run(&["history", entity, "--json"]))).unwrap();
    assert_eq!(
        versions.as_array().unwrap().len(),
        6,
        "nothing was written: {versions}"
    );
    assert_eq!(run(&["tenant", "add"]).status.code(), Some(2));
    let unknown = run(&["history", "tenants/nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr),
        "error: tenant \"nobody\" does not exist\n"
    );
}

/// `strata set DEPLOYABLE/default …`, by someone who may change what every organization
/// shares: the deployable's default config, as a new version of the deployable.
fn default_layer_journey(run: &dyn Fn(&[&str]) -> Output) {
    let set = ok(&run(&["set", "web-api/default", "log_level=warn"]));
    assert!(
        set.starts_with("updated deployable web-api to version 2"),
        "{set}"
    );
    let versions: serde_json::Value =
        serde_json::from_str(&ok(&run(&["history", "deployables/web-api", "--json"]))).unwrap();
    assert_eq!(versions[1]["reason"], "set log_level", "{versions}");
    let diff = ok(&run(&["diff", "deployables/web-api", "1", "2"]));
    assert_eq!(diff, "~ /default_config/log_level: warn\n");
}

#[test]
fn everyday_commands_work_on_a_local_database() {
    let (_dir, url) = demo_database();
    let env = as_operator(&url);
    everyday_journey(&|args| strata(args, &env));
    default_layer_journey(&|args| strata(args, &env));
    let history = ok(&strata(&["history", "tenants/acme-qa"], &env));
    assert!(
        history.contains("  ops  "),
        "the operator is the actor: {history}"
    );
}

#[test]
fn everyday_commands_work_against_a_server_with_a_token() {
    use strata_domain::access::Role;
    use strata_domain::token::TokenScope;
    use strata_store::access::{Actor, NewToken};

    /// A token of `scope` on the server's database, and its secret.
    async fn token(server: &common::TestApp, name: &str, scope: TokenScope) -> String {
        let store = server.db.store().await;
        let (_, secret) = store
            .create_token(
                &Actor::operator("root"),
                NewToken {
                    name,
                    scope,
                    days: 1,
                },
            )
            .await
            .unwrap();
        secret
    }

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async { common::test_server().await.with_demo().await });
    let acme_admin = TokenScope::Act {
        organization: "acme".into(),
        role: Role::Admin,
    };
    let secret = runtime.block_on(token(&server, "cli-bot", acme_admin));
    let env = [
        ("STRATA_SERVER", server.address.as_str()),
        ("STRATA_TOKEN", secret.as_str()),
    ];
    everyday_journey(&|args| strata(args, &env));
    let history = ok(&strata(&["history", "tenants/acme-qa"], &env));
    assert!(
        history.contains("  token:cli-bot  "),
        "the token is the actor: {history}"
    );

    // Deployables from a service's CI, and a publication followed to its end.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit-log.json");
    std::fs::write(
        &file,
        r#"{"name": "audit-log", "display_name": "Audit log", "config_schema": {"type": "object"}, "default_config": {}}"#,
    )
    .unwrap();
    // Deployables are the domain's: an organization's token may not register one; a service's
    // CI registers with a token that acts as a domain admin.
    let file = file.to_str().unwrap();
    let refused = strata(&["deployable", "register", file], &env);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("token:cli-bot may not"), "{stderr}");
    let ci = runtime.block_on(token(&server, "ci", TokenScope::Admin));
    let as_ci = [env[0], ("STRATA_TOKEN", ci.as_str())];
    default_layer_journey(&|args| strata(args, &as_ci));
    // An organization's token may not change what every organization shares.
    let refused = strata(&["set", "web-api/default", "log_level=debug"], &env);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let created = ok(&strata(&["deployable", "register", file], &as_ci));
    assert!(
        created.starts_with("created deployable audit-log (version 1"),
        "{created}"
    );
    let same = ok(&strata(&["deployable", "register", file], &as_ci));
    assert!(same.ends_with("nothing changed\n"), "{same}");

    // A read token with the secrets scope reads a config with its secrets opened.
    let reader = runtime.block_on(token(
        &server,
        "reader",
        TokenScope::Read {
            tiers: vec!["LIVE".into()],
            tenants: vec![],
            deployables: vec![],
            secrets: true,
        },
    ));
    let as_reader = [env[0], ("STRATA_TOKEN", reader.as_str())];
    let lines = ok(&strata(
        &["env", "LIVE", "acme-berlin", "web-api", "--secrets"],
        &as_reader,
    ));
    assert!(
        lines.contains("DATABASE_PASSWORD=acme-berlin-db-password\n"),
        "{lines}"
    );
    let sealed = ok(&strata(&["get", "LIVE", "acme-berlin", "web-api"], &env));
    assert!(
        sealed.contains("\"password\": \"sealed:v2:tenant/acme-berlin:"),
        "{sealed}"
    );
    // A read token reads configs through get and env without --secrets too, secrets sealed,
    // whether or not it may open them.
    let plain_reader = runtime.block_on(token(
        &server,
        "plain-reader",
        TokenScope::Read {
            tiers: vec!["LIVE".into()],
            tenants: vec![],
            deployables: vec![],
            secrets: false,
        },
    ));
    for read_token in [&plain_reader, &reader] {
        let as_read = [env[0], ("STRATA_TOKEN", read_token.as_str())];
        let lines = ok(&strata(
            &["env", "LIVE", "acme-berlin", "web-api"],
            &as_read,
        ));
        assert!(lines.contains("DATABASE_PASSWORD="), "{lines}");
        assert!(lines.contains("sealed:v2:tenant/acme-berlin:"), "{lines}");
        assert!(!lines.contains("acme-berlin-db-password"), "{lines}");
        let json = ok(&strata(
            &["get", "LIVE", "acme-berlin", "web-api"],
            &as_read,
        ));
        assert!(json.contains("\"password\": \"sealed:v2:"), "{json}");
    }

    // A secret set without --reason: no reason, history or audit row quotes it.
    let secret_value = "a-secret-from-the-cli-Ω";
    let layer = "web-api/tenant/acme-berlin";
    ok(&strata(
        &["set", layer, &format!("database.password={secret_value}")],
        &env,
    ));
    let history = ok(&strata(
        &[
            "history",
            "config-layers/web-api/tenant/acme-berlin",
            "--json",
        ],
        &env,
    ));
    assert!(!history.contains(secret_value), "{history}");
    assert!(history.contains("\"set database.password\""), "{history}");
    let audit = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/api/v1/audit?limit=200", server.address))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(audit.contains("set database.password"), "{audit}");
    assert!(
        !audit.contains(secret_value),
        "the audit trail quotes no secret"
    );

    // Six people set six keys of one layer at once: each read the same version, and each
    // write is merged into the others' (a three-way merge), so every key lands.
    let assignments = [
        "database.pool_size=20",
        "database.tls=true",
        "rate_limit.burst=7",
        "rate_limit.requests_per_second=900",
        "log_level=debug",
        "cors_origins=[\"https://a.example\"]",
    ];
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let runs: Vec<_> = assignments
            .iter()
            .map(|kv| scope.spawn(|| strata(&["set", "web-api/tenant/acme-madrid", kv], &env)))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for output in &outputs {
        ok(output);
    }
    let stored: serde_json::Value = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!(
                "{}/api/v1/config-layers/web-api%2Ftenant%2Facme-madrid",
                server.address
            ))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let config = &stored["item"]["config"];
    assert_eq!(
        (
            &config["database"]["pool_size"],
            &config["database"]["tls"],
            &config["rate_limit"]["burst"],
            &config["rate_limit"]["requests_per_second"],
            &config["log_level"],
            &config["cors_origins"][0],
        ),
        (
            &json!(20),
            &json!(true),
            &json!(7),
            &json!(900),
            &json!("debug"),
            &json!("https://a.example"),
        ),
        "{stored}"
    );

    // Steps it saw on the way ("revision N is publishing") come first; the outcome is last.
    let published = ok(&strata(&["publish"], &env));
    let outcome = published.lines().last().unwrap_or_default();
    assert!(outcome.starts_with("published revision "), "{published}");

    let wrong = strata(
        &["list", "tiers"],
        &[env[0], ("STRATA_TOKEN", "st_nonsense")],
    );
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let local_only = strata(&["export", "x"], &env);
    assert_eq!(local_only.status.code(), Some(1));
}

/// The same input refused through the console, the API and the command line gets the same
/// rule at the same field: the rules are the store's and the domain's, which all three call.
#[test]
fn the_console_the_api_and_the_command_line_refuse_the_same_input_alike() {
    use serde_json::Value;
    use strata_domain::token::TokenScope;
    use strata_store::access::{Actor, NewToken};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async { common::test_server().await.with_demo().await });
    let console = runtime.block_on(common::signed_in(&server.address, &server.db));
    let secret = runtime.block_on(async {
        let store = server.db.store().await;
        let (_, secret) = store
            .create_token(
                &Actor::operator("root"),
                NewToken {
                    name: "same-rules",
                    scope: TokenScope::Admin,
                    days: 1,
                },
            )
            .await
            .unwrap();
        secret
    });
    let env = [
        ("STRATA_SERVER", server.address.as_str()),
        ("STRATA_TOKEN", secret.as_str()),
    ];
    let address = &server.address;
    let post_form = |endpoint: &str, args: &[(&str, String)]| -> Value {
        runtime.block_on(async {
            let answer = console
                .post(format!("{address}/api/{endpoint}"))
                .form(args)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200, "{endpoint}");
            answer.json().await.unwrap()
        })
    };
    let api = |method: reqwest::Method, path: &str, body: Value| -> Value {
        runtime.block_on(async {
            let answer = console
                .request(method, format!("{address}{path}"))
                .header("strata-reason", "same rules")
                .header("if-match", "\"0\"")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_client_error(), "{path}");
            answer.json().await.unwrap()
        })
    };
    let cli_error = |args: &[&str]| -> String {
        let output = strata(args, &env);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        stderr.lines().next().unwrap_or_default().to_owned()
    };

    // A tenant whose name breaks the naming rule.
    let tenant = json!({"name": "Acme Berlin", "product": "acme-shop", "tier": "LIVE",
        "alias": null, "termination_protection": false, "state": "initializing"});
    let in_console = post_form(
        "save",
        &[
            ("kind", "tenant".into()),
            ("creating", "true".into()),
            ("version", "0".into()),
            ("document", tenant.to_string()),
            ("reason", "same rules".into()),
        ],
    );
    let in_api = api(reqwest::Method::POST, "/api/v1/tenants", tenant);
    let in_cli = cli_error(&[
        "tenant",
        "add",
        "name=Acme Berlin",
        "product=acme-shop",
        "tier=LIVE",
    ]);
    let rule = in_api["error"]["details"][0]["rule"].as_str().unwrap();
    assert_eq!(in_api["error"]["details"][0]["field"], "/name");
    assert_eq!(in_console["Invalid"][0]["field"], "/name", "{in_console}");
    assert_eq!(in_console["Invalid"][0]["rule"], rule, "{in_console}");
    assert_eq!(in_cli, format!("error: /name: {rule}"));

    // A layer at a scope that is not one: the layer rule is the store's, for all three.
    let in_console = post_form(
        "layer-save",
        &[
            ("deployable", "web-api".into()),
            ("kind", "galaxy".into()),
            ("name", "far".into()),
            ("version", "0".into()),
            ("config", "{}".into()),
            ("reason", "same rules".into()),
        ],
    );
    let in_api = api(
        reqwest::Method::PUT,
        "/api/v1/layers/web-api/galaxy/far",
        json!({"config": {}}),
    );
    let in_cli = cli_error(&["set", "web-api/galaxy/far", "log_level=warn"]);
    let rule = in_api["error"]["details"][0]["rule"].as_str().unwrap();
    assert_eq!(in_api["error"]["details"][0]["field"], "/scope/kind");
    assert_eq!(in_console["Invalid"][0]["field"], "/scope/kind");
    assert_eq!(in_console["Invalid"][0]["rule"], rule, "{in_console}");
    assert_eq!(in_cli, format!("error: /scope/kind: {rule}"));

    // The default layer (the deployable's default config) set to a value its schema refuses.
    let loud = json!({"database": {"host": "localhost", "port": 5432, "pool_size": 10, "tls": false},
        "rate_limit": {"requests_per_second": 100, "burst": 50},
        "log_level": "loud", "cors_origins": []});
    let in_console = post_form(
        "layer-save",
        &[
            ("deployable", "web-api".into()),
            ("kind", "default".into()),
            ("name", String::new()),
            ("version", "1".into()),
            ("config", loud.to_string()),
            ("reason", "same rules".into()),
        ],
    );
    let in_cli = cli_error(&["set", "web-api/default", "log_level=loud"]);
    let field = in_console["Invalid"][0]["field"].as_str().unwrap();
    let rule = in_console["Invalid"][0]["rule"].as_str().unwrap();
    assert_eq!(field, "/default_config/log_level", "{in_console}");
    assert_eq!(in_cli, format!("error: {field}: {rule}"));
    let in_api = runtime.block_on(async {
        let answer = console
            .put(format!("{address}/api/v1/layers/web-api/default"))
            .header("strata-reason", "same rules")
            .header("if-match", "\"1\"")
            .json(&json!({"config": loud}))
            .send()
            .await
            .unwrap();
        answer.json::<Value>().await.unwrap()
    });
    assert_eq!(in_api["error"]["details"][0]["field"], field, "{in_api}");
    assert_eq!(in_api["error"]["details"][0]["rule"], rule, "{in_api}");
}
