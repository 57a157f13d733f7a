//! Parser for a single container log line.
//!
//! Recognised shapes, tried in order after stripping an optional RFC 3339
//! prefix (`kubectl logs --timestamps`, must-gather) or a CRI prefix
//! (`<rfc3339> stdout|stderr F|P <line>`):
//! 1. JSON objects (klog JSON, zap, logrus JSON): level from
//!    `level`/`lvl`/`severity`/`L` (words or bunyan numbers), else klog-JSON
//!    rules (`v` present → Info, `v` > 0 → Debug, `err` without `v` → Error);
//!    time from `ts` (epoch seconds, or milliseconds when > 1e11, rendered as
//!    RFC 3339 UTC) or `time`/`timestamp`/`@timestamp`/`T` as written;
//!    message from `msg`/`message`/`M`; source from `caller`/`source`/`logger`;
//!    other keys go to `kv` (non-string values as compact JSON).
//! 2. klog text (`E0517 10:24:03.143248 1 file.go:139] ...`): structured
//!    (`"msg" k="v" k2=bare`, Go escapes decoded) or plain printf message.
//! 3. logfmt (`time=... level=error msg="..." k=v`, logrus text / go-kit).
//! 4. zap console (`<ts>\tERROR\tlogger\tmessage\t{"k":"v"}`).
//! 5. `panic: ...` / `fatal error: ...` → Fatal; `Error: ...`/`error: ...` →
//!    Error; anything else → level `None`, message = the line.
//!
//! `time` for klog is `"MMDD HH:MM:SS.micros"` unless a prefix timestamp
//! exists, in which case the prefix is used as written.

use regex::Regex;
use std::sync::LazyLock;

/// Log severity, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Debug / trace / verbose.
    Debug,
    /// Informational.
    Info,
    /// Warning.
    Warning,
    /// Error.
    Error,
    /// Fatal / panic.
    Fatal,
}

/// One parsed log line.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogLine {
    /// Severity when known.
    pub level: Option<Level>,
    /// Timestamp text (see module doc for the formats).
    pub time: Option<String>,
    /// Source location or logger (`scraper.go:139`).
    pub source: Option<String>,
    /// Human message (the whole line when unstructured).
    pub message: String,
    /// Structured key/value pairs in order of appearance.
    pub kv: Vec<(String, String)>,
}

fn re(pattern: &str) -> Regex {
    // Compile-time constant patterns; exercised by the unit tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad static regex {pattern}: {e}"))
}

static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)(?:\s+(?:stdout|stderr)\s+[FP])?(?:\s+|$)",
    )
});
static KLOG: LazyLock<Regex> =
    LazyLock::new(|| re(r"^([IWEF])(\d{4}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s+\d+\s+([^\s\]]+)\] ?"));
static ZAP_LEVEL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?i:(debug|info|warn|warning|error|dpanic|panic|fatal))\t"));

/// Map a textual level to `Level`.
fn level_word(w: &str) -> Option<Level> {
    let w = w.trim().to_ascii_lowercase();
    Some(match w.as_str() {
        "trace" | "debug" | "dbg" | "verbose" | "d" => Level::Debug,
        "info" | "information" | "notice" | "inf" | "i" => Level::Info,
        "warn" | "warning" | "wrn" | "w" => Level::Warning,
        "error" | "err" | "eror" | "e" => Level::Error,
        "fatal" | "panic" | "dpanic" | "critical" | "crit" | "emergency" | "alert" | "f" => {
            Level::Fatal
        }
        _ => return None,
    })
}

/// Bunyan/pino numeric levels.
fn level_number(n: f64) -> Option<Level> {
    Some(match n as i64 {
        10..=29 => Level::Debug,
        30..=39 => Level::Info,
        40..=49 => Level::Warning,
        50..=59 => Level::Error,
        60..=69 => Level::Fatal,
        _ => return None,
    })
}

