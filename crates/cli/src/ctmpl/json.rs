//! JSON in and out the way consul-template's Go sees it: Vault's JSON as template
//! values, and `toJSON` / `toJSONPretty` written byte for byte as Go's `encoding/json`
//! writes them (sorted keys, `<`, `>`, `&`, U+2028 and U+2029 escaped unless unescaped
//! is asked for).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use gotmpl::Value;

/// A JSON value as a template value: objects become maps, arrays lists, integers stay
/// exact.
pub fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::Uint(u),
            _ => Value::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => Value::String(s.as_str().into()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(from_json).collect()),
        serde_json::Value::Object(fields) => Value::Map(Arc::new(
            fields
                .iter()
                .map(|(k, v)| (Arc::<str>::from(k.as_str()), from_json(v)))
                .collect::<BTreeMap<_, _>>(),
        )),
    }
}

/// `value` as Go's `json.Marshal` (or, `pretty`, `json.MarshalIndent(v, "", "  ")`)
/// writes it; `escape_html` as Go's default.
pub fn to_json(value: &Value, pretty: bool, escape_html: bool) -> Result<String, String> {
    let mut out = String::new();
    write_value(&mut out, value, pretty.then_some(0), escape_html)?;
    Ok(out)
}

fn write_value(
    out: &mut String,
    value: &Value,
    depth: Option<usize>,
    escape_html: bool,
) -> Result<(), String> {
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Float(f) if f.is_finite() => out.push_str(&f.to_string()),
        Value::Float(_) => return Err("json: unsupported value: NaN or infinity".into()),
        Value::String(s) => write_string(out, s, escape_html),
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                if let Some(depth) = depth {
                    newline(out, depth + 1);
                }
                write_value(out, item, depth.map(|d| d + 1), escape_html)?;
            }
            if let (Some(depth), false) = (depth, items.is_empty()) {
                newline(out, depth);
            }
            out.push(']');
        }
        Value::Map(fields) => {
            out.push('{');
            for (index, (key, item)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                if let Some(depth) = depth {
                    newline(out, depth + 1);
                }
                write_string(out, key, escape_html);
                out.push(':');
                if depth.is_some() {
                    out.push(' ');
                }
                write_value(out, item, depth.map(|d| d + 1), escape_html)?;
            }
            if let (Some(depth), false) = (depth, fields.is_empty()) {
                newline(out, depth);
            }
            out.push('}');
        }
        _ => return Err("json: unsupported type: func".into()),
    }
    Ok(())
}

fn write_string(out: &mut String, text: &str, escape_html: bool) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_go_writes() {
        let value = from_json(&serde_json::json!({
            "b": [1, "x<y>&z", null, true],
            "a": {"n": 18446744073709551615u64, "e": {}, "l": []},
            "s": "line\nbreak\u{2028}\u{1}\"\\"
        }));
        assert_eq!(
            to_json(&value, false, true).unwrap(),
            r#"{"a":{"e":{},"l":[],"n":18446744073709551615},"b":[1,"x\u003cy\u003e\u0026z",null,true],"s":"line\nbreak\u2028\u0001\"\\"}"#
        );
        assert_eq!(
            to_json(&value, true, false).unwrap(),
            "{\n  \"a\": {\n    \"e\": {},\n    \"l\": [],\n    \"n\": 18446744073709551615\n  },\n  \
             \"b\": [\n    1,\n    \"x<y>&z\",\n    null,\n    true\n  ],\n  \
             \"s\": \"line\\nbreak\\u2028\\u0001\\\"\\\\\"\n}"
        );
    }
}
