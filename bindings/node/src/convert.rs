//! JavaScript arguments into the core's types: values, versions, durations and backend
//! options.

use std::collections::BTreeMap;
use std::time::Duration;

use ironsecrets::{OptionValue, Options, SecretMap, Version, VersionSelector};
use napi::JsTypeError;
use napi::bindgen_prelude::{
    Buffer, ClassInstance, FromNapiValue, JavaScriptClassExt, Object, ToNapiValue, TypeName,
    Unknown, ValidateNapiValue,
};
use napi::{Env, JsValue, ValueType, sys};

use crate::values::SecretValue;

/// A secret value given as a string, a Buffer / Uint8Array or a `SecretValue`.
pub struct Value(pub ironsecrets::SecretValue);

/// A value, or a record of values written as a key/value secret (`put`).
pub struct PutValue(pub ironsecrets::SecretValue);

/// A backend option: text, bytes, a `SecretValue`, a boolean or an integer.
pub struct OptionArg(pub OptionValue);

/// A version given by number or id.
pub struct VersionArg(pub Version);

macro_rules! any_object {
    ($($name:ident => $ts:literal),* $(,)?) => {$(
        impl TypeName for $name {
            fn type_name() -> &'static str {
                $ts
            }

            fn value_type() -> ValueType {
                ValueType::Unknown
            }
        }

        impl ValidateNapiValue for $name {}
    )*};
}

any_object!(
    Value => "string | Buffer | SecretValue",
    PutValue => "string | Buffer | SecretValue | Record<string, string | Buffer | SecretValue>",
    OptionArg => "string | Buffer | SecretValue | boolean | number",
    VersionArg => "number | string",
);

/// Text, bytes or a `SecretValue`; `None` for anything else.
fn secret_bytes(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Option<Value>> {
    let unknown = unsafe { Unknown::from_napi_value(env, value)? };
    match unknown.get_type()? {
        ValueType::String => {
            let text = unsafe { String::from_napi_value(env, value)? };
            Ok(Some(Value(ironsecrets::SecretValue::from(text.as_str()))))
        }
        ValueType::Object if unknown.is_buffer()? || unknown.is_typedarray()? => {
            let bytes = unsafe { Buffer::from_napi_value(env, value)? };
            Ok(Some(Value(ironsecrets::SecretValue::from(bytes.as_ref()))))
        }
        ValueType::Object if SecretValue::instance_of(&Env::from_raw(env), &unknown)? => {
            let secret = unsafe { ClassInstance::<SecretValue>::from_napi_value(env, value)? };
            Ok(Some(Value(secret.core().clone())))
        }
        _ => Ok(None),
    }
}

/// A JavaScript `TypeError` (code `'InvalidArg'`) for an argument of the wrong type.
fn type_error(env: sys::napi_env, message: &str) -> napi::Error {
    let error = JsTypeError::from(napi::Error::new(
        napi::Status::InvalidArg,
        message.to_owned(),
    ));
    match unsafe { JsTypeError::to_napi_value(env, error) } {
        Ok(value) => match unsafe { Unknown::from_napi_value(env, value) } {
            Ok(value) => napi::Error::from(value),
            Err(failed) => failed,
        },
        Err(failed) => failed,
    }
}

impl FromNapiValue for Value {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        secret_bytes(env, value)?
            .ok_or_else(|| type_error(env, "a secret value is a string, a Buffer or a SecretValue"))
    }
}

impl FromNapiValue for PutValue {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        if let Some(Value(bytes)) = secret_bytes(env, value)? {
            return Ok(PutValue(bytes));
        }
        let unknown = unsafe { Unknown::from_napi_value(env, value)? };
        let record = unknown.get_type()? == ValueType::Object
            && !unknown.is_array()?
            && !unknown.is_date()?;
        if !record {
            return Err(type_error(
                env,
                "a secret value is a string, a Buffer, a SecretValue or a record of them",
            ));
        }
        let record = unsafe { Object::from_napi_value(env, value)? };
        let fields = unsafe { BTreeMap::<String, Value>::from_napi_value(env, record.raw())? };
        fields_map(fields)
            .to_value()
            .map(PutValue)
            .map_err(|error| crate::errors::to_js(&Env::from_raw(env), error))
    }
}

