//! Auto-auth: how a long-running process (the agent) logs in to a Vault / OpenBao store
//! from files, the way Vault Agent's `auto_auth` methods do.
//!
//! ```toml
//! [auth.vault]                        # the store named "vault" in [stores]
//! method = "approle"
//! role_id_file = "/etc/app/role-id"
//! secret_id_file = "/etc/app/secret-id"
//! ```

use std::path::{Path, PathBuf};

use ironsecrets_core::{Error, Result, SecretValue};
use ironsecrets_vault::Login;
use serde::Deserialize;

/// One store's auto-auth method. Its files are read when the agent starts (a new secret
/// id or JWT takes a restart); the Kubernetes token file is read at each login.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthSpec {
    /// A token read from a file (Vault Agent's `token_file`).
    TokenFile {
        /// The file holding the token.
        token_file: PathBuf,
    },
    /// AppRole: a role id and a secret id, each from a file.
    Approle {
        /// The file holding the role id.
        role_id_file: PathBuf,
        /// The file holding the secret id.
        secret_id_file: PathBuf,
        /// The auth mount (default `approle`).
        #[serde(default)]
        mount: Option<String>,
    },
    /// A JWT from a file, for a role of the JWT/OIDC method.
    Jwt {
        /// The file holding the JWT.
        jwt_file: PathBuf,
        /// The role to log in as (the method's default role when absent).
        #[serde(default)]
        role: Option<String>,
        /// The auth mount (default `jwt`).
        #[serde(default)]
        mount: Option<String>,
    },
    /// Kubernetes: the pod's service-account token, for a role.
    Kubernetes {
        /// The role to log in as.
        role: String,
        /// The service-account token file (default the in-pod path).
        #[serde(default)]
        token_file: Option<PathBuf>,
        /// The auth mount (default `kubernetes`).
        #[serde(default)]
        mount: Option<String>,
    },
}

/// What an [`AuthSpec`] yields: a token to use as it is, or a login to make.
pub enum Credential {
    /// Use this token.
    Token(SecretValue),
    /// Log in (and log in again when the token cannot be renewed any more).
    Login(Login),
}

impl AuthSpec {
    /// Reads the method's files. A file that cannot be read or is empty is a Config
    /// error naming it (never its content).
    pub fn credential(&self) -> Result<Credential> {
        Ok(match self {
            AuthSpec::TokenFile { token_file } => Credential::Token(read(token_file)?),
            AuthSpec::Approle {
                role_id_file,
                secret_id_file,
                mount,
            } => {
                let role_id = read(role_id_file)?.expose_str()?.to_owned();
                with_mount(Login::approle(role_id, read(secret_id_file)?), mount)
            }
            AuthSpec::Jwt {
                jwt_file,
                role,
                mount,
            } => with_mount(Login::jwt(role.clone(), read(jwt_file)?), mount),
            AuthSpec::Kubernetes {
                role,
                token_file,
                mount,
            } => {
                let login = Login::kubernetes(role.clone());
                let login = match token_file {
                    Some(path) => login.with_token_file(path.clone()),
                    None => login,
                };
                with_mount(login, mount)
            }
        })
    }

    /// The spec with its relative paths made relative to `base`.
    pub(super) fn relative_to(mut self, base: &Path) -> Self {
        match &mut self {
            AuthSpec::TokenFile { token_file: path }
            | AuthSpec::Jwt { jwt_file: path, .. }
            | AuthSpec::Kubernetes {
                token_file: Some(path),
                ..
            } => *path = base.join(&*path),
            AuthSpec::Approle {
                role_id_file,
                secret_id_file,
                ..
            } => {
                *role_id_file = base.join(&*role_id_file);
                *secret_id_file = base.join(&*secret_id_file);
            }
            AuthSpec::Kubernetes { .. } => {}
        }
        self
    }
}

fn with_mount(login: Login, mount: &Option<String>) -> Credential {
    Credential::Login(match mount {
        Some(mount) => login.with_mount(mount.clone()),
        None => login,
    })
}

/// A credential file's content without surrounding whitespace.
fn read(path: &Path) -> Result<SecretValue> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::config(format!("{} is empty", path.display())));
    }
    Ok(SecretValue::from(text))
}
