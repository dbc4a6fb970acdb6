//! A throwaway Lowkey Vault (Azure Key Vault emulator) for integration tests.
//!
//! [`LowkeyVault::start`] runs the Lowkey Vault app jar with the machine's `java` on a
//! free loopback port over https, with a certificate made for the run by `openssl` (a
//! self-signed RSA certificate for `localhost` and `127.0.0.1`, PEM at
//! [`LowkeyVault::ca_pem`], which the client must trust explicitly), and its
//! managed-identity token endpoint on a second free port over http. It returns once the
//! https port accepts connections. Dropping it stops the JVM and deletes its temp dir.
//! The JVM takes seconds to start: share one per test binary.
//!
//! The jar is `lowkey-vault-app-<version>.jar` in `~/.cache/ironsecrets/` (or the file
//! `LOWKEY_VAULT_JAR` names); `cargo xtask ci` puts it there.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::process::{
    Failure, Watchdog, free_port, log_tail, make_temp_dir, port_accepts, start_retrying,
};

const INSTALL_HINT: &str = "put the Lowkey Vault app jar (lowkey-vault-app-<version>.jar, Java 17 builds are 2.x) in ~/.cache/ironsecrets/ or name it in LOWKEY_VAULT_JAR (`mvn dependency:copy -Dartifact=com.github.nagyesta.lowkey-vault:lowkey-vault-app:2.14.13:jar` where Maven Central serves it; this workplace's mirror does not)";
const START_TIMEOUT: Duration = Duration::from_secs(90);
const KEYSTORE_PASSWORD: &str = "changeit";

/// A running Lowkey Vault.
pub struct LowkeyVault {
    dir: PathBuf,
    log: PathBuf,
    port: u16,
    token_port: u16,
    child: Child,
    watchdog: Watchdog,
}

impl LowkeyVault {
    /// Starts the emulator, blocking until its https port accepts connections.
    ///
    /// # Panics
    /// If the jar, `java` or `openssl` is missing (saying how to get it), or the server
    /// does not come up (with the tail of its log).
    pub fn start() -> LowkeyVault {
        let jar = find_jar().unwrap_or_else(|| panic!("no Lowkey Vault jar found; {INSTALL_HINT}"));
        start_retrying("Lowkey Vault", || LowkeyVault::try_start(&jar))
    }

    fn try_start(jar: &Path) -> Result<LowkeyVault, Failure> {
        let dir = make_temp_dir("lowkey-vault", None);
        make_certificate(&dir);
        let log = dir.join("lowkey-vault.log");
        let (port, token_port) = (free_port(), free_port());
        let log_file =
            fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let child = Command::new("java")
            .current_dir(&dir)
            .arg("-Xmx512m")
            .arg("-jar")
            .arg(jar)
            .arg(format!("--server.port={port}"))
            .arg(format!("--app.token.port={token_port}"))
            .arg(format!(
                "--server.ssl.key-store=file:{}",
                dir.join("keystore.p12").display()
            ))
            .arg(format!(
                "--server.ssl.key-store-password={KEYSTORE_PASSWORD}"
            ))
            .arg("--LOWKEY_VAULT_RELAXED_PORTS=true")
            .stdout(log_file.try_clone().expect("clone the log file handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("run java: {e}; install a JRE 17 (apt-get install openjdk-17-jre-headless)")
            });
        let watchdog = Watchdog::spawn(child.id(), "TERM", &dir);
        let mut server = LowkeyVault {
            dir,
            log,
            port,
            token_port,
            child,
            watchdog,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let tail = log_tail(&server.log, 40);
                if tail.contains("already in use") {
                    return Err(Failure::PortTaken);
                }
                return Err(Failure::Other(format!(
                    "Lowkey Vault exited with {status}:\n{tail}"
                )));
            }
            if port_accepts(port) && port_accepts(token_port) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(Failure::Other(format!(
                    "Lowkey Vault did not listen within {START_TIMEOUT:?}:\n{}",
                    log_tail(&server.log, 40)
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The vault URL, `https://localhost:<port>/` (Lowkey Vault's default vault).
    pub fn vault_url(&self) -> String {
        format!("https://localhost:{}/", self.port)
    }

    /// The https port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The managed-identity token endpoint (`IDENTITY_ENDPOINT` of App Service), http.
    pub fn token_endpoint(&self) -> String {
        format!(
            "http://127.0.0.1:{}/metadata/identity/oauth2/token",
            self.token_port
        )
    }

    /// The PEM file of the server's certificate, to trust explicitly.
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// The last `lines` of the server's log.
    pub fn log_excerpt(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }
}

impl Drop for LowkeyVault {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.watchdog.disarm();
        if std::thread::panicking() {
            eprintln!("Lowkey Vault log:\n{}", self.log_excerpt(60));
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `LOWKEY_VAULT_JAR`, else the newest `lowkey-vault-app-*.jar` in `~/.cache/ironsecrets/`.
fn find_jar() -> Option<PathBuf> {
    if let Some(jar) = std::env::var_os("LOWKEY_VAULT_JAR") {
        return Some(PathBuf::from(jar)).filter(|p| p.is_file());
    }
    let cache = PathBuf::from(std::env::var_os("HOME")?).join(".cache/ironsecrets");
    let mut jars: Vec<PathBuf> = fs::read_dir(cache)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("lowkey-vault-app-") && n.ends_with(".jar"))
        })
        .collect();
    jars.sort();
    jars.pop()
}

/// `cert.pem`, `key.pem` and `keystore.p12` for localhost / 127.0.0.1 in `dir`.
fn make_certificate(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run openssl: {e}; apt-get install openssl"));
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        // An end-entity certificate: rustls refuses a CA certificate as a server's.
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-addext",
        "extendedKeyUsage=serverAuth",
    ]);
    run(&[
        "pkcs12",
        "-export",
        "-in",
        "cert.pem",
        "-inkey",
        "key.pem",
        "-out",
        "keystore.p12",
        "-name",
        "lowkey",
        "-passout",
        &format!("pass:{KEYSTORE_PASSWORD}"),
    ]);
}
