//! Resolving references: one client per named store, one read per reference key, one
//! lease per dynamic credential, for as long as the resolver lives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ironsecrets_core::{
    CredentialRequest, DynamicKind, Error, Reference, Result, SecretMap, SecretValue, Source,
};

use super::Config;
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
    values: HashMap<Reference, SecretValue>,
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
        let key = store.map(str::to_owned);
        if let Some(client) = self.clients.lock().expect("clients").get(&key) {
            return Ok(client.clone());
        }
        let uri = match (store, &self.default_uri) {
            (None, Some(uri)) => uri.clone(),
            _ => match self.config.store_uri(store)? {
                Some(uri) => uri.to_owned(),
                None => crate::default_store_uri()?,
            },
        };
        let client = Client::open_existing(&uri).await?;
        self.clients
            .lock()
            .expect("clients")
            .insert(key, client.clone());
        Ok(client)
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
                let (mount, role) = key.mount_and_role().expect("checked by the parser");
                let (mount, role) = (mount.to_owned(), role.to_owned());
                let request = match kind {
                    DynamicKind::Database => CredentialRequest::Database { mount, role },
                    DynamicKind::DatabaseStatic => {
                        CredentialRequest::DatabaseStatic { mount, role }
                    }
                    DynamicKind::Cloud => CredentialRequest::Cloud {
                        mount,
                        role,
                        ttl: None,
                    },
                };
                let credential = client.credentials().issue(request).await?;
                Ok(Read::Leased(credential.data))
            }
        }
    }
}

/// What one reference key read.
enum Read {
    Stored(SecretValue),
    Leased(SecretMap),
}

impl Read {
    /// The value `reference` asks for: the whole secret, or one of its fields.
    fn field(&self, reference: &Reference) -> Result<SecretValue> {
        let fields = match (self, reference.field()) {
            (Read::Stored(value), None) => return Ok(value.clone()),
            (Read::Stored(value), Some(_)) => SecretMap::from_value(value).map_err(|_| {
                Error::invalid_input(format!(
                    "{reference}: the secret is not a key/value secret, so it has no #field"
                ))
            })?,
            (Read::Leased(fields), _) => fields.clone(),
        };
        let names = || fields.keys().collect::<Vec<_>>().join(", ");
        let Some(field) = reference.field() else {
            return Err(Error::invalid_input(format!(
                "{reference}: a dynamic credential has several fields; name one with #field ({})",
                names()
            )));
        };
        fields.get(field).cloned().ok_or_else(|| {
            Error::not_found(format!(
                "{reference}: no field '{field}' (fields: {})",
                names()
            ))
        })
    }
}

/// `err` with the reference it came from in front of its message.
fn in_reference(err: Error, reference: &Reference) -> Error {
    Error::new(err.kind(), format!("{reference}: {err}"))
}
