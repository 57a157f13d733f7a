//! Redaction of secrets in text quoted from a bundle: bearer tokens,
//! `Authorization` headers, passwords and tokens in `key: value`, `key=value`
//! and JSON forms, kubeconfig credential data, and PEM private keys and
//! certificates. Each secret is replaced by a marker saying what was removed;
//! line structure is kept, so evidence line numbers stay true.

use std::sync::LazyLock;

use regex::Regex;

struct Pattern {
    regex: Regex,
    replacement: &'static str,
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let p = |re: &str, replacement: &'static str| Pattern {
        regex: Regex::new(re).expect("static redaction regex"),
        replacement,
    };
    vec![
        // Authorization headers first, so the bearer rule does not leave the scheme behind.
        p(
            r"(?i)(authorization\s*[:=]\s*)(?:bearer|basic|token)?\s*[A-Za-z0-9._~+/=\-]{8,}",
            "${1}***REDACTED authorization***",
        ),
        p(
            r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}",
            "${1}***REDACTED token***",
        ),
        p(
            r#"(?i)("?(?:client-key-data|client-certificate-data|certificate-authority-data|token|id-token|refresh-token|access[_-]?token|secret|password|passwd|api[_-]?key)"?\s*[:=]\s*"?)[^\s",}]{4,}"#,
            "${1}***REDACTED***",
        ),
        p(
            r"(--(?:token|password|client-secret|kubelet-client-key-data)[= ])\S+",
            "${1}***REDACTED***",
        ),
        p(
            r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
            "***REDACTED jwt***",
        ),
        // An env var whose name says secret, with its value on the next line (YAML or JSON).
        p(
            r#"(?i)("?name"?\s*:\s*"?[\w.-]*(?:password|passwd|secret|token|api_?key|credentials?)[\w.-]*"?,?[ \t]*\r?\n[ \t]*"?value"?\s*:\s*"?)[^"\r\n,}]+"#,
            "${1}***REDACTED***",
        ),
    ]
});

static PEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)(-----BEGIN ([A-Z0-9 ]*(?:PRIVATE KEY|CERTIFICATE))-----)(.*?)(-----END [A-Z0-9 ]*-----)")
        .expect("static pem regex")
});

/// Returns `text` with secrets replaced by markers; the number of lines is unchanged.
pub fn redact(text: &str) -> String {
    let mut out = PEM
        .replace_all(text, |caps: &regex::Captures<'_>| {
            let body = caps.get(3).map_or("", |m| m.as_str());
            // Keep every line break of the body so later line numbers stay true.
            let breaks = body.matches('\n').count();
            let gap = if breaks == 0 {
                " ".to_string()
            } else {
                "\n".repeat(breaks)
            };
            format!(
                "{} ***REDACTED {}***{gap}{}",
                &caps[1],
                caps[2].to_ascii_lowercase(),
                &caps[4]
            )
        })
        .into_owned();
    for p in PATTERNS.iter() {
        if p.regex.is_match(&out) {
            out = p.regex.replace_all(&out, p.replacement).into_owned();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn removes_tokens_and_keeps_lines() {
        let text = "curl -H \"Authorization: Bearer abcdefghijklmnop\" https://x\npassword: hunter22\n  token: eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJlc2lnbmF0dXJl\n";
        let out = redact(text);
        assert!(!out.contains("abcdefghijklmnop"), "{out}");
        assert!(!out.contains("hunter22"), "{out}");
        assert!(!out.contains("eyJhbGci"), "{out}");
        assert!(out.contains("REDACTED"));
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn removes_pem_bodies_and_keeps_lines() {
        let text =
            "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKC\n-----END RSA PRIVATE KEY-----\nb";
        let out = redact(text);
        assert!(!out.contains("MIIEow"), "{out}");
        assert_eq!(out.lines().count(), text.lines().count(), "{out}");
        assert!(out.contains("REDACTED rsa private key"));
    }

    #[test]
    fn removes_secret_env_values_on_the_next_line() {
        let yaml = "      - name: DB_PASSWORD\n        value: hunter22\n      - name: LOG_LEVEL\n        value: debug\n";
        let out = redact(yaml);
        assert!(!out.contains("hunter22"), "{out}");
        assert!(out.contains("value: debug"), "{out}");
        let json = "{\"name\": \"API_TOKEN\",\n \"value\": \"s3cr3t-v4lue\"}";
        assert!(!redact(json).contains("s3cr3t-v4lue"));
        assert_eq!(out.lines().count(), yaml.lines().count());
    }

    #[test]
    fn leaves_ordinary_evidence_alone() {
        let line = r#"E0511 21:57:06.607078 1 scraper.go:140] "Failed to scrape node" err="Get \"https://192.168.203.181:10250/metrics/resource\": x509: cannot validate certificate" node="n1""#;
        assert_eq!(redact(line), line);
    }
}
