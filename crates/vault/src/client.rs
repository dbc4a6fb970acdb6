//! `VaultClient`: the vaultrs client built from a [`VaultConfig`], and the one request
//! helper every engine uses.
//!
//! The HTTP client under vaultrs is built here (rustls, the config's CA / mTLS / timeout
//! / server name, nothing read from the environment behind our back) and handed to
//! vaultrs. Requests are vaultrs endpoints, sent through vaultrs's middleware (API
//! version, token, namespace) on that same HTTP client; we read the response ourselves
//! so the status, Vault's error messages and `Retry-After` all reach the error mapping.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use ironsecrets_core::{Error, ErrorKind, Result, SecretValue};
use rustify::endpoint::Endpoint;
use rustify::enums::{RequestMethod, RequestType, ResponseType};
use rustify::errors::ClientError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;
use vaultrs::api::EndpointMiddleware;
use vaultrs::client::VaultClientSettings;
use zeroize::Zeroizing;

use crate::{VaultConfig, errors};

/// A request to a Vault API path that vaultrs has no endpoint type for (or whose type
/// lacks a field the API takes), sent like any vaultrs endpoint: same middleware (API
/// version, token, namespace), same HTTP client, same error mapping. The path is under
/// `/v1/`; the body is JSON. Not Debug: the body may hold a secret.
pub(crate) struct ApiRequest {
    method: RequestMethod,
    path: String,
    query: Option<String>,
    body: Option<serde_json::Value>,
}

impl ApiRequest {
    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        ApiRequest {
            method: RequestMethod::GET,
            path: path.into(),
            query: None,
            body: None,
        }
    }

    /// `POST path` with a JSON body.
    pub fn post(path: impl Into<String>, body: serde_json::Value) -> Self {
        ApiRequest {
            method: RequestMethod::POST,
            path: path.into(),
            query: None,
            body: Some(body),
        }
    }

    /// `PATCH path` with a JSON merge patch (RFC 7396) body, sent as
    /// `application/merge-patch+json` (see [`VaultClient::send`]).
    pub fn patch(path: impl Into<String>, body: serde_json::Value) -> Self {
        ApiRequest {
            method: RequestMethod::PATCH,
            path: path.into(),
            query: None,
            body: Some(body),
        }
    }

    /// `DELETE path`.
    pub fn delete(path: impl Into<String>) -> Self {
        ApiRequest {
            method: RequestMethod::DELETE,
            path: path.into(),
            query: None,
            body: None,
        }
    }

    /// The request with a query string (`name=value&...`, already encoded).
    pub fn with_query(mut self, query: String) -> Self {
        self.query = Some(query).filter(|q| !q.is_empty());
        self
    }
}

impl Endpoint for ApiRequest {
    type Response = serde_json::Value;
    const REQUEST_BODY_TYPE: RequestType = RequestType::JSON;
    const RESPONSE_BODY_TYPE: ResponseType = ResponseType::JSON;

    fn path(&self) -> String {
        self.path.clone()
    }

    fn method(&self) -> RequestMethod {
        self.method.clone()
    }

    fn query(&self) -> std::result::Result<Option<String>, ClientError> {
        Ok(self.query.clone())
    }

    fn body(&self) -> std::result::Result<Option<Vec<u8>>, ClientError> {
        self.body
            .as_ref()
            .map(|body| rustify::http::build_body(body, RequestType::JSON))
            .transpose()
    }
}

/// The content type of Vault's PATCH requests (RFC 7396 JSON merge patch).
const MERGE_PATCH: &str = "application/merge-patch+json";

/// `name` (a role, key or other name from the caller) checked to be one path segment:
/// not empty, not `.` or `..`, no `/`, `?`, `#`, `%`, whitespace or control character,
/// so it cannot reach another API path. `what` names it in the error.
pub(crate) fn path_segment<'a>(name: &'a str, what: &str) -> Result<&'a str> {
    let bad = |c: char| matches!(c, '/' | '?' | '#' | '%') || c.is_whitespace() || c.is_control();
    if name.is_empty() || name == "." || name == ".." || name.contains(bad) {
        return Err(Error::invalid_input(format!(
            "the {what} '{}' is not a single path segment (no '/', '?', '#', '%', spaces, \
             '.' or '..')",
            name.escape_default()
        )));
    }
    Ok(name)
}

/// A duration as a Vault duration parameter, in whole seconds (`"3600s"`).
pub(crate) fn duration_param(duration: Duration) -> String {
    format!("{}s", duration.as_secs())
}

