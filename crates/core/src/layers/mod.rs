//! Layers that wrap any `Arc<dyn SecretStore>` and are themselves a `SecretStore`.
