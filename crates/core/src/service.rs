//! `Service`: one `call` for every operation on a backend, the shape layers wrap.

use async_trait::async_trait;

use crate::{Backend, Capabilities, Request, Response, Result};

/// A backend as one asynchronous function from [`Request`] to [`Response`]. A raw
/// [`Backend`] is a service (it dispatches each request to its store or engine); each
/// layer (error context, retry, cache) is a service wrapping another, and implements
/// only [`Service::call`], whatever the operation.
#[async_trait]
pub trait Service: Send + Sync + 'static {
    /// The backend's short name.
    fn backend(&self) -> &'static str;

    /// What the backend underneath supports.
    fn capabilities(&self) -> Capabilities;

    /// Performs one request.
    async fn call(&self, request: Request) -> Result<Response>;
}

#[async_trait]
impl Service for Backend {
    fn backend(&self) -> &'static str {
        self.name()
    }

    fn capabilities(&self) -> Capabilities {
        Backend::capabilities(self)
    }

    async fn call(&self, request: Request) -> Result<Response> {
        let store = self.store();
        Ok(match request {
            Request::Get { path, version } => store.get(&path, version).await?.into(),
            Request::Put {
                path,
                value,
                options,
            } => store.put(&path, value, options).await?.into(),
            Request::Delete { path, versions } => store.delete(&path, &versions).await?.into(),
            Request::Undelete { path, versions } => store.undelete(&path, &versions).await?.into(),
            Request::Destroy { path, versions } => store.destroy(&path, &versions).await?.into(),
            Request::Purge { path } => store.purge(&path).await?.into(),
            Request::List { prefix } => store.list(&prefix).await?.into(),
            Request::Metadata { path } => store.metadata(&path).await?.into(),
            Request::UpdateMetadata { path, update } => {
                store.update_metadata(&path, update).await?.into()
            }
            Request::CurrentVersion { path, version } => {
                store.current_version(&path, &version).await?.into()
            }
            Request::CreateKey { name, options } => {
                self.transit()?.create_key(&name, options).await?.into()
            }
            Request::ReadKey { name } => self.transit()?.read_key(&name).await?.into(),
            Request::ListKeys => self.transit()?.list_keys().await?.into(),
            Request::RotateKey { name } => self.transit()?.rotate_key(&name).await?.into(),
            Request::SetMinDecryptionVersion { name, version } => self
                .transit()?
                .set_min_decryption_version(&name, version)
                .await?
                .into(),
            Request::Encrypt {
                name,
                plaintext,
                context,
            } => self
                .transit()?
                .encrypt(&name, plaintext.expose(), context.as_deref())
                .await?
                .into(),
            Request::Decrypt {
                name,
                ciphertext,
                context,
            } => Response::Plaintext(
                self.transit()?
                    .decrypt(&name, &ciphertext, context.as_deref())
                    .await?,
            ),
            Request::Rewrap {
                name,
                ciphertext,
                context,
            } => self
                .transit()?
                .rewrap(&name, &ciphertext, context.as_deref())
                .await?
                .into(),
            Request::Sign { name, data } => {
                self.transit()?.sign(&name, data.expose()).await?.into()
            }
            Request::Verify {
                name,
                data,
                signature,
            } => self
                .transit()?
                .verify(&name, data.expose(), &signature)
                .await?
                .into(),
            Request::Hmac { name, data } => {
                self.transit()?.hmac(&name, data.expose()).await?.into()
            }
            Request::VerifyHmac { name, data, hmac } => self
                .transit()?
                .verify_hmac(&name, data.expose(), &hmac)
                .await?
                .into(),
            Request::GenerateDataKey { name, bits } => {
                self.transit()?.generate_data_key(&name, bits).await?.into()
            }
            Request::ImportKey {
                name,
                key_type,
                material,
            } => self
                .transit()?
                .import_key(&name, key_type, material)
                .await?
                .into(),
            Request::RenewLease {
                lease_id,
                increment,
            } => self.leases()?.renew(&lease_id, increment).await?.into(),
            Request::RevokeLease { lease_id } => self.leases()?.revoke(&lease_id).await?.into(),
            Request::LookupLease { lease_id } => self.leases()?.lookup(&lease_id).await?.into(),
            Request::Issue { request } => self.credentials()?.issue(request).await?.into(),
        })
    }
}
