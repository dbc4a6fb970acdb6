//! A call to a [`LeaseSource`](crate::LeaseSource), bounded by the call timeout.

use std::future::Future;

use ironsecrets_core::{Error, ErrorKind, Result};
use tokio::time::timeout;

use crate::LeaseConfig;

/// A call to a source, failing as Unavailable after `call_timeout`.
pub(super) async fn call<T>(
    config: &LeaseConfig,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    match timeout(config.call_timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            ErrorKind::Unavailable,
            format!(
                "the lease source did not answer within {:?}",
                config.call_timeout
            ),
        )),
    }
}
