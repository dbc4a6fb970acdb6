//! A throwaway moto server (AWS emulator) for integration tests.
//!
//! [`Moto::start`] runs `moto_server` on a free port on 127.0.0.1 and returns once it
//! answers; dropping the value stops it and deletes its temp dir (which holds its log).
//! moto keeps its state per account and region in memory, and is slow to start (a
//! Python process), so a test binary normally shares one server through
//! [`Moto::shared`] and gives every test its own names. The server accepts any
//! credentials; [`Moto::ACCESS_KEY_ID`] and [`Moto::SECRET_ACCESS_KEY`] are the dummy ones
//! tests use, in [`Moto::REGION`].
//!
//! ```no_run
//! use ironsecrets_testkit::services::moto::Moto;
//!
//! let moto = Moto::shared();
//! // hand `moto.endpoint()` to an AWS client as its endpoint URL, or use boto3:
//! moto.boto3("import boto3; boto3.client('secretsmanager').create_secret(Name='a', SecretString='b')", &[]);
//! ```
//!
//! `moto_server` and boto3 come from `pip install 'moto[server]'` (found on `PATH`; a
//! missing one panics saying so).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use super::process::{
    Failure, POLL_INTERVAL, START_TIMEOUT, Watchdog, find_binary, free_port, log_tail,
    make_temp_dir, port_accepts, server_command, start_retrying,
};

/// What a missing `moto_server` or boto3 tells the reader to do.
const INSTALL_HINT: &str = "install it with `pip install 'moto[server]'` or run `cargo xtask ci`";

/// A running moto server; stopped and its dir deleted on drop.
pub struct Moto {
    dir: PathBuf,
    log: PathBuf,
    port: u16,
    child: Child,
    watchdog: Watchdog,
}

impl Moto {
    /// The region tests use.
    pub const REGION: &'static str = "us-east-1";
    /// The dummy access key id tests use (moto accepts any).
    pub const ACCESS_KEY_ID: &'static str = "testing";
    /// The dummy secret access key tests use.
    pub const SECRET_ACCESS_KEY: &'static str = "testing";

    /// Starts a server, blocking until it accepts connections (a second or two).
    ///
    /// # Panics
    /// If `moto_server` is missing (saying how to install it) or does not come up (with
    /// the tail of its log).
    pub fn start() -> Moto {
        let binary = find_binary(&["moto_server"], &[])
            .unwrap_or_else(|| panic!("moto_server not found on PATH; {INSTALL_HINT}"));
        start_retrying("moto", || Moto::try_start(&binary))
    }

    /// One server for the whole test process, started on first use. The watchdog stops
    /// it when the process exits.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    fn try_start(binary: &Path) -> Result<Moto, Failure> {
        let dir = make_temp_dir("moto", None);
        let log = dir.join("moto.log");
        let port = free_port();
        let log_file =
            fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let child = server_command(binary, None, &dir)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(log_file.try_clone().expect("clone the log file handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}; {INSTALL_HINT}", binary.display()));
        let watchdog = Watchdog::spawn(child.id(), "TERM", &dir);
        let mut server = Moto {
            dir,
            log,
            port,
            child,
            watchdog,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if port_accepts(port) {
                return Ok(server);
            }
            if let Ok(Some(_)) = server.child.try_wait() {
                let tail = log_tail(&server.log, 40);
                drop(server);
                return Err(if tail.contains("Address already in use") {
                    Failure::PortTaken
                } else {
                    Failure::Other(format!("moto_server exited at start; log tail:\n{tail}"))
                });
            }
            if Instant::now() >= deadline {
                let tail = log_tail(&server.log, 40);
                return Err(Failure::Other(format!(
                    "moto_server did not listen on 127.0.0.1:{port}; log tail:\n{tail}"
                )));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// `http://127.0.0.1:<port>`: the endpoint URL for every AWS service.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The environment an AWS SDK or CLI needs to talk to this server: endpoint, region
    /// and the dummy credentials.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", Moto::REGION.to_owned()),
            ("AWS_DEFAULT_REGION", Moto::REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", Moto::ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", Moto::SECRET_ACCESS_KEY.to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
    }

    /// Runs a Python script (`python3 -c script args...`) with boto3 pointed at this
    /// server through [`Moto::env`]; returns its stdout without the trailing newline.
    ///
    /// # Panics
    /// If the script fails, with its stderr.
    pub fn boto3(&self, script: &str, args: &[&str]) -> String {
        let output = Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .envs(self.env())
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run python3: {e}; {INSTALL_HINT}"));
        assert!(
            output.status.success(),
            "boto3 script failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let mut out = String::from_utf8_lossy(&output.stdout).into_owned();
        while out.ends_with('\n') {
            out.pop();
        }
        out
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.watchdog.disarm();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- moto log ---\n{}", log_tail(&self.log, 100));
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl fmt::Debug for Moto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Moto")
            .field("port", &self.port)
            .field("dir", &self.dir)
            .finish()
    }
}
