//! `LeaseManager`, `ManagedLease` and their event streams: the lease crate's one-task
//! renewal and rotation, with waits that release the GIL or are awaitable. No Python
//! code ever runs on the scheduler task: events are pulled by the caller.

use std::sync::Arc;
use std::time::Duration;

use ironsecrets::LeasedCredential;
use ironsecrets_lease::{
    DynamicSource, EventStream, LeaseConfig, LeaseEvent, LeaseManager, ManagedLease,
};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use tokio::sync::{Mutex, watch};

use crate::client::{PyAsyncClient, PyClient};
use crate::convert::{Seconds, duration};
use crate::runtime::{Forked, awaitable, block, block_on, runtime, within};
use crate::types::{PyCredentialRequest, PyLease, PyLeasedCredential};

/// Keeps leases alive from one background task.
#[pyclass(frozen, name = "LeaseManager", module = "ironsecrets")]
pub struct PyLeaseManager {
    manager: Forked<Arc<LeaseManager>>,
    client: ironsecrets::Client,
}

#[pymethods]
impl PyLeaseManager {
    #[new]
    #[pyo3(signature = (client, *, renew_fraction = 2.0 / 3.0, reissue_fraction = 0.85, reissue_lead = Seconds(Duration::from_secs(1)), revoke_old_after = None, backoff_initial = Seconds(Duration::from_millis(500)), backoff_max = Seconds(Duration::from_secs(30)), call_timeout = Seconds(Duration::from_secs(10))))]
    fn new(
        client: &Bound<'_, PyAny>,
        renew_fraction: f64,
        reissue_fraction: f64,
        reissue_lead: Seconds,
        revoke_old_after: Option<Seconds>,
        backoff_initial: Seconds,
        backoff_max: Seconds,
        call_timeout: Seconds,
    ) -> PyResult<Self> {
        let client = match client.cast::<PyClient>() {
            Ok(sync) => sync.get().handle()?.clone(),
            Err(_) => client.cast::<PyAsyncClient>()?.get().handle()?.clone(),
        };
        let config = LeaseConfig {
            renew_fraction,
            reissue_fraction,
            reissue_lead: reissue_lead.0,
            revoke_old_after: duration(revoke_old_after),
            backoff_initial: backoff_initial.0,
            backoff_max: backoff_max.0,
            call_timeout: call_timeout.0,
            ..LeaseConfig::default()
        };
        let _context = runtime().enter();
        Ok(PyLeaseManager {
            manager: Forked::new(Arc::new(LeaseManager::new(config))),
            client,
        })
    }

    /// Issues the credential (blocking) and keeps it alive.
    fn manage(
        &self,
        py: Python<'_>,
        name: String,
        request: PyCredentialRequest,
    ) -> PyResult<PyManagedLease> {
        let adding = self.adding(name, request)?;
        let lease = block_on(py, adding)?;
        lease.map_err(|err| crate::errors::to_py(py, err))
    }

    /// Issues the credential and keeps it alive, as an awaitable.
    fn manage_async<'py>(
        &self,
        py: Python<'py>,
        name: String,
        request: PyCredentialRequest,
    ) -> PyResult<Bound<'py, PyAny>> {
        awaitable(py, self.adding(name, request)?)
    }

    /// Every managed lease's events from now on.
    fn events(&self) -> PyResult<PyLeaseEvents> {
        Ok(PyLeaseEvents::new(EventStream::all(self.manager.get()?)))
    }

    /// Stops every lease, revoking them when `revoke`.
    #[pyo3(signature = (revoke = true))]
    fn shutdown<'py>(&self, py: Python<'py>, revoke: bool) -> PyResult<Bound<'py, PyAny>> {
        let manager = Arc::clone(self.manager.get()?);
        block(py, async move {
            manager.shutdown(revoke).await;
            Ok(())
        })
    }
}

impl PyLeaseManager {
    fn adding(
        &self,
        name: String,
        request: PyCredentialRequest,
    ) -> PyResult<impl Future<Output = ironsecrets::Result<PyManagedLease>> + Send + 'static> {
        let manager = Arc::clone(self.manager.get()?);
        let source = Arc::new(DynamicSource::new(self.client.backend().clone(), request.0));
        Ok(async move {
            let lease = manager.manage(name, source.clone()).await?;
            Ok(PyManagedLease::new(lease, source))
        })
    }
}

/// One lease the manager keeps alive.
#[pyclass(frozen, name = "ManagedLease", module = "ironsecrets")]
pub struct PyManagedLease {
    lease: Forked<ManagedLease>,
    /// What issued it, to revoke its old leases (for `Generations`).
    pub(crate) source: Arc<DynamicSource>,
    /// Marks the credentials `changed` has returned.
    seen: Arc<Mutex<watch::Receiver<Arc<LeasedCredential>>>>,
}

impl PyManagedLease {
    fn new(lease: ManagedLease, source: Arc<DynamicSource>) -> Self {
        let seen = Arc::new(Mutex::new(lease.watch()));
        PyManagedLease {
            lease: Forked::new(lease),
            source,
            seen,
        }
    }

    /// The core lease; ConfigError after a fork.
    pub(crate) fn handle(&self) -> PyResult<&ManagedLease> {
        self.lease.get()
    }

