//! `sys/health`: the server's state as a typed status.

use ironsecrets_core::{Operation, Result};
use serde::Deserialize;
use vaultrs::api::sys::requests::ReadHealthRequest;

use crate::VaultClient;
use crate::errors::{self, BACKEND};

/// What `sys/health` says about the node answering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthStatus {
    /// Initialized, unsealed, active: serving requests (HTTP 200).
    Active,
    /// Unsealed standby of an HA cluster (HTTP 429).
    Standby,
    /// Performance standby, serving reads (HTTP 473).
    PerformanceStandby,
    /// Disaster-recovery secondary (HTTP 472).
    DrSecondary,
    /// Sealed (HTTP 503): nothing can be read until it is unsealed.
    Sealed,
    /// Not initialized (HTTP 501).
    Uninitialized,
}

/// A `sys/health` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// The node's state.
    pub status: HealthStatus,
    /// The server's version, e.g. `2.1.0`.
    pub version: String,
    /// The cluster's name, once it has one.
    pub cluster_name: Option<String>,
}

#[derive(Deserialize)]
struct HealthBody {
    #[serde(default)]
    version: String,
    cluster_name: Option<String>,
}

impl VaultClient {
    /// Asks `sys/health` (no token needed). The status code decides the state; a status
    /// `sys/health` does not document is mapped like any other error.
    pub async fn health(&self) -> Result<Health> {
        self.read_health()
            .await
            .map_err(|e| e.context(BACKEND, Operation::Health, ""))
    }

    async fn read_health(&self) -> Result<Health> {
        let reply = self.send(ReadHealthRequest::default()).await?;
        let status = match reply.status {
            200 => HealthStatus::Active,
            429 => HealthStatus::Standby,
            472 => HealthStatus::DrSecondary,
            473 => HealthStatus::PerformanceStandby,
            501 => HealthStatus::Uninitialized,
            503 => HealthStatus::Sealed,
            _ => {
                return Err(reply
                    .success()
                    .err()
                    .unwrap_or_else(errors::unreadable_answer));
            }
        };
        let body: HealthBody = reply.json()?;
        Ok(Health {
            status,
            version: body.version,
            cluster_name: body.cluster_name.filter(|n| !n.is_empty()),
        })
    }
}
