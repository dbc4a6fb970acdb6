//! `VaultTotp`: the TOTP secrets engine at one mount — keys Vault generates (for an app
//! to enrol in an authenticator) or imports (to produce a service's codes), codes, and
//! validation.
//!
//! A key's seed is secret, and so is everything that carries it: the `otpauth://` URL
//! and the QR code of a generated key are [`SecretValue`]s, as are codes. An unknown key
//! is NotFound (Vault: 400 `unknown key: x`).
//!
//! [`VaultTotp::validate`] answers `false` for a wrong code, for a code already used in
//! its period (Vault refuses reuse), and for a code of the wrong length; Vault checks
//! the key's `skew` periods either side of now.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ironsecrets_core::{Error, ErrorKind, Operation, Result, SecretValue, validate_path};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::VaultClient;
use crate::client::{ApiRequest, duration_param, path_segment};
use crate::errors::{context, not_found_as, unknown_as_not_found};

/// The TOTP engine mounted at one path. Debug shows the server address and mount.
#[derive(Clone, Debug)]
pub struct VaultTotp {
    client: VaultClient,
    mount: String,
}

/// How a key's codes are made. `None` fields take Vault's defaults (SHA1, 6 digits,
/// 30 s, skew 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotpKeyOptions {
    /// The service the key is for, shown by authenticator apps.
    pub issuer: String,
    /// The user the key is for, shown by authenticator apps (required to generate).
    pub account_name: String,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: Option<String>,
    /// Code length: 6 or 8.
    pub digits: Option<u8>,
    /// How long a code lasts.
    pub period: Option<Duration>,
    /// Periods either side of now a code is still accepted in (0 or 1).
    pub skew: Option<u8>,
    /// Seed length in bytes, for generated keys (Vault: 20).
    pub key_size: Option<u32>,
    /// Width of the QR code in pixels, for generated keys; `Some(0)` for none (Vault:
    /// 200).
    pub qr_size: Option<u32>,
}

impl TotpKeyOptions {
    /// Options for `account_name` at `issuer`, Vault's defaults otherwise.
    pub fn new(issuer: impl Into<String>, account_name: impl Into<String>) -> Self {
        TotpKeyOptions {
            issuer: issuer.into(),
            account_name: account_name.into(),
            ..TotpKeyOptions::default()
        }
    }

    /// The body fields these options set.
    fn fields(&self, body: &mut Value) {
        if !self.issuer.is_empty() {
            body["issuer"] = json!(self.issuer);
        }
        if !self.account_name.is_empty() {
            body["account_name"] = json!(self.account_name);
        }
        if let Some(algorithm) = &self.algorithm {
            body["algorithm"] = json!(algorithm);
        }
        if let Some(digits) = self.digits {
            body["digits"] = json!(digits);
        }
        if let Some(period) = self.period {
            body["period"] = json!(duration_param(period));
        }
        if let Some(skew) = self.skew {
            body["skew"] = json!(skew);
        }
    }
}

/// A key Vault generated, to hand to the user's authenticator. Both fields carry the
/// seed and are secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedTotpKey {
    /// The `otpauth://totp/...` URL.
    pub url: SecretValue,
    /// The URL as a QR code, PNG bytes; `None` when `qr_size` was 0.
    pub barcode: Option<SecretValue>,
}

/// What Vault tells about a key (never its seed).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TotpKeyInfo {
    /// The issuer.
    #[serde(default)]
    pub issuer: String,
    /// The account name.
    #[serde(default)]
    pub account_name: String,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Code length.
    pub digits: u8,
    /// Code lifetime in seconds.
    pub period: u64,
}

