//! The database secrets engine: credentials from a dynamic role (`<mount>/creds/<role>`),
//! a static role's current credentials (`<mount>/static-creds/<role>`), and
//! [`VaultDatabase`], the admin calls that set the engine up (connections, roles,
//! rotation).
//!
//! Credentials come back as a [`LeasedCredential`] whose `data` holds `username` and
//! `password` as secret values. A dynamic credential's lease is Vault's (renew and revoke
//! it through [`VaultLeases`](crate::VaultLeases)); a static role's has no id, is not
//! renewable, and its ttl is the time until Vault rotates the password, which is also
//! given as `last_vault_rotation` (RFC 3339) in `data`.
//!
//! An unknown role or connection is NotFound (Vault answers 400 `unknown role`, 400 `no
//! static role found for role name`, 500 `failed to find entry for connection`).

use std::time::Duration;

use ironsecrets_core::{
    Error, ErrorKind, Lease, LeasedCredential, Operation, Result, SecretMap, SecretValue,
    validate_path,
};
use serde::Deserialize;
use vaultrs::api::database::requests::{
    GenerateCredentialsRequest, GetStaticCredentialsRequest, PostgreSQLConnectionRequest,
    RotateRootRequest, RotateStaticRoleRequest, SetRoleRequest, SetStaticRoleRequest,
};

use crate::VaultClient;
use crate::client::{duration_param, path_segment};
use crate::errors::{context, unknown_as_not_found};
use crate::leases::LeaseFields;

/// The field of `data` holding the user name.
pub const USERNAME: &str = "username";
/// The field of `data` holding the password.
pub const PASSWORD: &str = "password";
/// The field of a static role's `data` holding the time of the latest rotation.
pub const LAST_VAULT_ROTATION: &str = "last_vault_rotation";

