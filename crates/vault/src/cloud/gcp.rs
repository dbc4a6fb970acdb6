//! The Google Cloud secrets engine: a roleset's OAuth2 access token
//! (`<mount>/roleset/<roleset>/token`) or service account key
//! (`<mount>/roleset/<roleset>/key`).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use ironsecrets_core::{Error, Lease, LeasedCredential, Operation, Result, SecretMap, SecretValue};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Leased, VaultCloud, get_or_post, parse};
use crate::client::{ApiRequest, duration_param};
use crate::errors::context;

/// The field of `data` holding the OAuth2 access token.
pub const TOKEN: &str = "token";
/// The field of `data` holding when the access token expires, in Unix seconds.
pub const EXPIRES_AT_SECONDS: &str = "expires_at_seconds";
/// The field of `data` holding the service account key, decoded from Vault's base64:
/// with the default key type, the JSON key file Google's client libraries read.
pub const PRIVATE_KEY_DATA: &str = "private_key_data";
/// The field of `data` holding the key's algorithm (e.g. `KEY_ALG_RSA_2048`).
pub const KEY_ALGORITHM: &str = "key_algorithm";
/// The field of `data` holding the key's file type (e.g. `TYPE_GOOGLE_CREDENTIALS_FILE`).
pub const KEY_TYPE: &str = "key_type";

/// What a roleset issues (its `secret_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GcpSecretType {
    /// OAuth2 access tokens (`access_token`): no lease, a fixed lifetime.
    AccessToken,
    /// Service account keys (`service_account_key`), under a renewable lease.
    ServiceAccountKey,
}

/// The optional parameters of a service account key request; `Default` sends none
/// (Vault: RSA 2048, a JSON key file, the mount's ttl).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcpKeyRequest {
    /// `key_algorithm`, e.g. `KEY_ALG_RSA_2048`.
    pub key_algorithm: Option<String>,
    /// `key_type`, e.g. `TYPE_GOOGLE_CREDENTIALS_FILE` or `TYPE_PKCS12_FILE`.
    pub key_type: Option<String>,
    /// The lease's ttl.
    pub ttl: Option<Duration>,
}

impl GcpKeyRequest {
    /// The request body: the parameters that are set.
    fn body(&self) -> Value {
        let mut body = json!({});
        if let Some(algorithm) = &self.key_algorithm {
            body["key_algorithm"] = json!(algorithm);
        }
        if let Some(kind) = &self.key_type {
            body["key_type"] = json!(kind);
        }
        if let Some(ttl) = self.ttl {
            body["ttl"] = json!(duration_param(ttl));
        }
        body
    }
}

/// `data` of a `token` answer.
#[derive(Deserialize)]
struct AccessToken {
    token: String,
    expires_at_seconds: i64,
    token_ttl: u64,
}

/// `data` of a `key` answer.
#[derive(Deserialize)]
struct ServiceAccountKey {
    private_key_data: String,
    key_algorithm: String,
    key_type: String,
}

/// `data` of a roleset read.
#[derive(Deserialize)]
struct Roleset {
    secret_type: String,
}

/// `data` of a roleset read, wrapped in Vault's envelope.
#[derive(Deserialize)]
struct RolesetAnswer {
    data: Roleset,
}

impl VaultCloud {
    /// What roleset `roleset` issues (`GET <mount>/roleset/<roleset>`).
    pub async fn gcp_secret_type(&self, roleset: &str) -> Result<GcpSecretType> {
        let read = async {
            let path = self.path("roleset", roleset, "roleset")?;
            let reply = self.fetch(ApiRequest::get(path)).await?;
            parse_secret_type(&reply.body)
        };
        read.await.map_err(context(
            Operation::IssueCredential,
            &format!("{}/roleset/{roleset}", self.mount),
        ))
    }

    /// An OAuth2 access token from roleset `roleset` (`GET
    /// <mount>/roleset/<roleset>/token`). It has no lease: the credential's lease id is
    /// empty, it does not renew, and its ttl (Google's, about an hour) ends at
    /// `expires_at_seconds`.
    pub async fn gcp_token(&self, roleset: &str) -> Result<LeasedCredential> {
        let issued = async {
            let path = format!("{}/token", self.path("roleset", roleset, "roleset")?);
            let reply = self.fetch(ApiRequest::get(path)).await?;
            parse_token(&reply.body)
        };
        issued.await.map_err(context(
            Operation::IssueCredential,
            &format!("{}/roleset/{roleset}/token", self.mount),
        ))
    }

    /// A new service account key from roleset `roleset` (`<mount>/roleset/<roleset>/key`,
    /// a `GET` when `request` sets nothing, a `POST` of its parameters otherwise), under
    /// Vault's renewable lease; revoking the lease deletes the key.
    pub async fn gcp_key(
        &self,
        roleset: &str,
        request: &GcpKeyRequest,
    ) -> Result<LeasedCredential> {
        let issued = async {
            let path = format!("{}/key", self.path("roleset", roleset, "roleset")?);
            let reply = self.fetch(get_or_post(path, request.body())).await?;
            parse_key(&reply.body)
        };
        issued.await.map_err(context(
            Operation::IssueCredential,
            &format!("{}/roleset/{roleset}/key", self.mount),
        ))
    }
}