/// A connection to one Vault / OpenBao server. Cheap to clone; clones share the HTTP
/// connection pool. Debug shows the address only, never the token.
#[derive(Clone)]
pub struct VaultClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// The vaultrs client. A login ([`VaultClient::set_token`]) replaces it whole with
    /// one carrying the new token on the same HTTP client (and connection pool).
    vault: RwLock<Arc<vaultrs::client::VaultClient>>,
    /// The address as configured, for messages.
    address: String,
    timeout: Duration,
}

impl fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultClient")
            .field("address", &self.inner.address)
            .finish_non_exhaustive()
    }
}

/// A response as received: status, `Retry-After`, and the body (wiped on drop).
pub(crate) struct Reply {
    pub status: u16,
    retry_after: Option<Duration>,
    pub body: Zeroizing<Vec<u8>>,
}

impl Reply {
    /// The reply itself if its status is a success, else the mapped error.
    pub fn success(self) -> Result<Reply> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(errors::from_status(
                self.status,
                self.retry_after,
                &self.body,
            ))
        }
    }

    /// The body parsed as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|_| errors::unreadable_answer())
    }

    /// The `data` field of Vault's response envelope, parsed as `T`.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T> {
        #[derive(Deserialize)]
        struct Envelope<T> {
            data: Option<T>,
        }
        self.json::<Envelope<T>>()?
            .data
            .ok_or_else(errors::unreadable_answer)
    }
}

impl VaultClient {
    /// Builds the client for `config` (validated first). Sends no request; with a TLS
    /// server name set, resolves the address's host once to pin it under that name.
    pub async fn connect(config: &VaultConfig) -> Result<Self> {
        let address = config.validate()?;
        let base = match &config.tls.server_name {
            Some(name) if address.scheme() == "https" => with_host(&address, name)?,
            _ => address.clone(),
        };
        let http = http_client(config, &address, &base).await?;
        let token = match &config.token {
            Some(token) => token.expose_str()?.to_owned(),
            None => String::new(),
        };
        let middle = EndpointMiddleware {
            token: token.clone(),
            version: "v1".to_owned(),
            wrap: None,
            namespace: config.namespace.clone(),
        };
        let settings = VaultClientSettings {
            address: base.clone(),
            ca_certs: Vec::new(),
            identity: None,
            timeout: Some(config.timeout),
            token,
            verify: !config.tls.skip_verify,
            version: 1,
            wrapping: false,
            namespace: config.namespace.clone(),
            proxy: None,
        };
        let vault = vaultrs::client::VaultClient {
            http: rustify::clients::reqwest::Client::new(base.as_str(), http),
            middle,
            settings,
        };
        Ok(VaultClient {
            inner: Arc::new(Inner {
                vault: RwLock::new(Arc::new(vault)),
                address: config.address.clone(),
                timeout: config.timeout,
            }),
        })
    }

