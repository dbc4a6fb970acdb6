//! Consul-template templates rendered by `ironsecrets render` and by OpenBao's own
//! `bao agent -exit-after-auth` against one server, compared byte for byte (KV v1 and
//! v2, versions, metadata, ranges, JSON, base64, env, whitespace trimming), and by shape
//! where the server issues something new each time (PKI certificates, database
//! credentials).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{VaultSetup, finished};

/// The deterministic templates: every one must render to the same bytes.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "kv2.ctmpl",
        r#"{{- with secret "secret/app/db" }}
password={{ .Data.data.password }}
version={{ .Data.metadata.version }}
missing={{ .Data.data.missing }}
lease={{ .LeaseDuration }} renewable={{ .Renewable }}
{{- end }}
{{ with secret "secret/app/db?version=1" }}old={{ .Data.data.password }} v{{ .Data.metadata.version }}{{ end }}
{{ with secret "secret/data/app/db" }}explicit={{ .Data.data.password }}{{ end }}
"#,
    ),
    (
        "range.ctmpl",
        r#"{{ with secret "secret/app/config" }}{{ range $k, $v := .Data.data }}{{ $k }}: {{ $v }}
{{ end -}}
json={{ .Data.data | toJSON }}
pretty={{ .Data.data | toJSONPretty }}
unescaped={{ .Data.data | toUnescapedJSON }}
{{ if .Data.data.enabled }}enabled{{ else }}disabled{{ end }}
{{- /* a comment */ -}}
{{ end }}
{{ range secrets "secret/app/" }}key {{ . }}
{{ end }}"#,
    ),
    (
        "helpers.ctmpl",
        "b64={{ base64Encode \"h\u{e9}<llo>\" }} {{ base64Decode \"aGk=\" }} \
         {{ base64URLEncode \"??>>\" }} {{ base64URLDecode \"Pz8-Pg==\" }}\n\
         env={{ env \"CT_TEST_VAR\" }}|{{ env \"CT_UNSET_VAR\" }}|{{ envOrDefault \"CT_UNSET_VAR\" \"dflt\" }}\n\
         {{ \"  padded  \" | trimSpace | toUpper }} {{ join \"+\" (split \",\" \"a,b,c\") }}\r\n\
         \t{{- \"trimmed\" -}}\t\n",
    ),
    (
        "kv1.ctmpl",
        "{{ with secret \"KV1/app\" }}user={{ .Data.user }} lease={{ .LeaseDuration }} \
         renewable={{ .Renewable }} data={{ .Data }}{{ end }}\n",
    ),
];

/// A template issuing something new on every render: compared by shape.
const ISSUING: &[(&str, &str)] = &[
    (
        "issue.ctmpl",
        "{{ with secret \"pki/issue/web\" \"common_name=a.example.com\" \"ttl=1h\" }}\
         {{ .Data.certificate }}\n{{ .Data.issuing_ca }}\n{{ end }}",
    ),
    (
        "pki_cert.ctmpl",
        "{{ with pkiCert \"pki/issue/web\" \"common_name=b.example.com\" \"ttl=1h\" }}\
         {{ .Cert }}{{ .CA }}{{ .Key }}{{ end }}",
    ),
    (
        "db.ctmpl",
        "{{ with secret \"database/creds/app\" }}{{ .Data.username }} {{ .Data.password }} \
         {{ .LeaseDuration }} {{ .Renewable }}{{ end }}",
    ),
];

struct Parity {
    vault: VaultSetup,
    kv1: String,
    /// The setup's config file (its [stores]).
    base: String,
}

