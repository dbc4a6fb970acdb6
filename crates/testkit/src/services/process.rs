//! Plumbing shared by the throwaway database servers: finding binaries, free ports, the
//! unprivileged user a server runs as, its temp dir, and the watchdog that cleans up if the
//! test process dies without dropping the server.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use rand::Rng;

/// What a missing binary's panic tells the reader to do.
pub(crate) const INSTALL_HINT: &str =
    "install with `apt-get install postgresql mariadb-server` or run `cargo xtask ci`";

/// How long a server may take to accept connections before the start counts as failed.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How often readiness is polled.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// How many times a start is retried when another process took the port first.
pub(crate) const PORT_ATTEMPTS: usize = 5;

/// A free TCP port on 127.0.0.1, found by binding port 0. The port is released before the
/// server binds it, so a start that loses the race retries with a new one.
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("local address of a bound listener")
        .port()
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn port_accepts(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

/// A random lowercase hex string of `bytes` random bytes (URL- and DSN-safe).
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.r#gen::<u8>()))
        .collect()
}

/// The first executable named one of `names` in `dirs`, then in `PATH`.
pub(crate) fn find_binary(names: &[&str], dirs: &[PathBuf]) -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    for name in names {
        for dir in dirs.iter().chain(path_dirs.iter()) {
            let candidate = dir.join(name);
            if is_executable(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The user a server process runs as. Both PostgreSQL and MariaDB refuse (or need extra
/// flags) to run as root, so when the tests run as root the servers drop to a system user;
/// otherwise they run as the current user.
#[derive(Clone, Debug)]
pub(crate) struct RunAs {
    pub(crate) name: String,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl RunAs {
    /// `None` when not root (run as ourselves); else the first of `candidates` that exists
    /// in `/etc/passwd`.
    pub(crate) fn for_server(candidates: &[&str]) -> Option<RunAs> {
        if effective_uid() != Some(0) {
            return None;
        }
        let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
        for wanted in candidates {
            for line in passwd.lines() {
                let fields: Vec<&str> = line.split(':').collect();
                if fields.len() >= 4
                    && fields[0] == *wanted
                    && let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse())
                {
                    let name = wanted.to_string();
                    return Some(RunAs { name, uid, gid });
                }
            }
        }
        panic!(
            "running as root, but none of the users {candidates:?} exists to run the server as; \
             {INSTALL_HINT} (the packages create them), or `useradd --system {}`",
            candidates[0]
        );
    }
}

/// The effective uid of this process, from `/proc/self/status`.
fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// A command that runs as `run_as` (if any), in `dir`, in its own process group (so a Ctrl-C
/// aimed at `cargo test` does not hit it half way; the watchdog cleans up instead).
pub(crate) fn server_command(program: &Path, run_as: Option<&RunAs>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir).stdin(Stdio::null()).process_group(0);
    if let Some(user) = run_as {
        // std clears the supplementary groups when dropping from root.
        cmd.uid(user.uid).gid(user.gid);
    }
    cmd
}

/// A fresh private directory `<tmp>/ironsecrets-<kind>-<random>`, owned by `run_as`.
pub(crate) fn make_temp_dir(kind: &str, run_as: Option<&RunAs>) -> PathBuf {
    let base = std::env::temp_dir();
    for _ in 0..16 {
        let dir = base.join(format!("ironsecrets-{kind}-{}", random_hex(8)));
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                if let Some(user) = run_as {
                    chown(&dir, user);
                }
                return dir;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("create temp dir {}: {e}", dir.display()),
        }
    }
    panic!(
        "could not create a unique temp dir under {}",
        base.display()
    );
}

/// Give `path` to `run_as`.
pub(crate) fn chown(path: &Path, user: &RunAs) {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
        .unwrap_or_else(|e| panic!("chown {} to {}: {e}", path.display(), user.name));
}

/// The last `lines` lines of the file at `path` (at most the last 64 KiB of it).
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return format!("(no log at {})", path.display());
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A process that outlives the test process and, when the test process goes away without
/// dropping the server (killed, `std::process::exit`, a server kept in a `static`), stops
/// the server and deletes its directory. It notices by reading EOF on its stdin, whose
/// write end only this process holds; the server's pid arrives on that pipe too. A normal
/// drop kills the watchdog first and cleans up itself.
pub(crate) struct Watchdog(Child);

impl Watchdog {
    /// Watches server `pid`; on EOF sends it `signal`, waits up to 10 s, kills it, and
    /// removes `dir`.
    pub(crate) fn spawn(pid: u32, signal: &str, dir: &Path) -> Watchdog {
        let mut watchdog = Watchdog::for_dir(signal, dir);
        watchdog.watch(pid);
        watchdog
    }

    /// Watches `dir` alone, until [`watch`](Self::watch) names the server: spawn it as soon
    /// as the dir exists, so a test process dying during `initdb` leaves nothing behind.
    pub(crate) fn for_dir(signal: &str, dir: &Path) -> Watchdog {
        const SCRIPT: &str = r#"pid=
while read -r line; do pid=$line; done
if [ -n "$pid" ]; then
  kill -s "$2" "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  kill -s KILL "$pid" 2>/dev/null
fi
rm -rf "$1""#;
        let child = Command::new("/bin/sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("ironsecrets-watchdog")
            .arg(dir)
            .arg(signal)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("spawn /bin/sh for the server watchdog");
        Watchdog(child)
    }

    /// Names the server process to stop.
    pub(crate) fn watch(&mut self, pid: u32) {
        if let Some(stdin) = self.0.stdin.as_mut() {
            let _ = writeln!(stdin, "{pid}");
        }
    }

    /// Runs `cmd` to completion like [`Command::output`], watched meanwhile: if the test
    /// process dies, the watchdog signals `cmd` (e.g. `initdb`) rather than deleting the
    /// dir under it, which a setup tool would just create again.
    pub(crate) fn output_of(&mut self, cmd: &mut Command) -> std::io::Result<Output> {
        let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        self.watch(child.id());
        child.wait_with_output()
    }

    /// Stops watching: the caller cleans up.
    pub(crate) fn disarm(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `cmd` with `input` on its stdin; stdout (without the trailing newline) or stderr.
pub(crate) fn run_with_stdin(mut cmd: Command, input: &str) -> Result<String, String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {:?}: {e}; {INSTALL_HINT}", cmd.get_program()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        // A client that exits early (bad login) closes its stdin; that is not our error.
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child.wait_with_output().expect("wait for the SQL client");
    let _ = writer.join();
    if output.status.success() {
        let mut out = String::from_utf8_lossy(&output.stdout).into_owned();
        while out.ends_with('\n') || out.ends_with('\r') {
            out.pop();
        }
        Ok(out)
    } else {
        Err(format!(
            "{} ({})",
            String::from_utf8_lossy(&output.stderr).trim_end(),
            output.status
        ))
    }
}

/// Why one attempt to start a server failed.
pub(crate) enum Failure {
    /// Another process took the free port between our probe and the server's bind.
    PortTaken,
    /// Anything else, with a message that ends the test.
    Other(String),
}

/// Runs `attempt` until a server starts, retrying (up to [`PORT_ATTEMPTS`] times) only
/// when another process took its port first; panics with the failure otherwise.
pub(crate) fn start_retrying<T>(
    server: &str,
    mut attempt: impl FnMut() -> Result<T, Failure>,
) -> T {
    for _ in 1..PORT_ATTEMPTS {
        match attempt() {
            Ok(started) => return started,
            Err(Failure::PortTaken) => continue,
            Err(Failure::Other(message)) => panic!("{message}"),
        }
    }
    match attempt() {
        Ok(started) => started,
        Err(Failure::PortTaken) => {
            panic!("{server}: every free port found was taken before it could bind")
        }
        Err(Failure::Other(message)) => panic!("{message}"),
    }
}
