//! A connected backend: its secret store plus whichever optional engines it has.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::views::View;
use crate::{
    Capabilities, DynamicCredentials, Error, Leases, Operation, Result, SecretStore, Service,
    Transit,
};

/// What a store URI opens: the store, the optional engines, and the backend's native
/// handle for backend-specific calls (the local store's audit and roles, Vault's engines).
///
/// A backend as opened talks to the provider directly; [`crate::Stack::apply`] returns
/// the same bundle with every part behind the layer stack (error context, retry, cache).
/// Capabilities are declared by each part and combined here, never overwritten.
#[derive(Clone)]
pub struct Backend {
    store: Arc<dyn SecretStore>,
    transit: Option<Arc<dyn Transit>>,
    leases: Option<Arc<dyn Leases>>,
    credentials: Option<Arc<dyn DynamicCredentials>>,
    native: Arc<dyn Any + Send + Sync>,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("name", &self.name())
            .field("capabilities", &self.capabilities())
            .finish_non_exhaustive()
    }
}

impl Backend {
    /// A backend around a store; engines are added with the `with_*` methods. The
    /// store is also the native handle until [`Backend::with_native`] names another.
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

    /// Sets the native handle [`Backend::native`] returns (e.g. the Vault client that
    /// every engine of a Vault backend shares).
    pub fn with_native(mut self, native: Arc<dyn Any + Send + Sync>) -> Self {
        self.native = native;
        self
    }

    /// A backend whose store and engines (those `parts` has) are views onto `service`
    /// (typically `parts` behind a layer stack), with the native handle of `parts`.
    pub fn over(service: Arc<dyn Service>, parts: &Backend) -> Self {
        let view = View::new(service);
        Backend {
            store: view.clone(),
            transit: parts.transit.is_some().then(|| view.clone() as _),
            leases: parts.leases.is_some().then(|| view.clone() as _),
            credentials: parts.credentials.is_some().then_some(view as _),
            native: Arc::clone(&parts.native),
        }
    }

    /// The backend's short name (`local`, `vault`, `aws`, ...).
    pub fn name(&self) -> &'static str {
        self.store.backend()
    }

    /// The secret store.
    pub fn store(&self) -> &Arc<dyn SecretStore> {
        &self.store
    }

    /// What the backend supports, as each part declares it.
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            store: self.store.capabilities(),
            transit: self.transit.as_ref().map(|t| t.capabilities()),
            leases: self.leases.is_some(),
            dynamic_credentials: self.credentials.is_some(),
        }
    }

    /// The transit engine, or Unsupported naming the backend.
    pub fn transit(&self) -> Result<&Arc<dyn Transit>> {
        self.transit
            .as_ref()
            .ok_or_else(|| Error::unsupported_feature(self.name(), "transit"))
    }

    /// Lease management, or Unsupported naming the backend.
    pub fn leases(&self) -> Result<&Arc<dyn Leases>> {
        self.leases
            .as_ref()
            .ok_or_else(|| Error::unsupported_feature(self.name(), "leases"))
    }

    /// The dynamic-credentials engine, or Unsupported naming the backend.
    pub fn credentials(&self) -> Result<&Arc<dyn DynamicCredentials>> {
        self.credentials
            .as_ref()
            .ok_or_else(|| Error::unsupported(self.name(), Operation::IssueCredential))
    }

    /// The native handle, if it is a `T`.
    pub fn native<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.native.downcast_ref::<T>()
    }
}
