//! A backend's declared capabilities as a plain object, from their serde form, with
//! keys in camelCase (`dynamicCredentials`, `checkAndSet`).

use ironsecrets::Capabilities;
use serde_json::{Map, Value};

/// `capabilities` as nested objects, arrays and scalars.
pub fn to_js(capabilities: &Capabilities) -> napi::Result<Value> {
    let value = serde_json::to_value(capabilities).map_err(|error| {
        napi::Error::new(
            napi::Status::GenericFailure,
            format!("capabilities: {error}"),
        )
    })?;
    Ok(camel_keys(value))
}

fn camel_keys(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (camel(&key), camel_keys(value)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for ch in key.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}
