//! `Client::patch`: changing some fields of a key/value secret as a new version.

use ironsecrets::{Client, ErrorKind, Options, SecretMap};

async fn local_client(dir: &tempfile::TempDir) -> Client {
    let options = Options::new()
        .with("path", dir.path().join("patch.db").as_path())
        .with("master_key", "patch test key")
        .with("kdf_memory_kib", 64u32)
        .with("kdf_iterations", 1u32)
        .with("kdf_parallelism", 1u32);
    Client::open("local", options).await.unwrap()
}

#[tokio::test]
async fn patch_sets_and_removes_fields_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let client = local_client(&dir).await;
    let first: SecretMap = [("user", "app"), ("password", "old"), ("host", "db")]
        .into_iter()
        .collect();
    client
        .put("app/db", first.to_value().unwrap())
        .await
        .unwrap();
    let set: SecretMap = [("password", "new"), ("port", "5432")]
        .into_iter()
        .collect();
    let written = client
        .patch("app/db", set, vec!["host".into()])
        .await
        .unwrap();
    assert_eq!(written.version.number(), Some(2));
    let now = SecretMap::from_value(&client.get("app/db").await.unwrap().value).unwrap();
    assert_eq!(now.keys().collect::<Vec<_>>(), ["password", "port", "user"]);
    assert_eq!(now.get("password").unwrap().expose(), b"new");
    assert_eq!(now.get("user").unwrap().expose(), b"app");
}

#[tokio::test]
async fn patch_refuses_text_and_missing_secrets_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let client = local_client(&dir).await;
    client.put("app/text", "plain text").await.unwrap();
    let set: SecretMap = [("a", "b")].into_iter().collect();
    let err = client
        .patch("app/text", set.clone(), Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(client.versions("app/text").await.unwrap().len(), 1);
    let err = client
        .patch("app/missing", set, Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}
