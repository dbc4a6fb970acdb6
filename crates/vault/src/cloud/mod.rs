//! `VaultCloud`: Vault's cloud secrets engines — AWS, Azure and Google Cloud — at one
//! mount.
//!
//! OpenBao has none of these engines, so no test here can reach a live one: the
//! requests follow Vault's documented API (developer.hashicorp.com/vault/api-docs/secret/
//! `aws`, `azure`, `gcp`) and the answers are parsed by plain functions tested against
//! the response bodies recorded in `tests/recorded/`. What does reach a live server is
//! the engine detection ([`VaultCloud::engine`]) and its errors.
//!
//! | call | request | `data` of the credential | lease |
//! |---|---|---|---|
//! | [`VaultCloud::aws_creds`] | `GET <mount>/creds/<role>` (`POST` with parameters) | `access_key`, `secret_key`, `session_token` (STS types only), `arn` (when Vault gives it) | Vault's; an IAM user's is renewable, STS credentials' are not |
//! | [`VaultCloud::aws_sts`] | `POST <mount>/sts/<role>` | as above | as above |
//! | [`VaultCloud::azure_creds`] | `GET <mount>/creds/<role>` | `client_id`, `client_secret` | Vault's, renewable |
//! | [`VaultCloud::gcp_token`] | `GET <mount>/roleset/<roleset>/token` | `token`, `expires_at_seconds` | none: empty id, not renewable, ttl `token_ttl`, ending at `expires_at_seconds` |
//! | [`VaultCloud::gcp_key`] | `GET <mount>/roleset/<roleset>/key` (`POST` with parameters) | `private_key_data` (decoded from base64: with the default key type, the JSON key file), `key_algorithm`, `key_type` | Vault's, renewable |
//!
//! Every field is a [`SecretValue`](ironsecrets_core::SecretValue), redacted in Debug.
//!
//! # `CredentialRequest::Cloud`
//! The request names a mount and a role but no provider, so [`VaultCloud::issue`] reads
//! the mount's engine type from `sys/mounts/<mount>` (the token needs `read` there) and
//! then asks:
//! - `aws`: [`VaultCloud::aws_creds`] with the ttl; the Vault role's `credential_type`
//!   decides between an IAM user and STS credentials.
//! - `azure`: [`VaultCloud::azure_creds`]; the role sets the ttl, so one given is
//!   InvalidInput.
//! - `gcp`: the role is a roleset, read first (`<mount>/roleset/<name>`): one of
//!   `secret_type` `access_token` gives [`VaultCloud::gcp_token`] (a ttl is InvalidInput:
//!   Google fixes it), one of `service_account_key` gives [`VaultCloud::gcp_key`] with
//!   the ttl.
//! - any other engine type is Unsupported, naming the mount and its type; a path where
//!   nothing is mounted is NotFound.
//!
//! An unknown role is NotFound (Vault: 400 `Role "x" not found`, `role 'x' does not
//! exist`, `role set 'x' does not exist`).

mod aws;
mod azure;
mod gcp;

use std::time::Duration;

use ironsecrets_core::{Error, ErrorKind, LeasedCredential, Operation, Result, validate_path};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use aws::{ACCESS_KEY, ARN, AwsCredsRequest, SECRET_KEY, SESSION_TOKEN};
pub use azure::{CLIENT_ID, CLIENT_SECRET};
pub use gcp::{
    EXPIRES_AT_SECONDS, GcpKeyRequest, GcpSecretType, KEY_ALGORITHM, KEY_TYPE, PRIVATE_KEY_DATA,
    TOKEN,
};

use crate::VaultClient;
use crate::client::{ApiRequest, Reply, path_segment};
use crate::errors::{self, context, unknown_as_not_found};
use crate::leases::LeaseFields;

/// The cloud secrets engines [`VaultCloud`] speaks to, by their Vault engine type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloudEngine {
    /// The AWS secrets engine (type `aws`).
    Aws,
    /// The Azure secrets engine (type `azure`).
    Azure,
    /// The Google Cloud secrets engine (type `gcp`).
    Gcp,
}

impl CloudEngine {
    /// The engine of a mount of Vault engine type `kind`, if it is a cloud one.
    pub fn from_mount_type(kind: &str) -> Option<Self> {
        match kind {
            "aws" => Some(CloudEngine::Aws),
            "azure" => Some(CloudEngine::Azure),
            "gcp" => Some(CloudEngine::Gcp),
            _ => None,
        }
    }

