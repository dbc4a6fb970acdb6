//! Runs the built `ironsecrets` binary with `--store azure-kv://…` against a real Lowkey
//! Vault (Azure Key Vault emulator), trusting the emulator's certificate through `ca=`.
//!
//! Authentication goes through azure_identity's own developer credential
//! (`credential=developer`, which runs `az account get-access-token -o json`). `az` here
//! is a shell script on `PATH` that fetches a token from the emulator's managed-identity
//! endpoint and prints it as the Azure CLI does. (azure_identity's managed-identity
//! credential cannot be pointed at the emulator directly: Lowkey Vault 2.x answers
//! `expires_on` as a number where the App Service protocol, and the SDK, expect a string.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ironsecrets_testkit::services::lowkey_vault::LowkeyVault;

const CANARY: &str = "CANARY-azure-5c81e2";

/// A directory holding the `az` script that prints the emulator's token.
fn az_shim(server: &LowkeyVault, dir: &Path) -> PathBuf {
    let script = format!(
        r#"#!/bin/sh
token=$(curl -sf -H 'X-IDENTITY-HEADER: lowkey' '{}?resource=https://localhost&api-version=2019-08-01' | sed -E 's/.*"access_token":"([^"]*)".*/\1/')
[ -n "$token" ] || exit 1
printf '{{"accessToken":"%s","expires_on":%s,"tokenType":"Bearer"}}\n' "$token" $(( $(date +%s) + 3600 ))
"#,
        server.token_endpoint()
    );
    let az = dir.join("az");
    std::fs::write(&az, script).unwrap();
    std::fs::set_permissions(&az, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    dir.to_owned()
}

fn run(server: &LowkeyVault, shim: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        shim.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let store = format!(
        "azure-kv://localhost:{}?ca={}&api_version=7.5&credential=developer",
        server.port(),
        server.ca_pem().display()
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
    for (name, _) in std::env::vars() {
        if name.starts_with("AZURE_")
            || name.starts_with("IRONSECRETS_")
            || name.starts_with("MSI_")
        {
            command.env_remove(name);
        }
    }
    command
        .args(["--store", &store])
        .args(args)
        .env("PATH", path)
        .output()
        .expect("the binary runs")
}

fn ok(server: &LowkeyVault, shim: &Path, args: &[&str]) -> String {
    let out = run(server, shim, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[ignore = "needs the Lowkey Vault jar, which this workplace's Maven Central mirror does not serve (404); run with --ignored once it is in ~/.cache/ironsecrets/"]
fn put_get_list_metadata_and_errors_over_azure_key_vault() {
    let server = LowkeyVault::start();
    let dir = tempfile::tempdir().unwrap();
    let shim = az_shim(&server, dir.path());
    let ok = |args: &[&str]| ok(&server, &shim, args);
    let run = |args: &[&str]| run(&server, &shim, args);
    let password = format!("password={CANARY}");
    let version = ok(&["put", "app/db_password", &password, "--tag", "env=prod"]);
    assert_eq!(
        version.trim().len(),
        32,
        "a Key Vault version id: {version}"
    );
    assert_eq!(
        ok(&["get", "app/db_password", "--field", "password"]),
        CANARY
    );
    ok(&["put", "app/api.key", "key=k"]);
    assert_eq!(ok(&["list", "app/"]), "app/api.key\napp/db_password\n");
    let meta: serde_json::Value =
        serde_json::from_str(&ok(&["metadata", "app/db_password", "--json"])).unwrap();
    assert_eq!(meta["tags"]["env"], "prod");
    assert_eq!(meta["current_version"], version.trim());
    // A missing secret: NotFound's exit code, one error line, no value anywhere.
    let missing = run(&["get", "app/missing"]);
    assert_eq!(missing.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    // A path Key Vault cannot hold: InvalidInput, named.
    let long = "x".repeat(128);
    let invalid = run(&["put", &long, "v=1"]);
    assert!(!invalid.status.success());
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(stderr.contains("Key Vault allows 127"), "{stderr}");
    assert!(!stderr.contains(CANARY));
}
