//! Measures the server at scale (not a test) and prints the figures, for each tenant count
//! given (10,000 and 100,000 unless given), side by side in one run:
//!
//! - a domain of TENANTS tenants × 10 deployables is imported into a SQLite file and
//!   published to a directory origin;
//! - the release `strata serve` is started on them: the time until it answers a config read
//!   (from the process's start: opening the store, loading the origin's revision, compiling
//!   it), and its resident memory then;
//! - `wrk -t2 -c32 -d10s` reads configs of tenants and deployables picked at random, with a
//!   read token, and the server's peak memory after.
//!
//! Run: `cargo build --release -p strata-server --bin strata --example serve_benchmark`, then
//! `$CARGO_TARGET_DIR/release/examples/serve_benchmark [TENANTS…]` (needs `wrk`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use strata_server::origin::{DirectoryOrigin, Origin};
use strata_server::publisher::{Outcome, Publisher};
use strata_server::served::Served;
use strata_store::test_support::{benchmark_machine, process_memory, seed_large_domain};
use strata_store::{DatabaseUrl, Store};

struct Figures {
    tenants: usize,
    configs: usize,
    start: Duration,
    rss_started: u64,
    rss_peak: u64,
    requests_per_second: f64,
    p50: String,
    p99: String,
}

#[tokio::main]
async fn main() {
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let counts = if counts.is_empty() {
        vec![10_000, 100_000]
    } else {
        counts
    };
    let strata = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .map(|release| release.join("strata"))
        .filter(|path| path.exists())
        .expect("the strata binary beside examples/ (cargo build --release --bin strata)");
    println!(
        "strata serve benchmark: {}, SQLite store, directory origin, wrk -t2 -c32 -d10s over random tenants and deployables",
        benchmark_machine()
    );
    let mut all = Vec::new();
    for (i, tenants) in counts.into_iter().enumerate() {
        let figures = measure(&strata, tenants, 39_100 + i as u16).await;
        println!(
            "{} tenants ({} configs): serving {:.2} s after start, RSS {} MB then, {} MB at most; {:.0} req/s, p50 {}, p99 {}",
            figures.tenants,
            figures.configs,
            figures.start.as_secs_f64(),
            figures.rss_started >> 20,
            figures.rss_peak >> 20,
            figures.requests_per_second,
            figures.p50,
            figures.p99
        );
        all.push(figures);
    }
    if let [first, .., last] = &all[..] {
        println!(
            "{} → {} tenants: start ×{:.1}, peak RSS ×{:.1}, req/s ×{:.2}",
            first.tenants,
            last.tenants,
            last.start.as_secs_f64() / first.start.as_secs_f64(),
            last.rss_peak as f64 / first.rss_peak as f64,
            last.requests_per_second / first.requests_per_second
        );
    }
}

async fn measure(strata: &Path, tenants: usize, port: u16) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/strata.db", dir.path().display());
    let origin_dir = dir.path().join("origin");
    // The domain, imported and published as a running server would have published it.
    let store = Store::connect(&DatabaseUrl::parse(&database).unwrap())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    seed_large_domain(&store, tenants).await;
    let served = Served::default();
    let publisher = Publisher::new(
        store.clone(),
        Origin::Directory(DirectoryOrigin::new(&origin_dir)),
        "benchmark",
        served.clone(),
    );
    let Some(Outcome::Published { .. }) = publisher.publish_next().await.unwrap() else {
        panic!("the publication failed");
    };
    let configs = served.current().map_or(0, |c| c.len());
    drop((publisher, served));
    store.close().await;

    let env = |command: &mut Command| {
        command
            .env("STRATA_DATABASE_URL", &database)
            .env("STRATA_ORIGIN", format!("file://{}", origin_dir.display()))
            .env("STRATA_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", dir.path())
            .env("RUST_LOG", "warn")
            .env_remove("STRATA_REDIS_URL");
    };
    let output = |command: &mut Command| {
        let out = command.output().unwrap();
        assert!(out.status.success(), "{command:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let key = output(Command::new(strata).arg("secret-key"));
    let mut token = Command::new(strata);
    token.args(["token", "create", "bench-serve", "--tier", "LIVE"]);
    env(&mut token);
    token.env("STRATA_SECRET_KEY", &key);
    let token = output(&mut token);

    let mut serve = Command::new(strata);
    serve
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    env(&mut serve);
    serve.env("STRATA_SECRET_KEY", &key);
    let started = Instant::now();
    let server = Server(serve.spawn().unwrap());
    let client = reqwest::Client::new();
    let url = |t: usize, d: usize| {
        format!("http://127.0.0.1:{port}/api/v1/config/LIVE/big-t{t:05}/service-{d}")
    };
    let last = url(tenants - 1, 9);
    loop {
        let answer = client.get(&last).bearer_auth(&token).send().await;
        if answer.is_ok_and(|a| a.status().is_success()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the server did not serve within 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let start = started.elapsed();
    let rss_started = process_memory(&server.0.id().to_string(), "VmRSS");

    // Each request a tenant and a deployable picked at random.
    let script = dir.path().join("random.lua");
    std::fs::write(
        &script,
        format!(
            r#"wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  local path = string.format("/api/v1/config/LIVE/big-t%05d/service-%d", math.random(0, {}), math.random(0, 9))
  return wrk.format("GET", path)
end
"#,
            tenants - 1
        ),
    )
    .unwrap();
    let wrk = Command::new("wrk")
        .args(["-t2", "-c32", "-d10s", "--latency", "-s"])
        .arg(&script)
        .arg(url(0, 0))
        .output()
        .expect("wrk (apt-get install wrk)");
    let out = String::from_utf8_lossy(&wrk.stdout).into_owned();
    let field = |prefix: &str| {
        out.lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| panic!("wrk printed no {prefix:?}: {out}"))
    };
    assert!(
        !out.contains("Non-2xx"),
        "some reads were refused or missing: {out}"
    );
    let figures = Figures {
        tenants,
        configs,
        start,
        rss_started,
        rss_peak: process_memory(&server.0.id().to_string(), "VmHWM"),
        requests_per_second: field("Requests/sec:").parse().unwrap(),
        p50: field("50%"),
        p99: field("99%"),
    };
    drop(server);
    figures
}

/// The server, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
