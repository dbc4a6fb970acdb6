//! Python arguments into the core's types: durations, values, versions, key/value
//! options.

use std::time::Duration;

use ironsecrets::{OptionValue, Options, SecretMap, SecretValue, Version, VersionSelector};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyMapping, PyString};

use crate::values::PySecretValue;

/// A duration given as seconds (int or float) or a `timedelta`.
pub struct Seconds(pub Duration);

impl<'a, 'py> FromPyObject<'a, 'py> for Seconds {
    type Error = PyErr;

    fn extract(value: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(duration) = value.extract::<Duration>() {
            return Ok(Seconds(duration));
        }
        let seconds: f64 = value
            .extract()
            .map_err(|_| PyTypeError::new_err("a duration is seconds or a timedelta"))?;
        Duration::try_from_secs_f64(seconds)
            .map(Seconds)
            .map_err(|_| PyValueError::new_err("a duration must be finite and not negative"))
    }
}

/// `Option<Seconds>` as an `Option<Duration>`.
pub fn duration(value: Option<Seconds>) -> Option<Duration> {
    value.map(|Seconds(duration)| duration)
}

/// A secret value given as `str`, `bytes` or `SecretValue`.
pub struct Value(pub SecretValue);

impl<'a, 'py> FromPyObject<'a, 'py> for Value {
    type Error = PyErr;

    fn extract(value: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(secret) = value.cast::<PySecretValue>() {
            return Ok(Value(secret.get().0.clone()));
        }
        if let Ok(text) = value.cast::<PyString>() {
            return Ok(Value(SecretValue::from(text.to_cow()?.as_ref())));
        }
        if let Ok(bytes) = value.cast::<PyBytes>() {
            return Ok(Value(SecretValue::from(bytes.as_bytes())));
        }
        Err(PyTypeError::new_err(
            "a secret value is str, bytes or SecretValue",
        ))
    }
}

impl Value {
    /// The value.
    pub fn into_inner(self) -> SecretValue {
        self.0
    }
}

/// A mapping of field names to values, as a key/value secret.
pub fn fields(mapping: &Bound<'_, PyMapping>) -> PyResult<SecretMap> {
    let mut map = SecretMap::new();
    for item in mapping.items()?.iter() {
        let (name, value): (String, Value) = item.extract()?;
        map.insert(name, value.0);
    }
    Ok(map)
}

/// What `put` writes: a value, or a mapping written as a key/value secret.
pub fn put_value(value: &Bound<'_, PyAny>) -> PyResult<SecretValue> {
    if let Ok(mapping) = value.cast::<PyMapping>()
        && !value.is_instance_of::<PyString>()
        && !value.is_instance_of::<PyBytes>()
    {
        return fields(mapping)?
            .to_value()
            .map_err(|err| crate::errors::to_py(value.py(), err));
    }
    Ok(value.extract::<Value>()?.0)
}

/// A version given by number or id.
pub struct VersionArg(pub Version);

impl<'a, 'py> FromPyObject<'a, 'py> for VersionArg {
    type Error = PyErr;

    fn extract(value: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if value.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err("a version is an int or a str"));
        }
        if let Ok(number) = value.extract::<u64>() {
            return Ok(VersionArg(Version::from(number)));
        }
        let id: String = value
            .extract()
            .map_err(|_| PyTypeError::new_err("a version is an int or a str"))?;
        Ok(VersionArg(Version::new(id)))
    }
}

/// Versions given as a sequence of numbers or ids.
pub fn versions(values: Vec<VersionArg>) -> Vec<Version> {
    values
        .into_iter()
        .map(|VersionArg(version)| version)
        .collect()
}

/// The version `get` reads: a version, a stage, or the newest.
pub fn selector(version: Option<VersionArg>, stage: Option<String>) -> PyResult<VersionSelector> {
    match (version, stage) {
        (Some(_), Some(_)) => Err(PyValueError::new_err("give a version or a stage, not both")),
        (Some(VersionArg(version)), None) => Ok(VersionSelector::Version(version)),
        (None, Some(stage)) => Ok(VersionSelector::Stage(stage)),
        (None, None) => Ok(VersionSelector::Latest),
    }
}

/// Keyword arguments as backend options: `str`, `bytes`, `SecretValue` and path-like
/// values are text, `bool` and `int` themselves.
pub fn options(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut options = Options::new();
    let Some(kwargs) = kwargs else {
        return Ok(options);
    };
    for (name, value) in kwargs.iter() {
        let name: String = name.extract()?;
        let option = if let Ok(flag) = value.cast::<PyBool>() {
            OptionValue::Bool(flag.is_true())
        } else if let Ok(number) = value.extract::<i64>() {
            OptionValue::Int(number)
        } else if let Ok(Value(text)) = value.extract::<Value>() {
            OptionValue::Text(text)
        } else if value.hasattr("__fspath__")? {
            let path: String = value.call_method0("__fspath__")?.extract()?;
            OptionValue::from(path)
        } else {
            return Err(PyTypeError::new_err(format!(
                "option '{name}' must be str, bytes, bool, int or a path"
            )));
        };
        options
            .insert(name, option)
            .map_err(|err| crate::errors::to_py(kwargs.py(), err))?;
    }
    Ok(options)
}