    /// The Vault engine type: `aws`, `azure` or `gcp`.
    pub fn mount_type(self) -> &'static str {
        match self {
            CloudEngine::Aws => "aws",
            CloudEngine::Azure => "azure",
            CloudEngine::Gcp => "gcp",
        }
    }
}

/// A cloud secrets engine (AWS, Azure or Google Cloud) mounted at one path. Debug shows
/// the server address and mount.
#[derive(Clone, Debug)]
pub struct VaultCloud {
    client: VaultClient,
    mount: String,
}

/// `data` of a `sys/mounts/<mount>` answer.
#[derive(Deserialize)]
struct MountInfo {
    #[serde(rename = "type")]
    kind: String,
}

/// A leased answer: the lease in the envelope, the credential in `data`.
#[derive(Deserialize)]
struct Leased<T> {
    #[serde(flatten)]
    lease: LeaseFields,
    data: T,
}

impl VaultCloud {
    /// The cloud engine mounted at `mount` (e.g. `aws`) on `client`'s server.
    pub fn new(client: VaultClient, mount: impl Into<String>) -> Self {
        VaultCloud {
            client,
            mount: mount.into().trim_matches('/').to_owned(),
        }
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// Which cloud engine is mounted here, from `sys/mounts/<mount>`: NotFound when
    /// nothing is mounted there, Unsupported (naming the type) when it is another engine.
    pub async fn engine(&self) -> Result<CloudEngine> {
        let read = async {
            validate_path(&self.mount)?;
            let path = format!("sys/mounts/{}", self.mount);
            let reply = self
                .client
                .call(ApiRequest::get(path))
                .await
                .map_err(|e| no_mount(e, &self.mount))?;
            engine_of(&self.mount, &reply.data::<MountInfo>()?.kind)
        };
        read.await.map_err(context(
            Operation::IssueCredential,
            &format!("sys/mounts/{}", self.mount),
        ))
    }

    /// Credentials from `role`, on whichever cloud engine is mounted here (see the
    /// module docs): what `CredentialRequest::Cloud` does.
    pub async fn issue(&self, role: &str, ttl: Option<Duration>) -> Result<LeasedCredential> {
        let issued = async {
            match self.engine().await? {
                CloudEngine::Aws => {
                    let request = AwsCredsRequest {
                        ttl,
                        ..AwsCredsRequest::default()
                    };
                    self.aws_creds(role, &request).await
                }
                CloudEngine::Azure => {
                    fixed_ttl(ttl, "an Azure role's credentials")?;
                    self.azure_creds(role).await
                }
                CloudEngine::Gcp => match self.gcp_secret_type(role).await? {
                    GcpSecretType::AccessToken => {
                        fixed_ttl(ttl, "a Google Cloud OAuth2 access token")?;
                        self.gcp_token(role).await
                    }
                    GcpSecretType::ServiceAccountKey => {
                        let request = GcpKeyRequest {
                            ttl,
                            ..GcpKeyRequest::default()
                        };
                        self.gcp_key(role, &request).await
                    }
                },
            }
        };
        issued.await.map_err(context(
            Operation::IssueCredential,
            &format!("{}/{role}", self.mount),
        ))
    }

    /// `<mount>/<section>/<name>`, with the mount and the one-segment name checked.
    fn path(&self, section: &str, name: &str, what: &str) -> Result<String> {
        validate_path(&self.mount)?;
        path_segment(name, what)?;
        Ok(format!("{}/{section}/{name}", self.mount))
    }

    /// Sends `request`; an unknown role is NotFound.
    async fn fetch(&self, request: ApiRequest) -> Result<Reply> {
        self.client.call(request).await.map_err(missing)
    }
}

/// `request` as a `GET` of `path` when `body` sets nothing, else a `POST` of it: the
/// cloud engines read optional parameters from either, and a `GET` keeps plain reads
/// plain in Vault's audit log.
fn get_or_post(path: String, body: serde_json::Value) -> ApiRequest {
    match &body {
        serde_json::Value::Object(fields) if fields.is_empty() => ApiRequest::get(path),
        _ => ApiRequest::post(path, body),
    }
}

/// The engine of mount `mount`, whose engine type is `kind`; Unsupported naming both
/// when it is not a cloud engine.
fn engine_of(mount: &str, kind: &str) -> Result<CloudEngine> {
    CloudEngine::from_mount_type(kind).ok_or_else(|| {
        Error::new(
            ErrorKind::Unsupported,
            format!(
                "the mount '{mount}' is a {kind} engine, not a cloud secrets engine (aws, \
                 azure or gcp); Cloud credentials come from those"
            ),
        )
    })
}

/// InvalidInput for a ttl given where the engine fixes it.
fn fixed_ttl(ttl: Option<Duration>, what: &str) -> Result<()> {
    match ttl {
        Some(_) => Err(Error::invalid_input(format!(
            "{what} cannot be given a ttl: Vault's role (or the provider) sets it"
        ))),
        None => Ok(()),
    }
}

/// A success body parsed as `T`; the parser's message is dropped (it can quote a secret).
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|_| errors::unreadable_answer())
}