/// A `creds` answer: the lease in the envelope, the login in `data`.
#[derive(Deserialize)]
struct Issued {
    #[serde(flatten)]
    lease: LeaseFields,
    data: Login,
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// `data` of a `static-creds` answer.
#[derive(Deserialize)]
struct StaticLogin {
    #[serde(flatten)]
    login: Login,
    last_vault_rotation: String,
    ttl: u64,
}

impl Login {
    fn into_map(self) -> SecretMap {
        let mut data = SecretMap::new();
        data.insert(USERNAME, self.username);
        data.insert(PASSWORD, self.password);
        data
    }
}

/// New credentials from dynamic role `role` of the engine at `mount`.
pub(crate) async fn issue(
    client: &VaultClient,
    mount: &str,
    role: &str,
) -> Result<LeasedCredential> {
    let mount = mount.trim_matches('/');
    let issued = async {
        check(mount, role, "role")?;
        let request = GenerateCredentialsRequest {
            mount: mount.to_owned(),
            name: role.to_owned(),
        };
        let issued: Issued = client.call(request).await.map_err(missing)?.json()?;
        Ok(LeasedCredential {
            lease: issued.lease.granted(),
            data: issued.data.into_map(),
        })
    };
    issued.await.map_err(context(
        Operation::IssueCredential,
        &format!("{mount}/creds/{role}"),
    ))
}

/// The current credentials of static role `role` of the engine at `mount`.
pub(crate) async fn static_creds(
    client: &VaultClient,
    mount: &str,
    role: &str,
) -> Result<LeasedCredential> {
    let mount = mount.trim_matches('/');
    let read = async {
        check(mount, role, "static role")?;
        let request = GetStaticCredentialsRequest {
            mount: mount.to_owned(),
            name: role.to_owned(),
        };
        let current: StaticLogin = client.call(request).await.map_err(missing)?.data()?;
        let mut data = current.login.into_map();
        data.insert(LAST_VAULT_ROTATION, current.last_vault_rotation);
        let lease = Lease {
            id: String::new(),
            ttl: Duration::from_secs(current.ttl),
            renewable: false,
            issued_at: chrono::Utc::now(),
        };
        Ok(LeasedCredential { lease, data })
    };
    read.await.map_err(context(
        Operation::IssueCredential,
        &format!("{mount}/static-creds/{role}"),
    ))
}

/// Checks a mount path and a one-segment name before they go into a URL.
fn check(mount: &str, name: &str, what: &str) -> Result<()> {
    validate_path(mount)?;
    path_segment(name, what).map(drop)
}

/// Vault's answers for an unknown role or connection as NotFound (`unknown role` through
/// [`unknown_as_not_found`], plus the static-role and connection answers); other errors
/// unchanged.
fn missing(err: Error) -> Error {
    let err = unknown_as_not_found(err);
    let said = err.message();
    let unknown = said.starts_with("no static role found")
        || said.contains("failed to find entry for connection");
    if unknown && matches!(err.kind(), ErrorKind::InvalidInput | ErrorKind::Unexpected) {
        // Vault's multi-error text spans lines; one line reads better.
        Error::not_found(said.split_whitespace().collect::<Vec<_>>().join(" "))
    } else {
        err
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Admin calls on the database secrets engine at one mount: configure connections,
/// create dynamic and static roles, rotate. Issuing credentials goes through
/// [`VaultCredentials`](crate::VaultCredentials). Debug shows the server address and
/// mount only.
#[derive(Clone, Debug)]
pub struct VaultDatabase {
    client: VaultClient,
    mount: String,
}

impl VaultDatabase {
    /// The database engine mounted at `mount` (e.g. `database`) on `client`'s server.
    pub fn new(client: VaultClient, mount: impl Into<String>) -> Self {
        VaultDatabase {
            client,
            mount: mount.into().trim_matches('/').to_owned(),
        }
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// Configures connection `name` (`<mount>/config/<name>`): `plugin` is e.g.
    /// `postgresql-database-plugin` or `mysql-database-plugin`, `connection_url` the
    /// plugin's URL with `{{username}}` / `{{password}}` templates filled from `username`
    /// and `password`, and `allowed_roles` the roles that may use it (`*` for any). Vault
    /// checks the connection before it answers.
    pub async fn configure_connection(
        &self,
        name: &str,
        plugin: &str,
        connection_url: &str,
        username: &str,
        password: &SecretValue,
        allowed_roles: &[&str],
    ) -> Result<()> {
        let configured = async {
            check(&self.mount, name, "connection")?;
            let request = PostgreSQLConnectionRequest {
                mount: self.mount.clone(),
                name: name.to_owned(),
                plugin_name: plugin.to_owned(),
                connection_url: connection_url.to_owned(),
                username: Some(username.to_owned()),
                password: Some(password.expose_str()?.to_owned()),
                allowed_roles: Some(strings(allowed_roles)),
                ..PostgreSQLConnectionRequest::default()
            };
            self.client.call(request).await.map(drop)
        };
        configured.await.map_err(context(
            Operation::DatabaseConfigure,
            &self.path("config", name),
        ))
    }

    /// Creates or replaces dynamic role `name` (`<mount>/roles/<name>`) on connection
    /// `db_name`. The statements use the plugin's templates (`{{name}}`, `{{password}}`,
    /// `{{expiration}}`); no revocation statements means the plugin's default.
    pub async fn create_role(
        &self,
        name: &str,
        db_name: &str,
        creation_statements: &[&str],
        revocation_statements: &[&str],
        default_ttl: Duration,
        max_ttl: Duration,
    ) -> Result<()> {
        let created = async {
            check(&self.mount, name, "role")?;
            let request = SetRoleRequest {
                mount: self.mount.clone(),
                name: name.to_owned(),
                db_name: db_name.to_owned(),
                creation_statements: Some(strings(creation_statements)),
                revocation_statements: Some(strings(revocation_statements))
                    .filter(|s| !s.is_empty()),
                default_ttl: Some(duration_param(default_ttl)),
                max_ttl: Some(duration_param(max_ttl)),
                ..SetRoleRequest::default()
            };
            self.client.call(request).await.map(drop)
        };
        created.await.map_err(context(
            Operation::DatabaseCreateRole,
            &self.path("roles", name),
        ))
    }

    /// Creates or replaces static role `name` (`<mount>/static-roles/<name>`) managing the
    /// existing database user `username` on connection `db_name`; Vault sets a new
    /// password now and every `rotation_period` (at least 5 s).
    pub async fn create_static_role(
        &self,
        name: &str,
        db_name: &str,
        username: &str,
        rotation_period: Duration,
    ) -> Result<()> {
        let created = async {
            check(&self.mount, name, "static role")?;
            let request = SetStaticRoleRequest {
                mount: self.mount.clone(),
                name: name.to_owned(),
                db_name: db_name.to_owned(),
                username: username.to_owned(),
                rotation_period: duration_param(rotation_period),
                rotation_statements: None,
            };
            self.client.call(request).await.map(drop)
        };
        created.await.map_err(context(
            Operation::DatabaseCreateStaticRole,
            &self.path("static-roles", name),
        ))
    }

    /// Rotates static role `name`'s password now (`<mount>/rotate-role/<name>`).
    pub async fn rotate_static_role(&self, name: &str) -> Result<()> {
        let rotated = async {
            check(&self.mount, name, "static role")?;
            let request = RotateStaticRoleRequest {
                mount: self.mount.clone(),
                name: name.to_owned(),
            };
            self.client.call(request).await.map_err(missing).map(drop)
        };
        rotated.await.map_err(context(
            Operation::DatabaseRotateStaticRole,
            &self.path("rotate-role", name),
        ))
    }

    /// Rotates the password of connection `name`'s own user (`<mount>/rotate-root/<name>`);
    /// afterwards only Vault knows it.
    pub async fn rotate_root(&self, name: &str) -> Result<()> {
        let rotated = async {
            check(&self.mount, name, "connection")?;
            let request = RotateRootRequest {
                mount: self.mount.clone(),
                name: name.to_owned(),
            };
            self.client.call(request).await.map_err(missing).map(drop)
        };
        rotated.await.map_err(context(
            Operation::DatabaseRotateRoot,
            &self.path("rotate-root", name),
        ))
    }

    /// `<mount>/<section>/<name>`, for error context.
    fn path(&self, section: &str, name: &str) -> String {
        format!("{}/{section}/{name}", self.mount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_roles_and_connections_are_not_found() {
        for said in [
            "unknown role: nope (HTTP 400)",
            "no static role found for role name (HTTP 400)",
        ] {
            assert_eq!(
                missing(Error::invalid_input(said)).kind(),
                ErrorKind::NotFound
            );
        }
        let connection = Error::unexpected(
            "1 error occurred:\n\t* failed to find entry for connection with name: \"x\"\n\n (HTTP 500)",
        );
        assert_eq!(missing(connection).kind(), ErrorKind::NotFound);
        let other = missing(Error::invalid_input("bad ttl (HTTP 400)"));
        assert_eq!(other.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn names_are_one_segment() {
        assert!(check("database", "app", "role").is_ok());
        assert!(check("team/db", "app", "role").is_ok());
        for bad in ["", "a/b", "..", "."] {
            let err = check("database", bad, "role").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        assert!(check("", "app", "role").is_err());
        assert!(check("a//b", "app", "role").is_err());
    }
}
