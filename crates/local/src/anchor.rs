//! Audit anchors: the newest audit row's sequence number and MAC, written down outside
//! the store (`<seq>:<hex MAC>`) so a later verify can tell a rolled-back copy of the
//! whole file, which is consistent in itself, from the store that was anchored.
//!
//! The MAC is not a secret: it is a MAC under a key of the store, over a row that holds
//! no value.

use std::fmt;
use std::str::FromStr;

use ironsecrets_core::{Error, Result};

/// A point in a store's audit trail: row `seq` exists and has MAC `mac`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditAnchor {
    /// The row's sequence number, from 1.
    pub seq: u64,
    /// The row's HMAC-SHA256.
    pub mac: [u8; 32],
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AuditAnchor {
    /// An anchor for row `seq` with the stored `mac`; Integrity if the MAC is damaged.
    pub(crate) fn new(seq: u64, mac: &[u8]) -> Result<Self> {
        let mac = mac
            .try_into()
            .map_err(|_| Error::integrity(format!("audit row {seq} has a damaged MAC")))?;
        Ok(AuditAnchor { seq, mac })
    }
}

impl fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, hex(&self.mac))
    }
}

impl FromStr for AuditAnchor {
    type Err = Error;

    /// Parses `<seq>:<64 hex digits>`, as [`fmt::Display`] writes it.
    fn from_str(text: &str) -> Result<Self> {
        let invalid = || {
            Error::invalid_input(
                "an audit anchor is <row number>:<64 hex digits>, as `audit anchor` prints it",
            )
        };
        let (seq, mac) = text.trim().split_once(':').ok_or_else(invalid)?;
        let seq: u64 = seq
            .parse()
            .ok()
            .filter(|seq| *seq > 0)
            .ok_or_else(invalid)?;
        if mac.len() != 64 || !mac.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(mac.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(AuditAnchor { seq, mac: out })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_text_form() {
        let anchor = AuditAnchor {
            seq: 42,
            mac: [0xab; 32],
        };
        let text = anchor.to_string();
        assert_eq!(text, format!("42:{}", "ab".repeat(32)));
        assert_eq!(text.parse::<AuditAnchor>().unwrap(), anchor);
        assert_eq!(
            format!(" 42:{} \n", "AB".repeat(32))
                .parse::<AuditAnchor>()
                .unwrap(),
            anchor
        );
    }

    #[test]
    fn malformed_anchors_are_invalid_input() {
        for bad in [
            "",
            "42",
            "0:".to_owned().as_str(),
            &format!("x:{}", "ab".repeat(32)),
            &format!("0:{}", "ab".repeat(32)),
            &format!("42:{}", "ab".repeat(31)),
            &format!("42:{}zz", "ab".repeat(31)),
        ] {
            let err = bad.parse::<AuditAnchor>().unwrap_err();
            assert_eq!(
                err.kind(),
                ironsecrets_core::ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }
}