#[derive(Deserialize)]
struct Generated {
    url: String,
    #[serde(default)]
    barcode: Option<String>,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

#[derive(Deserialize)]
struct Validity {
    valid: bool,
}

impl VaultTotp {
    /// The TOTP engine mounted at `mount` (e.g. `totp`) on `client`'s server.
    pub fn new(client: VaultClient, mount: impl Into<String>) -> Self {
        VaultTotp {
            client,
            mount: mount.into().trim_matches('/').to_owned(),
        }
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// `<mount>/<section>/<name>`, with the mount and key name checked first.
    fn path(&self, section: &str, name: &str) -> Result<String> {
        validate_path(&self.mount)?;
        path_segment(name, "key name")?;
        Ok(format!("{}/{section}/{name}", self.mount))
    }

    /// Generates key `name` (`generate=true`, exported) and returns its URL and QR code.
    pub async fn create_key(
        &self,
        name: &str,
        options: &TotpKeyOptions,
    ) -> Result<GeneratedTotpKey> {
        let created = async {
            let path = self.path("keys", name)?;
            let mut body = json!({ "generate": true, "exported": true });
            options.fields(&mut body);
            if let Some(size) = options.key_size {
                body["key_size"] = json!(size);
            }
            if let Some(size) = options.qr_size {
                body["qr_size"] = json!(size);
            }
            let reply = self.client.call(ApiRequest::post(path, body)).await?;
            let generated: Generated = reply.data()?;
            let barcode = match generated.barcode.filter(|b| !b.is_empty()) {
                Some(png) => {
                    Some(SecretValue::new(STANDARD.decode(png).map_err(|_| {
                        Error::unexpected("Vault's QR code is not base64")
                    })?))
                }
                None => None,
            };
            Ok(GeneratedTotpKey {
                url: SecretValue::from(generated.url),
                barcode,
            })
        };
        created
            .await
            .map_err(self.context(Operation::TotpCreateKey, name))
    }

    /// Imports key `name` from an `otpauth://totp/...` URL, which names the seed and
    /// every option.
    pub async fn import_key_url(&self, name: &str, url: &SecretValue) -> Result<()> {
        let imported = async {
            let path = self.path("keys", name)?;
            let body = json!({ "url": url.expose_str()? });
            self.client
                .call(ApiRequest::post(path, body))
                .await
                .map(drop)
        };
        imported
            .await
            .map_err(self.context(Operation::TotpImportKey, name))
    }

    /// Imports key `name` from its seed, base32 encoded as authenticators show it.
    pub async fn import_key(
        &self,
        name: &str,
        seed_base32: &SecretValue,
        options: &TotpKeyOptions,
    ) -> Result<()> {
        let imported = async {
            let path = self.path("keys", name)?;
            let mut body = json!({ "key": seed_base32.expose_str()? });
            options.fields(&mut body);
            self.client
                .call(ApiRequest::post(path, body))
                .await
                .map(drop)
        };
        imported
            .await
            .map_err(self.context(Operation::TotpImportKey, name))
    }

    /// What Vault tells about key `name`; NotFound when there is none.
    pub async fn read_key(&self, name: &str) -> Result<TotpKeyInfo> {
        let read = async {
            let path = self.path("keys", name)?;
            let reply = self
                .client
                .call(ApiRequest::get(path))
                .await
                .map_err(|e| not_found_as(e, "no TOTP key by this name"))?;
            reply.data()
        };
        read.await
            .map_err(self.context(Operation::TotpReadKey, name))
    }

    /// Deletes key `name`; deleting a key that does not exist succeeds, as in Vault.
    pub async fn delete_key(&self, name: &str) -> Result<()> {
        let deleted = async {
            let path = self.path("keys", name)?;
            self.client.call(ApiRequest::delete(path)).await.map(drop)
        };
        deleted
            .await
            .map_err(self.context(Operation::TotpDeleteKey, name))
    }

    /// The current code of key `name` (`code/<name>`).
    pub async fn code(&self, name: &str) -> Result<SecretValue> {
        let read = async {
            let path = self.path("code", name)?;
            let reply = self
                .client
                .call(ApiRequest::get(path))
                .await
                .map_err(unknown_as_not_found)?;
            Ok(SecretValue::from(reply.data::<Code>()?.code))
        };
        read.await.map_err(self.context(Operation::TotpCode, name))
    }

    /// Whether `code` is a valid code of key `name` now (`code/<name>`). A valid code
    /// is used up: validating it again in its period is `false`.
    pub async fn validate(&self, name: &str, code: &str) -> Result<bool> {
        let validated = async {
            let path = self.path("code", name)?;
            let reply = self
                .client
                .call(ApiRequest::post(path, json!({ "code": code })))
                .await
                .map_err(unknown_as_not_found);
            match reply {
                Ok(reply) => Ok(reply.data::<Validity>()?.valid),
                Err(e) if refused_code(&e) => Ok(false),
                Err(e) => Err(e),
            }
        };
        validated
            .await
            .map_err(self.context(Operation::TotpValidate, name))
    }

    fn context(&self, operation: Operation, name: &str) -> impl FnOnce(Error) -> Error + use<> {
        let path = format!("{}/{name}", self.mount);
        move |e| context(operation, &path)(e)
    }
}

/// Vault's 400 for a code it will not check: already used, or of the wrong length.
fn refused_code(err: &Error) -> bool {
    let said = err.message();
    err.kind() == ErrorKind::InvalidInput
        && (said.starts_with("code already used") || said.starts_with("invalid number of digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_and_malformed_codes_are_refusals_not_errors() {
        let used = Error::invalid_input("code already used; wait until the next time period");
        assert!(refused_code(&used));
        assert!(refused_code(&Error::invalid_input(
            "invalid number of digits for the code (HTTP 400)"
        )));
        assert!(!refused_code(&Error::invalid_input("unknown key: k")));
        assert!(!refused_code(&Error::new(
            ErrorKind::PermissionDenied,
            "code already used"
        )));
    }

    #[test]
    fn options_set_only_what_is_given() {
        let mut body = json!({});
        TotpKeyOptions::new("Acme", "alice").fields(&mut body);
        assert_eq!(body, json!({"issuer": "Acme", "account_name": "alice"}));
        let mut body = json!({});
        TotpKeyOptions {
            digits: Some(8),
            period: Some(Duration::from_secs(60)),
            ..TotpKeyOptions::default()
        }
        .fields(&mut body);
        assert_eq!(body, json!({"digits": 8, "period": "60s"}));
    }
}
