//! Runs the built `ironsecrets` binary with `--store gcp-sm://…`. No Secret Manager REST
//! emulator can be installed here (see the ironsecrets-gcp crate docs), so this covers
//! the store URI and the errors a user sees without a server.

use std::net::TcpListener;
use std::process::Command;

/// Exit codes of the CLI's table (crates/cli/src/exit_code.rs).
const UNAVAILABLE: i32 = 10;
const CONFIG: i32 = 14;

/// Runs the binary on `store` with `args`, without the caller's GCP or ironsecrets
/// variables; returns exit code and stderr.
fn run(store: &str, args: &[&str]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
    for (name, _) in std::env::vars() {
        if name.starts_with("GOOGLE_") || name.starts_with("IRONSECRETS_") {
            command.env_remove(name);
        }
    }
    let output = command
        .args(["--store", store])
        .args(args)
        .output()
        .expect("the binary runs");
    (
        output.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_gcp_uri_without_a_project_is_a_config_error_naming_the_variable() {
    let (code, stderr) = run("gcp-sm://", &["list"]);
    assert_eq!(code, CONFIG, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("GOOGLE_CLOUD_PROJECT"), "{stderr}");
    let (code, stderr) = run("gcp-sm://p?region=eu", &["list"]);
    assert_eq!(code, CONFIG, "{stderr}");
    assert!(stderr.contains("unknown option 'region'"), "{stderr}");
}

#[test]
fn an_unreachable_endpoint_is_unavailable() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback port")
        .port();
    let store =
        format!("gcp-sm://test-project?endpoint=http://127.0.0.1:{port}&credentials=anonymous");
    let (code, stderr) = run(&store, &["get", "app/db"]);
    assert_eq!(code, UNAVAILABLE, "{stderr}");
    assert!(stderr.contains("Secret Manager is unreachable"), "{stderr}");
}
