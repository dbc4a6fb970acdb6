//! `isec://` references: where a value comes from, written where the value would be (an
//! environment variable, a template), so no secret sits in code, config or a prompt.
//!
//! ```text
//! isec://<store>/<path>[?version=N|stage=S][#field]
//! isec:///<path>                                  the default store
//! isec://vault/database/creds/app?lease=dynamic#username
//! ```
//!
//! `<store>` is a name the config file maps to a store URI: a reference never carries a
//! host or a credential. `?lease=dynamic` asks the store's credential engine for a lease
//! instead of reading a stored secret; every reference with the same [`Reference::key`]
//! (the reference without its `#field`) shares one lease, so `#username` and `#password`
//! match. The fragment may also come before the query (`#field?version=2`).

use std::fmt;

use crate::{Error, Result, Version, VersionSelector, validate_path};

/// The scheme every reference starts with.
pub const REFERENCE_SCHEME: &str = "isec://";

/// Whether `text` is meant as a reference (starts with `isec://`, any case).
pub fn is_reference(text: &str) -> bool {
    text.get(..REFERENCE_SCHEME.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(REFERENCE_SCHEME))
}

/// A parsed `isec://` reference. Displays as its canonical form (no value in it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    store: Option<String>,
    path: String,
    source: Source,
    field: Option<String>,
}

/// What a reference reads: a stored version or a dynamic credential.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// A stored secret; `Latest` unless `?version=` or `?stage=` says otherwise.
    Stored(VersionSelector),
    /// A credential issued with a lease (`?lease=dynamic`).
    Dynamic(DynamicKind),
}

/// Which credential engine a dynamic reference asks (`?kind=`, default `database`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DynamicKind {
    /// Database username/password: `<mount>/creds/<role>`.
    Database,
    /// A database static role's current password: `<mount>/static-creds/<role>`.
    DatabaseStatic,
    /// Cloud credentials: `<mount>/creds/<role>` (Vault aws/azure/gcp engines).
    Cloud,
}

impl DynamicKind {
    fn parse(name: &str) -> Option<DynamicKind> {
        match name {
            "database" => Some(DynamicKind::Database),
            "database-static" => Some(DynamicKind::DatabaseStatic),
            "cloud" => Some(DynamicKind::Cloud),
            _ => None,
        }
    }

    /// The name used in `?kind=`.
    pub fn name(self) -> &'static str {
        match self {
            DynamicKind::Database => "database",
            DynamicKind::DatabaseStatic => "database-static",
            DynamicKind::Cloud => "cloud",
        }
    }
}

impl Reference {
    /// Parses a reference; every mistake is an InvalidInput error that quotes the
    /// reference (references hold names, never values) and says what is wrong.
    pub fn parse(text: &str) -> Result<Reference> {
        let invalid =
            |why: &str| Error::invalid_input(format!("invalid reference '{text}': {why}"));
        if !is_reference(text) {
            return Err(invalid("it must start with isec://"));
        }
        let rest = &text[REFERENCE_SCHEME.len()..];
        let (store, rest) = rest.split_once('/').ok_or_else(|| {
            invalid("no secret path after the store name (isec://<store>/<path>)")
        })?;
        if store.contains([':', '@', '.']) {
            return Err(invalid(
                "the part after isec:// is a store name from the config file, never a host, port or credential",
            ));
        }
        if !store
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid("a store name is letters, digits, '-' and '_'"));
        }
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        let (path, mut tail) = rest.split_at(end);
        if path.is_empty() {
            return Err(invalid("the secret path is empty"));
        }
        validate_path(path).map_err(|e| invalid(e.message()))?;
        let (mut query, mut field) = (None, None);
        while let Some(marker) = tail.chars().next() {
            let body = &tail[1..];
            let end = body.find(['?', '#']).unwrap_or(body.len());
            let slot = if marker == '?' {
                &mut query
            } else {
                &mut field
            };
            if slot.replace(&body[..end]).is_some() {
                return Err(invalid(if marker == '?' {
                    "more than one '?' query"
                } else {
                    "more than one '#' field"
                }));
            }
            tail = &body[end..];
        }
        let field = match field {
            Some("") => return Err(invalid("the #field is empty")),
            Some(field) => Some(field.to_owned()),
            None => None,
        };
        let source = parse_query(query.unwrap_or(""), path).map_err(|why| invalid(&why))?;
        Ok(Reference {
            store: (!store.is_empty()).then(|| store.to_owned()),
            path: path.to_owned(),
            source,
            field,
        })
    }

    /// The store name, `None` for the default store (`isec:///path`).
    pub fn store(&self) -> Option<&str> {
        self.store.as_deref()
    }

    /// The secret path (or, for a dynamic reference, the credential engine path).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A stored version or a dynamic credential.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The `#field` of a key/value secret or credential.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// Whether this reference asks for a leased credential.
    pub fn is_dynamic(&self) -> bool {
        matches!(self.source, Source::Dynamic(_))
    }

    /// The reference without its field: references with the same key read one value (one
    /// lease for a dynamic credential).
    pub fn key(&self) -> Reference {
        Reference {
            field: None,
            ..self.clone()
        }
    }

    /// For a dynamic reference, the engine mount and role from `<mount>/creds/<role>` or
    /// `<mount>/static-creds/<role>`.
    pub fn mount_and_role(&self) -> Option<(&str, &str)> {
        let Source::Dynamic(kind) = self.source else {
            return None;
        };
        split_engine_path(&self.path, kind)
    }
}

