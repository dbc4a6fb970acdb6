//! `SecretValue` and `SecretMap`: secret bytes that show as `[REDACTED]` everywhere and
//! are read only on purpose.

use ironsecrets::{SecretMap, SecretValue};
use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::convert::Value;

const REDACTED: &str = "[REDACTED]";

fn refuse_copy(what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{what} cannot be pickled or copied: it holds a secret (reveal() it on purpose)"
    ))
}

/// The bytes of a secret: shown as `[REDACTED]` everywhere; read with `reveal()`.
#[pyclass(frozen, eq, name = "SecretValue", module = "ironsecrets")]
#[derive(Clone, PartialEq)]
pub struct PySecretValue(pub SecretValue);

#[pymethods]
impl PySecretValue {
    #[new]
    fn new(value: Value) -> Self {
        PySecretValue(value.into_inner())
    }

    /// The raw bytes.
    fn reveal<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.expose())
    }

    /// The value as text; InvalidInputError if it is not UTF-8.
    fn reveal_str(&self, py: Python<'_>) -> PyResult<String> {
        self.0
            .expose_str()
            .map(str::to_owned)
            .map_err(|err| crate::errors::to_py(py, err))
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __bool__(&self) -> bool {
        !self.0.is_empty()
    }

    fn __repr__(&self) -> &'static str {
        REDACTED
    }

    fn __str__(&self) -> &'static str {
        REDACTED
    }

    fn __format__(&self, _spec: &str) -> &'static str {
        REDACTED
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(refuse_copy("SecretValue"))
    }

    fn __reduce_ex__(&self, _protocol: i32) -> PyResult<()> {
        Err(refuse_copy("SecretValue"))
    }

    fn __copy__(&self) -> PyResult<()> {
        Err(refuse_copy("SecretValue"))
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(refuse_copy("SecretValue"))
    }
}

/// A key/value secret: plain field names, `SecretValue` values. Read-only; registered
/// as a `collections.abc.Mapping`.
#[pyclass(frozen, mapping, name = "SecretMap", module = "ironsecrets")]
#[derive(Clone)]
pub struct PySecretMap(pub SecretMap);

#[pymethods]
impl PySecretMap {
    fn __getitem__(&self, key: &str) -> PyResult<PySecretValue> {
        self.0
            .get(key)
            .cloned()
            .map(PySecretValue)
            .ok_or_else(|| PyKeyError::new_err(key.to_owned()))
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        key.extract::<String>()
            .is_ok_and(|key| self.0.get(&key).is_some())
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.keys(py)?.into_any().try_iter()?.into_any())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySecretMap>()
            .is_ok_and(|other| other.get().0 == self.0)
    }

    /// Field names, sorted.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.0.keys())
    }

    /// Field values, in the order of `keys()`.
    fn values(&self) -> Vec<PySecretValue> {
        self.0
            .iter()
            .map(|(_, value)| PySecretValue(value.clone()))
            .collect()
    }

    /// `(name, value)` pairs, sorted by name.
    fn items(&self) -> Vec<(String, PySecretValue)> {
        self.0
            .iter()
            .map(|(name, value)| (name.to_owned(), PySecretValue(value.clone())))
            .collect()
    }

    /// A field's value, or `default`.
    #[pyo3(signature = (key, default = None, /))]
    fn get(&self, key: &str, default: Option<Py<PyAny>>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.0.get(key) {
            Some(value) => Ok(PySecretValue(value.clone())
                .into_pyobject(py)?
                .into_any()
                .unbind()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    /// Every field as text (a plain dict: handle with care); InvalidInputError for a
    /// binary field.
    fn reveal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self.0.iter() {
            let text = value
                .expose_str()
                .map_err(|err| crate::errors::to_py(py, err))?;
            dict.set_item(name, text)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let fields: Vec<String> = self
            .0
            .keys()
            .map(|name| format!("{name:?}: {REDACTED:?}"))
            .collect();
        format!("SecretMap({{{}}})", fields.join(", "))
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(refuse_copy("SecretMap"))
    }

    fn __reduce_ex__(&self, _protocol: i32) -> PyResult<()> {
        Err(refuse_copy("SecretMap"))
    }

    fn __copy__(&self) -> PyResult<()> {
        Err(refuse_copy("SecretMap"))
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(refuse_copy("SecretMap"))
    }
}

/// Registers `SecretMap` as a `collections.abc.Mapping`.
pub fn register_mapping(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    py.import("collections.abc")?
        .getattr("Mapping")?
        .call_method1("register", (py.get_type::<PySecretMap>(),))?;
    Ok(())
}
