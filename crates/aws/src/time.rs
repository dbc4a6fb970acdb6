//! AWS timestamps → chrono.

use aws_smithy_types::DateTime as AwsDateTime;
use chrono::{DateTime, Utc};

/// An AWS timestamp as UTC; the Unix epoch when AWS sent none.
pub(crate) fn utc(at: Option<&AwsDateTime>) -> DateTime<Utc> {
    at.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
        .unwrap_or(DateTime::UNIX_EPOCH)
}
