//! The AWS secrets engine: `<mount>/creds/<role>` and `<mount>/sts/<role>`.

use std::time::Duration;

use ironsecrets_core::{LeasedCredential, Operation, Result, SecretMap, SecretValue};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Leased, VaultCloud, get_or_post, parse};
use crate::client::{ApiRequest, duration_param};
use crate::errors::context;

/// The field of `data` holding the AWS access key id.
pub const ACCESS_KEY: &str = "access_key";
/// The field of `data` holding the AWS secret access key.
pub const SECRET_KEY: &str = "secret_key";
/// The field of `data` holding the STS session token (absent for an IAM user).
pub const SESSION_TOKEN: &str = "session_token";
/// The field of `data` holding the ARN of the assumed role or federated user, when Vault
/// gives it.
pub const ARN: &str = "arn";

/// The optional parameters of an AWS credentials request; `Default` sends none and
/// lets the Vault role decide. Debug redacts the MFA code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsCredsRequest {
    /// The ARN of the AWS role to assume, for an `assumed_role` Vault role allowing
    /// several (`role_arn`).
    pub role_arn: Option<String>,
    /// The session name of the assumed role (`role_session_name`; Vault makes one up
    /// when `None`).
    pub role_session_name: Option<String>,
    /// The STS credentials' lifetime (`ttl`; the role's `default_sts_ttl` when `None`).
    /// STS credential types only.
    pub ttl: Option<Duration>,
    /// The TOTP code of the MFA device the Vault role names (`mfa_code`), for
    /// `session_token` roles that require one.
    pub mfa_code: Option<SecretValue>,
}

impl AwsCredsRequest {
    /// The request body: the parameters that are set.
    fn body(&self) -> Result<Value> {
        let mut body = json!({});
        if let Some(arn) = &self.role_arn {
            body["role_arn"] = json!(arn);
        }
        if let Some(name) = &self.role_session_name {
            body["role_session_name"] = json!(name);
        }
        if let Some(ttl) = self.ttl {
            body["ttl"] = json!(duration_param(ttl));
        }
        if let Some(code) = &self.mfa_code {
            body["mfa_code"] = json!(code.expose_str()?);
        }
        Ok(body)
    }
}

/// `data` of a `creds` or `sts` answer. Vault before 0.11 named the session token
/// `security_token`.
#[derive(Deserialize)]
struct Keys {
    access_key: String,
    secret_key: String,
    #[serde(default)]
    session_token: Option<String>,
    #[serde(default)]
    security_token: Option<String>,
    #[serde(default)]
    arn: Option<String>,
    /// STS credentials' lifetime in seconds, as Vault also puts it in `data`.
    #[serde(default)]
    ttl: Option<u64>,
}

impl VaultCloud {
    /// New AWS credentials from Vault role `role` (`<mount>/creds/<role>`): an IAM
    /// user's keys, or STS credentials when the role's `credential_type` is an STS one.
    /// A `GET` when `request` sets nothing, a `POST` of its parameters otherwise.
    pub async fn aws_creds(
        &self,
        role: &str,
        request: &AwsCredsRequest,
    ) -> Result<LeasedCredential> {
        let issued = async {
            let path = self.path("creds", role, "role")?;
            let reply = self.fetch(get_or_post(path, request.body()?)).await?;
            parse_keys(&reply.body)
        };
        issued.await.map_err(context(
            Operation::IssueCredential,
            &format!("{}/creds/{role}", self.mount),
        ))
    }

    /// New STS credentials (assumed role, federation token or session token) from Vault
    /// role `role` (`POST <mount>/sts/<role>`), the path roles made with the legacy
    /// `arn` / `policy` parameters need for them.
    pub async fn aws_sts(&self, role: &str, request: &AwsCredsRequest) -> Result<LeasedCredential> {
        let issued = async {
            let path = self.path("sts", role, "role")?;
            let reply = self.fetch(ApiRequest::post(path, request.body()?)).await?;
            parse_keys(&reply.body)
        };
        issued.await.map_err(context(
            Operation::IssueCredential,
            &format!("{}/sts/{role}", self.mount),
        ))
    }
}

