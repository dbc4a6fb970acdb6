//! `VaultOptions`: the `vault://` backend's typed options, read from a URI
//! (`vault://127.0.0.1:8200?mount=kv&tls=false`) or from key/value options, and opening
//! a [`Backend`] from them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ironsecrets_core::{Backend, BackendOptions, Error, Location, Options, Result, SecretValue};
use serde::Deserialize;

use crate::{
    Kv1Store, Kv2Store, KvVersion, Login, VaultClient, VaultConfig, VaultCredentials, VaultLeases,
    VaultTransit,
};

/// The port used when a `vault://` URI names none.
pub const DEFAULT_PORT: u16 = 8200;

/// How to reach a Vault / OpenBao server and which mounts to use. Options left unset
/// come from the Vault CLI's variables (`VAULT_ADDR`, `VAULT_TOKEN` or `~/.vault-token`,
/// `VAULT_NAMESPACE`, `VAULT_CACERT`, `VAULT_CAPATH`, `VAULT_CLIENT_CERT`,
/// `VAULT_CLIENT_KEY`, `VAULT_SKIP_VERIFY`, `VAULT_TLS_SERVER_NAME`), then the defaults.
///
/// | option | meaning |
/// |---|---|
/// | `host`, `port` | the server (the URI's host and port; port 8200 by default) |
/// | `tls` | `true` (default): https; `false`: plain http |
/// | `address` | the whole address instead of host/port/tls (`https://vault:8200`) |
/// | `token` | the token (a credential: never in a URI) |
/// | `namespace` | the Vault Enterprise / OpenBao namespace |
/// | `mount`, `kv` | the KV mount (default `secret`) and its version (`1` or `2`, default 2) |
/// | `transit` | the transit mount (default `transit`) |
/// | `allow_http` | allow plain http to a host that is not loopback |
/// | `timeout` | seconds per request (default 30) |
/// | `ca_cert`, `ca_path`, `client_cert`, `client_key`, `skip_verify`, `server_name` | TLS |
/// | `login` | log in at open instead of using a token: `approle`, `userpass`, `jwt`, `kubernetes` or `cert` |
/// | `auth_mount` | the auth method's mount (default: the method's name) |
/// | `role_id`, `secret_id` | AppRole (`secret_id` is a credential) |
/// | `username`, `password` | userpass (`password` is a credential) |
/// | `role`, `jwt` | JWT (`jwt` is a credential) and Kubernetes role |
/// | `token_file` | Kubernetes service-account token file |
/// | `cert_name` | the certificate role to try (cert login) |
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultOptions {
    /// The server's host.
    #[serde(default)]
    pub host: Option<String>,
    /// The server's port.
    #[serde(default)]
    pub port: Option<u16>,
    /// https (default) or plain http.
    #[serde(default)]
    pub tls: Option<bool>,
    /// The whole address, instead of host, port and tls.
    #[serde(default)]
    pub address: Option<String>,
    /// The token.
    #[serde(default)]
    pub token: Option<SecretValue>,
    /// The namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The KV mount.
    #[serde(default)]
    pub mount: Option<String>,
    /// The KV version.
    #[serde(default)]
    pub kv: Option<KvVersion>,
    /// The transit mount.
    #[serde(default)]
    pub transit: Option<String>,
    /// Allow plain http to a host that is not loopback.
    #[serde(default)]
    pub allow_http: Option<bool>,
    /// The limit per request.
    #[serde(default, deserialize_with = "ironsecrets_core::options::seconds")]
    pub timeout: Option<Duration>,
    /// A PEM file of CA certificates to trust.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// A directory of PEM CA certificates to trust.
    #[serde(default)]
    pub ca_path: Option<PathBuf>,
    /// The client certificate (mTLS).
    #[serde(default)]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's key.
    #[serde(default)]
    pub client_key: Option<PathBuf>,
    /// Accept any server certificate (tests only).
    #[serde(default)]
    pub skip_verify: Option<bool>,
    /// The name to verify the server certificate against.
    #[serde(default)]
    pub server_name: Option<String>,
    /// Log in with this auth method at open.
    #[serde(default)]
    pub login: Option<LoginMethod>,
    /// The auth method's mount.
    #[serde(default)]
    pub auth_mount: Option<String>,
    /// AppRole role id.
    #[serde(default)]
    pub role_id: Option<String>,
    /// AppRole secret id.
    #[serde(default)]
    pub secret_id: Option<SecretValue>,
    /// Userpass user name.
    #[serde(default)]
    pub username: Option<String>,
    /// Userpass password.
    #[serde(default)]
    pub password: Option<SecretValue>,
    /// JWT or Kubernetes role.
    #[serde(default)]
    pub role: Option<String>,
    /// The signed JWT.
    #[serde(default)]
    pub jwt: Option<SecretValue>,
    /// Kubernetes service-account token file.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// The certificate role to try (cert login).
    #[serde(default)]
    pub cert_name: Option<String>,
}

