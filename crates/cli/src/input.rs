//! Reading what the user gives: secret values (`key=value`, `@file`, `-`), tags,
//! version lists and rotation days.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use ironsecrets::{Error, Result, RotationPolicy, SecretMap, SecretValue, Version};

use crate::error::io_error;

/// Default reminder window, in days, when only the period is given.
const DEFAULT_REMIND_DAYS: u64 = 14;

/// The value `put` writes, from its value arguments: one or more `key=value` pairs (a
/// key/value secret), a single `@FILE` (the file's bytes), or a single `-` (stdin).
pub fn secret_value(args: &[String]) -> Result<SecretValue> {
    match args {
        [only] if only == "-" => read_stdin(),
        [only] if only.starts_with('@') => read_file(Path::new(&only[1..])),
        _ if !args.is_empty() && args.iter().all(|a| a.contains('=')) => key_value_secret(args),
        _ => Err(Error::invalid_input(
            "give the value as key=value pairs, as @FILE or as - (stdin), one form only; a \
             bare value on the command line is not accepted",
        )),
    }
}

fn key_value_secret(pairs: &[String]) -> Result<SecretValue> {
    let mut map = SecretMap::new();
    for pair in pairs {
        let (key, value) = split_pair(pair)
            .map_err(|why| Error::invalid_input(format!("value argument: {why}")))?;
        if map.get(key).is_some() {
            return Err(Error::invalid_input(format!(
                "the field '{key}' is given twice"
            )));
        }
        map.insert(key, value);
    }
    map.to_value()
}

/// Splits `key=value` at the first `=`; the error never repeats the value.
fn split_pair(text: &str) -> std::result::Result<(&str, &str), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key, value)),
        Some(_) => Err("a key=value pair has an empty key".to_owned()),
        None => Err("expected key=value".to_owned()),
    }
}

/// Parses a `--tag key=value` argument (a clap value parser).
pub fn tag(text: &str) -> std::result::Result<(String, String), String> {
    split_pair(text).map(|(k, v)| (k.to_owned(), v.to_owned()))
}

/// Tags given as repeated `--tag key=value`, later ones winning.
pub fn tags(pairs: &[(String, String)]) -> BTreeMap<String, String> {
    pairs.iter().cloned().collect()
}

/// Everything on stdin, as a value.
pub fn read_stdin() -> Result<SecretValue> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(e, "reading stdin"))?;
    Ok(SecretValue::new(bytes))
}

/// A file's bytes, as a value.
pub fn read_file(path: &Path) -> Result<SecretValue> {
    if path.as_os_str().is_empty() {
        return Err(Error::invalid_input("'@' must be followed by a file name"));
    }
    std::fs::read(path)
        .map(SecretValue::new)
        .map_err(|e| io_error(e, &format!("cannot read {}", path.display())))
}

/// Version ids from `--versions 1,2` (already split on commas by clap).
pub fn versions(ids: &[String]) -> Result<Vec<Version>> {
    ids.iter()
        .map(|id| match id.trim() {
            "" => Err(Error::invalid_input("--versions has an empty entry")),
            id => Ok(Version::new(id)),
        })
        .collect()
}

/// The rotation policy from `--rotate-days` / `--remind-days`, starting from `current`
/// (or the default policy); `None` when neither flag was given.
pub fn rotation(
    current: Option<RotationPolicy>,
    rotate_days: Option<u64>,
    remind_days: Option<u64>,
) -> Result<Option<RotationPolicy>> {
    if rotate_days.is_none() && remind_days.is_none() {
        return Ok(None);
    }
    let base = current.unwrap_or_default();
    let day = |d: &std::time::Duration| d.as_secs() / (24 * 60 * 60);
    let period = rotate_days.unwrap_or_else(|| day(&base.period));
    let remind = match (remind_days, current) {
        (Some(remind), _) => remind,
        // Changing the period keeps a custom reminder, capped at the new period.
        (None, Some(policy)) => day(&policy.remind_before).min(period),
        (None, None) => DEFAULT_REMIND_DAYS.min(period),
    };
    if period == 0 {
        return Err(Error::invalid_input("--rotate-days must be at least 1"));
    }
    if remind > period {
        return Err(Error::invalid_input(format!(
            "--remind-days ({remind}) is longer than the rotation period ({period} days)"
        )));
    }
    Ok(Some(RotationPolicy::days(period, remind)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironsecrets::ErrorKind;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pairs_make_a_key_value_secret() {
        let value = secret_value(&args(&["user=app", "url=a=b"])).unwrap();
        let map = SecretMap::from_value(&value).unwrap();
        assert_eq!(map.get("url").unwrap().expose(), b"a=b");
    }

    #[test]
    fn mixed_or_bare_forms_are_refused_without_echoing_the_value() {
        for bad in [
            &["hunter2"][..],
            &["a=b", "@file"],
            &["a=b", "-"],
            &["-", "-"],
            &[],
        ] {
            let err = secret_value(&args(bad)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(!err.message().contains("hunter2"));
        }
        let err = secret_value(&args(&["=s3cr3t"])).unwrap_err();
        assert!(!err.message().contains("s3cr3t"));
        let err = secret_value(&args(&["a=1", "a=2"])).unwrap_err();
        assert!(err.message().contains("twice"));
    }

    #[test]
    fn rotation_days_merge_with_the_current_policy() {
        assert_eq!(rotation(None, None, None).unwrap(), None);
        assert_eq!(
            rotation(None, Some(30), None).unwrap(),
            Some(RotationPolicy::days(30, 14))
        );
        assert_eq!(
            rotation(None, Some(7), None).unwrap(),
            Some(RotationPolicy::days(7, 7))
        );
        let current = Some(RotationPolicy::days(30, 5));
        assert_eq!(
            rotation(current, None, Some(3)).unwrap(),
            Some(RotationPolicy::days(30, 3))
        );
        assert_eq!(
            rotation(current, Some(60), None).unwrap(),
            Some(RotationPolicy::days(60, 5))
        );
        assert!(rotation(None, Some(10), Some(11)).is_err());
        assert!(rotation(None, Some(0), None).is_err());
    }
}