/// `creds` (or `static-creds`) between the mount and the role.
fn split_engine_path(path: &str, kind: DynamicKind) -> Option<(&str, &str)> {
    let segment = match kind {
        DynamicKind::DatabaseStatic => "/static-creds/",
        DynamicKind::Database | DynamicKind::Cloud => "/creds/",
    };
    let at = path.rfind(segment)?;
    let (mount, role) = (&path[..at], &path[at + segment.len()..]);
    (!mount.is_empty() && !role.is_empty() && !role.contains('/')).then_some((mount, role))
}

fn parse_query(query: &str, path: &str) -> std::result::Result<Source, String> {
    let (mut version, mut stage, mut lease, mut kind) = (None, None, None, None);
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("'{pair}' is not name=value"))?;
        if value.is_empty() {
            return Err(format!("'{name}' has no value"));
        }
        let slot = match name {
            "version" => &mut version,
            "stage" => &mut stage,
            "lease" => &mut lease,
            "kind" => &mut kind,
            _ => {
                return Err(format!(
                    "unknown option '{name}' (known: version, stage, lease, kind)"
                ));
            }
        };
        if slot.replace(value).is_some() {
            return Err(format!("'{name}' given twice"));
        }
    }
    match (version, stage, lease) {
        (Some(_), Some(_), _) => Err("version and stage cannot both be given".to_owned()),
        (None, None, Some("dynamic")) => {
            let kind = match kind {
                None => DynamicKind::Database,
                Some(name) => DynamicKind::parse(name).ok_or_else(|| {
                    format!("unknown kind '{name}' (known: database, database-static, cloud)")
                })?,
            };
            if split_engine_path(path, kind).is_none() {
                return Err(format!(
                    "a dynamic {} reference names <mount>/{}/<role>",
                    kind.name(),
                    if kind == DynamicKind::DatabaseStatic {
                        "static-creds"
                    } else {
                        "creds"
                    }
                ));
            }
            Ok(Source::Dynamic(kind))
        }
        (_, _, Some("dynamic")) => Err("a dynamic credential has no version or stage".to_owned()),
        (_, _, Some(other)) => Err(format!("unknown lease '{other}' (known: dynamic)")),
        _ if kind.is_some() => Err("kind applies only with lease=dynamic".to_owned()),
        (Some(version), None, None) => {
            if !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!("version '{version}' is not a version id"));
            }
            if version.chars().all(|c| c.is_ascii_digit())
                && version.trim_start_matches('0').is_empty()
            {
                return Err("versions start at 1".to_owned());
            }
            Ok(Source::Stored(VersionSelector::Version(Version::new(
                version,
            ))))
        }
        (None, Some(stage), None) => Ok(Source::Stored(VersionSelector::Stage(stage.to_owned()))),
        (None, None, None) => Ok(Source::Stored(VersionSelector::Latest)),
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{REFERENCE_SCHEME}{}/{}",
            self.store.as_deref().unwrap_or(""),
            self.path
        )?;
        match &self.source {
            Source::Stored(VersionSelector::Latest) => {}
            Source::Stored(VersionSelector::Version(v)) => write!(f, "?version={v}")?,
            Source::Stored(VersionSelector::Stage(s)) => write!(f, "?stage={s}")?,
            Source::Dynamic(DynamicKind::Database) => f.write_str("?lease=dynamic")?,
            Source::Dynamic(kind) => write!(f, "?lease=dynamic&kind={}", kind.name())?,
        }
        match &self.field {
            Some(field) => write!(f, "#{field}"),
            None => Ok(()),
        }
    }
}

