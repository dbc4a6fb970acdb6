//! Opening the backend against the shared moto server, through the URI path users take.

#![allow(dead_code)]

use ironsecrets_aws::{AwsConfig, AwsOptions, AwsSecretsStore};
use ironsecrets_core::{Backend, Stack, StoreUri};
use ironsecrets_testkit::services::moto::Moto;

/// The `aws-sm://` URI of the shared moto server.
pub fn uri() -> String {
    let moto = Moto::shared();
    format!("aws-sm://{}?endpoint={}", Moto::REGION, moto.endpoint())
}

/// The configuration users get from [`uri`], with moto's dummy credentials.
pub fn config() -> AwsConfig {
    StoreUri::parse(&uri())
        .unwrap()
        .backend_options::<AwsOptions>()
        .unwrap()
        .config()
        .unwrap()
        .with_static_credentials(Moto::ACCESS_KEY_ID, Moto::SECRET_ACCESS_KEY)
}

/// The backend on the shared moto server, behind the default layer stack as a client
/// has it.
pub async fn backend() -> Backend {
    let raw = ironsecrets_aws::open(&config()).await.unwrap();
    Stack::default().apply(&raw)
}

/// The Secrets Manager store of [`backend`].
pub async fn store() -> AwsSecretsStore {
    backend()
        .await
        .native::<AwsSecretsStore>()
        .expect("the backend's native object is the AWS store")
        .clone()
}

/// A name no other test uses.
pub fn unique(name: &str) -> String {
    format!("{name}-{:016x}", rand_u64())
}

fn rand_u64() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}
