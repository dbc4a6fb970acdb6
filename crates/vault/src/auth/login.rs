//! `Login`: the credentials of one auth method, and `VaultClient::login`, which trades
//! them for a token and swaps it into the client.

use std::path::PathBuf;

use ironsecrets_core::{Error, ErrorKind, Operation, Result, SecretValue};
use vaultrs::api::auth::approle::requests::LoginWithApproleRequest;
use vaultrs::api::auth::kubernetes::requests::LoginWithKubernetesRequest;
use vaultrs::api::auth::oidc::requests::JWTLoginRequest;
use vaultrs::api::auth::userpass::requests::LoginRequest as UserpassLoginRequest;

use super::TokenLease;
use crate::VaultClient;
use crate::client::{ApiRequest, Reply};
use crate::errors::BACKEND;

/// Where Kubernetes mounts a pod's service-account token.
pub const KUBERNETES_TOKEN_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// The credentials of one auth method, with the path it is mounted at. Secret fields are
/// [`SecretValue`]s: Debug shows `[REDACTED]`. The constructors use each method's default
/// mount; [`Login::with_mount`] changes it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Login {
    /// AppRole: `auth/<mount>/login` with a role id and a secret id.
    AppRole {
        /// The mount (default `approle`).
        mount: String,
        /// The role's id (like a user name).
        role_id: String,
        /// The secret id (like a password).
        secret_id: SecretValue,
    },
    /// Userpass: `auth/<mount>/login/<username>` with a password.
    Userpass {
        /// The mount (default `userpass`).
        mount: String,
        /// The user name.
        username: String,
        /// The password.
        password: SecretValue,
    },
    /// JWT (the `jwt` / `oidc` method): `auth/<mount>/login` with a signed JWT.
    Jwt {
        /// The mount (default `jwt`).
        mount: String,
        /// The role to log in as; the method's `default_role` when `None`.
        role: Option<String>,
        /// The signed JWT.
        jwt: SecretValue,
    },
    /// Kubernetes: `auth/<mount>/login` with the pod's service-account token, read from
    /// `token_file` at each login (Kubernetes rotates it).
    Kubernetes {
        /// The mount (default `kubernetes`).
        mount: String,
        /// The role to log in as.
        role: String,
        /// The service-account token file (default [`KUBERNETES_TOKEN_FILE`]).
        token_file: PathBuf,
    },
    /// TLS certificate: `auth/<mount>/login`, proving the client certificate of the
    /// connection (`VaultConfig::tls.client_cert` / `client_key`, i.e. mTLS).
    Cert {
        /// The mount (default `cert`).
        mount: String,
        /// Try only this certificate role; every role that trusts the certificate when
        /// `None`.
        name: Option<String>,
    },
}

impl Login {
    /// AppRole on mount `approle`.
    pub fn approle(role_id: impl Into<String>, secret_id: SecretValue) -> Self {
        Login::AppRole {
            mount: "approle".into(),
            role_id: role_id.into(),
            secret_id,
        }
    }

    /// Userpass on mount `userpass`.
    pub fn userpass(username: impl Into<String>, password: SecretValue) -> Self {
        Login::Userpass {
            mount: "userpass".into(),
            username: username.into(),
            password,
        }
    }

    /// JWT on mount `jwt` as `role` (the method's default role when `None`).
    pub fn jwt(role: Option<String>, jwt: SecretValue) -> Self {
        Login::Jwt {
            mount: "jwt".into(),
            role,
            jwt,
        }
    }

    /// Kubernetes on mount `kubernetes` as `role`, with the token at
    /// [`KUBERNETES_TOKEN_FILE`].
    pub fn kubernetes(role: impl Into<String>) -> Self {
        Login::Kubernetes {
            mount: "kubernetes".into(),
            role: role.into(),
            token_file: PathBuf::from(KUBERNETES_TOKEN_FILE),
        }
    }

    /// TLS certificate on mount `cert`, against certificate role `name` (any when `None`).
    pub fn cert(name: Option<String>) -> Self {
        Login::Cert {
            mount: "cert".into(),
            name,
        }
    }

    /// A Kubernetes login reading its service-account token from `file` (other logins
    /// are returned as they are).
    pub fn with_token_file(mut self, file: impl Into<std::path::PathBuf>) -> Self {
        if let Login::Kubernetes { token_file, .. } = &mut self {
            *token_file = file.into();
        }
        self
    }

    /// The same login against the method mounted at `mount` (e.g. `approle-prod`).
    pub fn with_mount(mut self, mount: impl Into<String>) -> Self {
        let mount = mount.into().trim_matches('/').to_owned();
        match &mut self {
            Login::AppRole { mount: m, .. }
            | Login::Userpass { mount: m, .. }
            | Login::Jwt { mount: m, .. }
            | Login::Kubernetes { mount: m, .. }
            | Login::Cert { mount: m, .. } => *m = mount,
        }
        self
    }

    /// The mount the login goes to.
    pub fn mount(&self) -> &str {
        match self {
            Login::AppRole { mount, .. }
            | Login::Userpass { mount, .. }
            | Login::Jwt { mount, .. }
            | Login::Kubernetes { mount, .. }
            | Login::Cert { mount, .. } => mount,
        }
    }
}