/// Vault's answer for a path where no engine is mounted (400 `No secret engine mount
/// at x/`) as NotFound naming the mount; other errors unchanged.
fn no_mount(err: Error, mount: &str) -> Error {
    let nothing = err.kind() == ErrorKind::NotFound
        || (err.kind() == ErrorKind::InvalidInput
            && err.message().starts_with("No secret engine mount at"));
    if nothing {
        Error::not_found(format!("no secrets engine is mounted at '{mount}'"))
    } else {
        err
    }
}

/// The cloud engines' answers for an unknown role as NotFound: [`unknown_as_not_found`]
/// plus Azure's and GCP's `... does not exist`; other errors unchanged.
fn missing(err: Error) -> Error {
    let err = unknown_as_not_found(err);
    if err.kind() == ErrorKind::InvalidInput && err.message().contains(" does not exist") {
        Error::not_found(err.message())
    } else {
        err
    }
}

/// The recorded response bodies the parsers are tested against.
#[cfg(test)]
pub(crate) mod recorded {
    pub const AWS_CREDS_IAM_USER: &str =
        include_str!("../../tests/recorded/aws_creds_iam_user.json");
    pub const AWS_STS_ASSUMED_ROLE: &str =
        include_str!("../../tests/recorded/aws_sts_assumed_role.json");
    pub const AWS_STS_FEDERATION_TOKEN: &str =
        include_str!("../../tests/recorded/aws_sts_federation_token.json");
    pub const AZURE_CREDS: &str = include_str!("../../tests/recorded/azure_creds.json");
    pub const GCP_ROLESET_TOKEN: &str = include_str!("../../tests/recorded/gcp_roleset_token.json");
    pub const GCP_ROLESET_KEY: &str = include_str!("../../tests/recorded/gcp_roleset_key.json");
    pub const GCP_ROLESET_READ: &str = include_str!("../../tests/recorded/gcp_roleset_read.json");

    /// Checks that no `canary` secret of a recording shows in `shown` (a Debug output).
    pub fn assert_redacted(shown: &str) {
        assert!(!shown.contains("canary"), "a secret shows: {shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_types_map_to_engines() {
        for engine in [CloudEngine::Aws, CloudEngine::Azure, CloudEngine::Gcp] {
            assert_eq!(
                CloudEngine::from_mount_type(engine.mount_type()),
                Some(engine)
            );
        }
        assert_eq!(CloudEngine::from_mount_type("kv"), None);
        let err = engine_of("secret", "kv").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.message().contains("'secret' is a kv engine"), "{err}");
    }

    #[test]
    fn no_mount_and_unknown_roles_are_not_found() {
        let err = no_mount(
            Error::invalid_input("No secret engine mount at nope/ (HTTP 400)"),
            "nope",
        );
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.message(), "no secrets engine is mounted at 'nope'");
        for said in [
            "Role \"web\" not found (HTTP 400)",
            "role 'web' does not exist (HTTP 400)",
            "role set 'web' does not exist (HTTP 400)",
        ] {
            assert_eq!(
                missing(Error::invalid_input(said)).kind(),
                ErrorKind::NotFound
            );
        }
        let other = missing(Error::invalid_input("ttl too long (HTTP 400)"));
        assert_eq!(other.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn empty_parameters_are_a_get_and_others_a_post() {
        // ApiRequest is not Debug (its body may be secret): look at the method only.
        use rustify::endpoint::Endpoint;
        use rustify::enums::RequestMethod;
        let get = get_or_post("aws/creds/r".into(), serde_json::json!({}));
        assert!(matches!(get.method(), RequestMethod::GET));
        let post = get_or_post("aws/creds/r".into(), serde_json::json!({"ttl": "60s"}));
        assert!(matches!(post.method(), RequestMethod::POST));
    }

    #[test]
    fn a_ttl_is_refused_where_the_engine_fixes_it() {
        assert!(fixed_ttl(None, "x").is_ok());
        let err = fixed_ttl(Some(Duration::from_secs(60)), "an Azure role's credentials");
        assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
