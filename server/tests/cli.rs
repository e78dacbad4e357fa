//! The `strata` command line: its help, `migrate`, and what it says about bad settings:
//! one line naming the variable, exit code 1, no panic.

use std::process::{Command, Output};

fn strata(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_remove("STRATA_DATABASE_URL")
        .env_remove("STRATA_ORIGIN")
        .env_remove("STRATA_REDIS_URL")
        .env_remove("STRATA_ADDR")
        .env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

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
    for subcommand in ["serve", "migrate"] {
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
