//! Row MACs: HMAC-SHA256 under the store's metadata key over a row's kind and its fields,
//! each typed and length-prefixed so no two rows collide, and the XOR set digest of them.

use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};

use crate::crypto::Key;

type HmacSha256 = Hmac<Sha256>;

/// Bytes in a row MAC.
pub const LEN: usize = 32;

/// A row's MAC, as computed or as stored after it was checked.
#[derive(Clone, Copy)]
pub struct RowMac([u8; LEN]);

impl RowMac {
    /// The MAC's bytes, as stored in the row's `mac` column.
    pub fn bytes(&self) -> &[u8; LEN] {
        &self.0
    }

    /// Whether `stored` is this MAC, compared in constant time; a missing MAC never is.
    pub fn matches(&self, stored: Option<&[u8]>) -> bool {
        stored.is_some_and(|stored| {
            stored.len() == LEN
                && stored
                    .iter()
                    .zip(self.0.iter())
                    .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                    == 0
        })
    }
}

/// The fields of one row, fed into its MAC in order.
pub struct Fields(HmacSha256);

impl Fields {
    /// Starts the MAC of a row of `kind` (`secret`, `version`, `principal`, ...).
    pub fn new(key: &Key, kind: &str) -> Self {
        let mut mac = HmacSha256::new_from_slice(key.bytes()).expect("HMAC takes any key length");
        mac.update(b"ironsecrets row\0");
        let fields = Fields(mac);
        fields.tagged(b'k', kind.as_bytes())
    }

    fn tagged(mut self, tag: u8, bytes: &[u8]) -> Self {
        self.0.update(&[tag]);
        self.0.update(&(bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
        self
    }

    /// A text field.
    pub fn text(self, text: &str) -> Self {
        self.tagged(b's', text.as_bytes())
    }

    /// An optional text field; absent differs from empty.
    pub fn opt_text(self, text: Option<&str>) -> Self {
        match text {
            Some(text) => self.text(text),
            None => self.tagged(b'n', &[]),
        }
    }

    /// A byte-string field.
    pub fn bytes(self, bytes: &[u8]) -> Self {
        self.tagged(b'b', bytes)
    }

    /// An optional byte-string field; absent differs from empty.
    pub fn opt_bytes(self, bytes: Option<&[u8]>) -> Self {
        match bytes {
            Some(bytes) => self.bytes(bytes),
            None => self.tagged(b'n', &[]),
        }
    }

    /// An integer field.
    pub fn int(self, n: u64) -> Self {
        self.tagged(b'i', &n.to_be_bytes())
    }

    /// An optional integer field.
    pub fn opt_int(self, n: Option<u64>) -> Self {
        match n {
            Some(n) => self.int(n),
            None => self.tagged(b'n', &[]),
        }
    }

    /// A blob, fed in as its SHA-256 (absent differs from empty).
    pub fn blob_hash(self, blob: Option<&[u8]>) -> Self {
        let hash = blob.map(Sha256::digest);
        self.opt_bytes(hash.as_ref().map(|h| h.as_slice()))
    }

    /// The row's MAC.
    pub fn finish(self) -> RowMac {
        RowMac(self.0.finalize().into_bytes().into())
    }
}

/// The XOR of a set of row MACs: adding and removing a row are the same XOR, so a write
/// updates it with `old ^ new` and a full scan recomputes it.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Digest([u8; LEN]);

impl Digest {
    /// The digest stored in the header; a missing or short one is all zeros (and fails the
    /// header MAC, which covers the stored bytes).
    pub fn from_stored(stored: Option<&[u8]>) -> Self {
        let mut out = [0u8; LEN];
        if let Some(bytes) = stored.filter(|b| b.len() == LEN) {
            out.copy_from_slice(bytes);
        }
        Digest(out)
    }

    /// Adds or removes one row's MAC.
    pub fn toggle(&mut self, mac: &RowMac) {
        for (d, m) in self.0.iter_mut().zip(mac.0.iter()) {
            *d ^= m;
        }
    }

    /// Merges another digest (the union of disjoint sets).
    pub fn merge(&mut self, other: &Digest) {
        self.toggle(&RowMac(other.0));
    }

    /// The digest's bytes.
    pub fn bytes(&self) -> &[u8; LEN] {
        &self.0
    }
}

/// How many rows a scan checked and the digest of their MACs.
#[derive(Default)]
pub struct Tally {
    /// Rows counted.
    pub rows: u64,
    /// The XOR of their MACs.
    pub digest: Digest,
}

impl Tally {
    /// Counts one row.
    pub fn add(&mut self, mac: &RowMac) {
        self.rows += 1;
        self.digest.toggle(mac);
    }

    /// Adds another scan's rows.
    pub fn merge(&mut self, other: &Tally) {
        self.rows += other.rows;
        self.digest.merge(&other.digest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::from_slice(&[9; 32]).unwrap()
    }

    #[test]
    fn fields_are_unambiguous() {
        let mac = |fields: Fields| fields.finish().0;
        let base = || Fields::new(&key(), "secret");
        assert_ne!(
            mac(base().text("ab").text("c")),
            mac(base().text("a").text("bc"))
        );
        assert_ne!(mac(base().opt_text(None)), mac(base().text("")));
        assert_ne!(mac(base().int(1)), mac(base().bytes(&1u64.to_be_bytes())));
        assert_ne!(
            mac(base().blob_hash(None)),
            mac(base().blob_hash(Some(b"")))
        );
        assert_ne!(mac(base()), mac(Fields::new(&key(), "version")));
        assert_ne!(
            mac(base()),
            mac(Fields::new(&Key::from_slice(&[8; 32]).unwrap(), "secret"))
        );
    }

    #[test]
    fn only_the_exact_mac_matches() {
        let mac = Fields::new(&key(), "principal").text("p").finish();
        assert!(mac.matches(Some(&mac.0)));
        assert!(!mac.matches(None));
        assert!(!mac.matches(Some(&mac.0[..31])));
        let mut flipped = mac.0;
        flipped[5] ^= 1;
        assert!(!mac.matches(Some(&flipped)));
    }

    #[test]
    fn the_digest_is_a_set_xor() {
        let a = Fields::new(&key(), "x").int(1).finish();
        let b = Fields::new(&key(), "x").int(2).finish();
        let mut one = Tally::default();
        one.add(&a);
        one.add(&b);
        let mut other = Digest::default();
        other.toggle(&b);
        other.toggle(&a);
        assert!(one.digest == other, "order does not matter");
        other.toggle(&a);
        other.toggle(&a);
        assert!(one.digest == other, "adding and removing cancel");
        other.toggle(&b);
        assert!(one.digest != other, "a missing row shows");
    }
}