impl Parity {
    fn start() -> Parity {
        let vault = VaultSetup::start();
        let bao = &vault.bao;
        bao.run(&[
            "kv",
            "put",
            "secret/app/config",
            "enabled=true",
            "html=<a&b>",
            "port=5432",
        ]);
        let kv1 = bao.enable_kv(1);
        bao.run(&["write", &format!("{kv1}/app"), "user=kv1-user"]);
        bao.run(&["secrets", "enable", "pki"]);
        bao.run(&["secrets", "tune", "-max-lease-ttl=87600h", "pki"]);
        bao.run(&[
            "write",
            "pki/root/generate/internal",
            "common_name=example.com",
            "ttl=87600h",
        ]);
        bao.run(&[
            "write",
            "pki/roles/web",
            "allowed_domains=example.com",
            "allow_subdomains=true",
            "max_ttl=72h",
        ]);
        let base = std::fs::read_to_string(vault.dir.path().join("ironsecrets.toml")).unwrap();
        Parity { vault, kv1, base }
    }

    fn dir(&self) -> &Path {
        self.vault.dir.path()
    }

    /// Writes the templates (KV1 replaced by the v1 mount) under `name/`.
    fn write(&self, templates: &[(&str, &str)]) {
        for (name, text) in templates {
            std::fs::write(self.dir().join(name), text.replace("KV1", &self.kv1)).unwrap();
        }
    }

