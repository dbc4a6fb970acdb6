//! Two handles (separate connections, as two processes would have) writing one store.

mod common;

use common::{master, new_store, options};
use ironsecrets_core::{Cas, ErrorKind, PutOptions, SecretStore, Version, VersionSelector};
use ironsecrets_local::LocalStore;

/// Increments a counter with check-and-set, retrying on Conflict.
async fn increment(store: &LocalStore) {
    loop {
        let current = store.get("counter", VersionSelector::Latest).await.unwrap();
        let n: u64 = current.value.expose_str().unwrap().parse().unwrap();
        let options = PutOptions {
            cas: Some(Cas::CurrentVersion(current.version.clone())),
            ..Default::default()
        };
        match store
            .put("counter", (n + 1).to_string().into(), options)
            .await
        {
            Ok(_) => return,
            Err(e) if e.kind() == ErrorKind::Conflict || e.is_retryable() => continue,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cas_writers_lose_no_update() {
    let (_dir, first) = new_store().await;
    first
        .put("counter", "0".into(), PutOptions::default())
        .await
        .unwrap();
    let second = LocalStore::open(first.file(), &master(), options("admin"))
        .await
        .unwrap();
    let per_writer = 40;
    let tasks: Vec<_> = [first.clone(), second]
        .into_iter()
        .map(|store| {
            tokio::spawn(async move {
                for _ in 0..per_writer {
                    increment(&store).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let last = first.get("counter", VersionSelector::Latest).await.unwrap();
    assert_eq!(
        last.value.expose_str().unwrap(),
        (2 * per_writer).to_string()
    );
    assert_eq!(last.version, Version::from(2 * per_writer + 1));
    assert!(first.audit_verify().await.unwrap().is_intact());
}
