//! `Vault`: a Vault / OpenBao client's own engines — logins, its token, health, PKI
//! signing. A token login is the client's `token` option.

use ironsecrets::VaultEngines;
use ironsecrets::vault::{KUBERNETES_TOKEN_FILE, Login, PkiIssueRequest};
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

use crate::client::{CallOptions, signal};
use crate::convert::{self, Value};
use crate::engines::RenewArgs;
use crate::runtime::{Signal, promise};
use crate::types::{Certificate, LoginToken, ServerHealth, TokenDescription};

/// The engines of a Vault / OpenBao client.
#[napi]
pub struct Vault {
    inner: VaultEngines,
}

impl From<VaultEngines> for Vault {
    fn from(inner: VaultEngines) -> Self {
        Vault { inner }
    }
}

/// Where an auth method is mounted (its default name when not given), and the signal.
#[napi(object, object_to_js = false)]
pub struct LoginArgs {
    /// The auth method's mount (default `approle` / `userpass`).
    pub mount: Option<String>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// A JWT login's role and mount.
#[napi(object, object_to_js = false)]
pub struct JwtLoginArgs {
    /// The role to log in as; the method's `default_role` when not given.
    pub role: Option<String>,
    /// The auth method's mount (default `jwt`).
    pub mount: Option<String>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// A Kubernetes login's token file (the pod's service-account token by default).
#[napi(object, object_to_js = false)]
pub struct KubernetesLoginArgs {
    /// The service-account token file, read at each login.
    pub token_file: Option<String>,
    /// The auth method's mount (default `kubernetes`).
    pub mount: Option<String>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// A certificate login's role name and mount.
#[napi(object, object_to_js = false)]
pub struct CertLoginArgs {
    /// Tries only this certificate role; every role that trusts the certificate when not
    /// given.
    pub name: Option<String>,
    /// The auth method's mount (default `cert`).
    pub mount: Option<String>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// What a PKI signature covers.
#[napi(object, object_to_js = false)]
pub struct PkiSignArgs {
    /// The certificate's common name.
    pub common_name: Option<String>,
    /// More names: DNS names or IP addresses.
    pub alt_names: Option<Vec<String>>,
    /// Seconds.
    pub ttl: Option<f64>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

fn mount_and_signal(options: Option<LoginArgs>, default: &str) -> (String, Option<Signal>) {
    match options {
        Some(options) => (
            options.mount.unwrap_or_else(|| default.to_owned()),
            options.signal,
        ),
        None => (default.to_owned(), None),
    }
}

impl Vault {
    fn login<'env>(
        &self,
        env: &'env Env,
        login: Login,
        signal: Option<Signal>,
    ) -> napi::Result<PromiseRaw<'env, LoginToken>> {
        let done = self.inner.login(login);
        promise(env, signal, async move { done.await.map(LoginToken::from) })
    }
}

#[napi]
impl Vault {
    /// Logs in with AppRole; the client uses the new token from then on.
    #[napi(ts_return_type = "Promise<TokenLease>")]
    pub fn login_approle<'env>(
        &self,
        env: &'env Env,
        role_id: String,
        #[napi(ts_arg_type = "SecretInput")] secret_id: Value,
        options: Option<LoginArgs>,
    ) -> napi::Result<PromiseRaw<'env, LoginToken>> {
        let (mount, signal) = mount_and_signal(options, "approle");
        let login = Login::AppRole {
            mount,
            role_id,
            secret_id: secret_id.0,
        };
        self.login(env, login, signal)
    }

