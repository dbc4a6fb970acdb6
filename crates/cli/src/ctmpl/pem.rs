//! `pkiCert`'s certificate, key and CA: read back from the file a template wrote (so a
//! restart or reload does not issue a new certificate, consul-template#1259) or taken
//! from an issue response, each as one PEM block with a final newline.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use gotmpl::Value;

/// The PEM blocks of one certificate.
#[derive(Default)]
pub struct Pem {
    cert: Option<String>,
    key: Option<String>,
    ca: Option<String>,
}

impl Pem {
    /// The blocks in a file: a private key, the CA certificate (`CA:TRUE`) and the
    /// certificate; `None` when the file is missing or holds no certificate.
    pub fn from_file(path: &Path) -> Option<Pem> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut pem = Pem::default();
        for block in blocks(&text) {
            if block.starts_with("-----BEGIN") && block.lines().next()?.contains("PRIVATE KEY") {
                pem.key = Some(block);
            } else if let Some(certificate) = parse(&block) {
                if certificate.ca {
                    pem.ca = Some(block);
                } else {
                    pem.cert = Some(block);
                }
            }
        }
        pem.cert.is_some().then_some(pem)
    }

    /// The blocks of a `pki/issue` response's `certificate`, `private_key` and
    /// `issuing_ca`.
    pub fn from_issue(body: &serde_json::Value) -> Pem {
        let block = |name: &str| {
            body.pointer(&format!("/data/{name}"))
                .and_then(serde_json::Value::as_str)
                .and_then(|text| blocks(text).into_iter().next())
        };
        Pem {
            cert: block("certificate"),
            key: block("private_key"),
            ca: block("issuing_ca"),
        }
    }

    /// How long until a new certificate is due (2/3 of this one's validity), or `None`
    /// when it is due already or cannot be read.
    pub fn due_in(&self) -> Option<std::time::Duration> {
        let Certificate { start, end, .. } = self.cert.as_deref().and_then(parse)?;
        let due = start + (end - start) * 2 / 3;
        let now = chrono::Utc::now().timestamp();
        (due > now).then(|| std::time::Duration::from_secs((due - now) as u64))
    }

    /// The template value: `.Cert`, `.Key`, `.CA` (and the same under `.Data`), an
    /// absent one empty.
    pub fn value(&self) -> Value {
        let text = |block: &Option<String>| Value::String(block.as_deref().unwrap_or("").into());
        let fields: BTreeMap<Arc<str>, Value> = [
            ("Cert", text(&self.cert)),
            ("Key", text(&self.key)),
            ("CA", text(&self.ca)),
        ]
        .into_iter()
        .map(|(k, v)| (Arc::<str>::from(k), v))
        .collect();
        let mut outer = fields.clone();
        outer.insert("Data".into(), Value::Map(Arc::new(fields)));
        Value::Map(Arc::new(outer))
    }
}

/// A certificate's validity (`not before`, `not after`, Unix seconds) and whether it is
/// a CA.
struct Certificate {
    start: i64,
    end: i64,
    ca: bool,
}

fn parse(block: &str) -> Option<Certificate> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(block.as_bytes()).ok()?;
    let certificate = pem.parse_x509().ok()?;
    let validity = certificate.validity();
    Some(Certificate {
        start: validity.not_before.timestamp(),
        end: validity.not_after.timestamp(),
        ca: certificate.is_ca(),
    })
}

/// Every `-----BEGIN …-----` … `-----END …-----` block of `text`, each with a final
/// newline (as Go's `pem.EncodeToMemory` writes it).
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let Some(end) = rest[start..].find("-----END ") else {
            break;
        };
        let end = start + end;
        let close = rest[end + 9..].find("-----").map(|i| end + 9 + i + 5);
        let Some(close) = close else {
            break;
        };
        out.push(format!("{}\n", &rest[start..close]));
        rest = &rest[close..];
    }
    out
}