    /// `bao agent -exit-after-auth` rendering `templates` into `bao/`.
    fn bao_agent(&self, templates: &[(&str, &str)]) -> PathBuf {
        let out = self.dir().join("bao");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(self.dir().join("token"), self.vault.bao.root_token()).unwrap();
        let mut config = format!(
            "vault {{\n  address = \"{}\"\n  retry {{\n    num_retries = -1\n  }}\n}}\n\
             auto_auth {{\n  method \"token_file\" {{\n    config = {{\n      token_file_path = \"{}\"\n    }}\n  }}\n}}\n\
             template_config {{\n  exit_on_retry_failure = true\n}}\n",
            self.vault.bao.addr(),
            self.dir().join("token").display()
        );
        for (name, _) in templates {
            config.push_str(&format!(
                "template {{\n  source = \"{}\"\n  destination = \"{}\"\n}}\n",
                self.dir().join(name).display(),
                out.join(name).display()
            ));
        }
        let hcl = self.dir().join("agent.hcl");
        std::fs::write(&hcl, config).unwrap();
        let mut command = self.vault.bao.command();
        command
            .args([
                "agent",
                &format!("-config={}", hcl.display()),
                "-exit-after-auth",
            ])
            .env("CT_TEST_VAR", "from-env")
            .env_remove("CT_UNSET_VAR");
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(start.elapsed() < Duration::from_secs(60), "bao agent hangs");
            std::thread::sleep(Duration::from_millis(100));
        }
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "bao agent failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        out
    }

    /// A config file rendering each named template into `ours/<name>`, with `extra`
    /// lines in each [[template]]; `render`'s output.
    fn render_with(&self, names: &[&str], extra: &str) -> std::process::Output {
        std::fs::create_dir_all(self.dir().join("ours")).unwrap();
        let mut config = format!("default_store = \"vault\"\n{}", self.base);
        for name in names {
            config.push_str(&format!(
                "[[template]]\nsource = \"{name}\"\ndestination = \"ours/{name}\"\n{extra}"
            ));
        }
        std::fs::write(self.dir().join("ironsecrets.toml"), config).unwrap();
        self.vault
            .command(&["render"])
            .env("CT_TEST_VAR", "from-env")
            .output()
            .unwrap()
    }

    /// `ironsecrets render` of `templates` into `ours/`.
    fn render(&self, templates: &[(&str, &str)]) -> PathBuf {
        let names: Vec<&str> = templates.iter().map(|(name, _)| *name).collect();
        finished(self.render_with(&names, ""), 0);
        self.dir().join("ours")
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn render_writes_what_bao_agent_writes() {
    let parity = Parity::start();
    parity.write(TEMPLATES);
    let (theirs, ours) = (parity.bao_agent(TEMPLATES), parity.render(TEMPLATES));
    for (name, _) in TEMPLATES {
        let (expected, got) = (read(&theirs, name), read(&ours, name));
        assert_eq!(got, expected, "{name} differs from bao agent's");
    }
    // What the comparison covers, so an empty output on both sides cannot pass.
    let kv2 = read(&ours, "kv2.ctmpl");
    assert!(
        kv2.contains("password=v2-pass\nversion=2\nmissing=<no value>")
            && kv2.contains("old=v1-pass v1"),
        "{kv2}"
    );
    let range = read(&ours, "range.ctmpl");
    assert!(
        range.contains("html: <a&b>\n")
            && range
                .contains(r#"json={"enabled":"true","html":"\u003ca\u0026b\u003e","port":"5432"}"#)
            && range.contains("key config\nkey db\n"),
        "{range}"
    );
    assert!(read(&ours, "helpers.ctmpl").contains("env=from-env||dflt"));
    assert!(read(&ours, "kv1.ctmpl").starts_with("user=kv1-user lease=2764800 renewable=false"));
}

#[test]
fn issued_certificates_and_credentials_have_bao_agents_shape() {
    let parity = Parity::start();
    parity.write(ISSUING);
    let (theirs, ours) = (parity.bao_agent(ISSUING), parity.render(ISSUING));
    for name in ["issue.ctmpl", "pki_cert.ctmpl"] {
        let (expected, got) = (read(&theirs, name), read(&ours, name));
        assert_eq!(
            got.matches("-----BEGIN ").count(),
            expected.matches("-----BEGIN ").count(),
            "{name}: {got}"
        );
        assert_eq!(got.ends_with('\n'), expected.ends_with('\n'), "{name}");
        // The same CA issued both: its block is byte for byte the same.
        let ca = |text: &str| {
            let start = text.find("-----BEGIN CERTIFICATE-----").unwrap();
            let rest = &text[start + 1..];
            let second = rest.find("-----BEGIN CERTIFICATE-----").unwrap() + start + 1;
            let end = text[second..].find("-----END CERTIFICATE-----").unwrap() + second;
            text[second..end].to_owned()
        };
        assert_eq!(ca(&got), ca(&expected), "{name}: the CA block");
    }
    let (expected, got) = (read(&theirs, "db.ctmpl"), read(&ours, "db.ctmpl"));
    let shape = |text: &str| {
        let fields: Vec<&str> = text.split(' ').collect();
        (fields.len(), fields[2].to_owned(), fields[3].to_owned())
    };
    assert_eq!(shape(&got), shape(&expected));
    assert_eq!(shape(&got), (4, "3600".to_owned(), "true".to_owned()));

    // pkiCert keeps the certificate in its file: a second render issues nothing new.
    let before = read(&ours, "pki_cert.ctmpl");
    parity.render(ISSUING);
    assert_eq!(read(&ours, "pki_cert.ctmpl"), before);
    assert_ne!(
        read(&ours, "issue.ctmpl"),
        "",
        "secret on pki/issue issues each time"
    );
}

#[test]
fn consul_template_errors_name_the_template_and_write_nothing() {
    let parity = Parity::start();
    let cases: &[(&str, &str, &str)] = &[
        (
            "syntax.ctmpl",
            "{{ with secret \"secret/app/db\" }}",
            "syntax.ctmpl",
        ),
        (
            "missing.ctmpl",
            "{{ with secret \"secret/app/nope\" }}{{ .Data }}{{ end }}",
            "no secret exists at secret/data/app/nope",
        ),
        (
            "pair.ctmpl",
            "{{ secret \"pki/issue/web\" \"common_name\" }}",
            "argument 2 is not a key=value pair",
        ),
        ("func.ctmpl", "{{ plugin \"x\" }}", "plugin"),
    ];
    for (name, text, says) in cases {
        parity.write(&[(name, text)]);
        let out = parity.dir().join("ours").join(name);
        let output = parity.render_with(&[name], "");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says) && stderr.lines().count() <= 2,
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("v2-pass"), "{stderr}");
        assert!(!out.exists(), "{name}: nothing written");
    }
    // error_on_missing_key: a missing key is an error instead of <no value>.
    let strict = "{{ with secret \"secret/app/db\" }}{{ .Data.data.nope }}{{ end }}";
    parity.write(&[("strict.ctmpl", strict)]);
    let output = parity.render_with(&["strict.ctmpl"], "error_on_missing_key = true\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("map has no entry for key") && stderr.contains("nope"),
        "{stderr}"
    );
}

