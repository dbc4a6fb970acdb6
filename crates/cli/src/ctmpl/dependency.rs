//! What a consul-template template asks Vault for: `secret` (a read, or a write when it
//! has `key=value` arguments), `secrets` (a list) and `pkiCert` (a certificate kept until
//! it is due), and how each is fetched.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use gotmpl::Value;
use std::time::Duration;

use ironsecrets::vault::{VaultClient, VaultLeases};
use ironsecrets::{Error, Lease, Result};
use tokio::sync::Mutex;

use super::json::from_json;
use super::pem::Pem;

/// One thing a template asks for; equal requests are fetched once per render. Debug
/// is Display: the data's keys, never its values.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Dependency {
    /// `secret "path[?version=N]"`.
    Read {
        /// The path as written.
        path: String,
        /// Query parameters (`version`).
        query: Vec<(String, String)>,
    },
    /// `secret "path" "key=value" ...`.
    Write {
        /// The path.
        path: String,
        /// The data written.
        data: Vec<(String, String)>,
    },
    /// `secrets "path"`.
    List {
        /// The path.
        path: String,
    },
    /// `pkiCert "path" "key=value" ...`.
    Pki {
        /// The issue path.
        path: String,
        /// The issue parameters.
        data: Vec<(String, String)>,
    },
}

impl Dependency {
    /// The dependency `function` called with `args` asks for.
    pub fn from_call(function: &str, args: &[Value]) -> std::result::Result<Self, String> {
        // Errors name an argument by position, never by value: it may be a fetched secret.
        let strings = args
            .iter()
            .enumerate()
            .map(|(index, arg)| match arg {
                Value::String(s) => Ok(s.to_string()),
                _ => Err(format!(
                    "{function}: argument {} is not a string",
                    index + 1
                )),
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let Some((path, rest)) = strings.split_first() else {
            return Err(format!("{function}: expected a path"));
        };
        let pairs = || {
            rest.iter()
                .enumerate()
                .map(|(index, arg)| {
                    arg.split_once('=')
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .ok_or_else(|| {
                            format!("{function}: argument {} is not a key=value pair", index + 2)
                        })
                })
                .collect::<std::result::Result<Vec<_>, _>>()
        };
        Ok(match function {
            "secret" if rest.is_empty() => {
                let (path, query) = path.split_once('?').unwrap_or((path, ""));
                let query = url::form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                Dependency::Read {
                    path: path.trim_matches('/').to_owned(),
                    query,
                }
            }
            "secret" => Dependency::Write {
                path: path.trim_matches('/').to_owned(),
                data: pairs()?,
            },
            "secrets" if rest.is_empty() => Dependency::List {
                path: path.trim_matches('/').to_owned(),
            },
            "pkiCert" => Dependency::Pki {
                path: path.trim_matches('/').to_owned(),
                data: pairs()?,
            },
            _ => return Err(format!("{function}: expected 1 argument")),
        })
    }
}

impl fmt::Debug for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How the dependency is written in the template (the data's keys, never its values).
impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = |data: &[(String, String)]| {
            data.iter()
                .map(|(k, _)| format!(" \"{k}=…\""))
                .collect::<String>()
        };
        match self {
            Dependency::Read { path, query } if query.is_empty() => write!(f, "secret \"{path}\""),
            Dependency::Read { path, query } => {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query)
                    .finish();
                write!(f, "secret \"{path}?{query}\"")
            }
            Dependency::Write { path, data } => write!(f, "secret \"{path}\"{}", keys(data)),
            Dependency::List { path } => write!(f, "secrets \"{path}\""),
            Dependency::Pki { path, data } => write!(f, "pkiCert \"{path}\"{}", keys(data)),
        }
    }
}

/// Fetches dependencies from one Vault / OpenBao client, as consul-template does: KV
/// v2 paths get their `data/` segment, a deleted version is no secret, a `pkiCert`
/// already in the destination file is kept until 2/3 of its validity has passed.
pub struct Fetcher {
    client: VaultClient,
    /// KV mounts found so far, and paths found under none.
    mounts: Mutex<(Vec<ironsecrets::vault::KvMount>, HashSet<String>)>,
}

