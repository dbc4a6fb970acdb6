//! Auth methods: logging a [`VaultClient`](crate::VaultClient) in, and the token it
//! then holds.
//!
//! [`VaultClient::login`](crate::VaultClient::login) sends a [`Login`] (AppRole,
//! userpass, JWT, Kubernetes or TLS certificate) to `auth/<mount>/login`, swaps the token
//! Vault issues into the client — and every clone of it, so every store and engine built
//! on that client — and returns it as a [`TokenLease`]: the token (a
//! [`SecretValue`](ironsecrets_core::SecretValue), never printed), its accessor,
//! policies and a [`Lease`](ironsecrets_core::Lease) with ttl and renewable flag.
//! [`VaultClient::renew_self`](crate::VaultClient::renew_self) extends the client's
//! token and [`VaultClient::lookup_self`](crate::VaultClient::lookup_self) describes it,
//! so a lease keeper can renew the token while it can and log in again when it cannot.
//!
//! ```no_run
//! # async fn demo(config: ironsecrets_vault::VaultConfig) -> ironsecrets_core::Result<()> {
//! use ironsecrets_vault::{Login, VaultClient};
//!
//! let client = VaultClient::connect(&config).await?;
//! let token = client
//!     .login(&Login::approle("4f6c...", "s3cr3t-id".into()))
//!     .await?;
//! println!("logged in, accessor {}, ttl {:?}", token.accessor, token.lease.ttl);
//! let renewed = client.renew_self(None).await?;
//! # Ok(()) }
//! ```
//!
//! # Errors
//! A login Vault refuses (wrong password or secret id, an invalid or untrusted JWT, no
//! auth method at that mount: Vault answers 400 or 403) is Unauthenticated with Vault's
//! own message, never with the credential. A Kubernetes service-account token file that
//! cannot be read is a Config error naming the file.

mod login;
mod token;

pub use login::{KUBERNETES_TOKEN_FILE, Login};
pub use token::{TokenInfo, TokenLease};