    fn next_credential(
        &self,
        timeout: Option<Duration>,
    ) -> PyResult<
        impl Future<Output = ironsecrets::Result<Option<PyLeasedCredential>>> + Send + 'static,
    > {
        self.lease.get()?;
        let seen = Arc::clone(&self.seen);
        Ok(async move {
            let next = within(timeout, async move {
                let mut seen = seen.lock().await;
                seen.changed().await.ok()?;
                let credential = Arc::clone(&seen.borrow_and_update());
                Some(PyLeasedCredential::from(credential.as_ref()))
            });
            Ok(next.await)
        })
    }
}

#[pymethods]
impl PyManagedLease {
    #[getter]
    fn name(&self) -> PyResult<String> {
        Ok(self.lease.get()?.name().to_owned())
    }

    /// The current credential.
    fn current(&self) -> PyResult<PyLeasedCredential> {
        Ok(PyLeasedCredential::from(
            self.lease.get()?.current().as_ref(),
        ))
    }

    /// The current lease.
    fn lease(&self) -> PyResult<PyLease> {
        Ok(PyLease(self.lease.get()?.lease()))
    }

    /// Waits (GIL released) for the next credential; `None` after `timeout` or once the
    /// lease is stopped.
    #[pyo3(signature = (timeout = None))]
    fn changed<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<Seconds>,
    ) -> PyResult<Bound<'py, PyAny>> {
        block(py, self.next_credential(duration(timeout))?)
    }

    /// The next credential, as an awaitable.
    fn changed_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        awaitable(py, self.next_credential(None)?)
    }

    /// This lease's events from now on; ends when it is stopped.
    fn events(&self) -> PyResult<PyLeaseEvents> {
        Ok(PyLeaseEvents::new(EventStream::of(self.lease.get()?)))
    }

    /// Issues a new credential now.
    fn rotate(&self) -> PyResult<()> {
        self.lease.get()?.rotate();
        Ok(())
    }

    /// Stops keeping the lease alive, revoking it when `revoke`.
    #[pyo3(signature = (revoke = true))]
    fn stop<'py>(&self, py: Python<'py>, revoke: bool) -> PyResult<Bound<'py, PyAny>> {
        let lease = self.lease.get()?.clone();
        block(py, async move {
            lease.stop(revoke).await;
            Ok(())
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!("ManagedLease({:?})", self.lease.get()?.name()))
    }
}

/// Something that happened to a managed lease.
#[pyclass(frozen, get_all, name = "LeaseEvent", module = "ironsecrets")]
pub struct PyLeaseEvent {
    kind: &'static str,
    name: String,
    lease: Option<PyLease>,
    lease_id: Option<String>,
    error_kind: Option<&'static str>,
    message: Option<String>,
    retry_in: Option<Duration>,
}

impl PyLeaseEvent {
    fn of(event: LeaseEvent) -> Self {
        let mut out = PyLeaseEvent {
            kind: "",
            name: event.name().to_owned(),
            lease: None,
            lease_id: None,
            error_kind: None,
            message: None,
            retry_in: None,
        };
        match event {
            LeaseEvent::Renewed { lease, .. } => {
                out.kind = "renewed";
                out.lease = Some(PyLease(lease));
            }
            LeaseEvent::Rotated { new, .. } => {
                out.kind = "rotated";
                out.lease = Some(PyLease(new.lease.clone()));
            }
            LeaseEvent::Failed {
                kind,
                message,
                retry_in,
                ..
            } => {
                out.kind = "failed";
                out.error_kind = Some(kind.name());
                out.message = Some(message);
                out.retry_in = Some(retry_in);
            }
            LeaseEvent::Expired { .. } => out.kind = "expired",
            LeaseEvent::Revoked { lease_id, .. } => {
                out.kind = "revoked";
                out.lease_id = Some(lease_id);
            }
            _ => out.kind = "other",
        }
        out
    }
}

#[pymethods]
impl PyLeaseEvent {
    fn __repr__(&self) -> String {
        format!("LeaseEvent(kind={:?}, name={:?})", self.kind, self.name)
    }
}

/// Events of a lease (or of every lease): an iterator and an async iterator.
#[pyclass(frozen, name = "LeaseEvents", module = "ironsecrets")]
pub struct PyLeaseEvents {
    source: Arc<Mutex<EventStream>>,
}

/// The end of an async event stream, as `StopAsyncIteration`.
struct AsyncNext(Option<PyLeaseEvent>);

impl<'py> IntoPyObject<'py> for AsyncNext {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Some(event) => Ok(event.into_pyobject(py)?.into_any()),
            None => Err(PyStopAsyncIteration::new_err(())),
        }
    }
}

impl PyLeaseEvents {
    fn new(stream: EventStream) -> Self {
        PyLeaseEvents {
            source: Arc::new(Mutex::new(stream)),
        }
    }

    fn following(
        &self,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Option<PyLeaseEvent>> + Send + 'static {
        let source = Arc::clone(&self.source);
        within(timeout, async move {
            source.lock().await.next().await.map(PyLeaseEvent::of)
        })
    }
}

#[pymethods]
impl PyLeaseEvents {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<PyLeaseEvent> {
        block_on(py, self.following(None))?.ok_or_else(|| PyStopIteration::new_err(()))
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let next = self.following(None);
        awaitable(py, async move { Ok(AsyncNext(next.await)) })
    }

    /// The next event, or `None` after `timeout` or at the end.
    #[pyo3(signature = (timeout = None))]
    fn next(&self, py: Python<'_>, timeout: Option<Seconds>) -> PyResult<Option<PyLeaseEvent>> {
        block_on(py, self.following(duration(timeout)))
    }
}