impl Fetcher {
    /// A fetcher on `client`.
    pub fn new(client: VaultClient) -> Self {
        Fetcher {
            client,
            mounts: Mutex::new((Vec::new(), HashSet::new())),
        }
    }

    /// The template value of `dependency`; `destination` is the file a `pkiCert` may
    /// already be in.
    pub async fn fetch(&self, dependency: &Dependency, destination: &Path) -> Result<Value> {
        Ok(self.fetch_kept(dependency, destination).await?.value)
    }

    /// The value with when it should be fetched again.
    pub async fn fetch_kept(&self, dependency: &Dependency, destination: &Path) -> Result<Fetched> {
        match dependency {
            Dependency::Read { path, query } => {
                let path = self.shim(path).await?;
                let body = self.client.read_logical(&path, query).await?;
                let body = body.ok_or_else(|| no_secret(&path))?;
                let deleted = body
                    .pointer("/data/metadata/deletion_time")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|t| !t.is_empty());
                if deleted {
                    return Err(no_secret(&path));
                }
                let refresh = match lease(&body) {
                    Some(lease) => Refresh::Lease(lease),
                    None => Refresh::Poll,
                };
                Ok(Fetched::new(secret(&body), refresh))
            }
            Dependency::Write { path, data } => {
                let body = self.client.write_logical(path, object(data)).await?;
                let body = body.unwrap_or_default();
                let refresh = match (lease(&body), expiration(&body)) {
                    (Some(lease), _) => Refresh::Lease(lease),
                    (None, Some(end)) => {
                        Refresh::At(two_thirds(chrono::Utc::now().timestamp(), end))
                    }
                    (None, None) => Refresh::Never,
                };
                Ok(Fetched::new(secret(&body), refresh))
            }
            Dependency::List { path } => {
                let path = self.shim_list(path).await?;
                let keys = self.client.list_logical(&path).await?;
                let keys = keys.into_iter().map(|k| Value::String(k.into())).collect();
                Ok(Fetched::new(Value::List(keys), Refresh::Poll))
            }
            Dependency::Pki { path, data } => {
                if let Some(pem) = Pem::from_file(destination)
                    && let Some(due) = pem.due_in()
                {
                    return Ok(Fetched::new(pem.value(), Refresh::At(due)));
                }
                let body = self.client.write_logical(path, object(data)).await?;
                let body = body.ok_or_else(|| {
                    Error::not_found(format!("Vault issued no certificate at {path}"))
                })?;
                let pem = Pem::from_issue(&body);
                let due = pem.due_in().unwrap_or(Duration::ZERO);
                Ok(Fetched::new(pem.value(), Refresh::At(due)))
            }
        }
    }

    /// The client's leases, to renew and revoke what `fetch_kept` leased.
    pub fn leases(&self) -> VaultLeases {
        VaultLeases::new(self.client.clone())
    }

    /// `path` with the `data/` segment a KV v2 mount needs (consul-template's shim).
    async fn shim(&self, path: &str) -> Result<String> {
        let Some(mount) = self.mount(path).await? else {
            return Ok(path.to_owned());
        };
        if mount.version != 2 {
            return Ok(path.to_owned());
        }
        let rest = path
            .strip_prefix(mount.path.trim_end_matches('/'))
            .unwrap_or(path)
            .trim_start_matches('/');
        if rest.starts_with("data/") || rest.starts_with("metadata/") {
            return Ok(path.to_owned());
        }
        Ok(format!("{}data/{rest}", mount.path)
            .trim_end_matches('/')
            .to_owned())
    }

    /// `path` with the `metadata/` segment a KV v2 list needs.
    async fn shim_list(&self, path: &str) -> Result<String> {
        match self.mount(path).await? {
            Some(mount) if mount.version == 2 => {
                let rest = path
                    .strip_prefix(mount.path.trim_end_matches('/'))
                    .unwrap_or(path)
                    .trim_start_matches('/');
                if rest.starts_with("metadata/") {
                    return Ok(path.to_owned());
                }
                Ok(format!("{}metadata/{rest}", mount.path))
            }
            _ => Ok(path.to_owned()),
        }
    }

    async fn mount(&self, path: &str) -> Result<Option<ironsecrets::vault::KvMount>> {
        let mut guard = self.mounts.lock().await;
        let (mounts, elsewhere) = &mut *guard;
        if let Some(mount) = mounts
            .iter()
            .find(|m| format!("{path}/").starts_with(&m.path))
        {
            return Ok(Some(mount.clone()));
        }
        if elsewhere.contains(path) {
            return Ok(None);
        }
        let mount = self.client.kv_mount(path).await?;
        match &mount {
            Some(mount) => mounts.push(mount.clone()),
            None => {
                elsewhere.insert(path.to_owned());
            }
        }
        Ok(mount)
    }
}

