//! The exception classes: `ironsecrets.Error` and one subclass per core error kind,
//! generated at import from `ErrorKind::ALL`, so a kind the core gains is a class here
//! without a change to this file.

use ironsecrets::{Error as CoreError, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

create_exception!(
    ironsecrets,
    Error,
    PyException,
    "Every ironsecrets error; one subclass per error kind."
);

/// The subclass of each kind, in `ErrorKind::ALL`'s order.
static CLASSES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

/// The class name of a kind: `NotFound` → `NotFoundError`.
pub fn class_name(kind: ErrorKind) -> String {
    format!("{}Error", kind.name())
}

/// Adds `Error` and every kind's class to the module.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let base = py.get_type::<Error>();
    for attribute in ["kind", "backend", "operation", "path", "retry_after"] {
        base.setattr(attribute, py.None())?;
    }
    base.setattr("retryable", false)?;
    module.add("Error", &base)?;
    let make_class = py.get_type::<PyType>();
    let mut classes = Vec::with_capacity(ErrorKind::ALL.len());
    for kind in ErrorKind::ALL {
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "ironsecrets")?;
        namespace.set_item("__doc__", format!("The {} error kind.", kind.name()))?;
        let bases = PyTuple::new(py, [&base])?;
        let class = make_class
            .call1((class_name(kind), bases, namespace))?
            .cast_into::<PyType>()?;
        module.add(class_name(kind).as_str(), &class)?;
        classes.push(class.unbind());
    }
    let _ = CLASSES.set(py, classes);
    Ok(())
}

/// The Python exception for a core error: its kind's class, message and context.
pub fn to_py(py: Python<'_>, error: CoreError) -> PyErr {
    match exception(py, &error) {
        Ok(err) => err,
        Err(failed) => failed,
    }
}

fn exception(py: Python<'_>, error: &CoreError) -> PyResult<PyErr> {
    let classes = CLASSES
        .get(py)
        .expect("the exception classes are made at import");
    let at = ErrorKind::ALL
        .iter()
        .position(|kind| *kind == error.kind())
        .unwrap_or(ErrorKind::ALL.len() - 1);
    let instance = classes[at].bind(py).call1((error.to_string(),))?;
    instance.setattr("kind", error.kind().name())?;
    instance.setattr("retryable", error.is_retryable())?;
    instance.setattr("retry_after", error.retry_after().map(|d| d.as_secs_f64()))?;
    instance.setattr("backend", error.backend())?;
    instance.setattr("operation", error.operation().map(|op| op.name()))?;
    instance.setattr("path", error.path())?;
    Ok(PyErr::from_value(instance))
}

/// The error for an object made before `os.fork()` and used in the child.
pub fn forked() -> PyErr {
    Python::attach(|py| {
        to_py(
            py,
            CoreError::config(
                "this object was made before os.fork() and cannot be used in the child \
                 process (its connections belong to the parent); make a new client in \
                 the child",
            ),
        )
    })
}