    /// Logs in with a username and password.
    #[napi(ts_return_type = "Promise<TokenLease>")]
    pub fn login_userpass<'env>(
        &self,
        env: &'env Env,
        username: String,
        #[napi(ts_arg_type = "SecretInput")] password: Value,
        options: Option<LoginArgs>,
    ) -> napi::Result<PromiseRaw<'env, LoginToken>> {
        let (mount, signal) = mount_and_signal(options, "userpass");
        let login = Login::Userpass {
            mount,
            username,
            password: password.0,
        };
        self.login(env, login, signal)
    }

    /// Logs in with a JWT (JWT / OIDC auth).
    #[napi(ts_return_type = "Promise<TokenLease>")]
    pub fn login_jwt<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SecretInput")] jwt: Value,
        options: Option<JwtLoginArgs>,
    ) -> napi::Result<PromiseRaw<'env, LoginToken>> {
        let options = options.unwrap_or(JwtLoginArgs {
            role: None,
            mount: None,
            signal: None,
        });
        let login = Login::Jwt {
            mount: options.mount.unwrap_or_else(|| "jwt".to_owned()),
            role: options.role,
            jwt: jwt.0,
        };
        self.login(env, login, options.signal)
    }

    /// Logs in with a Kubernetes service-account token.
    #[napi(ts_return_type = "Promise<TokenLease>")]
    pub fn login_kubernetes<'env>(
        &self,
        env: &'env Env,
        role: String,
        options: Option<KubernetesLoginArgs>,
    ) -> napi::Result<PromiseRaw<'env, LoginToken>> {
        let options = options.unwrap_or(KubernetesLoginArgs {
            token_file: None,
            mount: None,
            signal: None,
        });
        let login = Login::Kubernetes {
            mount: options.mount.unwrap_or_else(|| "kubernetes".to_owned()),
            role,
            token_file: options
                .token_file
                .unwrap_or_else(|| KUBERNETES_TOKEN_FILE.to_owned())
                .into(),
        };
        self.login(env, login, options.signal)
    }

    /// Logs in with the client's TLS certificate (the `clientCert` option).
    #[napi(ts_return_type = "Promise<TokenLease>")]
    pub fn login_cert<'env>(
        &self,
        env: &'env Env,
        options: Option<CertLoginArgs>,
    ) -> napi::Result<PromiseRaw<'env, LoginToken>> {
        let options = options.unwrap_or(CertLoginArgs {
            name: None,
            mount: None,
            signal: None,
        });
        let login = Login::Cert {
            mount: options.mount.unwrap_or_else(|| "cert".to_owned()),
            name: options.name,
        };
        self.login(env, login, options.signal)
    }

    /// Renews the client's own token.
    #[napi(ts_return_type = "Promise<TokenLease>")]
    pub fn renew_self<'env>(
        &self,
        env: &'env Env,
        options: Option<RenewArgs>,
    ) -> napi::Result<PromiseRaw<'env, LoginToken>> {
        let (increment, signal) = match options {
            Some(options) => (
                convert::maybe_seconds(env, options.increment)?,
                options.signal,
            ),
            None => (None, None),
        };
        let renewed = self.inner.renew_self(increment);
        promise(
            env,
            signal,
            async move { renewed.await.map(LoginToken::from) },
        )
    }

    /// Describes the client's own token.
    #[napi(ts_return_type = "Promise<TokenInfo>")]
    pub fn lookup_self<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, TokenDescription>> {
        let found = self.inner.lookup_self();
        promise(env, signal(options), async move {
            found.await.map(TokenDescription::from)
        })
    }

    /// The server's health.
    #[napi(ts_return_type = "Promise<Health>")]
    pub fn health<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, ServerHealth>> {
        let health = self.inner.health();
        promise(env, signal(options), async move {
            health.await.map(ServerHealth::from)
        })
    }

    /// Signs a CSR (PEM) with PKI role `role` at `mount`.
    #[napi(ts_return_type = "Promise<SignedCertificate>")]
    pub fn pki_sign<'env>(
        &self,
        env: &'env Env,
        mount: String,
        role: String,
        csr: String,
        options: Option<PkiSignArgs>,
    ) -> napi::Result<PromiseRaw<'env, Certificate>> {
        let options = options.unwrap_or(PkiSignArgs {
            common_name: None,
            alt_names: None,
            ttl: None,
            signal: None,
        });
        let request = PkiIssueRequest {
            alt_names: options.alt_names.unwrap_or_default(),
            ttl: convert::maybe_seconds(env, options.ttl)?,
            ..PkiIssueRequest::new(options.common_name.unwrap_or_default())
        };
        let pki = self.inner.pki(mount);
        promise(env, options.signal, async move {
            pki.sign_csr(&role, &csr, &request)
                .await
                .map(Certificate::from)
        })
    }
}
