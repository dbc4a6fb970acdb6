//! A connected backend: its secret store plus whichever optional engines it has.

use std::any::Any;
use std::sync::Arc;

use crate::{Capabilities, DynamicCredentials, Error, Leases, Result, SecretStore, Transit};

/// What a URI opens: the store, the optional engines, and the concrete backend object
/// for backend-specific calls (audit, roles, export ...).
#[derive(Clone)]
pub struct Backend {
    store: Arc<dyn SecretStore>,
    transit: Option<Arc<dyn Transit>>,
    leases: Option<Arc<dyn Leases>>,
    credentials: Option<Arc<dyn DynamicCredentials>>,
    native: Arc<dyn Any + Send + Sync>,
}

impl Backend {
    /// A backend around a store; engines are added with the `with_*` methods.
    pub fn new<S: SecretStore>(store: Arc<S>) -> Self {
        Backend {
            store: store.clone(),
            transit: None,
            leases: None,
            credentials: None,
            native: store,
        }
    }

    /// Adds a transit engine.
    pub fn with_transit(mut self, transit: Arc<dyn Transit>) -> Self {
        self.transit = Some(transit);
        self
    }

    /// Adds lease management.
    pub fn with_leases(mut self, leases: Arc<dyn Leases>) -> Self {
        self.leases = Some(leases);
        self
    }

    /// Adds a dynamic-credentials engine.
    pub fn with_credentials(mut self, credentials: Arc<dyn DynamicCredentials>) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Replaces the store, keeping the engines (used to wrap it in layers).
    pub fn map_store(
        mut self,
        wrap: impl FnOnce(Arc<dyn SecretStore>) -> Arc<dyn SecretStore>,
    ) -> Self {
        self.store = wrap(self.store);
        self
    }

    /// The backend's short name.
    pub fn name(&self) -> &'static str {
        self.store.backend()
    }

    /// The secret store.
    pub fn store(&self) -> &Arc<dyn SecretStore> {
        &self.store
    }

    /// What the backend supports, engines included.
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            transit: self.transit.is_some(),
            leases: self.leases.is_some(),
            dynamic_credentials: self.credentials.is_some(),
            ..self.store.capabilities()
        }
    }

    /// The transit engine, or Unsupported.
    pub fn transit(&self) -> Result<&Arc<dyn Transit>> {
        self.transit
            .as_ref()
            .ok_or_else(|| Error::unsupported(self.name(), "transit"))
    }

    /// Lease management, or Unsupported.
    pub fn leases(&self) -> Result<&Arc<dyn Leases>> {
        self.leases
            .as_ref()
            .ok_or_else(|| Error::unsupported(self.name(), "leases"))
    }

    /// The dynamic-credentials engine, or Unsupported.
    pub fn credentials(&self) -> Result<&Arc<dyn DynamicCredentials>> {
        self.credentials
            .as_ref()
            .ok_or_else(|| Error::unsupported(self.name(), "dynamic credentials"))
    }

    /// The concrete backend object, if it is a `T`.
    pub fn native<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.native.downcast_ref::<T>()
    }
}
