//! Parser for `curl` transcripts found in support bundles.
//!
//! Understands `curl -ik` (status line + headers + body), `curl -v`
//! (`*`/`>`/`<` trace lines), `curl -sS` (body or a bare `curl: (N) ...`
//! error), progress meters, CRLF line endings and several calls per file
//! separated by shell prompts (`$ curl ...`, `# curl ...`,
//! `[root@master ~]# curl ...`, `user@host:~$ curl ...`).
//!
//! Outcome mapping: exit code 6 → `Dns`, 7 → `Refused` (or `NoRoute` /
//! `Unreachable` / `Timeout` from the message text), 28 → `Timeout`,
//! 35/51/53/54/58/59/60/64/66/77/80/83/90/91 → `Tls`, 52 and 56 with
//! "reset" → `Reset`, 22 → `HttpError`, anything else → `Other`. Without an
//! exit code the outcome is inferred from verbose error text, then from the
//! HTTP status (2xx/3xx → `Ok`, 4xx/5xx → `HttpError`), else `Unknown`.

use regex::Regex;
use std::sync::LazyLock;

/// Maximum number of bytes of response body kept per call.
const BODY_LIMIT: usize = 64 * 1024;

/// How a curl call ended (also the vocabulary of the rules' `probe.outcome`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// HTTP 2xx/3xx response.
    Ok,
    /// HTTP 4xx/5xx response.
    HttpError,
    /// Connect or operation timeout.
    Timeout,
    /// TCP connection refused.
    Refused,
    /// Host name could not be resolved.
    Dns,
    /// TLS handshake or certificate failure.
    Tls,
    /// "No route to host".
    NoRoute,
    /// "Network is unreachable".
    Unreachable,
    /// Connection reset by peer / empty reply.
    Reset,
    /// Some other curl error.
    Other,
    /// Nothing conclusive in the transcript.
    Unknown,
}

/// One curl invocation and what came back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CurlCall {
    /// 1-based line where this call's transcript starts (command line if present).
    pub line: u32,
    /// The command line without its shell prompt, when present.
    pub command: Option<String>,
    /// Target URL: from the command line, else rebuilt from `* Connected to` / `> GET` + `Host`.
    pub url: Option<String>,
    /// `Some(true)` when `* Connected to` was seen, `Some(false)` on a connect error.
    pub connected: Option<bool>,
    /// `"ok"` when TLS was established (or an HTTP response came over https), else the TLS error text.
    pub tls: Option<String>,
    /// Final HTTP status code.
    pub http_status: Option<u16>,
    /// 1-based line of the final HTTP status line.
    pub status_line: Option<u32>,
    /// Response body (bounded to 64 KiB), without trailing blank lines.
    pub body: String,
    /// Exit code from `curl: (N) ...`.
    pub exit_code: Option<u32>,
    /// The curl error message text.
    pub error: Option<String>,
    /// 1-based line of the error message.
    pub error_line: Option<u32>,
    /// Classified result.
    pub outcome: Outcome,
}

fn re(pattern: &str) -> Regex {
    // Patterns are compile-time constants; a failure here is a programming error
    // caught by the unit tests, never by input.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad static regex {pattern}: {e}"))
}

