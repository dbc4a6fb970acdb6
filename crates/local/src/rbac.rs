//! Roles per principal, checked on every call (`principals` stores them).
//!
//! Roles guard the API of a store handle: an application opens the store as an `Agent`
//! principal and hands that handle to code it trusts less (an AI agent's tools, say).
//! They do not protect against someone who holds the master key and the file.

use std::fmt;
use std::str::FromStr;

use ironsecrets_core::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};

/// What a principal may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything: values, writes, roles, audit, export, transit key management.
    Admin,
    /// Reads values and metadata under its granted prefixes; uses transit keys.
    Agent,
    /// Lists and reads metadata; never values.
    Viewer,
}

impl Role {
    /// The role's name as stored and typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            "viewer" => Ok(Role::Viewer),
            other => Err(Error::invalid_input(format!(
                "unknown role '{other}'; expected admin, agent or viewer"
            ))),
        }
    }
}

/// A principal's role and, for agents, the path prefixes it may read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Who.
    pub principal: String,
    /// What they may do.
    pub role: Role,
    /// Path prefixes an agent may read (`app/` or `app` cover `app/...`; empty: nothing).
    pub prefixes: Vec<String>,
}

/// The kind of access an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reading a secret's value.
    ReadValue,
    /// Listing paths (results are filtered to what the principal may see).
    List,
    /// Reading a secret's metadata.
    ReadMetadata,
    /// Writing, deleting, restoring or destroying secrets.
    Write,
    /// Encrypt, decrypt, sign, verify, HMAC, data keys.
    TransitUse,
    /// Describing and listing transit keys.
    TransitRead,
    /// Creating, rotating, importing and configuring transit keys.
    TransitManage,
    /// Roles, audit trail, export, import, master-key rotation.
    Admin,
}

impl Grant {
    /// Whether this grant lets its principal see `path` at all.
    pub fn covers(&self, path: &str) -> bool {
        match self.role {
            Role::Admin | Role::Viewer => true,
            Role::Agent => self.prefixes.iter().any(|prefix| under(path, prefix)),
        }
    }

    /// Ok if the grant allows `access` on `path`, else PermissionDenied saying why.
    pub fn allows(&self, access: Access, path: &str) -> Result<()> {
        let allowed = match (self.role, access) {
            (Role::Admin, _) | (_, Access::List) => true,
            (Role::Agent, Access::ReadValue | Access::ReadMetadata) => self.covers(path),
            (Role::Agent, Access::TransitUse | Access::TransitRead) => true,
            (Role::Viewer, Access::ReadMetadata | Access::TransitRead) => true,
            _ => false,
        };
        if allowed {
            return Ok(());
        }
        let what = match access {
            Access::ReadValue if self.role == Role::Agent => {
                "read values outside its granted prefixes"
            }
            Access::List | Access::ReadMetadata => "see paths outside its granted prefixes",
            Access::ReadValue => "read secret values",
            Access::Write => "change secrets",
            Access::TransitUse => "use transit keys",
            Access::TransitRead => "read transit keys",
            Access::TransitManage => "manage transit keys",
            Access::Admin => "administer the store",
        };
        Err(Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "principal '{}' has role {} and may not {what}",
                self.principal, self.role
            ),
        ))
    }
}

/// Whether `path` lies under `prefix`, segment-wise (`app` covers `app/x`, not `apple`).
fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, prefixes: &[&str]) -> Grant {
        Grant {
            principal: "p".into(),
            role,
            prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn prefixes_match_whole_segments() {
        assert!(under("app/db", "app/"));
        assert!(under("app/db", "app"));
        assert!(under("app", "app"));
        assert!(!under("apple/db", "app"));
        assert!(under("anything", ""));
    }

    #[test]
    fn agent_reads_only_under_its_prefixes_and_never_writes() {
        let agent = grant(Role::Agent, &["app/"]);
        agent.allows(Access::ReadValue, "app/db").unwrap();
        let err = agent.allows(Access::ReadValue, "ops/root").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.message().contains("outside its granted prefixes"));
        assert!(agent.allows(Access::Write, "app/db").is_err());
        assert!(agent.allows(Access::Admin, "").is_err());
    }

    #[test]
    fn viewer_sees_metadata_but_never_values() {
        let viewer = grant(Role::Viewer, &[]);
        viewer.allows(Access::ReadMetadata, "app/db").unwrap();
        let err = viewer.allows(Access::ReadValue, "app/db").unwrap_err();
        assert!(err.message().contains("may not read secret values"));
        assert!(viewer.allows(Access::TransitUse, "k").is_err());
    }

    #[test]
    fn unknown_role_names_the_choices() {
        let err = "root".parse::<Role>().unwrap_err();
        assert!(err.message().contains("admin, agent or viewer"));
    }
}
