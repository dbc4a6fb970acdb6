//! A backend's declared capabilities as a plain dict (`store`, `transit`, `leases`,
//! `dynamic_credentials`), from their serde form.

use ironsecrets::Capabilities;
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

/// `capabilities` as nested dicts, lists and scalars.
pub fn to_python<'py>(py: Python<'py>, capabilities: &Capabilities) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(capabilities)
        .map_err(|err| PyRuntimeError::new_err(format!("capabilities: {err}")))?;
    json(py, &value)
}

fn json<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(flag) => flag.into_bound_py_any(py),
        Value::Number(number) => match number.as_u64() {
            Some(whole) => whole.into_bound_py_any(py),
            None => number.as_f64().into_bound_py_any(py),
        },
        Value::String(text) => text.into_bound_py_any(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (name, field) in fields {
                dict.set_item(name, json(py, field)?)?;
            }
            Ok(dict.into_any())
        }
    }
}
