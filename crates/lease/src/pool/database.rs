//! `RotatingDatabase`: what [`RotatingPool`](super::RotatingPool) needs from an sqlx
//! database, and the credential fields it logs in with.

use ironsecrets_core::LeasedCredential;
use sqlx::{Connection, Database};

/// The credential field holding the user name.
pub const USERNAME: &str = "username";
/// The credential field holding the password.
pub const PASSWORD: &str = "password";

/// The connect options of a database's connections.
pub type ConnectOptions<DB> = <<DB as Database>::Connection as Connection>::Options;

/// A database [`RotatingPool`](super::RotatingPool) works with: how to put a credential
/// into connect options and how to ask a connection which user it logged in as.
pub trait RotatingDatabase: Database {
    /// `base` with `username` and `password`.
    fn with_credentials(
        base: &ConnectOptions<Self>,
        username: &str,
        password: &str,
    ) -> ConnectOptions<Self>;

    /// The user `conn` logged in as (one query, once per new connection).
    fn current_user(
        conn: &mut Self::Connection,
    ) -> futures_util::future::BoxFuture<'_, Result<String, sqlx::Error>>;
}

#[cfg(feature = "sqlx-postgres")]
impl RotatingDatabase for sqlx::Postgres {
    fn with_credentials(
        base: &sqlx::postgres::PgConnectOptions,
        username: &str,
        password: &str,
    ) -> sqlx::postgres::PgConnectOptions {
        base.clone().username(username).password(password)
    }

    fn current_user(
        conn: &mut sqlx::PgConnection,
    ) -> futures_util::future::BoxFuture<'_, Result<String, sqlx::Error>> {
        Box::pin(async move {
            sqlx::query_scalar::<_, String>("SELECT current_user::text")
                .fetch_one(conn)
                .await
        })
    }
}

#[cfg(feature = "sqlx-mysql")]
impl RotatingDatabase for sqlx::MySql {
    fn with_credentials(
        base: &sqlx::mysql::MySqlConnectOptions,
        username: &str,
        password: &str,
    ) -> sqlx::mysql::MySqlConnectOptions {
        base.clone().username(username).password(password)
    }

    fn current_user(
        conn: &mut sqlx::MySqlConnection,
    ) -> futures_util::future::BoxFuture<'_, Result<String, sqlx::Error>> {
        Box::pin(async move {
            sqlx::query_scalar::<_, String>(
                "SELECT CAST(SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS CHAR)",
            )
            .fetch_one(conn)
            .await
        })
    }
}

/// The credential's [`USERNAME`] and [`PASSWORD`].
pub(super) fn fields(credential: &LeasedCredential) -> Result<(String, String), sqlx::Error> {
    let field = |name: &str| {
        credential
            .data
            .get(name)
            .and_then(|value| value.expose_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                sqlx::Error::Configuration(
                    format!("the credential has no text field `{name}`").into(),
                )
            })
    };
    Ok((field(USERNAME)?, field(PASSWORD)?))
}
