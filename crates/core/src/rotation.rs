//! Rotation policy and the status computed from it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

const DAY: u64 = 24 * 60 * 60;

/// How often a secret should change, and how early to remind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationPolicy {
    /// The value should change at least this often (default 90 days).
    #[serde(with = "seconds")]
    pub period: Duration,
    /// Start reminding this long before the period ends (default 14 days).
    #[serde(with = "seconds")]
    pub remind_before: Duration,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        RotationPolicy {
            period: Duration::from_secs(90 * DAY),
            remind_before: Duration::from_secs(14 * DAY),
        }
    }
}

/// Where a secret stands against its rotation policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RotationStatus {
    /// Not due within the reminder window.
    Healthy,
    /// Due in `days` days (rounded up).
    ExpiringSoon {
        /// Days left until the period ends.
        days: u64,
    },
    /// Overdue by `days` days (rounded down, 0 on the day it expired).
    Expired {
        /// Days past the end of the period.
        days: u64,
    },
}

impl RotationPolicy {
    /// A policy with a period and reminder given in days.
    pub fn days(period: u64, remind_before: u64) -> Self {
        RotationPolicy {
            period: Duration::from_secs(period * DAY),
            remind_before: Duration::from_secs(remind_before * DAY),
        }
    }

    /// The status of a secret last rotated at `last_rotated`, seen at `now`.
    pub fn status(&self, last_rotated: DateTime<Utc>, now: DateTime<Utc>) -> RotationStatus {
        let age = (now - last_rotated).to_std().unwrap_or_default();
        if age >= self.period {
            let over = age - self.period;
            return RotationStatus::Expired {
                days: over.as_secs() / DAY,
            };
        }
        let left = self.period - age;
        if left <= self.remind_before {
            RotationStatus::ExpiringSoon {
                days: left.as_secs().div_ceil(DAY),
            }
        } else {
            RotationStatus::Healthy
        }
    }
}

mod seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at_age(days: i64, hours: i64) -> RotationStatus {
        let now = Utc::now();
        let last = now - TimeDelta::days(days) - TimeDelta::hours(hours);
        RotationPolicy::default().status(last, now)
    }

    #[test]
    fn defaults_are_90_and_14_days() {
        let policy = RotationPolicy::default();
        assert_eq!(policy, RotationPolicy::days(90, 14));
    }

    #[test]
    fn status_moves_from_healthy_to_expiring_to_expired() {
        assert_eq!(at_age(0, 0), RotationStatus::Healthy);
        assert_eq!(at_age(75, 0), RotationStatus::Healthy);
        assert_eq!(at_age(76, 0), RotationStatus::ExpiringSoon { days: 14 });
        assert_eq!(at_age(89, 12), RotationStatus::ExpiringSoon { days: 1 });
        assert_eq!(at_age(90, 0), RotationStatus::Expired { days: 0 });
        assert_eq!(at_age(100, 1), RotationStatus::Expired { days: 10 });
    }

    #[test]
    fn a_timestamp_in_the_future_counts_as_fresh() {
        let now = Utc::now();
        let status = RotationPolicy::default().status(now + TimeDelta::days(3), now);
        assert_eq!(status, RotationStatus::Healthy);
    }

    #[test]
    fn policy_serializes_as_seconds() {
        let json = serde_json::to_string(&RotationPolicy::days(1, 0)).unwrap();
        assert_eq!(json, r#"{"period":86400,"remind_before":0}"#);
    }
}