/// The auth methods [`VaultOptions::login`] can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginMethod {
    /// AppRole (`role_id`, `secret_id`).
    AppRole,
    /// Userpass (`username`, `password`).
    Userpass,
    /// JWT / OIDC (`jwt`, optional `role`).
    Jwt,
    /// Kubernetes (`role`, optional `token_file`).
    Kubernetes,
    /// TLS client certificate (`client_cert`, `client_key`, optional `cert_name`).
    Cert,
}

fn required<T>(value: Option<T>, option: &str, method: &str) -> Result<T> {
    value.ok_or_else(|| Error::config(format!("login={method} needs the option '{option}'")))
}

impl VaultOptions {
    /// The client configuration and the login these options stand for, with unset
    /// options read through `var` (the process environment in [`BackendOptions::open`]).
    pub fn resolve(
        self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<(VaultConfig, Option<Login>)> {
        let mut config = VaultConfig::from_vars(var)?;
        match (&self.address, &self.host) {
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    "give the Vault server as `address` or as `host` (and `port`, `tls`), not both",
                ));
            }
            (Some(address), None) => config.address = address.clone(),
            (None, Some(host)) => {
                let scheme = if self.tls.unwrap_or(true) {
                    "https"
                } else {
                    "http"
                };
                let port = self.port.unwrap_or(DEFAULT_PORT);
                config.address = format!("{scheme}://{host}:{port}");
            }
            (None, None) => {}
        }
        if self.token.is_some() {
            config.token = self.token.clone();
        }
        if let Some(namespace) = &self.namespace {
            config.namespace = Some(namespace.clone()).filter(|n| !n.is_empty());
        }
        if let Some(mount) = &self.mount {
            config.mount = mount.trim_matches('/').to_owned();
        }
        if let Some(transit) = self.transit.as_deref().map(|t| t.trim_matches('/')) {
            if transit.is_empty() {
                return Err(Error::config("the transit mount path is empty"));
            }
            config.transit_mount = transit.to_owned();
        }
        config.kv_version = self.kv.unwrap_or(config.kv_version);
        config.allow_http = self.allow_http.unwrap_or(config.allow_http);
        config.timeout = self.timeout.unwrap_or(config.timeout);
        let tls = &mut config.tls;
        tls.ca_cert = self.ca_cert.clone().or(tls.ca_cert.take());
        tls.ca_path = self.ca_path.clone().or(tls.ca_path.take());
        tls.client_cert = self.client_cert.clone().or(tls.client_cert.take());
        tls.client_key = self.client_key.clone().or(tls.client_key.take());
        tls.skip_verify = self.skip_verify.unwrap_or(tls.skip_verify);
        if let Some(name) = self.server_name.clone().filter(|n| !n.is_empty()) {
            tls.server_name = Some(name);
        }
        let login = self.login()?;
        config.validate()?;
        Ok((config, login))
    }

    /// The login the options ask for; options of a method not chosen are refused.
    fn login(self) -> Result<Option<Login>> {
        let Some(method) = self.login else {
            let stray = [
                ("auth_mount", self.auth_mount.is_some()),
                ("role_id", self.role_id.is_some()),
                ("secret_id", self.secret_id.is_some()),
                ("username", self.username.is_some()),
                ("password", self.password.is_some()),
                ("role", self.role.is_some()),
                ("jwt", self.jwt.is_some()),
                ("token_file", self.token_file.is_some()),
                ("cert_name", self.cert_name.is_some()),
            ];
            if let Some((name, _)) = stray.iter().find(|(_, set)| *set) {
                return Err(Error::config(format!(
                    "the option '{name}' belongs to a login; set login=approle, userpass, \
                     jwt, kubernetes or cert"
                )));
            }
            return Ok(None);
        };
        let login = match method {
            LoginMethod::AppRole => Login::approle(
                required(self.role_id, "role_id", "approle")?,
                required(self.secret_id, "secret_id", "approle")?,
            ),
            LoginMethod::Userpass => Login::userpass(
                required(self.username, "username", "userpass")?,
                required(self.password, "password", "userpass")?,
            ),
            LoginMethod::Jwt => Login::jwt(self.role, required(self.jwt, "jwt", "jwt")?),
            LoginMethod::Kubernetes => {
                let login = Login::kubernetes(required(self.role, "role", "kubernetes")?);
                match self.token_file {
                    Some(file) => login.with_token_file(file),
                    None => login,
                }
            }
            LoginMethod::Cert => Login::cert(self.cert_name),
        };
        Ok(Some(match self.auth_mount {
            Some(mount) => login.with_mount(mount),
            None => login,
        }))
    }
}

