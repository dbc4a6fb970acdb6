//! GCP secret versions as ironsecrets versions.
//!
//! GCP numbers versions 1, 2, 3 ... per secret. An ENABLED version is Active, a
//! DISABLED one is soft-deleted (GCP does not record when it was disabled, so
//! `Deleted::at` is the version's creation time), a DESTROYED one is Destroyed.

use chrono::{DateTime, Utc};
use google_cloud_secretmanager_v1::model::SecretVersion;
use google_cloud_secretmanager_v1::model::secret_version::State;
use google_cloud_wkt::Timestamp;
use ironsecrets_core::{Error, Result, Version, VersionInfo, VersionState};

/// `{secret}/versions/{n}` for a numbered version; InvalidInput for anything else.
pub fn version_name(secret: &str, version: &Version) -> Result<String> {
    match version.number() {
        Some(n) if n > 0 => Ok(format!("{secret}/versions/{n}")),
        _ => Err(Error::invalid_input(format!(
            "GCP versions are numbers from 1; got {:?}",
            version.as_str()
        ))),
    }
}

/// The version a resource name `.../versions/{n}` ends with.
pub fn version_of(name: &str) -> Version {
    Version::new(name.rsplit('/').next().unwrap_or(name))
}

/// A timestamp as chrono; the epoch when the server sent none.
pub fn time(timestamp: Option<&Timestamp>) -> DateTime<Utc> {
    timestamp
        .and_then(|t| DateTime::from_timestamp(t.seconds(), u32::try_from(t.nanos()).ok()?))
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The ironsecrets view of a GCP version.
pub fn version_info(version: &SecretVersion) -> VersionInfo {
    let created_at = time(version.create_time.as_ref());
    let state = match version.state {
        State::Disabled => VersionState::Deleted { at: created_at },
        State::Destroyed => VersionState::Destroyed,
        _ => VersionState::Active,
    };
    VersionInfo {
        version: version_of(&version.name),
        created_at,
        state,
        stages: Vec::new(),
    }
}

/// Sorts versions oldest first (by number).
pub fn sort_oldest_first(versions: &mut [VersionInfo]) {
    versions.sort_by_key(|v| v.version.number().unwrap_or(0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        let secret = "projects/p/secrets/s";
        assert_eq!(
            version_name(secret, &Version::from(3)).unwrap(),
            "projects/p/secrets/s/versions/3"
        );
        for bad in ["0", "latest", "-1", "x"] {
            let err = version_name(secret, &Version::from(bad)).unwrap_err();
            assert!(err.message().contains("numbers from 1"), "{bad}");
        }
        assert_eq!(
            version_of("projects/p/secrets/s/versions/12"),
            Version::from(12)
        );
    }

    #[test]
    fn states_map() {
        let at = Timestamp::clamp(1_700_000_000, 5);
        let mut v = SecretVersion::new()
            .set_name("projects/p/secrets/s/versions/2")
            .set_create_time(at)
            .set_state(State::Disabled);
        let info = version_info(&v);
        let when = DateTime::from_timestamp(1_700_000_000, 5).unwrap();
        assert_eq!(info.version, Version::from(2));
        assert_eq!(info.state, VersionState::Deleted { at: when });
        v.state = State::Destroyed;
        assert_eq!(version_info(&v).state, VersionState::Destroyed);
        v.state = State::Enabled;
        assert_eq!(version_info(&v).state, VersionState::Active);
        assert_eq!(time(None), DateTime::UNIX_EPOCH);
    }

    #[test]
    fn sorting_is_numeric() {
        let mut infos: Vec<_> = [10u64, 9, 1]
            .iter()
            .map(|n| version_info(&SecretVersion::new().set_name(format!("x/versions/{n}"))))
            .collect();
        sort_oldest_first(&mut infos);
        let order: Vec<_> = infos.iter().map(|v| v.version.clone()).collect();
        assert_eq!(
            order,
            [Version::from(1), Version::from(9), Version::from(10)]
        );
    }
}
