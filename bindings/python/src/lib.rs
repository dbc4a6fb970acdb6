//! The Python package `ironsecrets`: the Rust client as the CPython extension module
//! `ironsecrets._native`. Thin by design: it maps names, values and errors; every
//! behaviour is the Rust core's.
//!
//! - `runtime`: the process's tokio runtime, blocking calls and asyncio awaitables;
//! - `flavor`: one method list for each blocking class and its `Async` twin;
//! - `errors`: the exception classes, one per core error kind;
//! - `convert`, `values`, `types`, `capabilities`: arguments in, results out;
//! - `client`, `engines`, `vault`: the client classes;
//! - `leases`, `generations`: managed leases and credential generations for pools.

// A Python method takes its keyword arguments one by one, as its signature shows them.
#![allow(clippy::too_many_arguments)]

mod capabilities;
mod client;
mod convert;
mod engines;
mod errors;
mod flavor;
mod generations;
mod leases;
mod runtime;
mod types;
mod values;
mod vault;

use ironsecrets::{ErrorKind, Operation};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyList};

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add(
        "ERROR_KINDS",
        ErrorKind::ALL
            .iter()
            .map(|kind| kind.name())
            .collect::<Vec<_>>(),
    )?;
    module.add(
        "OPERATIONS",
        Operation::ALL
            .iter()
            .map(|op| op.name())
            .collect::<Vec<_>>(),
    )?;
    errors::register(module)?;
    module.add_class::<values::PySecretValue>()?;
    module.add_class::<values::PySecretMap>()?;
    values::register_mapping(module)?;
    module.add_class::<types::PyRotationPolicy>()?;
    module.add_class::<types::PySecret>()?;
    module.add_class::<types::PyVersionInfo>()?;
    module.add_class::<types::PySecretMetadata>()?;
    module.add_class::<types::PyRotationEntry>()?;
    module.add_class::<types::PyKeyInfo>()?;
    module.add_class::<types::PyDataKey>()?;
    module.add_class::<types::PyLease>()?;
    module.add_class::<types::PyLeasedCredential>()?;
    module.add_class::<types::PyCredentialRequest>()?;
    module.add_class::<types::PyTokenLease>()?;
    module.add_class::<types::PyTokenInfo>()?;
    module.add_class::<types::PyHealth>()?;
    module.add_class::<types::PySignedCertificate>()?;
    module.add_class::<client::PyClient>()?;
    module.add_class::<client::PyAsyncClient>()?;
    module.add_class::<engines::PyTransit>()?;
    module.add_class::<engines::PyAsyncTransit>()?;
    module.add_class::<engines::PyLeases>()?;
    module.add_class::<engines::PyAsyncLeases>()?;
    module.add_class::<engines::PyCredentials>()?;
    module.add_class::<engines::PyAsyncCredentials>()?;
    module.add_class::<vault::PyVault>()?;
    module.add_class::<vault::PyAsyncVault>()?;
    module.add_class::<leases::PyLeaseManager>()?;
    module.add_class::<leases::PyManagedLease>()?;
    module.add_class::<leases::PyLeaseEvent>()?;
    module.add_class::<leases::PyLeaseEvents>()?;
    module.add_class::<generations::PyGenerations>()?;
    module.add_class::<generations::PyGeneration>()?;
    module.add_class::<generations::PyTicket>()?;
    module.add_class::<generations::PyDrained>()?;
    module.add_class::<generations::PyRotationStats>()?;
    let after_fork = wrap_pyfunction!(runtime::_after_fork_in_child, module)?;
    py.import("os")?.call_method(
        "register_at_fork",
        (),
        Some(&[("after_in_child", after_fork)].into_py_dict(py)?),
    )?;
    let wait_for_bridges = wrap_pyfunction!(runtime::_wait_for_bridges, module)?;
    py.import("atexit")?
        .call_method1("register", (wait_for_bridges,))?;
    let public: Vec<String> = module
        .dict()
        .keys()
        .iter()
        .map(|name| name.extract::<String>())
        .collect::<PyResult<Vec<String>>>()?
        .into_iter()
        .filter(|name| !name.starts_with('_'))
        .collect();
    module.add("__all__", PyList::new(py, public)?)?;
    Ok(())
}
