//! The check Go's parser makes and gotmpl 0.6 does not: every `if`, `range`, `with`,
//! `define` and `block` has its `{{ end }}`, and no `{{ end }}` closes nothing.

use ironsecrets::{Error, Result};

/// Fails, as Go's `text/template` does, on an unclosed block or a stray `end`.
pub fn check_blocks(name: &str, text: &str) -> Result<()> {
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        let action = &rest[start + 2..];
        let end = action_end(action).unwrap_or(action.len());
        let line = 1 + text[..offset + start].matches('\n').count();
        let body = action[..end].trim_start_matches('-').trim_start();
        if !body.starts_with("/*") {
            let word: String = body
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            match word.as_str() {
                "if" | "range" | "with" | "define" | "block" => open.push((word, line)),
                "end" if open.pop().is_none() => {
                    return Err(Error::invalid_input(format!(
                        "{name}: template: {name}:{line}: unexpected {{{{end}}}}"
                    )));
                }
                _ => {}
            }
        }
        let consumed = start + 2 + (end + 2).min(action.len());
        offset += consumed;
        rest = &rest[consumed..];
    }
    match open.last() {
        Some((keyword, line)) => Err(Error::invalid_input(format!(
            "{name}: template: {name}:{line}: unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"
        ))),
        None => Ok(()),
    }
}

/// Where the action's `}}` is, skipping strings, raw strings and character literals.
fn action_end(action: &str) -> Option<usize> {
    let bytes = action.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unclosed_and_stray_blocks() {
        for ok in [
            "{{ with secret \"a\" }}{{ .Data }}{{ else }}x{{ end }}",
            "{{- if 1 -}}{{ else if 2 }}{{ else with 3 }}{{- end -}}",
            "{{ \"}}{{ end }}\" }}{{/* {{ if */}}",
            "{{ range $k, $v := .x }}{{ if $v }}{{ end }}{{ end }}",
        ] {
            check_blocks("t", ok).unwrap();
        }
        for (bad, says) in [
            (
                "{{ with secret \"a\" }}",
                "t:1: unexpected EOF: {{with}} has no {{end}}",
            ),
            ("a\n{{ end }}", "t:2: unexpected {{end}}"),
            ("{{ if 1 }}{{ end }}{{ end }}", "unexpected {{end}}"),
        ] {
            let err = check_blocks("t", bad).unwrap_err();
            assert!(err.message().contains(says), "{err}");
        }
    }
}
