//! Finding secret values in bytes: the patterns (each value and its base64 and
//! URL-encoded forms) and a streaming [`Masker`] that replaces them with `[REDACTED]`,
//! also when a value is split across reads.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// What a masked value is replaced with.
pub const REDACTED: &[u8] = b"[REDACTED]";

/// Values shorter than this are not looked for: masking every `1` or `ab` in the output
/// would hide more than it protects. The caller warns about them.
pub const MIN_LEN: usize = 4;

/// The encodings a value is looked for in, by name.
const FORMS: [&str; 4] = ["plain", "base64", "base64url", "url-encoded"];

/// The byte strings to look for, each with the value's label and the encoding's name.
pub struct Patterns {
    automaton: AhoCorasick,
    found: Vec<(usize, &'static str)>,
    labels: Vec<String>,
    bytes: Vec<Vec<u8>>,
}

/// One occurrence of a value.
pub struct Found<'a> {
    /// Byte offset where it starts.
    pub start: usize,
    /// Byte offset after it.
    pub end: usize,
    /// The label the value was added with (a reference or secret path, never the value).
    pub label: &'a str,
    /// Which encoding matched.
    pub form: &'static str,
}

/// A value's forms: itself, base64 (standard and URL-safe, padded or not) and
/// percent-encoded, each only when it differs from the ones before.
fn forms(value: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut forms = vec![(FORMS[0], value.to_vec())];
    for text in [STANDARD.encode(value), STANDARD_NO_PAD.encode(value)] {
        forms.push((FORMS[1], text.into_bytes()));
    }
    for text in [URL_SAFE.encode(value), URL_SAFE_NO_PAD.encode(value)] {
        forms.push((FORMS[2], text.into_bytes()));
    }
    if let Ok(text) = std::str::from_utf8(value) {
        forms.push((
            FORMS[3],
            utf8_percent_encode(text, NON_ALPHANUMERIC)
                .to_string()
                .into_bytes(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    forms.retain(|(_, bytes)| seen.insert(bytes.clone()));
    forms
}

impl Patterns {
    /// Patterns for `values` (label, value); values shorter than [`MIN_LEN`] are left out
    /// and their labels returned, so the caller can say which.
    pub fn new<'a>(
        values: impl IntoIterator<Item = (String, &'a [u8])>,
    ) -> (Patterns, Vec<String>) {
        let (mut labels, mut bytes, mut found, mut short) = (vec![], vec![], vec![], vec![]);
        for (label, value) in values {
            if value.len() < MIN_LEN {
                short.push(label);
                continue;
            }
            for (form, pattern) in forms(value) {
                bytes.push(pattern);
                found.push((labels.len(), form));
            }
            labels.push(label);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&bytes)
            .expect("literal patterns always build");
        (
            Patterns {
                automaton,
                found,
                labels,
                bytes,
            },
            short,
        )
    }

    /// Every occurrence in `haystack`, leftmost-longest, not overlapping.
    pub fn find_iter<'a>(&'a self, haystack: &'a [u8]) -> impl Iterator<Item = Found<'a>> + 'a {
        self.automaton.find_iter(haystack).map(|m| {
            let (label, form) = self.found[m.pattern().as_usize()];
            Found {
                start: m.start(),
                end: m.end(),
                label: &self.labels[label],
                form,
            }
        })
    }

    /// The longest tail of `bytes` that could be the start of a pattern.
    fn partial_tail(&self, bytes: &[u8]) -> usize {
        self.bytes
            .iter()
            .map(|pattern| {
                (1..pattern.len().min(bytes.len() + 1))
                    .rev()
                    .find(|&n| bytes.ends_with(&pattern[..n]))
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }
}

/// Replaces values in a stream. Bytes that might begin a value are held back until the
/// next read shows whether they do (or the stream ends).
pub struct Masker<'a> {
    patterns: &'a Patterns,
    pending: Vec<u8>,
}

impl<'a> Masker<'a> {
    /// A masker over `patterns`.
    pub fn new(patterns: &'a Patterns) -> Self {
        Masker {
            patterns,
            pending: Vec::new(),
        }
    }

    /// Takes the next read; returns what can be written now.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(self.pending.len());
        let mut last = 0;
        for found in self.patterns.find_iter(&self.pending) {
            out.extend_from_slice(&self.pending[last..found.start]);
            out.extend_from_slice(REDACTED);
            last = found.end;
        }
        let rest = &self.pending[last..];
        let keep = self.patterns.partial_tail(rest);
        out.extend_from_slice(&rest[..rest.len() - keep]);
        self.pending.drain(..self.pending.len() - keep);
        out
    }

    /// The stream ended: what was held back (it did not turn into a value).
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }
}

/// `bytes` with every value replaced, as text: for whole outputs and messages.
pub fn redact(patterns: &Patterns, bytes: &[u8]) -> String {
    let mut masker = Masker::new(patterns);
    let mut out = masker.feed(bytes);
    out.extend(masker.finish());
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(values: &[&str]) -> Patterns {
        Patterns::new(values.iter().map(|v| (format!("label-{v}"), v.as_bytes()))).0
    }

    fn mask_in_chunks(patterns: &Patterns, input: &[u8], size: usize) -> Vec<u8> {
        let mut masker = Masker::new(patterns);
        let mut out = Vec::new();
        for chunk in input.chunks(size) {
            out.extend(masker.feed(chunk));
        }
        out.extend(masker.finish());
        out
    }

    #[test]
    fn values_and_their_encodings_are_masked_however_the_stream_is_split() {
        let p = patterns(&["s3cr3t-value", "p@ss w/rd"]);
        let input = format!(
            "a s3cr3t-value b {} c {} d {} e\n",
            STANDARD.encode("s3cr3t-value"),
            utf8_percent_encode("p@ss w/rd", NON_ALPHANUMERIC),
            URL_SAFE_NO_PAD.encode("p@ss w/rd"),
        );
        let want = "a [REDACTED] b [REDACTED] c [REDACTED] d [REDACTED] e\n";
        for size in 1..input.len() {
            assert_eq!(
                String::from_utf8(mask_in_chunks(&p, input.as_bytes(), size)).unwrap(),
                want,
                "{size}"
            );
        }
    }

    #[test]
    fn a_partial_value_at_the_end_is_released_unchanged() {
        let p = patterns(&["abcdef"]);
        let mut masker = Masker::new(&p);
        assert_eq!(masker.feed(b"xx abc"), b"xx ");
        assert_eq!(masker.finish(), b"abc");
        assert_eq!(mask_in_chunks(&p, b"abcabcdef", 2), b"abc[REDACTED]");
    }

    #[test]
    fn short_values_are_reported_not_masked() {
        let (p, short) = Patterns::new([
            ("A".to_owned(), &b"abc"[..]),
            ("B".to_owned(), &b"abcd"[..]),
        ]);
        assert_eq!(short, ["A"]);
        let found: Vec<_> = p
            .find_iter(b"abc abcd")
            .map(|f| (f.start, f.label, f.form))
            .collect();
        assert_eq!(found, [(4, "B", "plain")]);
    }
}
