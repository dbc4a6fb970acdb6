//! Resolving references: one client per named store, one read per reference key, one
//! lease per dynamic credential, for as long as the resolver lives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ironsecrets_core::{Reference, Result, SecretValue, Source};

use super::Config;
use super::read::{Read, credential_request, in_reference};
use crate::Client;

/// Opens the stores a config file names, on first use, and resolves references.
pub struct Resolver {
    config: Config,
    default_uri: Option<String>,
    clients: Mutex<HashMap<Option<String>, Client>>,
    reads: tokio::sync::Mutex<HashMap<Reference, Arc<Read>>>,
}

/// The values of a set of references.
#[derive(Default)]
pub struct Resolved {
    pub(super) values: HashMap<Reference, SecretValue>,
}

impl Resolved {
    /// The value a resolved reference reads.
    pub fn get(&self, reference: &Reference) -> Option<&SecretValue> {
        self.values.get(reference)
    }

    /// Every resolved value with its reference, for masking.
    pub fn values(&self) -> impl Iterator<Item = (&Reference, &SecretValue)> {
        self.values.iter()
    }
}

impl Resolver {
    /// A resolver over `config`'s stores; `isec:///path` reads the store given by
    /// [`Resolver::with_default_store`], else the config's `default_store`, else
    /// `$IRONSECRETS_STORE` or the default local store.
    pub fn new(config: Config) -> Self {
        Resolver {
            config,
            default_uri: None,
            clients: Mutex::new(HashMap::new()),
            reads: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Makes `uri` (a `--store` argument) the store `isec:///path` reads.
    pub fn with_default_store(mut self, uri: Option<String>) -> Self {
        self.default_uri = uri.filter(|uri| !uri.is_empty());
        self
    }

    /// The config this resolver reads.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The client of a named store (`None`: the default store), opened once.
    pub async fn client(&self, store: Option<&str>) -> Result<Client> {
        let key = self.store_name(store);
        if let Some(client) = self.clients.lock().expect("clients").get(&key) {
            return Ok(client.clone());
        }
        let client = Client::open_existing(&self.store_uri(store)?).await?;
        self.set_client(store, client.clone());
        Ok(client)
    }

    /// Uses `client` for a named store (`None`: the default store) from now on, e.g.
    /// one opened with credentials of its own.
    pub fn set_client(&self, store: Option<&str>, client: Client) {
        let key = self.store_name(store);
        self.clients.lock().expect("clients").insert(key, client);
    }

    /// The URI of a named store (`None`: the default store).
    pub fn store_uri(&self, store: Option<&str>) -> Result<String> {
        match (store, &self.default_uri) {
            (None, Some(uri)) => Ok(uri.clone()),
            _ => match self.config.store_uri(store)? {
                Some(uri) => Ok(uri.to_owned()),
                None => crate::default_store_uri(),
            },
        }
    }

    /// The name a store goes by: the default store by its config name, so `isec:///x`
    /// and `isec://<default_store>/x` share a client (`None` only for a default store
    /// the config does not name).
    pub fn store_name(&self, store: Option<&str>) -> Option<String> {
        match store {
            Some(name) => Some(name.to_owned()),
            None if self.default_uri.is_none() => self.config.default_store.clone(),
            None => None,
        }
    }

    /// Resolves every reference: each distinct key is read (or issued) once per
    /// resolver, and each `#field` taken from it. The first failure is returned, naming
    /// the reference.
    pub async fn resolve<'a>(
        &self,
        references: impl IntoIterator<Item = &'a Reference>,
    ) -> Result<Resolved> {
        let mut resolved = Resolved::default();
        for reference in references {
            if resolved.values.contains_key(reference) {
                continue;
            }
            let key = reference.key();
            let read = self.read_once(&key).await?;
            resolved
                .values
                .insert(reference.clone(), read.field(reference)?);
        }
        Ok(resolved)
    }

    /// Resolves one reference.
    pub async fn resolve_one(&self, reference: &Reference) -> Result<SecretValue> {
        self.read_once(&reference.key()).await?.field(reference)
    }

    /// The read of `key`, made on first use. The lock is held across the read so two
    /// callers of one dynamic key never issue two leases.
    async fn read_once(&self, key: &Reference) -> Result<Arc<Read>> {
        let mut reads = self.reads.lock().await;
        if let Some(read) = reads.get(key) {
            return Ok(Arc::clone(read));
        }
        let read = Arc::new(self.read(key).await.map_err(|e| in_reference(e, key))?);
        reads.insert(key.clone(), Arc::clone(&read));
        Ok(read)
    }

    async fn read(&self, key: &Reference) -> Result<Read> {
        let client = self.client(key.store()).await?;
        match key.source() {
            Source::Stored(version) => {
                let secret = client.get_version(key.path(), version.clone()).await?;
                Ok(Read::Stored(secret.value))
            }
            Source::Dynamic(kind) => {
                let request = credential_request(key, kind);
                let credential = client.credentials().issue(request).await?;
                Ok(Read::Leased(credential.data))
            }
        }
    }
}
