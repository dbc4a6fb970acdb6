//! A throwaway GCP Secret Manager emulator for integration tests.
//!
//! [`GcpEmulator::start`] runs `server-dual` from
//! `github.com/blackwell-systems/gcp-secret-manager-emulator` (gRPC plus the REST/JSON
//! gateway that Google's Rust client speaks) on two free ports and returns once the REST
//! port answers `/health`. State is in memory; dropping the value kills the server.
//!
//! The binary is looked up in `$(go env GOPATH)/bin`, then `PATH`. Only the emulator's
//! REST-capable releases (v1.x) have `server-dual`; see [`INSTALL`] for the command.

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::process::{
    Failure, POLL_INTERVAL, START_TIMEOUT, Watchdog, find_binary, free_port, log_tail,
    make_temp_dir, start_retrying,
};

/// How to install the emulator binary.
pub const INSTALL: &str = "go install \
    github.com/blackwell-systems/gcp-secret-manager-emulator/cmd/server-dual@v1.3.0";

/// A running emulator; killed on drop.
pub struct GcpEmulator {
    dir: PathBuf,
    log: PathBuf,
    http_port: u16,
    child: Child,
    watchdog: Watchdog,
}

impl GcpEmulator {
    /// Starts an emulator, blocking until its REST gateway answers (well under a second).
    ///
    /// # Panics
    /// If `server-dual` is missing (with the command that installs it) or the emulator
    /// does not come up (with the tail of its log).
    pub fn start() -> GcpEmulator {
        let binary = find_binary(
            &["server-dual"],
            &go_bin_dir().into_iter().collect::<Vec<_>>(),
        )
        .unwrap_or_else(|| {
            panic!(
                "the GCP Secret Manager emulator (server-dual) is not installed; run `{INSTALL}`"
            )
        });
        start_retrying("GCP Secret Manager emulator", || {
            let dir = make_temp_dir("gcp-emulator", None);
            let log = dir.join("emulator.log");
            let (grpc_port, http_port) = (free_port(), free_port());
            let log_file =
                fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
            let child = Command::new(&binary)
                .arg(format!("--grpc-port={grpc_port}"))
                .arg(format!("--http-port={http_port}"))
                .current_dir(&dir)
                .stdout(log_file.try_clone().expect("clone the log file handle"))
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("run {}: {e}; install with `{INSTALL}`", binary.display())
                });
            let watchdog = Watchdog::spawn(child.id(), "TERM", &dir);
            let mut emulator = GcpEmulator {
                dir,
                log,
                http_port,
                child,
                watchdog,
            };
            emulator.wait_ready()?;
            Ok(emulator)
        })
    }

    fn wait_ready(&mut self) -> Result<(), Failure> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = log_tail(&self.log, 40);
                return Err(if log.contains("address already in use") {
                    Failure::PortTaken
                } else {
                    Failure::Other(format!("the emulator exited with {status}:\n{log}"))
                });
            }
            if self.healthy() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Failure::Other(format!(
                    "the emulator did not answer /health within {START_TIMEOUT:?}:\n{}",
                    log_tail(&self.log, 40)
                )));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Whether `GET /health` on the REST port answers 200.
    fn healthy(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.http_port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        let mut answer = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.split_whitespace().nth(1) == Some("200")
    }

    /// The REST endpoint, `http://127.0.0.1:{port}`, for the client's endpoint override.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }
}

/// `$(go env GOPATH)/bin`, where `go install` puts binaries.
fn go_bin_dir() -> Option<PathBuf> {
    let output = Command::new("go").args(["env", "GOPATH"]).output().ok()?;
    let gopath = String::from_utf8(output.stdout).ok()?;
    let first = gopath.trim().split(':').next()?;
    (!first.is_empty()).then(|| PathBuf::from(first).join("bin"))
}

impl Drop for GcpEmulator {
    fn drop(&mut self) {
        self.watchdog.disarm();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- GCP emulator log ---\n{}", log_tail(&self.log, 200));
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl fmt::Debug for GcpEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcpEmulator")
            .field("endpoint", &self.endpoint())
            .finish_non_exhaustive()
    }
}
