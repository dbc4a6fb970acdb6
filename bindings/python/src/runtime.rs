//! One tokio runtime per process, and the two ways a Rust future reaches Python: a
//! blocking call with the GIL released ([`block`]) and an asyncio awaitable
//! ([`awaitable`]).
//!
//! A runtime's worker threads do not survive `os.fork()`: the child gets a new runtime
//! on its first call (the old one is leaked, never dropped, since its threads are gone),
//! and objects made before the fork refuse to work in the child ([`Forked`]). The
//! asyncio bridge is pyo3-async-runtimes' generic one over this runtime, not the crate's
//! own global tokio runtime, which cannot be replaced after a fork.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, Runtime as GenericRuntime};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// How often a blocking call looks for a pending signal (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Bumped in the child after every `os.fork()` (registered with `os.register_at_fork`).
static FORKS: AtomicU64 = AtomicU64::new(0);

/// The runtime of the current fork generation.
static RUNTIME: Mutex<Option<(u64, &'static Runtime)>> = Mutex::new(None);

/// Called in the child after `os.fork()`.
#[pyfunction]
pub fn _after_fork_in_child() {
    FORKS.fetch_add(1, Ordering::SeqCst);
}

/// The process's runtime, made on first use (and again in a forked child).
pub fn runtime() -> &'static Runtime {
    let generation = FORKS.load(Ordering::Acquire);
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    match *slot {
        Some((made_in, runtime)) if made_in == generation => runtime,
        _ => {
            let runtime: &'static Runtime = Box::leak(Box::new(
                tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .thread_name("ironsecrets")
                    .build()
                    .expect("the tokio runtime starts"),
            ));
            *slot = Some((generation, runtime));
            runtime
        }
    }
}

/// A value made in one process that must not be used in a child forked from it (its
/// connections and tasks belong to the parent's runtime).
pub struct Forked<T> {
    made_in: u64,
    value: T,
}

impl<T> Forked<T> {
    /// Wraps a value made now.
    pub fn new(value: T) -> Self {
        Forked {
            made_in: FORKS.load(Ordering::Acquire),
            value,
        }
    }

    /// The value, or a ConfigError when this process is a fork of the one that made it.
    pub fn get(&self) -> PyResult<&T> {
        if self.made_in == FORKS.load(Ordering::Acquire) {
            Ok(&self.value)
        } else {
            Err(crate::errors::forked())
        }
    }
}

/// Runs `future` to completion with the GIL released, looking for signals every
/// [`SIGNAL_CHECK`]: Ctrl-C raises KeyboardInterrupt and drops the future (cancelling
/// its request). A future that is ready at once (a cache hit) costs no thread switch.
pub fn block<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = ironsecrets::Result<T>> + Send,
    T: IntoPyObject<'py> + Send,
{
    Answer(block_on(py, future)?).into_pyobject(py)
}

/// [`block`]'s loop, giving the future's own output.
pub fn block_on<F, T>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = T> + Send,
    T: Send,
{
    let runtime = runtime();
    let mut future = std::pin::pin!(future);
    loop {
        let done = py.detach(|| {
            runtime.block_on(async {
                tokio::select! {
                    biased;
                    outcome = &mut future => Some(outcome),
                    () = tokio::time::sleep(SIGNAL_CHECK) => None,
                }
            })
        });
        if let Some(outcome) = done {
            return Ok(outcome);
        }
        py.check_signals()?;
    }
}

/// `future` as an asyncio awaitable on the running event loop. Cancelling the awaiting
/// task drops the future.
pub fn awaitable<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = ironsecrets::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::generic::future_into_py::<ProcessRuntime, _, Answer<T>>(py, async move {
        Ok(Answer(future.await))
    })
}

/// A core result on its way to Python: the value, or the exception of its error kind
/// (made once the GIL is held).
struct Answer<T>(ironsecrets::Result<T>);

impl<'py, T: IntoPyObject<'py>> IntoPyObject<'py> for Answer<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Ok(value) => value.into_bound_py_any(py),
            Err(error) => Err(crate::errors::to_py(py, error)),
        }
    }
}

/// Waits for `future`, giving up (as `None`) after `timeout`.
pub async fn within<T>(
    timeout: Option<Duration>,
    future: impl Future<Output = Option<T>>,
) -> Option<T> {
    match timeout {
        Some(limit) => tokio::time::timeout(limit, future).await.ok().flatten(),
        None => future.await,
    }
}

/// Results on their way to an event loop (pyo3-async-runtimes hands each to
/// `call_soon_threadsafe` from a blocking thread).
static BRIDGING: AtomicUsize = AtomicUsize::new(0);

/// One result on its way to an event loop, counted in [`BRIDGING`] until dropped.
struct Bridging;

impl Bridging {
    fn start() -> Self {
        BRIDGING.fetch_add(1, Ordering::SeqCst);
        Bridging
    }
}

impl Drop for Bridging {
    fn drop(&mut self) {
        BRIDGING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Registered with `atexit`: waits (at most a second, GIL released) until every result
/// handed to an event loop has left its thread. An awaited result is seen by the loop
/// while its thread is still finishing the hand-over; letting the interpreter finalize
/// under that thread crashes it.
#[pyfunction]
pub fn _wait_for_bridges(py: Python<'_>) {
    py.detach(|| {
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while BRIDGING.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// pyo3-async-runtimes' view of [`runtime`].
pub struct ProcessRuntime;

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

impl GenericRuntime for ProcessRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = JoinHandle<()>;

    fn spawn<F>(future: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        runtime().spawn(future)
    }

    fn spawn_blocking<F>(work: F) -> JoinHandle<()>
    where
        F: FnOnce() + Send + 'static,
    {
        let bridging = Bridging::start();
        runtime().spawn_blocking(move || {
            work();
            drop(bridging);
        })
    }
}

impl ContextExt for ProcessRuntime {
    fn scope<F, R>(locals: TaskLocals, future: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, future))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|cell| cell.get().cloned())
            .unwrap_or_default()
    }
}