/// A log time in sortable RFC 3339 form: klog's year-less `MMDD hh:mm:ss.ffffff`
/// becomes `YYYY-MM-DDThh:mm:ss.ffffff` with the given year; other times are kept.
pub fn sortable_time(time: &str, year: &str) -> String {
    let bytes = time.as_bytes();
    let klog = bytes.len() > 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b' ';
    match (klog, time.get(..2), time.get(2..4), time.get(5..)) {
        (true, Some(mm), Some(dd), Some(rest)) => format!("{year}-{mm}-{dd}T{rest}"),
        _ => time.to_string(),
    }
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Epoch seconds (or milliseconds when > 1e11) → RFC 3339 UTC.
pub fn epoch_to_rfc3339(ts: f64) -> Option<String> {
    if !ts.is_finite() || ts < 0.0 {
        return None;
    }
    let secs_f = if ts > 1e11 { ts / 1000.0 } else { ts };
    if secs_f >= 253_402_300_800.0 {
        return None; // beyond year 9999
    }
    let micros_total = (secs_f * 1_000_000.0).round() as i64;
    let secs = micros_total.div_euclid(1_000_000);
    let micros = micros_total.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    let frac = if micros == 0 {
        String::new()
    } else if micros % 1000 == 0 {
        format!(".{:03}", micros / 1000)
    } else {
        format!(".{micros:06}")
    };
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{frac}Z"
    ))
}

/// Decode a Go-quoted string starting at `s` (which must begin with `"`).
/// Returns the decoded text and the remainder after the closing quote.
fn go_unquote(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let rest = body.get(i + 1..).unwrap_or("");
                return Some((String::from_utf8_lossy(&out).into_owned(), rest));
            }
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                let simple = match e {
                    'n' => Some(b'\n'),
                    't' => Some(b'\t'),
                    'r' => Some(b'\r'),
                    'a' => Some(7),
                    'b' => Some(8),
                    'f' => Some(12),
                    'v' => Some(11),
                    '\\' => Some(b'\\'),
                    '"' => Some(b'"'),
                    '\'' => Some(b'\''),
                    _ => None,
                };
                if let Some(b) = simple {
                    out.push(b);
                    continue;
                }
                let width = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    '0'..='7' => 2,
                    _ => {
                        let mut buf = [0u8; 4];
                        out.push(b'\\');
                        out.extend_from_slice(e.encode_utf8(&mut buf).as_bytes());
                        continue;
                    }
                };
                let radix = if e.is_ascii_digit() { 8 } else { 16 };
                let mut digits = String::new();
                if e.is_ascii_digit() {
                    digits.push(e);
                }
                for _ in 0..width {
                    match chars.clone().next() {
                        Some((_, d)) if d.is_digit(radix) => {
                            digits.push(d);
                            chars.next();
                        }
                        _ => break,
                    }
                }
                let v = u32::from_str_radix(&digits, radix).unwrap_or(0xFFFD);
                if e == 'x' || e.is_ascii_digit() {
                    out.push(u8::try_from(v).unwrap_or(b'?'));
                } else {
                    let ch = char::from_u32(v).unwrap_or('\u{FFFD}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            _ => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    // Unterminated: return what we have.
    Some((String::from_utf8_lossy(&out).into_owned(), ""))
}

/// Parse `key=value` pairs (values Go-quoted or bare) from `s`.
/// Stops at the first token that is not a pair; returns the pairs and the
/// unparsed remainder.
fn parse_pairs(mut s: &str) -> (Vec<(String, String)>, &str) {
    let mut kv = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            break;
        }
        let key_len = s
            .char_indices()
            .find(|&(_, c)| {
                !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | '@'))
            })
            .map_or(s.len(), |(i, _)| i);
        if key_len == 0 {
            break;
        }
        let (key, after) = s.split_at(key_len);
        let Some(val) = after.strip_prefix('=') else {
            break;
        };
        let (value, rest) = if val.starts_with('"') {
            go_unquote(val).unwrap_or_default()
        } else {
            let end = val.find(char::is_whitespace).unwrap_or(val.len());
            let (v, r) = val.split_at(end);
            (v.to_string(), r)
        };
        kv.push((key.to_string(), value));
        s = rest;
    }
    (kv, s)
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_json(
    obj: serde_json::Map<String, serde_json::Value>,
    prefix_time: Option<&str>,
) -> LogLine {
    let mut level = None;
    let mut time = prefix_time.map(str::to_string);
    let mut message = None;
    let mut source = None;
    let mut kv = Vec::new();
    let mut v_level = None;
    let mut has_err = false;
    for (k, v) in obj {
        match k.as_str() {
            "level" | "lvl" | "severity" | "L" | "loglevel" | "log.level" if level.is_none() => {
                level = match &v {
                    serde_json::Value::String(s) => level_word(s),
                    serde_json::Value::Number(n) => n.as_f64().and_then(level_number),
                    _ => None,
                };
            }
            "ts" | "time" | "timestamp" | "@timestamp" | "T" | "t" if time.is_none() => {
                time = match &v {
                    serde_json::Value::Number(n) => n.as_f64().and_then(epoch_to_rfc3339),
                    serde_json::Value::String(s) => Some(s.clone()),
                    _ => None,
                };
            }
            "ts" | "time" | "timestamp" | "@timestamp" | "T" | "t" => {}
            "msg" | "message" | "M" if message.is_none() => message = Some(json_text(&v)),
            "caller" | "source" | "logger" | "C" | "N" if source.is_none() => {
                source = Some(json_text(&v));
            }
            "v" => {
                v_level = v.as_f64();
                kv.push((k, json_text(&v)));
            }
            _ => {
                if k == "err" || k == "error" {
                    has_err = true;
                }
                kv.push((k, json_text(&v)));
            }
        }
    }
    if level.is_none() {
        level = match v_level {
            Some(v) if v > 0.0 => Some(Level::Debug),
            Some(_) => Some(Level::Info),
            None if has_err => Some(Level::Error),
            None => None,
        };
    }
    LogLine {
        level,
        time,
        source,
        message: message.unwrap_or_default(),
        kv,
    }
}

