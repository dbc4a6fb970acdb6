//! What is known about a secret besides its value: `versions` and `metadata` (which can
//! also change tags, rotation policy and the version limit).

use ironsecrets::{
    Client, MetadataUpdate, Result, RotationPolicy, SecretMetadata, VersionInfo, VersionState,
};

use crate::error::CliResult;
use crate::output::{self, Table};
use crate::{MetadataArgs, PathJsonArgs, input};

/// Prints a secret's versions as a table (or JSON).
pub async fn versions(client: &Client, args: PathJsonArgs) -> CliResult {
    let meta = client.metadata(args.path).await?;
    if args.json {
        return output::json(&meta.versions);
    }
    let mut table = Table::new(&["VERSION", "CREATED", "STATE"]);
    for info in &meta.versions {
        let mut version = info.version.to_string();
        if info.version == meta.current_version {
            version.push_str(" (current)");
        }
        table.row(vec![version, output::time(info.created_at), state(info)]);
    }
    table.print()
}

fn state(info: &VersionInfo) -> String {
    let mut text = match &info.state {
        VersionState::Active => "active".to_owned(),
        VersionState::Deleted { at } => format!("deleted {}", output::time(*at)),
        VersionState::Destroyed => "destroyed".to_owned(),
    };
    if !info.stages.is_empty() {
        text.push_str(&format!(" [{}]", info.stages.join(", ")));
    }
    text
}

/// Prints a secret's metadata, after applying any change the flags ask for.
pub async fn metadata(client: &Client, args: MetadataArgs) -> CliResult {
    let mut meta = client.metadata(args.path.clone()).await?;
    if let Some(update) = update(&meta, &args)? {
        meta = client.update_metadata(args.path, update).await?;
    }
    if args.json {
        output::json(&meta)
    } else {
        print(&meta)
    }
}

/// The change the flags describe, merged with the current metadata; `None` for none.
fn update(meta: &SecretMetadata, args: &MetadataArgs) -> Result<Option<MetadataUpdate>> {
    let tags = (!args.set_tags.is_empty() || !args.remove_tags.is_empty()).then(|| {
        let mut tags = meta.tags.clone();
        for key in &args.remove_tags {
            tags.remove(key);
        }
        tags.extend(input::tags(&args.set_tags));
        tags
    });
    let rotation = if args.no_rotation {
        Some(None)
    } else {
        input::rotation(
            meta.rotation,
            args.rotation.rotate_days,
            args.rotation.remind_days,
        )?
        .map(Some)
    };
    let update = MetadataUpdate {
        tags,
        rotation,
        max_versions: args.max_versions,
    };
    Ok((update != MetadataUpdate::default()).then_some(update))
}

fn print(meta: &SecretMetadata) -> CliResult {
    let count = |wanted: fn(&VersionState) -> bool| {
        meta.versions.iter().filter(|v| wanted(&v.state)).count()
    };
    let kept = format!(
        "{} kept{}: {} active, {} deleted, {} destroyed",
        meta.versions.len(),
        meta.max_versions
            .map(|max| format!(" (max {max})"))
            .unwrap_or_default(),
        count(|s| matches!(s, VersionState::Active)),
        count(|s| matches!(s, VersionState::Deleted { .. })),
        count(|s| matches!(s, VersionState::Destroyed)),
    );
    let rotation = match &meta.rotation {
        Some(policy) => output::policy(policy),
        None => format!(
            "none (status applies the default: {})",
            output::policy(&RotationPolicy::default())
        ),
    };
    let tags = if meta.tags.is_empty() {
        "none".to_owned()
    } else {
        meta.tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    output::fields(&[
        ("path", meta.path.clone()),
        ("current version", meta.current_version.to_string()),
        ("created", output::time(meta.created_at)),
        ("updated", output::time(meta.updated_at)),
        ("versions", kept),
        ("rotation", rotation),
        ("tags", tags),
    ])
}
