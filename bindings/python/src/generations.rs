//! `Generations`: the lease crate's driver-neutral half of a rotating pool, which the
//! SQLAlchemy and psycopg adapters (in Python) wire their pool hooks to.

use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::Duration;

use ironsecrets::Error as CoreError;
use ironsecrets_lease::{
    Drained, Generation, Generations, GenerationsConfig, RotationStats, Ticket,
};
use pyo3::prelude::*;
use tokio::sync::{Mutex, broadcast};

use crate::convert::{Seconds, duration};
use crate::leases::PyManagedLease;
use crate::runtime::{Forked, awaitable, block, runtime, within};
use crate::types::PyLeasedCredential;

/// One credential of a managed lease, numbered from 0.
#[pyclass(frozen, get_all, name = "Generation", module = "ironsecrets")]
pub struct PyGeneration {
    number: u64,
    credential: PyLeasedCredential,
}

impl From<Generation> for PyGeneration {
    fn from(generation: Generation) -> Self {
        PyGeneration {
            number: generation.number,
            credential: PyLeasedCredential::from(generation.credential.as_ref()),
        }
    }
}

/// What a `Generations` has done so far.
#[pyclass(frozen, get_all, name = "RotationStats", module = "ironsecrets")]
pub struct PyRotationStats {
    generation: u64,
    opened: u64,
    retired: u64,
    refused_stale: u64,
    revoked_drained: u64,
    revoked_at_deadline: u64,
    revoke_failures: u64,
    draining: u64,
}

impl From<RotationStats> for PyRotationStats {
    fn from(stats: RotationStats) -> Self {
        PyRotationStats {
            generation: stats.generation,
            opened: stats.opened,
            retired: stats.retired,
            refused_stale: stats.refused_stale,
            revoked_drained: stats.revoked_drained,
            revoked_at_deadline: stats.revoked_at_deadline,
            revoke_failures: stats.revoke_failures,
            draining: stats.draining,
        }
    }
}

#[pymethods]
impl PyRotationStats {
    fn __repr__(&self) -> String {
        format!(
            "RotationStats(generation={}, opened={}, retired={}, refused_stale={}, \
             revoked_drained={}, revoked_at_deadline={}, revoke_failures={}, draining={})",
            self.generation,
            self.opened,
            self.retired,
            self.refused_stale,
            self.revoked_drained,
            self.revoked_at_deadline,
            self.revoke_failures,
            self.draining
        )
    }
}

/// An old generation is done with.
#[pyclass(frozen, get_all, name = "Drained", module = "ironsecrets")]
pub struct PyDrained {
    generation: u64,
    at_deadline: bool,
    revoked: bool,
}

impl From<Drained> for PyDrained {
    fn from(drained: Drained) -> Self {
        PyDrained {
            generation: drained.generation,
            at_deadline: drained.at_deadline,
            revoked: drained.revoked,
        }
    }
}

/// An open connection of one generation; closed with the connection.
#[pyclass(frozen, name = "Ticket", module = "ironsecrets")]
pub struct PyTicket {
    generation: u64,
    ticket: SyncMutex<Option<Ticket>>,
}

#[pymethods]
impl PyTicket {
    #[getter]
    fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the credential was replaced since (close the connection when idle).
    fn is_stale(&self) -> bool {
        self.ticket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(Ticket::is_stale)
    }

    /// The connection is closed (idempotent).
    fn close(&self) {
        self.ticket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    fn __repr__(&self) -> String {
        format!("Ticket(generation={})", self.generation)
    }
}

/// The generation bookkeeping of a pool whose credential rotates.
#[pyclass(frozen, name = "Generations", module = "ironsecrets")]
pub struct PyGenerations {
    generations: Forked<Arc<Generations>>,
    drained: Arc<Mutex<broadcast::Receiver<Drained>>>,
}

#[pymethods]
impl PyGenerations {
    #[new]
    #[pyo3(signature = (lease, *, revoke_margin = Seconds(Duration::from_millis(500)), unleased_drain = Seconds(Duration::from_secs(60))))]
    fn new(
        lease: &PyManagedLease,
        revoke_margin: Seconds,
        unleased_drain: Seconds,
    ) -> PyResult<Self> {
        let config = GenerationsConfig {
            revoke_margin: revoke_margin.0,
            unleased_drain: unleased_drain.0,
            ..GenerationsConfig::default()
        };
        let _context = runtime().enter();
        let generations = Generations::new(lease.handle()?.clone(), lease.source.clone(), config);
        let drained = Arc::new(Mutex::new(generations.subscribe()));
        Ok(PyGenerations {
            generations: Forked::new(Arc::new(generations)),
            drained,
        })
    }

    /// The current credential and its generation number.
    fn current(&self) -> PyResult<PyGeneration> {
        Ok(PyGeneration::from(self.generations.get()?.current()))
    }

    /// A ticket for a connection opened with `generation`'s credential; ConflictError
    /// if the credential rotated meanwhile (connect again).
    fn open(&self, py: Python<'_>, generation: u64) -> PyResult<PyTicket> {
        match self.generations.get()?.open(generation) {
            Ok(ticket) => Ok(PyTicket {
                generation,
                ticket: SyncMutex::new(Some(ticket)),
            }),
            Err(stale) => Err(crate::errors::to_py(
                py,
                CoreError::new(ironsecrets::ErrorKind::Conflict, stale.to_string()),
            )),
        }
    }

    /// Waits (GIL released) until the generation is newer than `after`; `None` after
    /// `timeout` or once the lease is no longer managed.
    #[pyo3(signature = (after, timeout = None))]
    fn changed<'py>(
        &self,
        py: Python<'py>,
        after: u64,
        timeout: Option<Seconds>,
    ) -> PyResult<Bound<'py, PyAny>> {
        block(py, self.newer_than(after, duration(timeout))?)
    }

    /// `changed`, as an awaitable.
    fn changed_async<'py>(&self, py: Python<'py>, after: u64) -> PyResult<Bound<'py, PyAny>> {
        awaitable(py, self.newer_than(after, None)?)
    }

    /// The next old generation done with (from when this object was made); `None`
    /// after `timeout`.
    #[pyo3(signature = (timeout = None))]
    fn drained<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<Seconds>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.generations.get()?;
        let reports = Arc::clone(&self.drained);
        let timeout = duration(timeout);
        block(py, async move {
            let next = async move {
                let mut reports = reports.lock().await;
                loop {
                    match reports.recv().await {
                        Ok(drained) => return Some(PyDrained::from(drained)),
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            };
            Ok(within(timeout, next).await)
        })
    }

    /// Whether an old generation still has open connections.
    fn draining(&self) -> PyResult<bool> {
        Ok(self.generations.get()?.draining())
    }

    /// What has been done so far.
    fn stats(&self) -> PyResult<PyRotationStats> {
        Ok(PyRotationStats::from(self.generations.get()?.stats()))
    }

    /// Stops following the lease.
    fn close(&self) -> PyResult<()> {
        self.generations.get()?.close();
        Ok(())
    }
}

impl PyGenerations {
    fn newer_than(
        &self,
        after: u64,
        timeout: Option<Duration>,
    ) -> PyResult<impl Future<Output = ironsecrets::Result<Option<PyGeneration>>> + Send + 'static>
    {
        let generations = Arc::clone(self.generations.get()?);
        Ok(async move {
            let next = async move { generations.changed(after).await.map(PyGeneration::from) };
            Ok(within(timeout, next).await)
        })
    }
}