fn parse_klog(rest: &str, prefix_time: Option<&str>) -> Option<LogLine> {
    let c = KLOG.captures(rest)?;
    let whole = c.get(0)?;
    let level = level_word(c.get(1)?.as_str());
    let time = match prefix_time {
        Some(t) => t.to_string(),
        None => format!("{} {}", c.get(2)?.as_str(), c.get(3)?.as_str()),
    };
    let source = c.get(4).map(|m| m.as_str().to_string());
    let body = rest.get(whole.end()..).unwrap_or("");
    let (message, kv) = if body.starts_with('"') {
        match go_unquote(body) {
            Some((msg, after)) => {
                let (kv, leftover) = parse_pairs(after);
                if leftover.trim().is_empty() {
                    (msg, kv)
                } else {
                    (body.to_string(), Vec::new())
                }
            }
            None => (body.to_string(), Vec::new()),
        }
    } else {
        (body.to_string(), Vec::new())
    };
    Some(LogLine {
        level,
        time: Some(time),
        source,
        message,
        kv,
    })
}

fn parse_logfmt(rest: &str, prefix_time: Option<&str>) -> Option<LogLine> {
    let (pairs, leftover) = parse_pairs(rest);
    let recognised = pairs
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "level" | "lvl" | "msg" | "time" | "ts"))
        .count();
    if pairs.len() < 2 || recognised < 1 || !leftover.trim().is_empty() {
        return None;
    }
    let mut line = LogLine {
        level: None,
        time: prefix_time.map(str::to_string),
        source: None,
        message: String::new(),
        kv: Vec::new(),
    };
    let mut got_msg = false;
    for (k, v) in pairs {
        match k.as_str() {
            "level" | "lvl" if line.level.is_none() => line.level = level_word(&v),
            "time" | "ts" | "t" if line.time.is_none() => line.time = Some(v),
            "msg" | "message" if !got_msg => {
                line.message = v;
                got_msg = true;
            }
            "caller" | "source" | "logger" if line.source.is_none() => line.source = Some(v),
            _ => line.kv.push((k, v)),
        }
    }
    Some(line)
}