static RICH_PROMPT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:\[[^\]]*\]|[\w.\-]+@[\w.\-]+(?::[^\s#$]*)?)\s?[#$]\s*(.*)$"));
static BARE_PROMPT: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*[#$]\s+(.*)$"));
static CURL_CMD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:sudo\s+(?:-\S+\s+)*)?(?:\S*/)?curl(?:\s|$)|\s--\s+(?:\S*/)?curl\s|^(?:kubectl|oc)\s.*\scurl\s",
    )
});
static KNOWN_CMD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:sudo|kubectl|oc|k|cat|ls|echo|ssh|crictl|docker|journalctl|systemctl|nslookup|dig|ping|nc|telnet|wget|openssl|ip|iptables|nsenter|export|cd|host|traceroute|ss|netstat|exit)(?:\s|$)",
    )
});
static CURL_ERR: LazyLock<Regex> = LazyLock::new(|| re(r"curl: \((\d{1,6})\)\s*(.*?)\s*$"));
static STATUS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(<\s?)?HTTP/(\d(?:\.\d)?)\s+(\d{3})(?:\s|$)"));
static HEADER: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:<\s?)?[A-Za-z0-9][A-Za-z0-9\-]*:\s"));
static TRYING: LazyLock<Regex> = LazyLock::new(|| re(r"^\*\s+Trying\s"));
static CONNECTED: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\*\s+Connected to (\S+)(?: \(([^)]*)\))? port (\d+)"));
static REQUEST: LazyLock<Regex> = LazyLock::new(|| re(r"^>\s?[A-Z]+ (\S+) HTTP/"));
static REQ_HOST: LazyLock<Regex> = LazyLock::new(|| re(r"^>\s?(?i:host):\s*(\S+)"));
static URL: LazyLock<Regex> = LazyLock::new(|| re(r#"(https?://[^\s'"]+)"#));
static PROGRESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*(?:%\s+Total|Dload\s+Upload|\d+\s+\S+\s+\d+\s+\S+\s+\d+\s+\d+\s+\S+\s+\S+\s+[-\d:]+\s+[-\d:]+\s+[-\d:]+)",
    )
});

/// Options that consume the following argument (so it is not the URL).
const ARG_OPTS: &[&str] = &[
    "-H",
    "--header",
    "-X",
    "--request",
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "-o",
    "--output",
    "-u",
    "--user",
    "-m",
    "--max-time",
    "--connect-timeout",
    "--cacert",
    "--cert",
    "--key",
    "-E",
    "--resolve",
    "-A",
    "--user-agent",
    "-w",
    "--write-out",
    "-x",
    "--proxy",
    "--interface",
    "-b",
    "--cookie",
    "-e",
    "--referer",
    "--retry",
    "-T",
    "--upload-file",
];

fn line_no(i: usize) -> u32 {
    u32::try_from(i.saturating_add(1)).unwrap_or(u32::MAX)
}

/// Classify a line as a shell command line. Returns the command text (prompt
/// stripped) and whether it runs curl.
fn command_of(seg: &str) -> Option<(&str, bool)> {
    if let Some(c) = RICH_PROMPT.captures(seg) {
        let cmd = c.get(1).map_or("", |m| m.as_str()).trim();
        return Some((cmd, CURL_CMD.is_match(cmd)));
    }
    if let Some(c) = BARE_PROMPT.captures(seg) {
        let cmd = c.get(1).map_or("", |m| m.as_str()).trim();
        if CURL_CMD.is_match(cmd) {
            return Some((cmd, true));
        }
        if KNOWN_CMD.is_match(cmd) {
            return Some((cmd, false));
        }
        return None;
    }
    let t = seg.trim();
    if (t.starts_with("curl ") || t.starts_with("sudo ")) && CURL_CMD.is_match(t) {
        return Some((t, true));
    }
    None
}

/// Extract the URL from a curl command line.
fn url_from_command(cmd: &str) -> Option<String> {
    if let Some(m) = URL.captures(cmd).and_then(|c| c.get(1)) {
        return Some(m.as_str().to_string());
    }
    let mut seen_curl = false;
    let mut skip = false;
    let mut found = None;
    for tok in cmd.split_whitespace() {
        let tok = tok.trim_matches(|c| c == '\'' || c == '"');
        if !seen_curl {
            seen_curl = tok == "curl" || tok.ends_with("/curl");
            continue;
        }
        if skip {
            skip = false;
            continue;
        }
        if tok.starts_with('-') {
            skip = ARG_OPTS.contains(&tok);
            continue;
        }
        if tok.contains('.') || tok.contains(':') || tok.contains('/') {
            found = Some(tok.to_string());
        }
    }
    found
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Pre,
    Headers { verbose: bool },
    Body,
}