impl BackendOptions for VaultOptions {
    const SCHEME: &'static str = "vault";
    const CREDENTIALS: &'static [&'static str] = &["token", "secret_id", "password", "jwt"];

    fn location(location: &Location) -> Result<Options> {
        location.refuse_path("vault", "vault://host:8200?mount=secret")?;
        let mut options = Options::new();
        if let Some(host) = &location.host {
            options.insert("host", host.as_str())?;
        }
        if let Some(port) = location.port {
            options.insert("port", u32::from(port))?;
        }
        Ok(options)
    }

    async fn open(self) -> Result<Backend> {
        let (config, login) = self.resolve(|name| std::env::var(name).ok())?;
        let backend = open(config).await?;
        if let Some(login) = login
            && let Some(client) = backend.native::<VaultClient>()
        {
            client.login(&login).await?;
        }
        Ok(backend)
    }
}

/// Connects to the configured mount and returns it as a [`Backend`]: a [`Kv2Store`] or a
/// [`Kv1Store`] as `kv_version` says, with [`VaultTransit`], [`VaultLeases`] and
/// [`VaultCredentials`] on the same client, which is the backend's native handle. No
/// request is sent yet.
pub async fn open(config: VaultConfig) -> Result<Backend> {
    let client = VaultClient::connect(&config).await?;
    let backend = match config.kv_version {
        KvVersion::V2 => Backend::new(Arc::new(Kv2Store::new(client.clone(), config.mount))),
        KvVersion::V1 => Backend::new(Arc::new(Kv1Store::new(client.clone(), config.mount))),
    };
    Ok(backend
        .with_leases(Arc::new(VaultLeases::new(client.clone())))
        .with_transit(Arc::new(VaultTransit::new(
            client.clone(),
            config.transit_mount,
        )))
        .with_credentials(Arc::new(VaultCredentials::new(client.clone())))
        .with_native(Arc::new(client)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use ironsecrets_core::{ErrorKind, StoreUri};

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    /// What a URI resolves to, with `env` as the environment.
    fn from_uri(uri: &str, env: &[(&str, &str)]) -> Result<VaultConfig> {
        let parsed = StoreUri::parse(uri)?;
        let options: VaultOptions = parsed.backend_options()?;
        Ok(options.resolve(vars(env))?.0)
    }

    #[test]
    fn uri_defaults_to_https_port_8200_kv2_on_secret() {
        let config = from_uri("vault://vault.example.com", &[]).unwrap();
        assert_eq!(config.address, "https://vault.example.com:8200");
        assert_eq!(config.mount, "secret");
        assert_eq!(config.kv_version, KvVersion::V2);
        assert_eq!(config.namespace, None);
    }

    #[test]
    fn uri_parameters_are_read() {
        let config = from_uri(
            "vault://127.0.0.1:8300?mount=team/kv&kv=1&namespace=ns1&tls=false&timeout=5",
            &[],
        )
        .unwrap();
        assert_eq!(config.address, "http://127.0.0.1:8300");
        assert_eq!(config.mount, "team/kv");
        assert_eq!(config.kv_version, KvVersion::V1);
        assert_eq!(config.namespace.as_deref(), Some("ns1"));
        assert_eq!(config.timeout, Duration::from_secs(5));
    }

    #[test]
    fn plain_http_to_a_remote_host_needs_allow_http() {
        let err = from_uri("vault://vault.example.com?tls=false", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("allow_http"), "{err}");
        let config = from_uri("vault://vault.example.com?tls=false&allow_http=true", &[]).unwrap();
        assert_eq!(config.address, "http://vault.example.com:8200");
    }

    #[test]
    fn unknown_parameters_and_bad_values_are_refused() {
        let err = from_uri("vault://h?mnt=x", &[]).unwrap_err();
        assert!(err.message().contains("'mnt'"), "{err}");
        let err = from_uri("vault://h?tls=maybe", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        let err = from_uri("vault://h/some/path", &[]).unwrap_err();
        assert!(err.message().contains("no path"), "{err}");
    }

    #[test]
    fn token_namespace_and_tls_come_from_the_environment() {
        let config = from_uri(
            "vault://127.0.0.1?skip_verify=0",
            &[
                ("VAULT_ADDR", "https://ignored:1"),
                ("VAULT_TOKEN", "s.canary"),
                ("VAULT_NAMESPACE", "team"),
                ("VAULT_CACERT", "/etc/ca.pem"),
                ("VAULT_SKIP_VERIFY", "true"),
            ],
        )
        .unwrap();
        assert_eq!(config.address, "https://127.0.0.1:8200");
        assert_eq!(config.token, Some(SecretValue::from("s.canary")));
        assert_eq!(config.namespace.as_deref(), Some("team"));
        assert_eq!(config.tls.ca_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert!(!config.tls.skip_verify, "the URI's skip_verify=0 wins");
    }

    #[test]
    fn options_win_over_the_environment_and_need_no_uri() {
        let options: VaultOptions = Options::new()
            .with("address", "http://127.0.0.1:8201")
            .with("token", "s.option")
            .with("namespace", "ns")
            .with("ca_cert", "/opt/ca.pem")
            .with("timeout", 7u32)
            .parse()
            .unwrap();
        let (config, login) = options
            .resolve(vars(&[
                ("VAULT_TOKEN", "s.env"),
                ("VAULT_CACERT", "/etc/ca.pem"),
            ]))
            .unwrap();
        assert_eq!(config.address, "http://127.0.0.1:8201");
        assert_eq!(config.token, Some(SecretValue::from("s.option")));
        assert_eq!(config.tls.ca_cert, Some(PathBuf::from("/opt/ca.pem")));
        assert_eq!(config.timeout, Duration::from_secs(7));
        assert!(login.is_none());
    }

    #[test]
    fn a_login_is_built_from_its_options() {
        let options: VaultOptions = Options::new()
            .with("host", "127.0.0.1")
            .with("login", "approle")
            .with("auth_mount", "approle-prod")
            .with("role_id", "r-1")
            .with("secret_id", "canary-secret-id")
            .parse()
            .unwrap();
        let (_, login) = options.resolve(vars(&[])).unwrap();
        let login = login.unwrap();
        assert_eq!(login.mount(), "approle-prod");
        assert!(matches!(&login, Login::AppRole { role_id, .. } if role_id == "r-1"));
        assert!(!format!("{login:?}").contains("canary"));

        let missing: VaultOptions = Options::new()
            .with("login", "userpass")
            .with("username", "u")
            .parse()
            .unwrap();
        let err = missing.resolve(vars(&[])).unwrap_err();
        assert!(err.message().contains("'password'"), "{err}");
        let stray: VaultOptions = Options::new().with("role_id", "r").parse().unwrap();
        let err = stray.resolve(vars(&[])).unwrap_err();
        assert!(
            err.message().contains("'role_id' belongs to a login"),
            "{err}"
        );
    }

    #[test]
    fn address_and_host_are_not_both_given() {
        let options: VaultOptions = Options::new()
            .with("address", "https://a:8200")
            .with("host", "b")
            .parse()
            .unwrap();
        let err = options.resolve(vars(&[])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }
}