fn parse_zap_console(rest: &str, prefix_time: Option<&str>) -> Option<LogLine> {
    let c = ZAP_LEVEL.captures(rest)?;
    let level = level_word(c.get(1)?.as_str());
    let fields: Vec<&str> = rest.split('\t').skip(1).collect();
    let mut kv = Vec::new();
    let mut parts: Vec<&str> = fields;
    if let Some(last) = parts.last()
        && last.trim_start().starts_with('{')
        && let Ok(serde_json::Value::Object(obj)) = serde_json::from_str(last.trim())
    {
        kv = obj.iter().map(|(k, v)| (k.clone(), json_text(v))).collect();
        parts.pop();
    }
    let (source, message) = match parts.as_slice() {
        [] => (None, String::new()),
        [m] => (None, (*m).to_string()),
        [s, rest @ ..] => (Some((*s).to_string()), rest.join("\t")),
    };
    Some(LogLine {
        level,
        time: prefix_time.map(str::to_string),
        source,
        message,
        kv,
    })
}

/// Parse klog text (`E0517 10:24:03.143248       1 scraper.go:139] "Failed to scrape node" err="Get \"https://...\": ..." node="n1"` — level letter I/W/E/F, MMDD, time, pid, file:line, then either a quoted structured message with key=value pairs (values quoted with Go escapes, or bare) or a plain printf message), JSON logs (`{"ts":1715941443.143,"caller":"scraper/scraper.go:149","msg":"Failed to scrape node","err":"...","node":"n1","v":0}` and `{"level":"error","time":"2024-05-17T10:24:03Z","msg":...}` and logrus/zap variants), lines prefixed with an RFC 3339 timestamp (`2024-05-17T10:24:03.143248123Z E0517 ...` as in must-gather or `kubectl logs --timestamps`; also CRI format `2024-05-17T10:24:03.143Z stderr F <line>`), Go panic/`Error: ...` lines and plain text (level None, message = line).
pub fn parse_log_line(line: &str) -> LogLine {
    let line = line.trim_end_matches(['\r', '\n']);
    let (prefix_time, rest) = match PREFIX.captures(line) {
        Some(c) => {
            let t = c.get(1).map(|m| m.as_str());
            let end = c.get(0).map_or(0, |m| m.end());
            (t, line.get(end..).unwrap_or(""))
        }
        None => (None, line),
    };
    let trimmed = rest.trim_start();
    if trimmed.starts_with('{')
        && let Ok(serde_json::Value::Object(obj)) = serde_json::from_str(trimmed.trim_end())
    {
        return parse_json(obj, prefix_time);
    }
    if let Some(l) = parse_klog(rest, prefix_time) {
        return l;
    }
    if let Some(l) = parse_zap_console(rest, prefix_time) {
        return l;
    }
    if trimmed.contains('=')
        && let Some(l) = parse_logfmt(trimmed, prefix_time)
    {
        return l;
    }
    let level = if trimmed.starts_with("panic: ") || trimmed.starts_with("fatal error: ") {
        Some(Level::Fatal)
    } else if trimmed.starts_with("Error: ") || trimmed.starts_with("error: ") {
        Some(Level::Error)
    } else {
        None
    };
    LogLine {
        level,
        time: prefix_time.map(str::to_string),
        source: None,
        message: if prefix_time.is_some() { rest } else { line }.to_string(),
        kv: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KLOG_STRUCT: &str = r#"E0517 10:24:03.143248       1 scraper.go:139] "Failed to scrape node" err="Get \"https://10.0.1.218:10250/metrics/resource\": dial tcp 10.0.1.218:10250: i/o timeout" node="node1""#;
    const KLOG_PLAIN: &str = "I0517 10:20:01.000123       1 serving.go:374] Generated self-signed cert (/tmp/apiserver.crt, /tmp/apiserver.key)";
    const KLOG_JSON: &str = r#"{"ts":1715941443.143,"caller":"scraper/scraper.go:149","msg":"Failed to scrape node","err":"Get \"https://10.0.1.218:10250/metrics/resource\": context deadline exceeded","node":"n1","v":0}"#;
    const ZAP_JSON: &str = r#"{"level":"error","time":"2024-05-17T10:24:03Z","msg":"Reconciler error","controller":"hpa","error":"no metrics returned from resource metrics API"}"#;
    const PREFIXED: &str = r#"2024-05-17T10:24:03.143248123Z E0517 10:24:03.143248       1 scraper.go:139] "Failed to scrape node" err="x" node="node1""#;
    const CRI: &str = r#"2024-05-17T10:24:03.143Z stderr F W0517 10:24:03.143000       1 configmap_cafile_content.go:102] unable to load initial CA bundle"#;
    const LOGRUS: &str = r#"time="2024-05-17T10:24:03Z" level=warning msg="failed to get metrics" error="the server is currently unable to handle the request" pod=web-1"#;
    const ZAP_CONSOLE: &str = "2024-05-17T10:24:03.143Z\tERROR\tcontroller.hpa\tReconciler error\t{\"name\": \"web\", \"error\": \"metrics unavailable\"}";

    #[test]
    fn klog_structured() {
        let l = parse_log_line(KLOG_STRUCT);
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(l.time.as_deref(), Some("0517 10:24:03.143248"));
        assert_eq!(l.source.as_deref(), Some("scraper.go:139"));
        assert_eq!(l.message, "Failed to scrape node");
        assert_eq!(
            l.kv,
            vec![
                (
                    "err".to_string(),
                    "Get \"https://10.0.1.218:10250/metrics/resource\": dial tcp 10.0.1.218:10250: i/o timeout"
                        .to_string()
                ),
                ("node".to_string(), "node1".to_string()),
            ]
        );
    }

    #[test]
    fn klog_plain() {
        let l = parse_log_line(KLOG_PLAIN);
        assert_eq!(l.level, Some(Level::Info));
        assert_eq!(l.source.as_deref(), Some("serving.go:374"));
        assert!(l.message.starts_with("Generated self-signed cert"));
        assert!(l.kv.is_empty());
    }

    #[test]
    fn klog_json_epoch() {
        let l = parse_log_line(KLOG_JSON);
        assert_eq!(l.level, Some(Level::Info));
        assert_eq!(l.time.as_deref(), Some("2024-05-17T10:24:03.143Z"));
        assert_eq!(l.source.as_deref(), Some("scraper/scraper.go:149"));
        assert_eq!(l.message, "Failed to scrape node");
        assert_eq!(l.kv.first().map(|p| p.0.as_str()), Some("err"));
        assert!(l.kv.contains(&("node".to_string(), "n1".to_string())));
        assert!(l.kv.contains(&("v".to_string(), "0".to_string())));
        // klog JSON error entries carry "err" and no "v"; ts in milliseconds.
        let e =
            parse_log_line(r#"{"ts":1715941443143.5,"caller":"x.go:1","msg":"boom","err":"bad"}"#);
        assert_eq!(e.level, Some(Level::Error));
        assert_eq!(e.time.as_deref(), Some("2024-05-17T10:24:03.143500Z"));
    }

    #[test]
    fn zap_and_logrus_json() {
        let l = parse_log_line(ZAP_JSON);
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(l.time.as_deref(), Some("2024-05-17T10:24:03Z"));
        assert_eq!(l.message, "Reconciler error");
        assert_eq!(l.kv.len(), 2);
        let b = parse_log_line(r#"{"level":50,"time":1715941443000,"msg":"x"}"#);
        assert_eq!(b.level, Some(Level::Error));
        assert_eq!(b.time.as_deref(), Some("2024-05-17T10:24:03Z"));
    }

    #[test]
    fn prefixed_and_cri() {
        let l = parse_log_line(PREFIXED);
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(l.time.as_deref(), Some("2024-05-17T10:24:03.143248123Z"));
        assert_eq!(l.message, "Failed to scrape node");
        let c = parse_log_line(CRI);
        assert_eq!(c.level, Some(Level::Warning));
        assert_eq!(c.time.as_deref(), Some("2024-05-17T10:24:03.143Z"));
        assert_eq!(c.source.as_deref(), Some("configmap_cafile_content.go:102"));
        assert_eq!(c.message, "unable to load initial CA bundle");
        let p = parse_log_line("2024-05-17T10:24:03Z plain words here");
        assert_eq!(p.level, None);
        assert_eq!(p.message, "plain words here");
    }

    #[test]
    fn logrus_text_and_zap_console() {
        let l = parse_log_line(LOGRUS);
        assert_eq!(l.level, Some(Level::Warning));
        assert_eq!(l.time.as_deref(), Some("2024-05-17T10:24:03Z"));
        assert_eq!(l.message, "failed to get metrics");
        assert_eq!(l.kv.len(), 2);
        let z = parse_log_line(ZAP_CONSOLE);
        assert_eq!(z.level, Some(Level::Error));
        assert_eq!(z.source.as_deref(), Some("controller.hpa"));
        assert_eq!(z.message, "Reconciler error");
        assert!(z.kv.contains(&("error".to_string(), "metrics unavailable".to_string())));
    }

    #[test]
    fn panic_error_plain() {
        assert_eq!(
            parse_log_line(
                "panic: runtime error: invalid memory address or nil pointer dereference"
            )
            .level,
            Some(Level::Fatal)
        );
        let e =
            parse_log_line("Error: unable to load configmap based request-header-client-ca-file");
        assert_eq!(e.level, Some(Level::Error));
        assert!(e.message.starts_with("Error: "));
        let p = parse_log_line("goroutine 1 [running]:");
        assert_eq!(p.level, None);
        assert_eq!(p.message, "goroutine 1 [running]:");
        assert_eq!(p.time, None);
        let q = parse_log_line("a=b but then prose");
        assert_eq!(q.level, None);
        assert_eq!(q.message, "a=b but then prose");
    }

    #[test]
    fn go_escapes() {
        let (s, rest) = go_unquote(r#""a\tb\x41\u00e9\101\\\"" tail"#).unwrap_or_default();
        assert_eq!(s, "a\tbAéA\\\"");
        assert_eq!(rest, " tail");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_860), (2024, 5, 17));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(
            epoch_to_rfc3339(0.0).as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
        assert_eq!(epoch_to_rfc3339(-1.0), None);
        assert_eq!(epoch_to_rfc3339(f64::NAN), None);
        assert_eq!(epoch_to_rfc3339(1e300), None);
    }

    #[test]
    fn level_order() {
        assert!(Level::Fatal > Level::Error && Level::Error > Level::Warning);
        assert_eq!(
            serde_json::to_string(&Level::Warning).unwrap_or_default(),
            "\"warning\""
        );
    }

    #[test]
    fn truncations_never_panic() {
        let utf = r#"E0517 10:24:03.143248 1 x.go:1] "ünï \u00" k="\xff\u12" é=ü"#;
        for s in [
            KLOG_STRUCT,
            KLOG_PLAIN,
            KLOG_JSON,
            ZAP_JSON,
            PREFIXED,
            CRI,
            LOGRUS,
            ZAP_CONSOLE,
            utf,
        ] {
            for (i, _) in s.char_indices() {
                let _ = parse_log_line(&s[..i]);
                let _ = parse_log_line(&s[i..]);
            }
        }
    }
}