struct Builder {
    call: CurlCall,
    state: State,
    host: Option<String>,
    path: Option<String>,
    connect_host: Option<String>,
    connect_port: Option<String>,
    tls_ok: bool,
    tls_err: Option<String>,
    verbose_err: Option<(String, u32)>,
    trace: bool,
}

impl Builder {
    fn new(line: u32, command: Option<&str>) -> Self {
        Builder {
            call: CurlCall {
                line,
                command: command.map(str::to_string),
                url: command.and_then(url_from_command),
                connected: None,
                tls: None,
                http_status: None,
                status_line: None,
                body: String::new(),
                exit_code: None,
                error: None,
                error_line: None,
                outcome: Outcome::Unknown,
            },
            state: State::Pre,
            host: None,
            path: None,
            connect_host: None,
            connect_port: None,
            tls_ok: false,
            tls_err: None,
            verbose_err: None,
            trace: false,
        }
    }

    fn push_body(&mut self, line: &str) {
        let body = &mut self.call.body;
        if body.len() >= BODY_LIMIT {
            return;
        }
        if body.is_empty() && line.trim().is_empty() {
            return;
        }
        body.push_str(line);
        body.push('\n');
        if body.len() > BODY_LIMIT {
            let mut cut = BODY_LIMIT;
            while cut > 0 && !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
        }
    }

    fn finish(mut self) -> CurlCall {
        let c = &mut self.call;
        while c.body.ends_with('\n') || c.body.ends_with(' ') {
            c.body.pop();
        }
        if c.error.is_none()
            && let Some((e, l)) = self.verbose_err.take()
        {
            c.error = Some(e);
            c.error_line = Some(l);
        }
        if c.url.is_none() {
            let host = self.host.clone().or_else(|| {
                self.connect_host
                    .as_ref()
                    .map(|h| match &self.connect_port {
                        Some(p) => format!("{h}:{p}"),
                        None => h.clone(),
                    })
            });
            if let Some(h) = host {
                let https = self.tls_ok
                    || self.tls_err.is_some()
                    || matches!(
                        self.connect_port.as_deref(),
                        Some("443" | "6443" | "4443" | "10250")
                    );
                let scheme = if https { "https" } else { "http" };
                let path = self.path.clone().unwrap_or_default();
                c.url = Some(format!("{scheme}://{h}{path}"));
            }
        }
        let err = c.error.clone().unwrap_or_default();
        c.outcome = classify(c.exit_code, &err, c.http_status);
        let connect_failure = err.contains("Failed to connect")
            || err.contains("Could not resolve")
            || (err.starts_with("connect to ") && err.contains("failed"))
            || matches!(
                c.outcome,
                Outcome::Dns | Outcome::Refused | Outcome::NoRoute | Outcome::Unreachable
            );
        if c.connected.is_none() && connect_failure {
            c.connected = Some(false);
        }
        let https = c.url.as_deref().is_some_and(|u| u.starts_with("https://"));
        c.tls = if let Some(t) = self.tls_err {
            Some(t)
        } else if c.outcome == Outcome::Tls {
            Some(err)
        } else if self.tls_ok || (https && c.http_status.is_some()) {
            Some("ok".to_string())
        } else {
            None
        };
        self.call
    }
}

fn classify(exit: Option<u32>, err: &str, status: Option<u16>) -> Outcome {
    let lower = err.to_ascii_lowercase();
    if let Some(code) = exit {
        return match code {
            6 => Outcome::Dns,
            7 => {
                if lower.contains("no route to host") {
                    Outcome::NoRoute
                } else if lower.contains("network is unreachable") {
                    Outcome::Unreachable
                } else if lower.contains("timed out") {
                    Outcome::Timeout
                } else {
                    Outcome::Refused
                }
            }
            28 => Outcome::Timeout,
            35 | 51 | 53 | 54 | 58 | 59 | 60 | 64 | 66 | 77 | 80 | 83 | 90 | 91 => Outcome::Tls,
            52 => Outcome::Reset,
            56 if lower.contains("reset") => Outcome::Reset,
            22 => Outcome::HttpError,
            _ => Outcome::Other,
        };
    }
    if !err.is_empty() {
        let by_text = text_outcome(&lower);
        if by_text != Outcome::Unknown {
            return by_text;
        }
    }
    match status {
        Some(200..=399) => Outcome::Ok,
        Some(400..=599) => Outcome::HttpError,
        _ if !err.is_empty() => Outcome::Other,
        _ => Outcome::Unknown,
    }
}