#[test]
fn the_agent_keeps_consul_templates_current_without_issuing_again() {
    let parity = Parity::start();
    let engine =
        ironsecrets_testkit::services::database::DatabaseEngine::at(&parity.vault.bao, "database");
    engine.dynamic_role(
        "short",
        "pg",
        &[ironsecrets_testkit::services::database::POSTGRES_CREATION],
        &[],
        // Late enough a rotation for the checks before it on a loaded machine.
        Duration::from_secs(6),
        Duration::from_secs(18),
    );
    parity.write(&[
        (
            "db.ctmpl",
            "{{ with secret \"database/creds/short\" }}{{ .Data.username }} {{ .Data.password }}{{ end }}\n\
             {{ with secret \"secret/app/db\" }}{{ .Data.data.password }}{{ end }}\n",
        ),
        (
            "cert.ctmpl",
            "{{ with pkiCert \"pki/issue/web\" \"common_name=c.example.com\" \"ttl=1h\" }}{{ .Cert }}{{ .Key }}{{ end }}",
        ),
    ]);
    std::fs::create_dir_all(parity.dir().join("ours")).unwrap();
    let config = format!(
        "default_store = \"vault\"\n{}[agent]\npoll_interval = \"300ms\"\n\
         [[template]]\nsource = \"db.ctmpl\"\ndestination = \"ours/db\"\n\
         [[template]]\nsource = \"cert.ctmpl\"\ndestination = \"ours/cert\"\n",
        parity.base
    );
    std::fs::write(parity.dir().join("ironsecrets.toml"), config).unwrap();
    let db = |dir: &Path| {
        let text = std::fs::read_to_string(dir.join("ours/db")).unwrap_or_default();
        let mut lines = text.lines().map(str::to_owned);
        let creds = lines.next().unwrap_or_default();
        (creds, lines.next().unwrap_or_default())
    };
    let dir = parity.dir().to_path_buf();
    let mut agent = crate::agent::Agent::spawn(parity.vault.command(&["agent"]), &dir);
    let secs = Duration::from_secs;
    agent.wait_for("a first render", secs(20), |_| {
        dir.join("ours/cert").exists() && !db(&dir).0.is_empty()
    });
    let (first, kv) = db(&dir);
    assert_eq!(kv, "v2-pass");
    assert_eq!(parity.vault.leases("short"), 1);
    let cert = read(&dir, "ours/cert");

    // A reload renders with the kept values: no new credential, no new certificate.
    agent.signal("HUP");
    agent.wait_for("the reload", secs(10), |a| {
        a.stderr().contains("reloaded the config")
    });
    assert_eq!(
        (db(&dir).0, parity.vault.leases("short")),
        (first.clone(), 1)
    );

    // A new KV version is polled in; the credential line stays.
    parity
        .vault
        .bao
        .run(&["kv", "put", "secret/app/db", "password=v3-pass"]);
    agent.wait_for("the new version", secs(10), |_| db(&dir).1 == "v3-pass");
    assert_eq!(db(&dir).0, first);

    // At the max ttl the lease manager issues a new credential: re-rendered.
    agent.wait_for("a new credential", secs(60), |_| db(&dir).0 != first);
    let (user, pass) = db(&dir)
        .0
        .split_once(' ')
        .map(|(u, p)| (u.to_owned(), p.to_owned()))
        .unwrap();
    parity
        .vault
        .pg
        .try_psql_as(&user, &pass, "postgres", "select 1")
        .expect("the new credential logs in");
    let stderr = agent.stderr();
    assert!(agent.stop().success());
    assert!(
        stderr.contains("secret \"database/creds/short\" changed"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&pass) && !stderr.contains("v3-pass"),
        "{stderr}"
    );

    // A restart finds the certificate in its file and keeps it.
    let output = parity.vault.command(&["agent", "--once"]).output().unwrap();
    finished(output, 0);
    assert_eq!(
        read(&dir, "ours/cert"),
        cert,
        "pkiCert issued nothing on restart"
    );
}
