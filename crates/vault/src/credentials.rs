//! `VaultCredentials`: [`DynamicCredentials`] on Vault / OpenBao, dispatching each
//! [`CredentialRequest`] to the engine module that issues it.

use async_trait::async_trait;
use ironsecrets_core::{
    CredentialRequest, DynamicCredentials, Error, ErrorKind, LeasedCredential, Operation, Result,
};

use crate::errors::BACKEND;
use crate::{VaultClient, cloud, database, pki, ssh};

/// Issues credentials from Vault's engines: database (dynamic and static roles), SSH
/// (one-time passwords and signed keys), PKI (certificates with their key) and the cloud
/// engines (`Cloud`: AWS, Azure or Google Cloud, by the mount's engine type; see
/// [`VaultCloud`](crate::cloud::VaultCloud)). Other requests are Unsupported, naming the
/// request. Debug shows the server address only.
#[derive(Clone, Debug)]
pub struct VaultCredentials {
    client: VaultClient,
}

impl VaultCredentials {
    /// Credentials from `client`'s server.
    pub fn new(client: VaultClient) -> Self {
        VaultCredentials { client }
    }

    /// The client the requests are sent with.
    pub fn client(&self) -> &VaultClient {
        &self.client
    }
}

#[async_trait]
impl DynamicCredentials for VaultCredentials {
    async fn issue(&self, request: CredentialRequest) -> Result<LeasedCredential> {
        match request {
            CredentialRequest::Database { mount, role } => {
                database::issue(&self.client, &mount, &role).await
            }
            CredentialRequest::DatabaseStatic { mount, role } => {
                database::static_creds(&self.client, &mount, &role).await
            }
            CredentialRequest::SshOtp {
                mount,
                role,
                ip,
                username,
            } => ssh::issue_otp(&self.client, &mount, &role, &ip, username.as_deref()).await,
            CredentialRequest::SshSignedKey {
                mount,
                role,
                public_key,
                valid_principals,
                host,
                ttl,
            } => {
                let request = ssh::SshSignRequest {
                    public_key,
                    valid_principals,
                    cert_type: ssh::SshCertType::host_if(host),
                    ttl,
                    ..ssh::SshSignRequest::default()
                };
                ssh::issue_signed_key(&self.client, &mount, &role, &request).await
            }
            CredentialRequest::PkiCertificate {
                mount,
                role,
                common_name,
                alt_names,
                ttl,
            } => {
                pki::issue_certificate(&self.client, &mount, &role, common_name, alt_names, ttl)
                    .await
            }
            CredentialRequest::Cloud { mount, role, ttl } => {
                cloud::VaultCloud::new(self.client.clone(), mount)
                    .issue(&role, ttl)
                    .await
            }
            other => Err(unsupported(&other)),
        }
    }
}

/// Unsupported, naming the request's variant (e.g. `Cloud`).
fn unsupported(request: &CredentialRequest) -> Error {
    let debug = format!("{request:?}");
    let variant = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default();
    Error::new(
        ErrorKind::Unsupported,
        format!("the {BACKEND} backend does not issue {variant} credentials"),
    )
    .with_backend(BACKEND)
    .with_operation(Operation::IssueCredential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_names_the_variant_only() {
        let err = unsupported(&CredentialRequest::Cloud {
            mount: "aws".into(),
            role: "deploy".into(),
            ttl: None,
        });
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(err.operation(), Some(Operation::IssueCredential));
        assert_eq!(
            err.to_string(),
            "vault issue: the vault backend does not issue Cloud credentials"
        );
    }
}