fn text_outcome(lower: &str) -> Outcome {
    if lower.contains("no route to host") {
        Outcome::NoRoute
    } else if lower.contains("network is unreachable") {
        Outcome::Unreachable
    } else if lower.contains("timed out") {
        Outcome::Timeout
    } else if lower.contains("connection refused") {
        Outcome::Refused
    } else if lower.contains("could not resolve host") || lower.contains("resolving timed out") {
        Outcome::Dns
    } else if lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") {
        Outcome::Tls
    } else if lower.contains("connection reset") || lower.contains("empty reply") {
        Outcome::Reset
    } else {
        Outcome::Unknown
    }
}

fn is_verbose_error(rest: &str) -> bool {
    let l = rest.to_ascii_lowercase();
    l.starts_with("failed to connect")
        || (l.starts_with("connect to ") && l.contains("failed"))
        || l.starts_with("could not resolve")
        || l.starts_with("connection timed out")
        || l.starts_with("operation timed out")
        || l.starts_with("resolving timed out")
        || l.starts_with("immediate connect fail")
        || l.starts_with("recv failure")
        || l.starts_with("send failure")
        || l.starts_with("empty reply")
        || l.starts_with("ssl certificate problem")
        || l.contains("ssl_error")
        || l.starts_with("tls connect error")
        || l.starts_with("openssl ssl_")
}

/// True when the text looks like one or more curl transcripts (a `curl ` command line, `curl: (N)` error, `* Trying`/`* Connected to` verbose lines, or an `HTTP/x.y NNN` status line followed by headers).
pub fn looks_like_curl(text: &str) -> bool {
    let mut prev_status = false;
    for raw in text.lines() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let seg = raw.rsplit('\r').next().unwrap_or(raw);
        if prev_status && HEADER.is_match(seg) {
            return true;
        }
        prev_status = STATUS.is_match(seg);
        if CURL_ERR.is_match(raw)
            || TRYING.is_match(seg)
            || CONNECTED.is_match(seg)
            || command_of(seg).is_some_and(|(_, curl)| curl)
        {
            return true;
        }
    }
    false
}

