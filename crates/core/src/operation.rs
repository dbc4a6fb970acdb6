//! `Operation`: every operation ironsecrets performs, with the one stable name it has in
//! errors, traces and audit rows.

use std::fmt;

macro_rules! operations {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// Every operation ironsecrets performs. The name (`Operation::name`) is stable: it
        /// appears in errors (`Error::operation`), traces and the local store's audit rows,
        /// and the bindings report it as a string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            $($(#[$doc])* $variant,)*
        }

        impl Operation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant,)*];

            /// The stable name: kebab-case, engine-prefixed outside the secret store
            /// (`get`, `update-metadata`, `transit-encrypt`, `pki-issue`, ...).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => $name,)*
                }
            }
        }
    };
}

operations! {
    // The secret store.
    /// Read a secret's value.
    Get = "get",
    /// Write a new version.
    Put = "put",
    /// Merge fields into a key/value secret as a new version.
    Patch = "patch",
    /// Soft-delete versions.
    Delete = "delete",
    /// Restore soft-deleted versions.
    Undelete = "undelete",
    /// Erase versions for good.
    Destroy = "destroy",
    /// Remove a secret with every version and its metadata.
    Purge = "purge",
    /// List paths under a prefix.
    List = "list",
    /// Read a secret's metadata.
    Metadata = "metadata",
    /// Change tags, rotation policy or the version limit.
    UpdateMetadata = "update-metadata",
    /// Ask which version a selector names now (cache revalidation).
    CurrentVersion = "current-version",
    /// Describe a secret the provider's own way (AWS `DescribeSecret`).
    Describe = "describe",
    /// Start a provider-side rotation (AWS `RotateSecret`).
    Rotate = "rotate",
    /// Write a version under a pending stage (AWS `AWSPENDING`).
    PutPending = "put-pending",
    /// Move a stage label between versions (AWS).
    MoveStage = "move-stage",
    // Transit.
    /// Create a transit key.
    CreateKey = "transit-create",
    /// Describe a transit key.
    ReadKey = "transit-read",
    /// List transit keys.
    ListKeys = "transit-list",
    /// Add a transit key version.
    RotateKey = "transit-rotate",
    /// Change a transit key's configuration (minimum decryption version, rotation).
    ConfigureKey = "transit-config",
    /// Encrypt with a transit key.
    Encrypt = "transit-encrypt",
    /// Decrypt with a transit key.
    Decrypt = "transit-decrypt",
    /// Re-encrypt under the newest key version.
    Rewrap = "transit-rewrap",
    /// Sign with a transit key.
    Sign = "transit-sign",
    /// Verify a signature.
    Verify = "transit-verify",
    /// HMAC with a transit key.
    Hmac = "transit-hmac",
    /// Verify an HMAC.
    VerifyHmac = "transit-verify-hmac",
    /// Generate a data key.
    GenerateDataKey = "transit-datakey",
    /// Import key material (bring your own key).
    ImportKey = "transit-import",
    /// Export key material.
    ExportKey = "transit-export",
    // Leases and credentials.
    /// Renew a lease.
    RenewLease = "lease-renew",
    /// Revoke a lease.
    RevokeLease = "lease-revoke",
    /// Revoke every lease under a prefix.
    RevokeLeasePrefix = "lease-revoke-prefix",
    /// Look a lease up.
    LookupLease = "lease-lookup",
    /// Issue dynamic credentials.
    IssueCredential = "issue",
    // Authentication and the server.
    /// Log in and obtain a token.
    Login = "login",
    /// Describe the client's own token.
    LookupSelf = "lookup-self",
    /// Renew the client's own token.
    RenewSelf = "renew-self",
    /// Revoke the client's own token.
    RevokeSelf = "revoke-self",
    /// The server's health.
    Health = "health",
    // The embedded store's own operations.
    /// Open (and unlock) a store.
    Open = "open",
    /// Create a store.
    Init = "init",
    /// Give a principal a role.
    Grant = "grant",
    /// Remove a principal's role.
    RevokeGrant = "revoke-grant",
    /// List principals and their roles.
    Grants = "grants",
    /// Read the newest audit rows.
    AuditTail = "audit-tail",
    /// Check the audit chain and the store's authenticated state.
    AuditVerify = "audit-verify",
    /// Read the audit head to keep elsewhere.
    AuditAnchor = "audit-anchor",
    /// Re-wrap the data keys under a new master key.
    RotateMasterKey = "rotate-master-key",
    /// Bring a store written by an older build up to date.
    Migrate = "migrate",
    // Vault PKI.
    /// Generate a root CA.
    PkiGenerateRoot = "pki-generate-root",
    /// Generate an intermediate CA's CSR.
    PkiGenerateIntermediate = "pki-generate-intermediate",
    /// Sign an intermediate CA's CSR.
    PkiSignIntermediate = "pki-sign-intermediate",
    /// Install a signed intermediate certificate.
    PkiSetSigned = "pki-set-signed",
    /// Create or update a PKI role.
    PkiCreateRole = "pki-create-role",
    /// Issue a certificate and key.
    PkiIssue = "pki-issue",
    /// Sign a CSR.
    PkiSignCsr = "pki-sign",
    /// Revoke a certificate.
    PkiRevoke = "pki-revoke",
    /// Read the CA certificate or chain.
    PkiReadCa = "pki-read-ca",
    /// Read the certificate revocation list.
    PkiReadCrl = "pki-read-crl",
    // Vault SSH.
    /// Configure the SSH CA.
    SshConfigureCa = "ssh-configure-ca",
    /// Read the SSH CA's public key.
    SshReadCa = "ssh-read-ca",
    /// Create or update an SSH role.
    SshCreateRole = "ssh-create-role",
    /// Delete an SSH role.
    SshDeleteRole = "ssh-delete-role",
    /// Sign an SSH public key.
    SshSign = "ssh-sign",
    /// Issue an SSH one-time password.
    SshOtp = "ssh-otp",
    /// Verify an SSH one-time password.
    SshVerifyOtp = "ssh-verify-otp",
    // Vault TOTP.
    /// Create a TOTP key.
    TotpCreateKey = "totp-create-key",
    /// Import a TOTP key.
    TotpImportKey = "totp-import-key",
    /// Describe a TOTP key.
    TotpReadKey = "totp-read-key",
    /// Delete a TOTP key.
    TotpDeleteKey = "totp-delete-key",
    /// Generate a TOTP code.
    TotpCode = "totp-code",
    /// Validate a TOTP code.
    TotpValidate = "totp-validate",
    // Vault database engine administration.
    /// Configure a database connection.
    DatabaseConfigure = "database-configure",
    /// Create or update a dynamic role.
    DatabaseCreateRole = "database-create-role",
    /// Create or update a static role.
    DatabaseCreateStaticRole = "database-create-static-role",
    /// Rotate a static role's password now.
    DatabaseRotateStaticRole = "database-rotate-static-role",
    /// Rotate the connection's root password.
    DatabaseRotateRoot = "database-rotate-root",
}

impl Operation {
    /// The operation with this stable name.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|op| op.name() == name)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let mut names: Vec<_> = Operation::ALL.iter().map(|op| op.name()).collect();
        for name in &names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
        }
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(*op));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Operation::ALL.len());
    }

    #[test]
    fn audit_names_of_the_embedded_store_are_kept() {
        // Rows written before the enum existed carry these names; they must keep meaning
        // the same operation.
        for (op, name) in [
            (Operation::UpdateMetadata, "update-metadata"),
            (Operation::RevokeGrant, "revoke-grant"),
            (Operation::AuditVerify, "audit-verify"),
            (Operation::ConfigureKey, "transit-config"),
            (Operation::GenerateDataKey, "transit-datakey"),
            (Operation::Init, "init"),
        ] {
            assert_eq!(op.name(), name);
        }
    }
}
