//! The quickstart runs to the end on a throw-away store and shows what it promises:
//! values redacted, versions kept, transit round trip, rotation status, an intact
//! audit chain.

use std::process::Command;

#[test]
fn quickstart_runs_and_prints_no_secret() {
    let out = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env_remove("IRONSECRETS_MASTER_KEY")
        .output()
        .expect("the quickstart runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for expected in [
        "app/db username = app",
        "app/db password = [REDACTED]",
        "rotated app/db to version 2; version 1 is still readable",
        "decrypts to 19 bytes",
        "rotation status:",
        "audit chain:",
        "intact = true",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    for secret in ["first-password", "second-password", "sk-test-123", "4111"] {
        assert!(!stdout.contains(secret), "the output shows {secret:?}");
    }
}