/// Every curl call in the text; a file may hold several (`$ curl ...` / `# curl ...` / `[root@master ~]# curl ...` prompts split them).
pub fn parse_curl(text: &str) -> Vec<CurlCall> {
    let mut out = Vec::new();
    let mut cur: Option<Builder> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let ln = line_no(i);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let seg = raw.rsplit('\r').next().unwrap_or(raw);

        if let Some((cmd, is_curl)) = command_of(seg) {
            if let Some(b) = cur.take() {
                out.push(b.finish());
            }
            if is_curl {
                cur = Some(Builder::new(ln, Some(cmd)));
            }
            continue;
        }

        if let Some(c) = CURL_ERR.captures(raw) {
            if cur.as_ref().is_some_and(|b| b.call.exit_code.is_some())
                && let Some(b) = cur.take()
            {
                out.push(b.finish());
            }
            let b = cur.get_or_insert_with(|| Builder::new(ln, None));
            b.call.exit_code = c.get(1).and_then(|m| m.as_str().parse().ok());
            b.call.error = c.get(2).map(|m| m.as_str().to_string());
            b.call.error_line = Some(ln);
            b.state = State::Body;
            continue;
        }

        if let Some(rest) = seg.strip_prefix('*') {
            let rest = rest.trim();
            let starts_call =
                TRYING.is_match(seg) || CONNECTED.is_match(seg) || is_verbose_error(rest);
            let stale = cur.as_ref().is_some_and(|b| {
                TRYING.is_match(seg) && (b.call.exit_code.is_some() || b.call.http_status.is_some())
            });
            if stale && let Some(b) = cur.take() {
                out.push(b.finish());
            }
            if cur.is_none() && !starts_call {
                continue;
            }
            let b = cur.get_or_insert_with(|| Builder::new(ln, None));
            b.trace = true;
            if let Some(c) = CONNECTED.captures(seg) {
                b.call.connected = Some(true);
                b.connect_host = c.get(1).map(|m| m.as_str().to_string());
                b.connect_port = c.get(3).map(|m| m.as_str().to_string());
            } else if rest.contains("SSL connection using")
                || rest.contains("TLS handshake, Finished")
            {
                b.tls_ok = true;
            } else if is_verbose_error(rest) {
                let l = rest.to_ascii_lowercase();
                if l.contains("ssl") || l.contains("tls") || l.contains("certificate") {
                    b.tls_err.get_or_insert_with(|| rest.to_string());
                }
                if b.verbose_err.is_none() {
                    b.verbose_err = Some((rest.to_string(), ln));
                }
            }
            continue;
        }

        if seg.starts_with('>') {
            let b = cur.get_or_insert_with(|| Builder::new(ln, None));
            b.trace = true;
            if let Some(c) = REQUEST.captures(seg) {
                b.path = c.get(1).map(|m| m.as_str().to_string());
            } else if let Some(c) = REQ_HOST.captures(seg) {
                b.host = c.get(1).map(|m| m.as_str().to_string());
            }
            continue;
        }

        if let Some(c) = STATUS.captures(seg) {
            if cur.as_ref().is_some_and(|b| b.call.exit_code.is_some())
                && let Some(b) = cur.take()
            {
                out.push(b.finish());
            }
            let b = cur.get_or_insert_with(|| Builder::new(ln, None));
            b.call.http_status = c.get(3).and_then(|m| m.as_str().parse().ok());
            b.call.status_line = Some(ln);
            b.call.body.clear();
            b.state = State::Headers {
                verbose: c.get(1).is_some(),
            };
            continue;
        }

        let Some(b) = cur.as_mut() else { continue };
        match b.state {
            State::Headers { verbose: true } => {
                if let Some(h) = seg.strip_prefix('<') {
                    if h.trim().is_empty() {
                        b.state = State::Body;
                    }
                } else if !(seg.starts_with("{ ") || seg.starts_with("} ")) {
                    b.state = State::Body;
                    b.push_body(raw);
                }
            }
            State::Headers { verbose: false } => {
                if seg.trim().is_empty() {
                    b.state = State::Body;
                } else if !HEADER.is_match(seg) {
                    b.state = State::Body;
                    b.push_body(raw);
                }
            }
            State::Pre | State::Body => {
                if PROGRESS.is_match(seg)
                    || (b.trace
                        && (seg.starts_with("{ ") || seg.starts_with("} ") || seg.starts_with('<')))
                {
                    continue;
                }
                if b.state == State::Body || b.call.command.is_some() {
                    b.push_body(raw);
                }
            }
        }
    }
    if let Some(b) = cur.take() {
        out.push(b.finish());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: &str = "$ curl -ik https://10.96.106.114:443/apis/metrics.k8s.io/v1beta1\n\
curl: (28) Failed to connect to 10.96.106.114 port 443 after 129318 ms: Connection timed out\n";

    const OK: &str = "[root@master ~]# curl -ik https://10.96.106.114:443/apis/metrics.k8s.io/v1beta1\n\
HTTP/1.1 200 OK\n\
Audit-Id: 2b4c7d7e-7a3b-4f5f-9a53-0f4a6c9d2f11\n\
Cache-Control: no-cache, private\n\
Content-Type: application/json\n\
Date: Fri, 17 May 2024 10:24:03 GMT\n\
Content-Length: 274\n\
\n\
{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"metrics.k8s.io/v1beta1\",\"resources\":[{\"name\":\"nodes\",\"singularName\":\"\",\"namespaced\":false,\"kind\":\"NodeMetrics\",\"verbs\":[\"get\",\"list\"]}]}\n\
[root@master ~]# \n";

    const FORBIDDEN: &str = "# curl -ik https://10.96.0.1:443/apis/metrics.k8s.io/v1beta1/nodes\r\n\
HTTP/2 403 \r\n\
audit-id: 0d7f1c39-3f0e-4a59-9b35-2b7bd9a1c2f0\r\n\
cache-control: no-cache, private\r\n\
content-type: application/json\r\n\
x-content-type-options: nosniff\r\n\
content-length: 340\r\n\
date: Fri, 17 May 2024 10:24:03 GMT\r\n\
\r\n\
{\r\n\
  \"kind\": \"Status\",\r\n\
  \"apiVersion\": \"v1\",\r\n\
  \"metadata\": {},\r\n\
  \"status\": \"Failure\",\r\n\
  \"message\": \"nodes.metrics.k8s.io is forbidden: User \\\"system:anonymous\\\" cannot list resource \\\"nodes\\\" in API group \\\"metrics.k8s.io\\\" at the cluster scope\",\r\n\
  \"reason\": \"Forbidden\",\r\n\
  \"details\": {\"group\": \"metrics.k8s.io\", \"kind\": \"nodes\"},\r\n\
  \"code\": 403\r\n\
}\r\n";

    const VERBOSE: &str = "*   Trying 10.96.106.114:443...\n\
* Connected to 10.96.106.114 (10.96.106.114) port 443 (#0)\n\
* ALPN: offers h2,http/1.1\n\
* TLSv1.3 (OUT), TLS handshake, Client hello (1):\n\
* TLSv1.3 (IN), TLS handshake, Server hello (2):\n\
* TLSv1.3 (IN), TLS handshake, Finished (20):\n\
* SSL connection using TLSv1.3 / TLS_AES_128_GCM_SHA256\n\
* ALPN: server accepted http/1.1\n\
* Server certificate:\n\
*  subject: CN=metrics-server@1715940000\n\
*  SSL certificate verify result: self-signed certificate (18), continuing anyway.\n\
> GET /apis/metrics.k8s.io/v1beta1 HTTP/1.1\n\
> Host: 10.96.106.114\n\
> User-Agent: curl/7.88.1\n\
> Accept: */*\n\
> \n\
< HTTP/1.1 401 Unauthorized\n\
< Audit-Id: 1e2b3c4d\n\
< Content-Type: application/json\n\
< Date: Fri, 17 May 2024 10:24:03 GMT\n\
< Content-Length: 129\n\
< \n\
{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}\n\
* Connection #0 to host 10.96.106.114 left intact\n";

    const MULTI: &str = "$ curl -sS --max-time 10 https://10.96.106.114/healthz\n\
curl: (28) Connection timed out after 10001 milliseconds\n\
$ curl -sS https://10.96.0.1:443/version\n\
curl: (7) Failed to connect to 10.96.0.1 port 443: Connection refused\n\
root@m1:~# curl -k https://10.0.0.33/livez\n\
curl: (7) Failed to connect to 10.0.0.33 port 443 after 3 ms: No route to host\n\
root@m1:~# curl -k https://10.0.0.34/livez\n\
curl: (7) Failed to connect to 10.0.0.34 port 443 after 1 ms: Network is unreachable\n\
$ curl https://metrics-server.kube-system.svc/livez\n\
curl: (6) Could not resolve host: metrics-server.kube-system.svc\n\
$ curl https://10.0.1.218:4443/livez\n\
curl: (60) SSL certificate problem: self-signed certificate\n\
More details here: https://curl.se/docs/sslcerts.html\n\
$ curl -k https://10.0.1.218:4443/livez\n\
curl: (56) OpenSSL SSL_read: Connection reset by peer, errno 104\n";

    #[test]
    fn timeout_with_command() {
        assert!(looks_like_curl(TIMEOUT));
        let calls = parse_curl(TIMEOUT);
        assert_eq!(calls.len(), 1);
        let c = &calls[0];
        assert_eq!(c.line, 1);
        assert_eq!(
            c.command.as_deref(),
            Some("curl -ik https://10.96.106.114:443/apis/metrics.k8s.io/v1beta1")
        );
        assert_eq!(
            c.url.as_deref(),
            Some("https://10.96.106.114:443/apis/metrics.k8s.io/v1beta1")
        );
        assert_eq!(c.exit_code, Some(28));
        assert_eq!(c.error_line, Some(2));
        assert_eq!(
            c.error.as_deref(),
            Some(
                "Failed to connect to 10.96.106.114 port 443 after 129318 ms: Connection timed out"
            )
        );
        assert_eq!(c.outcome, Outcome::Timeout);
        assert_eq!(c.connected, Some(false));
        assert_eq!(c.tls, None);
        assert_eq!(c.http_status, None);
    }

    #[test]
    fn success_with_headers_and_body() {
        assert!(looks_like_curl(OK));
        let calls = parse_curl(OK);
        assert_eq!(calls.len(), 1);
        let c = &calls[0];
        assert_eq!(c.http_status, Some(200));
        assert_eq!(c.status_line, Some(2));
        assert_eq!(c.outcome, Outcome::Ok);
        assert_eq!(c.tls.as_deref(), Some("ok"));
        assert!(c.body.starts_with("{\"kind\":\"APIResourceList\""));
        assert!(c.body.ends_with("]}"));
        let v: serde_json::Value = serde_json::from_str(&c.body).unwrap_or_default();
        assert_eq!(v["groupVersion"], "metrics.k8s.io/v1beta1");
    }

    #[test]
    fn http2_forbidden_crlf() {
        let calls = parse_curl(FORBIDDEN);
        assert_eq!(calls.len(), 1);
        let c = &calls[0];
        assert_eq!(
            c.command.as_deref(),
            Some("curl -ik https://10.96.0.1:443/apis/metrics.k8s.io/v1beta1/nodes")
        );
        assert_eq!(c.http_status, Some(403));
        assert_eq!(c.outcome, Outcome::HttpError);
        assert!(!c.body.contains('\r'));
        let v: serde_json::Value = serde_json::from_str(&c.body).unwrap_or_default();
        assert_eq!(v["reason"], "Forbidden");
        assert_eq!(v["code"], 403);
    }

    #[test]
    fn verbose_unauthorized() {
        assert!(looks_like_curl(VERBOSE));
        let calls = parse_curl(VERBOSE);
        assert_eq!(calls.len(), 1);
        let c = &calls[0];
        assert_eq!(c.line, 1);
        assert_eq!(c.command, None);
        assert_eq!(
            c.url.as_deref(),
            Some("https://10.96.106.114/apis/metrics.k8s.io/v1beta1")
        );
        assert_eq!(c.connected, Some(true));
        assert_eq!(c.tls.as_deref(), Some("ok"));
        assert_eq!(c.http_status, Some(401));
        assert_eq!(c.status_line, Some(17));
        assert_eq!(c.outcome, Outcome::HttpError);
        assert!(c.body.starts_with("{\"kind\":\"Status\""));
        assert!(!c.body.contains("left intact"));
    }

    #[test]
    fn verbose_connect_timeout_without_exit_line() {
        let t = "*   Trying 10.96.106.114:443...\n\
* connect to 10.96.106.114 port 443 failed: Connection timed out\n\
* Failed to connect to 10.96.106.114 port 443 after 129318 ms: Connection timed out\n\
* Closing connection 0\n";
        let calls = parse_curl(t);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].outcome, Outcome::Timeout);
        assert_eq!(calls[0].connected, Some(false));
        assert_eq!(calls[0].error_line, Some(2));
        assert_eq!(calls[0].url.as_deref(), None);
    }

    #[test]
    fn many_calls_in_one_file() {
        let calls = parse_curl(MULTI);
        let outcomes: Vec<_> = calls.iter().map(|c| c.outcome).collect();
        assert_eq!(
            outcomes,
            vec![
                Outcome::Timeout,
                Outcome::Refused,
                Outcome::NoRoute,
                Outcome::Unreachable,
                Outcome::Dns,
                Outcome::Tls,
                Outcome::Reset
            ]
        );
        assert_eq!(
            calls[0].url.as_deref(),
            Some("https://10.96.106.114/healthz")
        );
        assert_eq!(calls[1].line, 3);
        assert_eq!(calls[1].exit_code, Some(7));
        assert_eq!(
            calls[2].command.as_deref(),
            Some("curl -k https://10.0.0.33/livez")
        );
        assert_eq!(
            calls[5].tls.as_deref(),
            Some("SSL certificate problem: self-signed certificate")
        );
        assert!(calls.iter().all(|c| c.http_status.is_none()));
    }

    #[test]
    fn progress_meter_and_bare_errors() {
        let t = "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n\
                                 Dload  Upload   Total   Spent    Left  Speed\n\
  0     0    0     0    0     0      0      0 --:--:--  0:02:09 --:--:--     0\rcurl: (28) Failed to connect to 10.96.106.114 port 443 after 129318 ms: Connection timed out\n\
curl: (7) Failed to connect to 10.96.0.1 port 443: Connection refused\n";
        assert!(looks_like_curl(t));
        let calls = parse_curl(t);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].outcome, Outcome::Timeout);
        assert_eq!(calls[0].line, 3);
        assert_eq!(calls[1].outcome, Outcome::Refused);
        assert_eq!(calls[1].connected, Some(false));
    }

    #[test]
    fn silent_body_only_and_non_curl() {
        let t = "$ curl -sk https://10.0.1.218:4443/livez\nok\n$ kubectl get apiservice\nNAME   SERVICE\n";
        let calls = parse_curl(t);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].body, "ok");
        assert_eq!(calls[0].outcome, Outcome::Unknown);
        assert!(!looks_like_curl(
            "NAME   READY   STATUS\nfoo    1/1     Running\n"
        ));
        assert!(!looks_like_curl(
            "I0517 10:24:03.143248 1 serving.go:374] Generated self-signed cert\n"
        ));
        assert!(parse_curl("").is_empty());
    }

    #[test]
    fn metrics_body_comments_do_not_split() {
        let t =
            "$ curl -s http://10.0.1.218:8080/metrics\n# HELP up whatever\n# TYPE up gauge\nup 1\n";
        let calls = parse_curl(t);
        assert_eq!(calls.len(), 1);
        assert_eq!(
            calls[0].url.as_deref(),
            Some("http://10.0.1.218:8080/metrics")
        );
        assert!(calls[0].body.contains("up 1"));
    }

    #[test]
    fn url_without_scheme() {
        assert_eq!(
            url_from_command("curl -H 'Authorization: Bearer x' -m 5 10.96.0.1:443/version")
                .as_deref(),
            Some("10.96.0.1:443/version")
        );
    }

    #[test]
    fn truncations_never_panic() {
        let utf = "$ curl -v https://héllo.example/ü\n< HTTP/1.1 500 Ïnternal\n< \nbödy ✓\n";
        for s in [TIMEOUT, OK, FORBIDDEN, VERBOSE, MULTI, utf] {
            for (i, _) in s.char_indices() {
                let t = &s[..i];
                let _ = looks_like_curl(t);
                let _ = parse_curl(t);
                let _ = parse_curl(&s[i..]);
            }
        }
    }

    #[test]
    fn body_is_bounded() {
        let big = format!(
            "HTTP/1.1 200 OK\nContent-Type: text/plain\n\n{}\n",
            "é".repeat(100_000)
        );
        let calls = parse_curl(&big);
        assert_eq!(calls.len(), 1);
        assert!(calls[0].body.len() <= BODY_LIMIT);
    }
}
