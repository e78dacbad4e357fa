//! Env files as loaders read them back: every value of the hostile-text corpus (and a PEM key)
//! written as environment lines in each style, then loaded by `sh` (`set -a; . ./file`), bash,
//! python-dotenv and `docker create --env-file`; each value must come back exactly wherever the
//! style promises it (docs/ENV-FILES.md), and the test prints how many did per loader.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use strata_domain::compile::{EnvStyle, dotenv_bare, to_env};

/// The corpus's values, escapes decoded; NUL, which no environment can hold, left out.
fn corpus() -> Vec<String> {
    let text = include_str!("../../../end2end/tests/hostile-text.txt");
    let mut values: Vec<String> = text
        .lines()
        .filter(|line| !line.starts_with("# ") && !line.is_empty())
        .map(decode)
        .filter(|value| !value.contains('\0'))
        .collect();
    values.push(
        "-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEA\n-----END PRIVATE KEY-----\n"
            .to_owned(),
    );
    values.push("it's $5 and \\ a backslash".to_owned());
    values.push(String::new());
    values
}

/// The corpus's escapes: `\n`, `\t`, `\0`, `\\` and `\u{XXXX}`.
fn decode(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let code: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&code, 16).unwrap()).unwrap());
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn config(values: &[String]) -> Value {
    let members: Map<String, Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("v{i:02}"), Value::String(v.clone())))
        .collect();
    Value::Object(members)
}

/// The variables a shell sees after `set -a; . ./env`, for names V00…
fn shell(program: &str, dir: &Path, count: usize) -> BTreeMap<String, String> {
    let names: Vec<String> = (0..count).map(|i| format!("V{i:02}")).collect();
    let values = common::loaded_by_shell(program, dir, &names);
    names.into_iter().zip(values).collect()
}

fn tools() -> PathBuf {
    PathBuf::from(
        std::env::var("STRATA_TOOLS")
            .unwrap_or_else(|_| format!("{}/.cache/strata/tools", std::env::var("HOME").unwrap())),
    )
}

/// What python-dotenv's `dotenv_values` reads from the file.
fn dotenv(dir: &Path, interpolate: bool) -> BTreeMap<String, String> {
    let python = tools().join("dotenv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/bootstrap test installs python-dotenv",
        python.display()
    );
    let out = Command::new(python)
        .arg("-c")
        .arg(format!(
            "import json, sys; from dotenv import dotenv_values; \
             json.dump(dotenv_values('env', interpolate={}), sys.stdout)",
            if interpolate { "True" } else { "False" }
        ))
        .current_dir(dir)
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: BTreeMap<String, Option<String>> = serde_json::from_slice(&out.stdout).unwrap();
    read.into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

/// What `docker create --env-file` sends the daemon, read by a stand-in daemon.
fn docker(dir: &Path) -> BTreeMap<String, String> {
    let socket = dir.join("docker.sock");
    let recorded = dir.join("env.json");
    let mut daemon = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/tools/docker_daemon.py"
        ))
        .arg(&socket)
        .arg(&recorded)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(daemon.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    let out = Command::new("docker")
        .args(["create", "--env-file", "env", "strata-env-file-test"])
        .current_dir(dir)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env("DOCKER_CONFIG", dir.join("docker-config"))
        .output()
        .expect("the docker command line is on this machine");
    let started = Instant::now();
    while !recorded.exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    let sent = std::fs::read(&recorded).unwrap_or_else(|_| {
        panic!(
            "docker sent no container: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let lines: Vec<String> = serde_json::from_slice(&sent).unwrap();
    lines
        .into_iter()
        .map(|line| {
            let (k, v) = line.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// How many of `values` came back exactly; asserts those `promised` did.
fn check(
    loader: &str,
    values: &[String],
    read: &BTreeMap<String, String>,
    promised: impl Fn(&str) -> bool,
) -> usize {
    let mut exact = 0;
    for (i, value) in values.iter().enumerate() {
        let got = read.get(&format!("V{i:02}"));
        if got == Some(value) {
            exact += 1;
        } else {
            assert!(
                !promised(value),
                "{loader}: V{i:02} = {value:?} came back as {got:?}"
            );
        }
    }
    exact
}

/// A value sh's style leaves in sh's own `'\''` form, which dotenv readers cannot read.
fn sh_only(value: &str) -> bool {
    value.contains(['\'', '\\']) && value.contains(['$', '`'])
}

/// A value python-dotenv cannot read quoted: a backslash just before the closing quote.
fn ends_in_backslash(value: &str) -> bool {
    value.ends_with('\\')
}

#[test]
fn env_files_load_back_exactly_in_sh_bash_python_dotenv_and_docker() {
    let values = corpus();
    let config = config(&values);
    let n = values.len();
    let dir = tempfile::tempdir().unwrap();
    let write = |style| {
        let text = to_env(&config, style);
        std::fs::write(
            dir.path().join("env"),
            text.as_ref().map_or("", String::as_str),
        )
        .unwrap();
        text
    };
    let mut figures = Vec::new();

    write(EnvStyle::Sh).unwrap();
    for program in ["sh", "bash"] {
        let exact = check(program, &values, &shell(program, dir.path(), n), |_| true);
        figures.push(format!("style=sh, {program}: {exact}/{n}"));
    }
    let exact = check("dotenv", &values, &dotenv(dir.path(), false), |v| {
        !sh_only(v) && !ends_in_backslash(v)
    });
    figures.push(format!(
        "style=sh, python-dotenv (interpolate=False): {exact}/{n}"
    ));

    write(EnvStyle::Dotenv).unwrap();
    let readable = |v: &str| !ends_in_backslash(v) || dotenv_bare(v);
    let exact = check("dotenv", &values, &dotenv(dir.path(), false), readable);
    figures.push(format!(
        "style=dotenv, python-dotenv (interpolate=False): {exact}/{n}"
    ));
    let exact = check("dotenv", &values, &dotenv(dir.path(), true), |v| {
        readable(v) && !v.contains("${")
    });
    figures.push(format!(
        "style=dotenv, python-dotenv (default, interpolating): {exact}/{n}"
    ));

    // Docker takes each line as it is: values with a line break cannot be written at all.
    let refused = write(EnvStyle::Docker).unwrap_err();
    assert!(refused.why.contains("line break"), "{refused}");
    let one_line: Vec<String> = values
        .iter()
        .filter(|v| !v.contains(['\n', '\r']))
        .cloned()
        .collect();
    let text = to_env(&self::config(&one_line), EnvStyle::Docker).unwrap();
    std::fs::write(dir.path().join("env"), text).unwrap();
    let exact = check("docker", &one_line, &docker(dir.path()), |_| true);
    figures.push(format!(
        "style=docker, docker create --env-file: {exact}/{} ({} with line breaks refused)",
        one_line.len(),
        n - one_line.len()
    ));
    println!("env files read back exactly:\n  {}", figures.join("\n  "));
}