/// The credential in a `creds` or `sts` answer: the keys, the session token when there
/// is one, the ARN when given; Vault's lease, its ttl taken from `data.ttl` when the
/// envelope has none.
pub(super) fn parse_keys(body: &[u8]) -> Result<LeasedCredential> {
    let answer: Leased<Keys> = parse(body)?;
    let keys = answer.data;
    let mut lease = answer.lease.granted();
    if lease.ttl.is_zero() {
        lease.ttl = Duration::from_secs(keys.ttl.unwrap_or_default());
    }
    let mut data = SecretMap::new();
    data.insert(ACCESS_KEY, keys.access_key);
    data.insert(SECRET_KEY, keys.secret_key);
    if let Some(token) = keys
        .session_token
        .or(keys.security_token)
        .filter(|t| !t.is_empty())
    {
        data.insert(SESSION_TOKEN, token);
    }
    if let Some(arn) = keys.arn.filter(|a| !a.is_empty()) {
        data.insert(ARN, arn);
    }
    Ok(LeasedCredential { lease, data })
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::ErrorKind;

    use super::super::recorded::{self, assert_redacted};
    use super::*;

    fn field<'a>(credential: &'a LeasedCredential, name: &str) -> &'a str {
        credential.data.get(name).unwrap().expose_str().unwrap()
    }

    #[test]
    fn an_iam_user_has_keys_and_a_renewable_lease_but_no_session_token() {
        let credential = parse_keys(recorded::AWS_CREDS_IAM_USER.as_bytes()).unwrap();
        assert_eq!(field(&credential, ACCESS_KEY), "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(
            field(&credential, SECRET_KEY),
            "canary-aws-iam-secret-wJalrXUtnFEMI"
        );
        assert!(credential.data.get(SESSION_TOKEN).is_none());
        assert!(credential.data.get(ARN).is_none());
        assert_eq!(
            credential.lease.id,
            "aws/creds/deploy/b4H1mmdW7nrzUQBmNMbqeJwM"
        );
        assert_eq!(credential.lease.ttl, Duration::from_secs(2_764_800));
        assert!(credential.lease.renewable);
        assert_redacted(&format!("{credential:?}"));
    }

    #[test]
    fn an_assumed_role_has_a_session_token_and_a_lease_that_does_not_renew() {
        let credential = parse_keys(recorded::AWS_STS_ASSUMED_ROLE.as_bytes()).unwrap();
        assert_eq!(field(&credential, ACCESS_KEY), "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(
            field(&credential, SESSION_TOKEN),
            "canary-aws-session-FwoGZXIvYXdzEBYaDH"
        );
        assert!(field(&credential, ARN).starts_with("arn:aws:sts::123456789012:assumed-role/"));
        assert_eq!(
            credential.lease.id,
            "aws/sts/deploy/Wq4P7xYkGkz0m9TJcV1dC3eR"
        );
        assert_eq!(credential.lease.ttl, Duration::from_secs(3599));
        assert!(!credential.lease.renewable);
        assert_redacted(&format!("{credential:?}"));
    }

    #[test]
    fn a_federation_token_is_parsed_alike() {
        let credential = parse_keys(recorded::AWS_STS_FEDERATION_TOKEN.as_bytes()).unwrap();
        assert_eq!(
            field(&credential, SESSION_TOKEN),
            "canary-aws-fed-session-AQoDYXdzEPT"
        );
        assert!(field(&credential, ARN).contains(":federated-user/"));
        assert_eq!(credential.lease.ttl, Duration::from_secs(900));
        assert!(!credential.lease.renewable);
        assert_eq!(
            credential.data.keys().collect::<Vec<_>>(),
            [ACCESS_KEY, ARN, SECRET_KEY, SESSION_TOKEN]
        );
    }

    #[test]
    fn the_old_security_token_name_and_data_ttl_are_understood() {
        let body = br#"{"lease_id":"aws/sts/r/x","renewable":false,"lease_duration":0,
            "data":{"access_key":"A","secret_key":"s","security_token":"t","ttl":900}}"#;
        let credential = parse_keys(body).unwrap();
        assert_eq!(field(&credential, SESSION_TOKEN), "t");
        assert_eq!(credential.lease.ttl, Duration::from_secs(900));
    }

    #[test]
    fn a_body_without_keys_is_unexpected_and_not_echoed() {
        let err = parse_keys(br#"{"data":{"secret_key":"canary-1"}}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected);
        assert!(!err.to_string().contains("canary"), "{err}");
    }

    #[test]
    fn the_request_sends_only_what_is_set() {
        assert_eq!(AwsCredsRequest::default().body().unwrap(), json!({}));
        let request = AwsCredsRequest {
            role_arn: Some("arn:aws:iam::123456789012:role/Dev".into()),
            role_session_name: Some("ci".into()),
            ttl: Some(Duration::from_secs(900)),
            mfa_code: Some("424242".into()),
        };
        assert_eq!(
            request.body().unwrap(),
            json!({
                "role_arn": "arn:aws:iam::123456789012:role/Dev",
                "role_session_name": "ci",
                "ttl": "900s",
                "mfa_code": "424242",
            })
        );
        assert!(!format!("{request:?}").contains("424242"));
    }
}
