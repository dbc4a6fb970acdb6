//! `Vault` and `AsyncVault`: a Vault / OpenBao client's own engines — logins, its
//! token, health, PKI signing. A token login is the `token` option of the client.

use std::path::PathBuf;

use ironsecrets::VaultEngines;
use ironsecrets::vault::{KUBERNETES_TOKEN_FILE, Login, PkiIssueRequest};
use pyo3::prelude::*;

use crate::convert::{Seconds, Value, duration};
use crate::flavor::{both_flavors, handle_class};
use crate::types::{PyHealth, PySignedCertificate, PyTokenInfo, PyTokenLease};

handle_class!(
    /// The engines of a Vault / OpenBao client.
    PyVault(VaultEngines),
    "Vault"
);
handle_class!(
    /// The engines of a Vault / OpenBao client, as awaitables.
    PyAsyncVault(VaultEngines),
    "AsyncVault"
);

both_flavors!(PyVault / PyAsyncVault, {
    /// Logs in with AppRole; the client uses the new token from then on.
    #[pyo3(signature = (role_id, secret_id, mount = "approle"))]
    fn login_approle<'py>(
        &self,
        py: Python<'py>,
        role_id: String,
        secret_id: Value,
        mount: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mount = mount.to_owned();
        let login = Login::AppRole {
            mount,
            role_id,
            secret_id: secret_id.into_inner(),
        };
        let done = self.handle()?.login(login);
        flavor::run(py, async move { done.await.map(PyTokenLease::from) })
    }

    /// Logs in with a username and password.
    #[pyo3(signature = (username, password, mount = "userpass"))]
    fn login_userpass<'py>(
        &self,
        py: Python<'py>,
        username: String,
        password: Value,
        mount: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mount = mount.to_owned();
        let login = Login::Userpass {
            mount,
            username,
            password: password.into_inner(),
        };
        let done = self.handle()?.login(login);
        flavor::run(py, async move { done.await.map(PyTokenLease::from) })
    }

    /// Logs in with a JWT (JWT / OIDC auth).
    #[pyo3(signature = (jwt, role = None, mount = "jwt"))]
    fn login_jwt<'py>(
        &self,
        py: Python<'py>,
        jwt: Value,
        role: Option<String>,
        mount: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mount = mount.to_owned();
        let login = Login::Jwt {
            mount,
            role,
            jwt: jwt.into_inner(),
        };
        let done = self.handle()?.login(login);
        flavor::run(py, async move { done.await.map(PyTokenLease::from) })
    }

    /// Logs in with a Kubernetes service-account token.
    #[pyo3(signature = (role, token_file = None, mount = "kubernetes"))]
    fn login_kubernetes<'py>(
        &self,
        py: Python<'py>,
        role: String,
        token_file: Option<PathBuf>,
        mount: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mount = mount.to_owned();
        let login = Login::Kubernetes {
            mount,
            role,
            token_file: token_file.unwrap_or_else(|| PathBuf::from(KUBERNETES_TOKEN_FILE)),
        };
        let done = self.handle()?.login(login);
        flavor::run(py, async move { done.await.map(PyTokenLease::from) })
    }

    /// Logs in with the client's TLS certificate (the `client_cert` option).
    #[pyo3(signature = (name = None, mount = "cert"))]
    fn login_cert<'py>(
        &self,
        py: Python<'py>,
        name: Option<String>,
        mount: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mount = mount.to_owned();
        let done = self.handle()?.login(Login::Cert { mount, name });
        flavor::run(py, async move { done.await.map(PyTokenLease::from) })
    }

    /// Renews the client's own token.
    #[pyo3(signature = (increment = None))]
    fn renew_self<'py>(
        &self,
        py: Python<'py>,
        increment: Option<Seconds>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let renewed = self.handle()?.renew_self(duration(increment));
        flavor::run(py, async move { renewed.await.map(PyTokenLease::from) })
    }

    /// Describes the client's own token.
    fn lookup_self<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let found = self.handle()?.lookup_self();
        flavor::run(py, async move { found.await.map(PyTokenInfo::from) })
    }

    /// The server's health.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let health = self.handle()?.health();
        flavor::run(py, async move { health.await.map(PyHealth::from) })
    }

    /// Signs a CSR (PEM) with PKI role `role` at `mount`.
    #[pyo3(signature = (mount, role, csr, common_name = "", alt_names = Vec::new(), ttl = None))]
    fn pki_sign<'py>(
        &self,
        py: Python<'py>,
        mount: String,
        role: String,
        csr: String,
        common_name: &str,
        alt_names: Vec<String>,
        ttl: Option<Seconds>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pki = self.handle()?.pki(mount);
        let request = PkiIssueRequest {
            alt_names,
            ttl: duration(ttl),
            ..PkiIssueRequest::new(common_name)
        };
        flavor::run(py, async move {
            pki.sign_csr(&role, &csr, &request)
                .await
                .map(PySignedCertificate::from)
        })
    }
});