/// A fetched value and when to fetch it again.
pub struct Fetched {
    /// The template value.
    pub value: Value,
    /// When it changes.
    pub refresh: Refresh,
}

impl Fetched {
    fn new(value: Value, refresh: Refresh) -> Self {
        Fetched { value, refresh }
    }
}

/// When a fetched value should be fetched again, as consul-template decides it.
pub enum Refresh {
    /// Under a lease: renewed while it can be, then fetched again.
    Lease(Lease),
    /// Static: read again every poll interval.
    Poll,
    /// A certificate: issued again after this long (2/3 of its validity).
    At(Duration),
    /// A write without a lease or expiry: once.
    Never,
}

/// The response's lease, when it has an id. A duration without one (KV v1's default
/// ttl of 768 h) is no lease: such a secret is polled like any static one.
fn lease(body: &serde_json::Value) -> Option<Lease> {
    let id = body.get("lease_id").and_then(|v| v.as_str()).unwrap_or("");
    let ttl = body
        .get("lease_duration")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    (!id.is_empty()).then(|| Lease {
        id: id.to_owned(),
        ttl: Duration::from_secs(ttl),
        renewable: body
            .get("renewable")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        issued_at: chrono::Utc::now(),
    })
}

/// A certificate response's `data.expiration` (Unix seconds).
fn expiration(body: &serde_json::Value) -> Option<i64> {
    body.pointer("/data/expiration").and_then(|v| v.as_i64())
}

/// How long from `now` until 2/3 of the way to `end` (Unix seconds).
pub fn two_thirds(now: i64, end: i64) -> Duration {
    Duration::from_secs(u64::try_from((end - now) * 2 / 3).unwrap_or(0))
}

fn no_secret(path: &str) -> Error {
    Error::not_found(format!("no secret exists at {path}"))
}

fn object(data: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    data.iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect()
}

/// A Vault response as consul-template's `Secret`: `RequestID`, `LeaseID`,
/// `LeaseDuration`, `Renewable`, `Data`, `Warnings`, `Auth`, `WrapInfo`.
fn secret(body: &serde_json::Value) -> Value {
    let field = |name: &str| body.get(name).map_or(Value::Nil, from_json);
    let text =
        |name: &str| Value::String(body.get(name).and_then(|v| v.as_str()).unwrap_or("").into());
    let fields = [
        ("RequestID", text("request_id")),
        ("LeaseID", text("lease_id")),
        (
            "LeaseDuration",
            Value::Int(
                body.get("lease_duration")
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0),
            ),
        ),
        (
            "Renewable",
            Value::Bool(
                body.get("renewable")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
            ),
        ),
        ("Data", field("data")),
        ("Warnings", field("warnings")),
        ("Auth", field("auth")),
        ("WrapInfo", field("wrap_info")),
    ];
    Value::Map(Arc::new(
        fields
            .into_iter()
            .map(|(k, v)| (Arc::<str>::from(k), v))
            .collect(),
    ))
}