/// A record of values as a core map.
pub fn fields_map(fields: BTreeMap<String, Value>) -> SecretMap {
    let mut map = SecretMap::new();
    for (name, Value(value)) in fields {
        map.insert(name, value);
    }
    map
}

impl FromNapiValue for OptionArg {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let unknown = unsafe { Unknown::from_napi_value(env, value)? };
        match unknown.get_type()? {
            ValueType::Boolean => Ok(OptionArg(OptionValue::Bool(unsafe {
                bool::from_napi_value(env, value)?
            }))),
            ValueType::Number => {
                let number = unsafe { f64::from_napi_value(env, value)? };
                if number.fract() != 0.0 || !number.is_finite() {
                    return Err(type_error(env, "a number option must be an integer"));
                }
                Ok(OptionArg(OptionValue::Int(number as i64)))
            }
            _ => secret_bytes(env, value)?
                .map(|Value(text)| OptionArg(OptionValue::Text(text)))
                .ok_or_else(|| {
                    type_error(
                        env,
                        "an option is a string, a Buffer, a SecretValue, a boolean or a number",
                    )
                }),
        }
    }
}

impl FromNapiValue for VersionArg {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let unknown = unsafe { Unknown::from_napi_value(env, value)? };
        match unknown.get_type()? {
            ValueType::Number => {
                let number = unsafe { f64::from_napi_value(env, value)? };
                if number < 0.0 || number.fract() != 0.0 || !number.is_finite() {
                    return Err(type_error(env, "a version number is a whole number"));
                }
                Ok(VersionArg(Version::from(number as u64)))
            }
            ValueType::String => Ok(VersionArg(Version::new(unsafe {
                String::from_napi_value(env, value)?
            }))),
            _ => Err(type_error(env, "a version is a number or a string")),
        }
    }
}

/// A record of options as the core's backend options.
pub fn options(env: &Env, given: Option<BTreeMap<String, OptionArg>>) -> napi::Result<Options> {
    let mut options = Options::new();
    for (name, OptionArg(value)) in given.unwrap_or_default() {
        options
            .insert(name, value)
            .map_err(|error| crate::errors::to_js(env, error))?;
    }
    Ok(options)
}

/// Versions given as numbers or ids.
pub fn versions(given: Option<Vec<VersionArg>>) -> Vec<Version> {
    given
        .unwrap_or_default()
        .into_iter()
        .map(|VersionArg(version)| version)
        .collect()
}

/// The version `get` reads: a version, a stage, or the newest.
pub fn selector(
    env: &Env,
    version: Option<VersionArg>,
    stage: Option<String>,
) -> napi::Result<VersionSelector> {
    match (version, stage) {
        (Some(_), Some(_)) => Err(crate::errors::invalid(
            env,
            "give a version or a stage, not both",
        )),
        (Some(VersionArg(version)), None) => Ok(VersionSelector::Version(version)),
        (None, Some(stage)) => Ok(VersionSelector::Stage(stage)),
        (None, None) => Ok(VersionSelector::Latest),
    }
}

/// Seconds (a JavaScript number) as a duration; InvalidInputError when negative.
pub fn seconds(env: &Env, value: f64) -> napi::Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        crate::errors::invalid(
            env,
            "a duration is a finite, non-negative number of seconds",
        )
    })
}

/// `Option<f64>` seconds as a duration.
pub fn maybe_seconds(env: &Env, value: Option<f64>) -> napi::Result<Option<Duration>> {
    value.map(|value| seconds(env, value)).transpose()
}
