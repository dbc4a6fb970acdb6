//! Secret values and their lifecycle: `put`, `get`, `list`, `delete`, `undelete`,
//! `destroy`, `purge`. `get` is the only command here (and one of two overall) that
//! prints a value.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ironsecrets::{
    Cas, Client, Error, MetadataUpdate, Operation, PutOptions, Secret, SecretMap, SecretValue,
    Version, VersionSelector,
};
use serde_json::json;

use crate::error::CliResult;
use crate::{DeleteArgs, GetArgs, ListArgs, PathArgs, PutArgs, VersionListArgs, input, output};

/// Writes a new version and prints its id.
pub async fn put(client: &Client, args: PutArgs) -> CliResult {
    let rotation = &args.rotation;
    if rotation.remind_days.is_some() && rotation.rotate_days.is_none() {
        return Err(Error::invalid_input(
            "with put, --remind-days needs --rotate-days; to change only the reminder use \
             `ironsecrets metadata PATH --remind-days N`",
        )
        .into());
    }
    let value = input::secret_value(&args.value)?;
    let options = PutOptions {
        cas: args.cas.map(|version| match version.as_str() {
            "0" => Cas::MustNotExist,
            _ => Cas::CurrentVersion(Version::new(version)),
        }),
        metadata: MetadataUpdate {
            tags: (!args.tags.is_empty()).then(|| input::tags(&args.tags)),
            rotation: input::rotation(None, rotation.rotate_days, rotation.remind_days)?.map(Some),
            max_versions: None,
        },
    };
    let written = client.put_with(args.path, value, options).await?;
    output::line(written.version.as_str())
}

/// Prints a value: raw bytes, one field, or JSON.
pub async fn get(client: &Client, args: GetArgs) -> CliResult {
    let selector = args.version.map_or(VersionSelector::Latest, |v| {
        VersionSelector::Version(Version::new(v))
    });
    let secret = client.get_version(args.path, selector).await?;
    let value = match &args.field {
        Some(name) => field(client, &secret, name)?,
        None => secret.value.clone(),
    };
    if !args.json {
        return output::raw_value(value.expose());
    }
    let (text, encoding) = match value.expose_str() {
        Ok(text) => (text.to_owned(), "utf-8"),
        Err(_) => (B64.encode(value.expose()), "base64"),
    };
    output::json(&json!({
        "path": secret.path,
        "version": secret.version,
        "created_at": secret.created_at,
        "value": text,
        "encoding": encoding,
    }))
}

/// One field of a key/value secret; NotFound names the fields there are.
fn field(client: &Client, secret: &Secret, name: &str) -> Result<SecretValue, Error> {
    let in_context = |e: Error| e.context(client.name(), Operation::Get, &secret.path);
    let map = SecretMap::from_value(&secret.value).map_err(in_context)?;
    map.get(name).cloned().ok_or_else(|| {
        let fields: Vec<&str> = map.keys().collect();
        in_context(Error::not_found(format!(
            "the secret has no field '{name}'; its fields are: {}",
            fields.join(", ")
        )))
    })
}

/// Prints the paths under a prefix.
pub async fn list(client: &Client, args: ListArgs) -> CliResult {
    let paths = client.list(args.prefix.unwrap_or_default()).await?;
    if args.json {
        output::json(&paths)
    } else {
        output::lines(&paths)
    }
}

/// Soft-deletes versions (the newest by default).
pub async fn delete(client: &Client, args: DeleteArgs) -> CliResult {
    let versions = input::versions(&args.versions)?;
    client.delete(args.path.clone(), versions.clone()).await?;
    done("deleted", &versions, &args.path)
}

/// Restores soft-deleted versions.
pub async fn undelete(client: &Client, args: VersionListArgs) -> CliResult {
    let versions = input::versions(&args.versions)?;
    client.undelete(args.path.clone(), versions.clone()).await?;
    done("restored", &versions, &args.path)
}

/// Erases versions for good.
pub async fn destroy(client: &Client, args: VersionListArgs) -> CliResult {
    let versions = input::versions(&args.versions)?;
    client.destroy(args.path.clone(), versions.clone()).await?;
    done("destroyed", &versions, &args.path)
}

/// Removes a secret entirely.
pub async fn purge(client: &Client, args: PathArgs) -> CliResult {
    client.purge(args.path.clone()).await?;
    output::line(format!("purged '{}' with all its versions", args.path))
}

fn done(what: &str, versions: &[Version], path: &str) -> CliResult {
    let which = match versions {
        [] => "the newest version".to_owned(),
        [one] => format!("version {one}"),
        many => format!(
            "versions {}",
            many.iter()
                .map(Version::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    output::line(format!("{what} {which} of '{path}'"))
}