impl VaultClient {
    /// Logs in with `login`, makes this client (and every clone of it) use the token
    /// Vault issued from the next request on, and returns that token with its lease.
    ///
    /// A refused login is Unauthenticated with Vault's message; the client keeps its
    /// previous token then.
    pub async fn login(&self, login: &Login) -> Result<TokenLease> {
        let path = format!("auth/{}", login.mount());
        let logged_in = async {
            let reply = self.send_login(login).await?;
            let lease = TokenLease::from_reply(&reply)?;
            self.set_token(&lease.token)?;
            Ok(lease)
        };
        logged_in
            .await
            .map_err(|e: Error| refused(e, &path).context(BACKEND, Operation::Login, &path))
    }

    /// Sends the method's login request; the reply if its status is a success.
    async fn send_login(&self, login: &Login) -> Result<Reply> {
        if login.mount().is_empty() {
            return Err(Error::config("the auth method's mount path is empty"));
        }
        let reply = match login {
            Login::AppRole {
                mount,
                role_id,
                secret_id,
            } => {
                let request = LoginWithApproleRequest {
                    mount: mount.clone(),
                    role_id: role_id.clone(),
                    secret_id: secret_id.expose_str()?.to_owned(),
                };
                self.send(request).await?
            }
            Login::Userpass {
                mount,
                username,
                password,
            } => {
                let request = UserpassLoginRequest {
                    mount: mount.clone(),
                    username: username.clone(),
                    password: password.expose_str()?.to_owned(),
                };
                self.send(request).await?
            }
            Login::Jwt { mount, role, jwt } => {
                let request = JWTLoginRequest {
                    mount: mount.clone(),
                    jwt: jwt.expose_str()?.to_owned(),
                    role: role.clone(),
                };
                self.send(request).await?
            }
            Login::Kubernetes {
                mount,
                role,
                token_file,
            } => {
                let jwt = read_token_file(token_file)?;
                let request = LoginWithKubernetesRequest {
                    mount: mount.clone(),
                    role: role.clone(),
                    jwt: jwt.expose_str()?.to_owned(),
                };
                self.send(request).await?
            }
            Login::Cert { mount, name } => {
                // vaultrs's cert login names the role `cert_name`; Vault reads `name`.
                let mut body = serde_json::Map::new();
                if let Some(name) = name {
                    body.insert("name".into(), name.clone().into());
                }
                let request = ApiRequest::post(format!("auth/{mount}/login"), body.into());
                self.send(request).await?
            }
        };
        reply.success()
    }
}

/// The service-account token in `file`, trimmed; a file that cannot be read (or is
/// empty) is a Config error naming it.
fn read_token_file(file: &std::path::Path) -> Result<SecretValue> {
    let bytes = zeroize::Zeroizing::new(std::fs::read(file).map_err(|e| {
        Error::config(format!(
            "cannot read the Kubernetes service-account token {}: {e}",
            file.display()
        ))
    })?);
    let token = bytes.trim_ascii();
    if token.is_empty() {
        return Err(Error::config(format!(
            "the Kubernetes service-account token file {} is empty",
            file.display()
        )));
    }
    Ok(SecretValue::from(token))
}

/// A login Vault turned down (400 bad credentials, 403 denied) as Unauthenticated,
/// keeping Vault's message; other errors (unreachable, sealed, ...) unchanged.
fn refused(err: Error, path: &str) -> Error {
    match err.kind() {
        ErrorKind::InvalidInput | ErrorKind::PermissionDenied | ErrorKind::Unauthenticated => {
            let hint = if err.message().starts_with("permission denied") {
                format!(
                    " (is an auth method enabled at {path}, and does it accept these credentials?)"
                )
            } else {
                String::new()
            };
            Error::new(
                ErrorKind::Unauthenticated,
                format!("Vault refused the login at {path}: {}{hint}", err.message()),
            )
        }
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_credential() {
        for login in [
            Login::approle("role-1", "canary-secret-id".into()),
            Login::userpass("alice", "canary-password".into()),
            Login::jwt(Some("ci".into()), "canary.jwt.sig".into()),
        ] {
            let shown = format!("{login:?}");
            assert!(!shown.contains("canary"), "{shown}");
        }
    }

    #[test]
    fn mounts_default_per_method_and_can_be_changed() {
        assert_eq!(Login::approle("r", "s".into()).mount(), "approle");
        assert_eq!(Login::userpass("u", "p".into()).mount(), "userpass");
        assert_eq!(Login::jwt(None, "j".into()).mount(), "jwt");
        assert_eq!(Login::kubernetes("app").mount(), "kubernetes");
        assert_eq!(Login::cert(None).mount(), "cert");
        let login = Login::cert(None).with_mount("/tls/prod/");
        assert_eq!(login.mount(), "tls/prod");
    }

    #[test]
    fn refusals_are_unauthenticated_and_other_errors_pass_through() {
        let bad = Error::invalid_input("invalid username or password (HTTP 400)");
        let err = refused(bad, "auth/userpass");
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert!(err.message().contains("invalid username or password"));
        let denied = Error::new(ErrorKind::PermissionDenied, "permission denied (HTTP 403)");
        assert!(
            refused(denied, "auth/x")
                .message()
                .contains("enabled at auth/x")
        );
        let down = Error::new(ErrorKind::Unavailable, "sealed");
        assert_eq!(refused(down, "auth/x").kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn the_token_file_is_trimmed_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "eyJ.a.b\n").unwrap();
        assert_eq!(read_token_file(&file).unwrap().expose(), b"eyJ.a.b");
        std::fs::write(&file, " \n").unwrap();
        assert_eq!(
            read_token_file(&file).unwrap_err().kind(),
            ErrorKind::Config
        );
        let missing = read_token_file(&dir.path().join("none")).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::Config);
        assert!(missing.message().contains("none"));
    }
}
