//! `ironsecrets agent`: templates kept current, a supervised process restarted only when
//! its environment changes, one lease per dynamic credential renewed and re-issued, auto-
//! auth from files, `--once`, SIGHUP reloads, masked output.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use ironsecrets_testkit::services::database::{DatabaseEngine, POSTGRES_CREATION};

use crate::{CANARY, Local, VaultSetup, finished};

/// A running agent whose stdout and stderr go to files.
pub struct Agent {
    child: std::process::Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Agent {
    pub fn spawn(mut command: Command, dir: &Path) -> Agent {
        let (stdout, stderr) = (dir.join("agent.out"), dir.join("agent.err"));
        command
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap());
        Agent {
            child: command.spawn().unwrap(),
            stdout,
            stderr,
        }
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap()
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits until `ready` holds, or panics with the agent's log.
    pub fn wait_for(&mut self, what: &str, timeout: Duration, ready: impl Fn(&Agent) -> bool) {
        let start = Instant::now();
        while !ready(self) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the agent exited ({status}) before {what}:\n{}",
                    self.stderr()
                );
            }
            assert!(
                start.elapsed() < timeout,
                "no {what} within {timeout:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then the agent's exit status.
    pub fn stop(mut self) -> ExitStatus {
        self.signal("TERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pid the agent logged for the process it started last.
    fn child_pid(&self) -> u32 {
        let log = self.stderr();
        let line = log.lines().rfind(|l| l.contains("(pid ")).expect("started");
        let pid = line.rsplit("(pid ").next().unwrap().trim_end_matches(')');
        pid.parse().unwrap()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

const SECOND: Duration = Duration::from_secs(1);

/// AppRole role `agent` holding `policy` (with token settings `token`), its role id and
/// secret id written to `role-id` and `secret-id` in the setup's directory; returns a
/// token holding the policy, and the secret id.
fn approle(vault: &VaultSetup, policy: &str, token: &[&str]) -> (String, String) {
    let bao = &vault.bao;
    let policy_token = bao.token_with_policy("agent", policy);
    bao.run(&["auth", "enable", "approle"]);
    let mut role = vec!["write", "auth/approle/role/agent", "token_policies=agent"];
    role.extend_from_slice(token);
    bao.run(&role);
    let role_id = bao.run(&["read", "-field=role_id", "auth/approle/role/agent/role-id"]);
    let secret_id = bao.run(&[
        "write",
        "-f",
        "-field=secret_id",
        "auth/approle/role/agent/secret-id",
    ]);
    let dir = vault.dir.path();
    std::fs::write(dir.join("role-id"), role_id.trim()).unwrap();
    std::fs::write(dir.join("secret-id"), secret_id.trim()).unwrap();
    (policy_token, secret_id.trim().to_owned())
}

#[test]
fn agent_keeps_files_and_a_process_current_on_a_local_store() {
    let local = Local::new();
    std::fs::write(
        local.path("app.tmpl"),
        "password = {{ secret(\"isec:///app/pw\") }}\n",
    )
    .unwrap();
    std::fs::write(
        local.path("ironsecrets.toml"),
        r#"
[agent]
poll_interval = "200ms"

[[template]]
source = "app.tmpl"
destination = "out/app.conf"
perms = "0640"
command = ["sh", "-c", "echo ran >> commands.log"]

[exec]
command = ["sh", "-c", "echo start >> starts.log; echo \"pw=$PW $GREETING\"; exec sleep 60"]
debounce = "300ms"
kill_timeout = "5s"

[exec.env]
PW = "isec:///app/pw"
GREETING = "hello {{ secret('isec:///app/db#username') }}"
"#,
    )
    .unwrap();
    std::fs::create_dir(local.path("out")).unwrap();
    let mut agent = Agent::spawn(local.command(&["agent"]), local.dir.path());
    let (out, starts, commands) = (
        local.path("out/app.conf"),
        local.path("starts.log"),
        local.path("commands.log"),
    );
    agent.wait_for("a first start", 20 * SECOND, |_| lines(&starts).len() == 1);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("password = {CANARY}\n")
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(lines(&commands), ["ran"]);
    // The username is a resolved value too, so it is masked as well.
    agent.wait_for("masked output", 5 * SECOND, |a| {
        a.stdout() == "pw=[REDACTED] hello [REDACTED]\n"
    });

    // Polls that find nothing new restart nothing and run no command.
    std::thread::sleep(SECOND + SECOND / 2);
    assert_eq!((lines(&starts).len(), lines(&commands).len()), (1, 1));
    let first = agent.child_pid();

    // A new version: the file is rewritten, its command runs, the process restarts.
    local.ok_stdin(&["put", "app/pw", "-"], "rotated-pw-4d2c");
    agent.wait_for("a restart", 20 * SECOND, |_| lines(&starts).len() == 2);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "password = rotated-pw-4d2c\n"
    );
    assert_eq!(lines(&commands), ["ran", "ran"]);
    assert!(!alive(first), "the old process was stopped");
    agent.wait_for("the new process's output", 5 * SECOND, |a| {
        a.stdout() == "pw=[REDACTED] hello [REDACTED]\npw=[REDACTED] hello [REDACTED]\n"
    });
    std::thread::sleep(SECOND);
    assert_eq!(lines(&starts).len(), 1 + 1, "one restart for one change");

    // SIGHUP reloads the templates; the environment did not change, so no restart.
    std::fs::write(
        local.path("app.tmpl"),
        "pw: {{ secret(\"isec:///app/pw\") }}\n",
    )
    .unwrap();
    agent.signal("HUP");
    agent.wait_for("the reloaded template", 10 * SECOND, |_| {
        std::fs::read_to_string(&out).unwrap() == "pw: rotated-pw-4d2c\n"
    });
    std::thread::sleep(SECOND);
    assert_eq!((lines(&starts).len(), lines(&commands).len()), (2, 3));

    // A broken template on reload keeps the running config.
    std::fs::write(local.path("app.tmpl"), "{{ secret(").unwrap();
    agent.signal("HUP");
    agent.wait_for("a failed reload", 10 * SECOND, |a| {
        a.stderr()
            .contains("reload failed, the running config stays: ")
    });
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "pw: rotated-pw-4d2c\n"
    );

    let child = agent.child_pid();
    let stderr = agent.stderr();
    let stdout = agent.stdout();
    assert!(agent.stop().success());
    assert!(!alive(child), "SIGTERM stops the process too");
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains(CANARY) && !text.contains("rotated-pw-4d2c"),
            "{text}"
        );
    }
    assert!(stderr.contains("isec:///app/pw changed"), "{stderr}");
}

#[test]
fn agent_once_renders_and_exits_and_a_bad_template_writes_nothing() {
    let local = Local::new();
    std::fs::write(local.path("a.tmpl"), "{{ secret(\"isec:///app/pw\") }}").unwrap();
    std::fs::write(
        local.path("b.tmpl"),
        "{{ secret(\"isec:///app/db#password\") }}",
    )
    .unwrap();
    let config = "[[template]]\nsource = \"a.tmpl\"\ndestination = \"a.out\"\n\
                  [[template]]\nsource = \"b.tmpl\"\ndestination = \"b.out\"\n\
                  [exec]\ncommand = [\"sh\", \"-c\", \"touch started\"]\n";
    std::fs::write(local.path("ironsecrets.toml"), config).unwrap();
    finished(local.command(&["agent", "--once"]).output().unwrap(), 0);
    assert_eq!(
        std::fs::read_to_string(local.path("a.out")).unwrap(),
        CANARY
    );
    assert_eq!(
        std::fs::read_to_string(local.path("b.out")).unwrap(),
        "db-pass-9f3e"
    );
    assert!(!local.path("started").exists(), "--once starts no process");

    // A command that leaves a helper running (holding its output pipes) does not keep
    // the agent waiting for the helper.
    let with_command = "[[template]]\nsource = \"a.tmpl\"\ndestination = \"c.out\"\n\
                        command = [\"sh\", \"-c\", \"sleep 30 & echo ran > ran.log\"]\n\
                        command_timeout = \"20s\"\n";
    std::fs::write(local.path("ironsecrets.toml"), with_command).unwrap();
    let output = local.command(&["agent", "--once"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    finished(output, 0);
    assert!(!stderr.contains("did not finish"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(local.path("ran.log")).unwrap(),
        "ran\n"
    );
    std::fs::write(local.path("ironsecrets.toml"), config).unwrap();

    // A reference to a missing secret: nothing is written, the error names it.
    std::fs::remove_file(local.path("a.out")).unwrap();
    std::fs::remove_file(local.path("b.out")).unwrap();
    std::fs::write(
        local.path("b.tmpl"),
        "{{ secret(\"isec:///app/missing\") }}",
    )
    .unwrap();
    crate::fails(
        local.command(&["agent", "--once"]).output().unwrap(),
        3,
        "isec:///app/missing",
    );
    assert!(!local.path("a.out").exists() && !local.path("b.out").exists());

    // Nothing to do, a bad duration and a bad [exec] signal are config errors.
    for (config, says) in [
        (
            "[agent]\npoll_interval = \"5s\"\n",
            "nothing for the agent to do",
        ),
        (
            "[agent]\npoll_interval = \"often\"\n",
            "'often' is not a duration",
        ),
        (
            "[exec]\ncommand = [\"true\"]\nstop_signal = \"SIGTREM\"\n",
            "'SIGTREM' is not a signal name",
        ),
    ] {
        std::fs::write(local.path("ironsecrets.toml"), config).unwrap();
        crate::fails(local.command(&["agent"]).output().unwrap(), 14, says);
    }
}

#[test]
fn agent_holds_one_lease_renews_it_and_restarts_the_process_on_rotation() {
    let vault = VaultSetup::start();
    let engine = DatabaseEngine::at(&vault.bao, "database");
    // Renewed at 2/3 of 6 s; the 18 s max ttl forces a new credential (late enough
    // for the checks before it on a loaded machine).
    engine.dynamic_role(
        "short",
        "pg",
        &[POSTGRES_CREATION],
        &[],
        6 * SECOND,
        18 * SECOND,
    );
    let dir = vault.dir.path();
    let user = "isec://vault/database/creds/short?lease=dynamic#username";
    let pass = "isec://vault/database/creds/short?lease=dynamic#password";
    std::fs::write(
        dir.join("creds.tmpl"),
        format!("{{{{ secret(\"{user}\") }}}} {{{{ secret(\"{pass}\") }}}}"),
    )
    .unwrap();
    let config = std::fs::read_to_string(dir.join("ironsecrets.toml")).unwrap();
    std::fs::write(
        dir.join("ironsecrets.toml"),
        format!(
            r#"{config}
[[template]]
source = "creds.tmpl"
destination = "creds.txt"

[exec]
command = ["sh", "-c", "echo \"$DB_USER\" >> users.log; echo \"pass=$DB_PASS\"; exec sleep 60"]
debounce = "200ms"

[exec.env]
DB_USER = "{user}"
DB_PASS = "{pass}"
"#
        ),
    )
    .unwrap();
    let creds = || {
        let text = std::fs::read_to_string(dir.join("creds.txt")).unwrap_or_default();
        let (user, pass) = text.split_once(' ').unwrap_or_default();
        (user.to_owned(), pass.to_owned())
    };
    let users = dir.join("users.log");
    let mut agent = Agent::spawn(vault.command(&["agent"]), dir);
    agent.wait_for("a first start", 20 * SECOND, |_| lines(&users).len() == 1);
    let (user1, pass1) = creds();
    assert_eq!(
        lines(&users),
        std::slice::from_ref(&user1),
        "one lease for both fields and the file"
    );
    assert_eq!(vault.leases("short"), 1);
    vault
        .pg
        .try_psql_as(&user1, &pass1, "postgres", "select 1")
        .expect("the credential logs in");

    // A reload resolves the same keys: no new credential.
    agent.signal("HUP");
    agent.wait_for("the reload", 10 * SECOND, |a| {
        a.stderr().contains("reloaded the config")
    });
    assert_eq!(
        (creds(), vault.leases("short")),
        ((user1.clone(), pass1.clone()), 1)
    );

    agent.wait_for("a renewal", 10 * SECOND, |a| {
        a.stderr()
            .contains("renewed isec://vault/database/creds/short?lease=dynamic for ")
    });
    assert_eq!(creds().0, user1, "a renewal changes nothing");

    // At the max ttl a new credential replaces the old: file, environment, process.
    agent.wait_for("a rotation", 60 * SECOND, |_| lines(&users).len() == 2);
    let (user2, pass2) = creds();
    assert_ne!(user2, user1);
    assert_eq!(lines(&users), [user1, user2.clone()]);
    vault
        .pg
        .try_psql_as(&user2, &pass2, "postgres", "select 1")
        .expect("the new credential logs in");
    agent.wait_for("the new process's output", 5 * SECOND, |a| {
        a.stdout() == "pass=[REDACTED]\npass=[REDACTED]\n"
    });
    let stderr = agent.stderr();
    assert!(agent.stop().success());
    assert!(
        !stderr.contains(&pass1) && !stderr.contains(&pass2),
        "{stderr}"
    );
}

#[test]
fn agent_logs_in_with_approle_or_a_token_file() {
    let vault = VaultSetup::start();
    let dir = vault.dir.path();
    let policy = "path \"secret/data/*\" { capabilities = [\"read\"] }\n\
                  path \"secret/metadata/*\" { capabilities = [\"read\"] }\n";
    let (token, secret_id) = approle(&vault, policy, &["token_ttl=1h"]);
    std::fs::write(dir.join("secret-id"), format!("{secret_id}\n")).unwrap();
    std::fs::write(dir.join("token"), &token).unwrap();
    std::fs::write(
        dir.join("t.tmpl"),
        "{{ secret(\"isec://vault/app/db#password\") }}",
    )
    .unwrap();
    let config = std::fs::read_to_string(dir.join("ironsecrets.toml")).unwrap();
    let template = "[[template]]\nsource = \"t.tmpl\"\ndestination = \"t.out\"\n";
    let once = |auth: &str| {
        std::fs::write(
            dir.join("ironsecrets.toml"),
            format!("{config}{template}{auth}"),
        )
        .unwrap();
        let _ = std::fs::remove_file(dir.join("t.out"));
        let mut command = vault.command(&["agent", "--once"]);
        command.env_remove("VAULT_TOKEN");
        command.output().unwrap()
    };
    for auth in [
        "[auth.vault]\nmethod = \"approle\"\nrole_id_file = \"role-id\"\nsecret_id_file = \"secret-id\"\n",
        "[auth.vault]\nmethod = \"token_file\"\ntoken_file = \"token\"\n",
    ] {
        finished(once(auth), 0);
        assert_eq!(
            std::fs::read_to_string(dir.join("t.out")).unwrap(),
            "v2-pass"
        );
    }

    // A wrong secret id: a clear error naming the auth block, nothing written.
    std::fs::write(
        dir.join("secret-id"),
        "00000000-0000-0000-0000-000000000000",
    )
    .unwrap();
    let output = once(
        "[auth.vault]\nmethod = \"approle\"\nrole_id_file = \"role-id\"\nsecret_id_file = \"secret-id\"\n",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.starts_with("error: [auth.vault]: "), "{stderr}");
    assert!(!stderr.contains(secret_id.trim()), "{stderr}");
    assert!(!dir.join("t.out").exists());
    // A missing file is named.
    let output = once("[auth.vault]\nmethod = \"token_file\"\ntoken_file = \"nope\"\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read ") && stderr.contains("nope"),
        "{stderr}"
    );
}

#[test]
fn agent_signals_or_leaves_the_process_as_restart_says() {
    for (restart, expected) in [("signal", "got USR1\n"), ("never", "")] {
        let local = Local::new();
        std::fs::write(
            local.path("ironsecrets.toml"),
            format!(
                r#"
[agent]
poll_interval = "200ms"

[exec]
command = ["sh", "-c", "echo start >> starts.log; trap 'echo got USR1' USR1; while :; do sleep 0.1; done"]
restart = "{restart}"
restart_signal = "USR1"
debounce = "100ms"
stop_signal = "TERM"
kill_timeout = "1s"

[exec.env]
PW = "isec:///app/pw"
"#
            ),
        )
        .unwrap();
        let starts = local.path("starts.log");
        let mut agent = Agent::spawn(local.command(&["agent"]), local.dir.path());
        agent.wait_for("a first start", 20 * SECOND, |_| lines(&starts).len() == 1);
        local.ok_stdin(&["put", "app/pw", "-"], "rotated-pw-77aa");
        agent.wait_for("the change", 20 * SECOND, |a| {
            a.stderr().contains("isec:///app/pw changed")
        });
        if restart == "signal" {
            agent.wait_for("the signal", 10 * SECOND, |a| a.stdout() == expected);
        } else {
            std::thread::sleep(SECOND);
            assert_eq!(agent.stdout(), expected);
        }
        assert_eq!(
            lines(&starts).len(),
            1,
            "restart = {restart} starts nothing new"
        );
        // The trap ignores nothing but USR1: TERM stops it within the kill timeout.
        assert!(agent.stop().success());
    }
}

#[test]
fn credentials_follow_the_login_token_they_were_issued_under() {
    let vault = VaultSetup::start();
    let dir = vault.dir.path();
    let policy = "path \"database/creds/app\" { capabilities = [\"read\"] }\n\
                  path \"sys/leases/*\" { capabilities = [\"update\"] }\n";
    // A token that cannot outlive 8 s: the agent logs in again before it ends.
    approle(&vault, policy, &["token_ttl=4s", "token_max_ttl=8s"]);
    let user = "isec://vault/database/creds/app?lease=dynamic#username";
    let pass = "isec://vault/database/creds/app?lease=dynamic#password";
    std::fs::write(
        dir.join("creds.tmpl"),
        format!("{{{{ secret(\"{user}\") }}}} {{{{ secret(\"{pass}\") }}}}"),
    )
    .unwrap();
    let config = std::fs::read_to_string(dir.join("ironsecrets.toml")).unwrap();
    std::fs::write(
        dir.join("ironsecrets.toml"),
        format!(
            "{config}[auth.vault]\nmethod = \"approle\"\nrole_id_file = \"role-id\"\n\
             secret_id_file = \"secret-id\"\n\
             [[template]]\nsource = \"creds.tmpl\"\ndestination = \"creds.txt\"\n"
        ),
    )
    .unwrap();
    let creds = || std::fs::read_to_string(dir.join("creds.txt")).unwrap_or_default();
    let mut command = vault.command(&["agent"]);
    command.env_remove("VAULT_TOKEN");
    let mut agent = Agent::spawn(command, dir);
    agent.wait_for("a first render", 20 * SECOND, |_| !creds().is_empty());
    let first = creds();
    // Vault revokes what the old token issued when it ends: the credential is issued
    // again under the new token before that, and the file follows.
    agent.wait_for("a credential under the new token", 30 * SECOND, |_| {
        creds() != first
    });
    let (user, pass) = creds()
        .split_once(' ')
        .map(|(u, p)| (u.to_owned(), p.to_owned()))
        .unwrap();
    vault
        .pg
        .try_psql_as(&user, &pass, "postgres", "select 1")
        .expect("the credential issued under the new token logs in");
    assert!(agent.stop().success());
}