    /// The underlying vaultrs client as of now (a later login swaps in a new one), for
    /// calling vaultrs's own functions. Its Debug output shows the token: never print it.
    pub fn vaultrs(&self) -> Arc<vaultrs::client::VaultClient> {
        Arc::clone(
            &self
                .inner
                .vault
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Whether a token is sent; Vault answers a missing token with a plain 403.
    fn has_token(&self) -> bool {
        !self.vaultrs().middle.token.is_empty()
    }

    /// Makes this client and all its clones send `token` from the next request on (what
    /// a login does). Requests already under way finish with the token they started with.
    pub(crate) fn set_token(&self, token: &SecretValue) -> Result<()> {
        let token = token.expose_str()?;
        crate::config::header_safe("the token", token.as_bytes())?;
        let mut vault = self
            .inner
            .vault
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let old = Arc::clone(&vault);
        *vault = Arc::new(vaultrs::client::VaultClient {
            http: rustify::clients::reqwest::Client {
                http: old.http.http.clone(),
                base: old.http.base.clone(),
            },
            middle: EndpointMiddleware {
                token: token.to_owned(),
                ..old.middle.clone()
            },
            settings: VaultClientSettings {
                token: token.to_owned(),
                ..old.settings.clone()
            },
        });
        Ok(())
    }

    /// The server address as configured.
    pub fn address(&self) -> &str {
        &self.inner.address
    }

    /// Sends a vaultrs endpoint through vaultrs's middleware on our HTTP client and
    /// returns the reply whatever its status; only transport failures are errors. A
    /// PATCH is sent as `application/merge-patch+json`, the only type Vault takes.
    pub(crate) async fn send<E: Endpoint>(&self, endpoint: E) -> Result<Reply> {
        let vault = self.vaultrs();
        let request = endpoint
            .with_middleware(&vault.middle)
            .request(&vault.http.base)
            .map_err(|e| errors::request_build(&e.to_string()))?;
        let mut request = reqwest::Request::try_from(request)
            .map_err(|e| errors::request_build(&e.to_string()))?;
        if request.method() == reqwest::Method::PATCH {
            // Vault's PATCH endpoints take JSON merge patches only, and answer any other
            // content type (rustify sets none) with 415.
            request.headers_mut().insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static(MERGE_PATCH),
            );
        }
        let transport = |e| errors::transport(e, &self.inner.address, self.inner.timeout);
        let response = vault.http.http.execute(request).await.map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = errors::retry_after(response.headers());
        let body = response.bytes().await.map_err(transport)?;
        Ok(Reply {
            status,
            retry_after,
            body: Zeroizing::new(body.to_vec()),
        })
    }

    /// Sends an endpoint and requires a success status. A denial while no token is
    /// configured is Unauthenticated, saying where the token is looked for.
    pub(crate) async fn call<E: Endpoint>(&self, endpoint: E) -> Result<Reply> {
        self.send(endpoint).await?.success().map_err(|e| {
            if e.kind() == ErrorKind::PermissionDenied && !self.has_token() {
                Error::new(
                    ErrorKind::Unauthenticated,
                    "Vault denied the request and no token is configured; set VAULT_TOKEN \
                     or log in with the Vault CLI (~/.vault-token)",
                )
            } else {
                e
            }
        })
    }
}

/// `address` with its host replaced by `name` (the TLS server name).
fn with_host(address: &Url, name: &str) -> Result<Url> {
    let mut base = address.clone();
    base.set_host(Some(name))
        .map_err(|e| Error::config(format!("the TLS server name '{name}' is not a host: {e}")))?;
    Ok(base)
}

/// The reqwest client vaultrs runs on: rustls, the config's roots, client identity,
/// timeouts; no redirect to plain http from https.
async fn http_client(config: &VaultConfig, address: &Url, base: &Url) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .tls_backend_rustls()
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(10)));
    if address.scheme() == "http" {
        // No TLS is used; an empty root set avoids loading the platform's roots.
        builder = builder.tls_certs_only(Vec::new());
    } else {
        builder = builder.https_only(true);
        let roots = ca_certificates(config)?;
        if !roots.is_empty() {
            builder = builder.tls_certs_only(roots);
        }
        if let (Some(cert), Some(key)) = (&config.tls.client_cert, &config.tls.client_key) {
            let mut pem = read(cert, "client certificate")?;
            pem.extend_from_slice(b"\n");
            pem.extend_from_slice(&read(key, "client key")?);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
                Error::config(format!(
                    "{} and {} are not a PEM certificate and matching private key",
                    cert.display(),
                    key.display()
                ))
            })?;
            builder = builder.identity(identity);
        }
        if config.tls.skip_verify {
            builder = builder
                .tls_danger_accept_invalid_certs(true)
                .tls_danger_accept_invalid_hostnames(true);
        }
        if base.host_str() != address.host_str() {
            builder = builder.resolve_to_addrs(
                base.host_str().unwrap_or_default(),
                &resolve(address).await?,
            );
        }
    }
    builder
        .build()
        .map_err(|e| Error::config(format!("cannot set up the HTTP client: {e}")))
}

/// The CA certificates from `ca_cert` and every file in `ca_path`.
fn ca_certificates(config: &VaultConfig) -> Result<Vec<reqwest::Certificate>> {
    let mut files = Vec::new();
    files.extend(config.tls.ca_cert.clone());
    if let Some(dir) = &config.tls.ca_path {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Error::config(format!(
                "cannot read the CA directory {}: {e}",
                dir.display()
            ))
        })?;
        let mut found: Vec<_> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file())
            .collect();
        found.sort();
        files.extend(found);
    }
    let mut roots = Vec::new();
    for file in files {
        let certs = reqwest::Certificate::from_pem_bundle(&read(&file, "CA certificate")?)
            .ok()
            .filter(|certs| !certs.is_empty())
            .ok_or_else(|| {
                Error::config(format!("{} holds no PEM CA certificate", file.display()))
            })?;
        roots.extend(certs);
    }
    Ok(roots)
}

fn read(file: &std::path::Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(file)
        .map_err(|e| Error::config(format!("cannot read the {what} {}: {e}", file.display())))
}

/// The socket addresses of `address`'s host and port.
async fn resolve(address: &Url) -> Result<Vec<SocketAddr>> {
    let host = address.host_str().unwrap_or_default();
    let port = address.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| Error::config(format!("cannot resolve the Vault host {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(Error::config(format!(
            "the Vault host {host} resolves to no address"
        )));
    }
    Ok(addrs)
}
