//! The Azure secrets engine: `<mount>/creds/<role>`, a service principal's client id and
//! secret.

use ironsecrets_core::{LeasedCredential, Operation, Result, SecretMap};
use serde::Deserialize;

use super::{Leased, VaultCloud, parse};
use crate::client::ApiRequest;
use crate::errors::context;

/// The field of `data` holding the service principal's application (client) id.
pub const CLIENT_ID: &str = "client_id";
/// The field of `data` holding the service principal's client secret.
pub const CLIENT_SECRET: &str = "client_secret";

/// `data` of a `creds` answer.
#[derive(Deserialize)]
struct ServicePrincipal {
    client_id: String,
    client_secret: String,
}

impl VaultCloud {
    /// A new service principal's credentials from Vault role `role` (`GET
    /// <mount>/creds/<role>`), under Vault's lease; the role sets the ttl.
    pub async fn azure_creds(&self, role: &str) -> Result<LeasedCredential> {
        let issued = async {
            let path = self.path("creds", role, "role")?;
            let reply = self.fetch(ApiRequest::get(path)).await?;
            parse_creds(&reply.body)
        };
        issued.await.map_err(context(
            Operation::IssueCredential,
            &format!("{}/creds/{role}", self.mount),
        ))
    }
}

/// The credential in a `creds` answer: `client_id` and `client_secret`, Vault's lease.
pub(super) fn parse_creds(body: &[u8]) -> Result<LeasedCredential> {
    let answer: Leased<ServicePrincipal> = parse(body)?;
    let mut data = SecretMap::new();
    data.insert(CLIENT_ID, answer.data.client_id);
    data.insert(CLIENT_SECRET, answer.data.client_secret);
    Ok(LeasedCredential {
        lease: answer.lease.granted(),
        data,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ironsecrets_core::ErrorKind;

    use super::super::recorded::{self, assert_redacted};
    use super::*;

    #[test]
    fn a_service_principal_has_its_id_secret_and_lease() {
        let credential = parse_creds(recorded::AZURE_CREDS.as_bytes()).unwrap();
        let field = |name| credential.data.get(name).unwrap().expose_str().unwrap();
        assert_eq!(field(CLIENT_ID), "408bf248-dd4e-4be5-919a-7f6207a307ab");
        assert_eq!(
            field(CLIENT_SECRET),
            "canary-azure-9PfdaDP9qcf98ggw8WSttfVreFcN4q9c4m4x"
        );
        assert_eq!(credential.data.len(), 2);
        assert_eq!(
            credential.lease.id,
            "azure/creds/my-role/1yZxRqKP5mtEV9aNZvjXH3B0"
        );
        assert_eq!(credential.lease.ttl, Duration::from_secs(3600));
        assert!(credential.lease.renewable);
        assert_redacted(&format!("{credential:?}"));
    }

    #[test]
    fn a_body_without_a_secret_is_unexpected() {
        let err = parse_creds(br#"{"data":{"client_id":"canary-x"}}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected);
        assert!(!err.to_string().contains("canary"), "{err}");
    }
}
