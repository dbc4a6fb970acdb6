//! Recursive listing over Vault's one-folder-at-a-time `LIST`, shared by KV v1 and v2.

use std::future::Future;

use ironsecrets_core::{ErrorKind, Result};

/// Every secret path starting with `prefix`, sorted. `list_folder(folder)` lists one
/// folder (`""` or ending with `/`) as Vault does: names, folders ending with `/`.
/// Only folders that can hold matches are visited; a folder Vault does not know (404)
/// is empty.
pub(crate) async fn walk<F, Fut>(prefix: &str, list_folder: F) -> Result<Vec<String>>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Vec<String>>>,
{
    let start = prefix.rfind('/').map_or("", |end| &prefix[..=end]);
    let mut pending = vec![start.to_owned()];
    let mut found = Vec::new();
    while let Some(folder) = pending.pop() {
        let keys = match list_folder(folder.clone()).await {
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            other => other?,
        };
        for key in keys {
            let full = format!("{folder}{key}");
            if key.ends_with('/') {
                if full.starts_with(prefix) || prefix.starts_with(&full) {
                    pending.push(full);
                }
            } else if full.starts_with(prefix) {
                found.push(full);
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ironsecrets_core::Error;

    use super::*;

    fn tree() -> BTreeMap<&'static str, Vec<&'static str>> {
        [
            ("", vec!["a/", "ab/", "top"]),
            ("a/", vec!["one", "nested/", "x"]),
            ("a/nested/", vec!["deep/"]),
            ("a/nested/deep/", vec!["two"]),
            ("ab/", vec!["sibling"]),
        ]
        .into()
    }

    async fn list(prefix: &str) -> Vec<String> {
        let tree = tree();
        walk(prefix, |folder| {
            let keys = tree.get(folder.as_str()).cloned();
            async move {
                keys.map(|k| k.into_iter().map(str::to_owned).collect())
                    .ok_or_else(|| Error::not_found("no folder"))
            }
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn folders_are_walked_recursively_and_siblings_kept_apart() {
        assert_eq!(list("a/").await, ["a/nested/deep/two", "a/one", "a/x"]);
        assert_eq!(
            list("").await,
            ["a/nested/deep/two", "a/one", "a/x", "ab/sibling", "top"]
        );
        assert_eq!(
            list("a").await,
            ["a/nested/deep/two", "a/one", "a/x", "ab/sibling"]
        );
        assert_eq!(list("a/n").await, ["a/nested/deep/two"]);
        assert!(list("missing/").await.is_empty());
    }
}