impl std::str::FromStr for Reference {
    type Err = Error;

    fn from_str(text: &str) -> Result<Reference> {
        Reference::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn parse(text: &str) -> Reference {
        Reference::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn error(text: &str) -> String {
        let err = Reference::parse(text).expect_err(text);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{text}");
        err.message().to_owned()
    }

    #[test]
    fn named_and_default_stores() {
        let r = parse("isec://prod/app/db/password");
        assert_eq!(
            (r.store(), r.path(), r.field()),
            (Some("prod"), "app/db/password", None)
        );
        assert_eq!(r.source(), &Source::Stored(VersionSelector::Latest));
        let r = parse("isec:///app/db#password");
        assert_eq!((r.store(), r.field()), (None, Some("password")));
        assert!(is_reference("ISEC://x/y") && !is_reference("isec:/x") && !is_reference("is"));
    }

    #[test]
    fn versions_stages_and_either_order_of_field_and_query() {
        let a = parse("isec://s/p?version=3#f");
        let b = parse("isec://s/p#f?version=3");
        assert_eq!(a, b);
        assert_eq!(a.source(), &Source::Stored(VersionSelector::from(3)));
        assert_eq!(a.to_string(), "isec://s/p?version=3#f");
        let r = parse("isec://aws/app/key?stage=AWSPREVIOUS");
        assert_eq!(
            r.source(),
            &Source::Stored(VersionSelector::Stage("AWSPREVIOUS".into()))
        );
    }

    #[test]
    fn dynamic_references_share_one_key() {
        let user = parse("isec://vault/database/creds/app?lease=dynamic#username");
        let pass = parse("isec://vault/database/creds/app?lease=dynamic#password");
        assert!(user.is_dynamic());
        assert_eq!(user.key(), pass.key());
        assert_eq!(
            user.key().to_string(),
            "isec://vault/database/creds/app?lease=dynamic"
        );
        assert_eq!(user.mount_and_role(), Some(("database", "app")));
        let r = parse(
            "isec://vault/db/eu/static-creds/svc?lease=dynamic&kind=database-static#password",
        );
        assert_eq!(r.mount_and_role(), Some(("db/eu", "svc")));
        assert_eq!(Reference::parse(&r.to_string()).unwrap(), r);
    }

    #[test]
    fn mistakes_are_named() {
        for (text, says) in [
            ("vault://h/p", "must start with isec://"),
            ("isec://vault", "no secret path"),
            ("isec://127.0.0.1:8200/p", "never a host"),
            ("isec://user@vault/p", "never a host"),
            ("isec://s/", "path is empty"),
            ("isec://s/p#", "field is empty"),
            ("isec://s/p#a#b", "more than one '#'"),
            ("isec://s/p?version=1?stage=x", "more than one '?'"),
            ("isec://s/p?version=0", "start at 1"),
            ("isec://s/p?version=1&stage=x", "cannot both"),
            ("isec://s/p?ttl=1", "unknown option 'ttl'"),
            ("isec://s/p?version", "not name=value"),
            ("isec://s/p?version=", "has no value"),
            ("isec://s/p?version=1&version=2", "given twice"),
            ("isec://s/p?lease=static", "unknown lease"),
            ("isec://s/p?kind=cloud", "only with lease=dynamic"),
            (
                "isec://s/database/app?lease=dynamic",
                "<mount>/creds/<role>",
            ),
            (
                "isec://s/database/creds/app?lease=dynamic&version=2",
                "no version",
            ),
            ("isec://s/a/creds/r?lease=dynamic&kind=ldap", "unknown kind"),
            ("isec://s/a//b", "invalid reference"),
        ] {
            let message = error(text);
            assert!(message.contains(says), "{text}: {message}");
            assert!(message.contains(text), "{text}: {message}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "isec:///a",
            "isec://s/a/b?version=7#f",
            "isec://s/a?stage=AWSCURRENT",
            "isec://v/aws/creds/r?lease=dynamic&kind=cloud#access_key",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }
}