/// The `secret_type` of a roleset read.
pub(super) fn parse_secret_type(body: &[u8]) -> Result<GcpSecretType> {
    let answer: RolesetAnswer = parse(body)?;
    match answer.data.secret_type.as_str() {
        "access_token" => Ok(GcpSecretType::AccessToken),
        "service_account_key" => Ok(GcpSecretType::ServiceAccountKey),
        other => Err(Error::unexpected(format!(
            "the roleset's secret_type '{}' is neither access_token nor service_account_key",
            other.escape_default()
        ))),
    }
}

/// The credential in a `token` answer: `token` and `expires_at_seconds`; no lease id,
/// not renewable, ttl `token_ttl` ending at `expires_at_seconds`.
pub(super) fn parse_token(body: &[u8]) -> Result<LeasedCredential> {
    let answer: Leased<AccessToken> = parse(body)?;
    let token = answer.data;
    let ttl = Duration::from_secs(token.token_ttl);
    let issued_at = DateTime::<Utc>::from_timestamp(token.expires_at_seconds, 0)
        .and_then(|end| end.checked_sub_signed(TimeDelta::from_std(ttl).ok()?))
        .unwrap_or_else(Utc::now);
    let mut data = SecretMap::new();
    data.insert(TOKEN, token.token);
    data.insert(EXPIRES_AT_SECONDS, token.expires_at_seconds.to_string());
    let lease = Lease {
        id: String::new(),
        ttl,
        renewable: false,
        issued_at,
    };
    Ok(LeasedCredential { lease, data })
}

/// The credential in a `key` answer: the key decoded from base64, its algorithm and
/// type; Vault's lease.
pub(super) fn parse_key(body: &[u8]) -> Result<LeasedCredential> {
    let answer: Leased<ServiceAccountKey> = parse(body)?;
    let key = answer.data;
    let decoded = STANDARD
        .decode(key.private_key_data.as_bytes())
        .map_err(|_| Error::unexpected("Vault's private_key_data is not base64"))?;
    let mut data = SecretMap::new();
    data.insert(PRIVATE_KEY_DATA, SecretValue::new(decoded));
    data.insert(KEY_ALGORITHM, key.key_algorithm);
    data.insert(KEY_TYPE, key.key_type);
    Ok(LeasedCredential {
        lease: answer.lease.granted(),
        data,
    })
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::ErrorKind;

    use super::super::recorded::{self, assert_redacted};
    use super::*;

    #[test]
    fn an_access_token_has_no_lease_and_ends_when_google_says() {
        let credential = parse_token(recorded::GCP_ROLESET_TOKEN.as_bytes()).unwrap();
        let field = |name| credential.data.get(name).unwrap().expose_str().unwrap();
        assert_eq!(field(TOKEN), "canary-gcp-ya29.c.Elp5Be3ga87");
        assert_eq!(field(EXPIRES_AT_SECONDS), "1537400046");
        assert_eq!(credential.lease.id, "");
        assert!(!credential.lease.renewable);
        assert_eq!(credential.lease.ttl, Duration::from_secs(3599));
        assert_eq!(credential.lease.expires_at().timestamp(), 1_537_400_046);
        assert_redacted(&format!("{credential:?}"));
    }

    #[test]
    fn a_service_account_key_is_the_decoded_key_file_under_a_lease() {
        let credential = parse_key(recorded::GCP_ROLESET_KEY.as_bytes()).unwrap();
        let file: Value =
            serde_json::from_slice(credential.data.get(PRIVATE_KEY_DATA).unwrap().expose())
                .unwrap();
        assert_eq!(file["type"], "service_account");
        assert!(
            file["private_key"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        let field = |name| credential.data.get(name).unwrap().expose_str().unwrap();
        assert_eq!(field(KEY_ALGORITHM), "KEY_ALG_RSA_2048");
        assert_eq!(field(KEY_TYPE), "TYPE_GOOGLE_CREDENTIALS_FILE");
        assert_eq!(
            credential.lease.id,
            "gcp/roleset/my-key-roleset/key/Hk3JtV6s8dQwErTy0uIoPaSd"
        );
        assert_eq!(credential.lease.ttl, Duration::from_secs(3600));
        assert!(credential.lease.renewable);
        assert_redacted(&format!("{credential:?}"));
    }

    #[test]
    fn bad_base64_is_unexpected_and_not_echoed() {
        let body = br#"{"lease_id":"l","renewable":true,"lease_duration":1,"data":{
            "private_key_data":"canary!!","key_algorithm":"a","key_type":"t"}}"#;
        let err = parse_key(body).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected);
        assert!(!err.to_string().contains("canary"), "{err}");
    }

    #[test]
    fn a_rolesets_secret_type_decides_token_or_key() {
        assert_eq!(
            parse_secret_type(recorded::GCP_ROLESET_READ.as_bytes()).unwrap(),
            GcpSecretType::ServiceAccountKey
        );
        assert_eq!(
            parse_secret_type(br#"{"data":{"secret_type":"access_token"}}"#).unwrap(),
            GcpSecretType::AccessToken
        );
        let err = parse_secret_type(br#"{"data":{"secret_type":"other"}}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected);
    }

    #[test]
    fn the_key_request_sends_only_what_is_set() {
        assert_eq!(GcpKeyRequest::default().body(), json!({}));
        let request = GcpKeyRequest {
            key_algorithm: Some("KEY_ALG_RSA_2048".into()),
            key_type: Some("TYPE_PKCS12_FILE".into()),
            ttl: Some(Duration::from_secs(7200)),
        };
        assert_eq!(
            request.body(),
            json!({"key_algorithm": "KEY_ALG_RSA_2048", "key_type": "TYPE_PKCS12_FILE",
                   "ttl": "7200s"})
        );
    }
}
