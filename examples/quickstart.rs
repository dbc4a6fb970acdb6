//! The main job on the embedded store, with no server: store, read, version, rotate,
//! encrypt, then show the rotation status and the audit trail.
//!
//! Run: `cargo run -p ironsecrets-examples --bin quickstart`

use ironsecrets::local::{LocalOptions, MASTER_KEY_ENV};
use ironsecrets::{
    Client, MetadataUpdate, PutOptions, RotationPolicy, SecretMap, SecretValue, VersionSelector,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file =
        std::env::temp_dir().join(format!("ironsecrets-quickstart-{}.db", std::process::id()));
    let result = tokio::runtime::Runtime::new()?.block_on(run(&file));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    result
}

async fn run(file: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let master = match std::env::var(MASTER_KEY_ENV) {
        Ok(key) => SecretValue::from(key),
        Err(_) => {
            println!("{MASTER_KEY_ENV} is not set: using a throw-away demo key for this run");
            SecretValue::from("quickstart demo key - never use in production")
        }
    };
    // Typed options; `Client::from_uri("local:///path.db")` reads the same ones from a URI.
    let options = LocalOptions {
        master_key: Some(master),
        create_new: Some(true),
        ..LocalOptions::new(file)
    };
    let client = Client::connect(options).await?;
    let store = client.local()?;
    println!(
        "opened {} as principal '{}'",
        file.display(),
        store.principal()
    );

    // Store a key/value secret with a rotation policy, then read it back.
    let credentials: SecretMap = [("username", "app"), ("password", "first-password")]
        .into_iter()
        .collect();
    let policy = PutOptions {
        metadata: MetadataUpdate {
            rotation: Some(Some(RotationPolicy::days(30, 7))),
            ..Default::default()
        },
        ..Default::default()
    };
    client
        .put_with("app/db", credentials.to_value()?, policy)
        .await?;
    let read = SecretMap::from_value(&client.get("app/db").await?.value)?;
    let field = |name: &str| read.get(name).ok_or(format!("no field {name}"));
    println!("app/db username = {}", field("username")?.expose_str()?);
    println!(
        "app/db password = {:?} (values print redacted)",
        field("password")?
    );

    // Rotate: a new version; the old one stays readable by number.
    let rotated: SecretMap = [("username", "app"), ("password", "second-password")]
        .into_iter()
        .collect();
    let v2 = client.put("app/db", rotated.to_value()?).await?;
    let v1 = client
        .get_version("app/db", VersionSelector::from(1))
        .await?;
    println!(
        "rotated app/db to version {}; version {} is still readable",
        v2.version, v1.version
    );
    client.put("app/api-key", "sk-test-123").await?;

    // Encrypt with a transit key that never leaves the store.
    let transit = client.transit();
    transit.create_key("payments", Default::default()).await?;
    let ciphertext = transit
        .encrypt("payments", "4111 1111 1111 1111", None)
        .await?;
    let plaintext = transit
        .decrypt("payments", ciphertext.clone(), None)
        .await?;
    println!(
        "transit ciphertext {ciphertext} decrypts to {} bytes",
        plaintext.len()
    );

    println!("\nrotation status:");
    for entry in client.rotation_status("").await? {
        let policy = if entry.default_policy {
            " (default policy)"
        } else {
            ""
        };
        println!("  {:<14} {:?}{policy}", entry.path, entry.status);
    }

    println!("\naudit trail:");
    for row in store.audit_tail(20).await? {
        println!(
            "  #{:<3} {:<10} {:<16} {:<12} {}",
            row.seq, row.principal, row.operation, row.path, row.result
        );
    }
    let report = store.audit_verify().await?;
    println!(
        "audit chain: {} rows, intact = {}",
        report.rows,
        report.is_intact()
    );
    Ok(())
}
