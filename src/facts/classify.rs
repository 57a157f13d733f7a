//! Classification: what one bundle file is and which parser reads it. The
//! layout decides for the paths it knows (troubleshoot's `cluster-resources/`,
//! the collector's manifest); everything else is classified by content, the
//! same way for every layout: JSON or YAML objects, `curl` transcripts,
//! `kubectl describe`, `kubectl get` tables, logs, or plain text. A file may
//! hold several commands' outputs (`$ kubectl get pods -A -o wide` followed by
//! `$ curl -ik …`); each segment is classified on its own, and line numbers
//! always refer to the whole file.

use std::sync::LazyLock;

use regex::Regex;

use super::logs::{self, LogFile, LogPatterns};
use super::tree::{self, Limits as TreeLimits};
use super::{FileRecord, Object, ParseError, Probe, TextFile, curl, describe, objects, table};
use crate::bundle::Layout;

/// A fact about collection found while classifying.
#[derive(Debug, Clone)]
pub enum Signal {
    /// The collector ran for this fact kind (so zero objects means "empty").
    Collected(String),
    /// The bundle holds data of this kind that is not an object (discovery errors, `kubectl top`).
    Present(String),
    /// The collector for this kind failed.
    Failed {
        /// Fact kind.
        kind: String,
        /// The collector's error text.
        error: String,
        /// Where the error was recorded.
        source: String,
    },
}

/// What one buffered file yielded.
#[derive(Debug)]
pub struct Parsed {
    /// Inventory line.
    pub record: FileRecord,
    /// Objects found.
    pub objects: Vec<Object>,
    /// Logs found by content (a `kubectl logs` transcript, a klog file without `.log`).
    pub logs: Vec<LogFile>,
    /// `curl` calls found.
    pub probes: Vec<Probe>,
    /// The text, kept for `text` selectors.
    pub text: Option<TextFile>,
    /// Parse errors.
    pub errors: Vec<ParseError>,
    /// Collection signals.
    pub signals: Vec<Signal>,
    /// Kubernetes version, from `cluster-info/cluster_version.json` or `kubectl version`.
    pub cluster_version: Option<String>,
    /// Bounds for parsing JSON and YAML documents.
    limits: TreeLimits,
}

impl Parsed {
    fn new(path: &str, limits: TreeLimits) -> Self {
        Self {
            record: FileRecord {
                path: path.to_string(),
                class: "text".into(),
                facts: 0,
            },
            objects: Vec::new(),
            logs: Vec::new(),
            probes: Vec::new(),
            text: None,
            errors: Vec::new(),
            signals: Vec::new(),
            cluster_version: None,
            limits,
        }
    }

    fn error(&mut self, line: Option<u32>, error: impl Into<String>) {
        self.errors.push(ParseError {
            source: self.record.path.clone(),
            line,
            error: error.into(),
        });
    }
}

/// Files streamed through the log scanner instead of being buffered, by path.
pub fn stream_by_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with("-logs-errors.log") {
        return false;
    }
    lower.ends_with(".log")
        || lower.ends_with("/logs.txt")
        || lower == "logs.txt"
        || lower.contains("/logs/") && !lower.ends_with(".json") && !lower.ends_with(".yaml")
}

/// Sets namespace, pod, container and previous of a streamed log from its path.
pub fn attach_log_identity(layout: Layout, log: &mut LogFile) {
    if log.pod.is_some() {
        return;
    }
    let parts: Vec<&str> = log.source.split('/').collect();
    let file = parts.last().copied().unwrap_or_default();
    let stem = file
        .strip_suffix(".log")
        .or_else(|| file.strip_suffix(".txt"))
        .unwrap_or(file);
    let (stem, previous) = match stem.strip_suffix("-previous") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    // `.../logs/<ns>/<pod>/<container>.log`: troubleshoot and our collector.
    if let Some(i) = parts.iter().position(|p| *p == "logs")
        && parts.len() == i + 4
    {
        log.namespace = Some(parts[i + 1].to_string());
        log.pod = Some(parts[i + 2].to_string());
        log.container = Some(stem.to_string());
        log.previous = previous;
        return;
    }
    match layout {
        Layout::MustGather => {
            // namespaces/<ns>/pods/<pod>/<container>/<container>/logs/current.log
            if let (Some(ns), Some(p)) = (
                parts.iter().position(|p| *p == "namespaces"),
                parts.iter().position(|p| *p == "pods"),
            ) {
                log.namespace = parts.get(ns + 1).map(|s| (*s).to_string());
                log.pod = parts.get(p + 1).map(|s| (*s).to_string());
                log.container = parts.get(p + 2).map(|s| (*s).to_string());
                log.previous = file.starts_with("previous");
                return;
            }
        }
        Layout::ClusterInfoDump if parts.len() == 3 => {
            log.namespace = Some(parts[0].to_string());
            log.pod = Some(parts[1].to_string());
            return;
        }
        _ => {}
    }
    log.pod = Some(stem.to_string());
    log.previous = previous;
}

/// The host of a shell prompt: `[root@master1 ~]#`, `admin@cp-1:~$`.
static PROMPT_HOST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\[?[\w.-]+@(?P<host>[\w.-]+)[\s:\]]").expect("static regex"));

static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:\[[^\]]*\][#$]\s*|[\w.@~:/-]+[#$]\s+|[$#>]\s*)?(?P<cmd>(?:sudo\s+)?(?:kubectl|oc|k|k3s kubectl|microk8s kubectl|curl)\s.*)$",
    )
    .expect("static regex")
});

/// Parses one buffered file.
pub fn parse_file(
    layout: Layout,
    path: &str,
    bytes: Vec<u8>,
    patterns: &LogPatterns,
    limits: TreeLimits,
) -> Parsed {
    let mut parsed = Parsed::new(path, limits);
    let Some(text) = decode(&bytes) else {
        if is_archive(&bytes) {
            // A nested archive is a collector's output, not a broken file.
            parsed.record.class = "archive".into();
        } else {
            parsed.record.class = "binary".into();
            parsed.error(None, "binary content (NUL bytes); not analysed");
        }
        return parsed;
    };
    drop(bytes);
    if layout == Layout::Troubleshoot && troubleshoot_file(path, &text, &mut parsed) {
        return parsed;
    }
    if layout == Layout::MustGather {
        let name = path.rsplit('/').next().unwrap_or(path);
        if matches!(name, "timestamp" | "version" | "event-filter.html") {
            parsed.record.class = "metadata".into();
            return parsed;
        }
    }
    if layout == Layout::Collector && path == "bundle-doctor.yaml" {
        collector_manifest(&text, &mut parsed);
        return parsed;
    }
    by_content(path, &text, patterns, None, &mut parsed);
    parsed
}

fn is_archive(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
        || bytes.get(257..262) == Some(b"ustar".as_slice())
        || bytes.starts_with(b"PK\x03\x04")
        // An empty tar is only its two zero end-of-archive blocks.
        || (bytes.len() >= 1024 && bytes.len().is_multiple_of(512) && bytes.iter().all(|b| *b == 0))
}

/// Parses YAML documents; a troubleshoot redaction marker written as a bare
/// value (`key: ***HIDDEN***`) reads as an alias, so retry with it quoted.
pub fn parse_yaml_lenient(
    text: &str,
    limits: TreeLimits,
) -> Result<Vec<tree::Node>, tree::ParseError> {
    match tree::parse_yaml(text, &limits) {
        Err(e) if text.contains("***HIDDEN***") => {
            let quoted = HIDDEN.replace_all(text, "${1}\"***HIDDEN***${2}\"");
            tree::parse_yaml(&quoted, &limits).map_err(|_| e)
        }
        other => other,
    }
}

static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)((?::|-)[ \t]+)\*\*\*HIDDEN\*\*\*([^\s#]*)[ \t]*$").expect("static regex")
});

/// Decodes text: UTF-8 (lossily), UTF-16 with a BOM; `None` for binary.
fn decode(bytes: &[u8]) -> Option<String> {
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    let bytes = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes);
    if let Some(big_endian) = utf16_without_bom(bytes) {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| {
                let pair = [c[0], c[1]];
                if big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return None;
    }
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// UTF-16 text without a BOM (mostly ASCII, so every other byte is NUL):
/// `Some(true)` for big-endian, `Some(false)` for little-endian.
fn utf16_without_bom(bytes: &[u8]) -> Option<bool> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let half = sample.len() / 2;
    let even_nul = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_nul = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    if even_nul == 0 && odd_nul * 10 >= half * 9 {
        Some(false)
    } else if odd_nul == 0 && even_nul * 10 >= half * 9 {
        Some(true)
    } else {
        None
    }
}

/// Paths the troubleshoot layout defines. Returns false for files it leaves to content.
fn troubleshoot_file(path: &str, text: &str, parsed: &mut Parsed) -> bool {
    let limits = parsed.limits;
    if matches!(path, "version.yaml" | "analysis.json") || path.starts_with("execution-data/") {
        parsed.record.class = "metadata".into();
        return true;
    }
    if path == "cluster-info/cluster_version.json" {
        parsed.record.class = "metadata".into();
        match tree::parse_json(text, &limits) {
            Ok(doc) => {
                parsed.cluster_version = doc
                    .get("string")
                    .and_then(|n| n.as_str())
                    .map(str::to_string);
            }
            Err(e) => parsed.error(Some(e.line), e.message),
        }
        return true;
    }
    let Some(rest) = path.strip_prefix("cluster-resources/") else {
        return false;
    };
    if rest.ends_with("-logs-errors.log") {
        parsed.record.class = "collection-error".into();
        keep_text(path, text, parsed);
        return true;
    }
    if let Some(name) = rest.strip_suffix("-errors.json") {
        parsed.record.class = "collection-error".into();
        let error = match tree::parse_json(text, &limits) {
            Ok(doc) => match doc.as_seq() {
                Some(items) => items
                    .iter()
                    .filter_map(|n| n.scalar_text().map(|t| t.into_owned()))
                    .collect::<Vec<_>>()
                    .join("; "),
                None => text.trim().to_string(),
            },
            Err(_) => text.trim().to_string(),
        };
        if name == "groups-resources" || name == "resources" || name == "groups" {
            // Discovery errors: where an unavailable aggregated API shows up.
            parsed.signals.push(Signal::Present("discovery".into()));
        } else if let Some(kind) = name
            .split('/')
            .next()
            .and_then(objects::troubleshoot_kind)
            .and_then(super::fact_kind_of)
        {
            parsed.signals.push(Signal::Failed {
                kind: kind.into(),
                error: error.clone(),
                source: path.to_string(),
            });
        }
        keep_text(path, text, parsed);
        return true;
    }
    let (dir, file) = match rest.split_once('/') {
        Some((dir, file)) => (dir, Some(file)),
        None => (
            rest.trim_end_matches(".json").trim_end_matches(".yaml"),
            None,
        ),
    };
    let hint = if dir == "custom-resources" {
        None
    } else {
        objects::troubleshoot_kind(dir)
    };
    if dir != "custom-resources" && hint.is_none() {
        return false;
    }
    if let Some(kind) = hint.and_then(super::fact_kind_of) {
        parsed.signals.push(Signal::Collected(kind.into()));
    }
    let is_yaml = file.unwrap_or(path).ends_with(".yaml") || file.unwrap_or(path).ends_with(".yml");
    parse_objects(path, text, is_yaml, hint, parsed);
    true
}

fn parse_objects(path: &str, text: &str, yaml: bool, hint: Option<&str>, parsed: &mut Parsed) {
    let limits = parsed.limits;
    let docs = if yaml {
        parse_yaml_lenient(text, limits)
    } else {
        tree::parse_json(text, &limits).map(|d| vec![d])
    };
    match docs {
        Ok(docs) => {
            parsed.record.class = "objects".into();
            for doc in docs {
                list_signal(&doc, parsed);
                let found = objects::from_tree(doc, path, hint);
                parsed.record.facts += found.len();
                parsed.objects.extend(found);
            }
        }
        Err(e) => {
            parsed.record.class = "unparsable".into();
            parsed.error(Some(e.line), format!("{} (column {})", e.message, e.column));
        }
    }
    keep_text(path, text, parsed);
}

/// An empty `PodList` (or `kind: List` of nothing) still says the kind was collected.
fn list_signal(doc: &tree::Node, parsed: &mut Parsed) {
    let Some(kind) = doc.get("kind").and_then(|n| n.as_str()) else {
        return;
    };
    let Some(item_kind) = kind.strip_suffix("List").filter(|k| !k.is_empty()) else {
        return;
    };
    if let Some(fact_kind) = super::fact_kind_of(item_kind) {
        parsed.signals.push(Signal::Collected(fact_kind.into()));
    }
}

fn keep_text(path: &str, text: &str, parsed: &mut Parsed) {
    if parsed.text.is_none() {
        parsed.text = Some(TextFile {
            source: path.to_string(),
            text: text.to_string(),
        });
    }
}

/// Our collector's manifest: each step says which fact kind it fed and whether it failed.
fn collector_manifest(text: &str, parsed: &mut Parsed) {
    parsed.record.class = "metadata".into();
    let limits = parsed.limits;
    let docs = match tree::parse_yaml(text, &limits) {
        Ok(d) => d,
        Err(e) => {
            parsed.error(Some(e.line), e.message);
            return;
        }
    };
    for doc in docs {
        for step in doc.select("steps[*]") {
            let kind = step
                .get("kind")
                .and_then(|n| n.as_str())
                .unwrap_or_default();
            if !super::is_fact_kind(kind) {
                continue;
            }
            let exit = step
                .get("exitCode")
                .and_then(|n| n.scalar_text())
                .map(|t| t.into_owned())
                .unwrap_or_else(|| "0".into());
            if exit == "0" {
                parsed.signals.push(Signal::Collected(kind.into()));
            } else if !matches!(kind, "probes" | "top" | "logs") {
                // A failing probe or `kubectl top` is an observation, not a collection failure.
                let error = step
                    .get("error")
                    .and_then(|n| n.scalar_text())
                    .map(|t| t.into_owned())
                    .unwrap_or_else(|| format!("exit code {exit}"));
                let command = step
                    .get("command")
                    .and_then(|n| n.as_str())
                    .unwrap_or_default();
                parsed.signals.push(Signal::Failed {
                    kind: kind.into(),
                    error: format!("`{command}` failed: {error}"),
                    source: "bundle-doctor.yaml".into(),
                });
            }
        }
    }
    keep_text("bundle-doctor.yaml", text, parsed);
}

/// Text of `text` with every line outside `start..end` (0-based, end exclusive)
/// blanked, so parsers see one segment while line numbers stay those of the file.
fn blank_outside(lines: &[&str], start: usize, end: usize, blank_first: bool) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i >= start && i < end && !(blank_first && i == start) {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Classifies by content, segment by segment.
fn by_content(
    path: &str,
    text: &str,
    patterns: &LogPatterns,
    _hint: Option<&str>,
    parsed: &mut Parsed,
) {
    let lower = path.to_ascii_lowercase();
    let trimmed = text.trim_start();
    keep_text(path, text, parsed);
    if trimmed.is_empty() {
        parsed.record.class = "empty".into();
        return;
    }
    if lower.ends_with(".json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
        let limits = parsed.limits;
        match tree::parse_json(text, &limits) {
            Ok(doc) => {
                list_signal(&doc, parsed);
                let found = objects::from_tree(doc, path, None);
                parsed.record.class = if found.is_empty() { "json" } else { "objects" }.into();
                parsed.record.facts = found.len();
                parsed.objects.extend(found);
                return;
            }
            Err(e) if lower.ends_with(".json") => {
                parsed.record.class = "unparsable".into();
                parsed.error(
                    Some(e.line),
                    format!("invalid JSON: {} (column {})", e.message, e.column),
                );
                return;
            }
            Err(_) => {}
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    // Split at command lines; the part before the first command is a segment too.
    let mut starts: Vec<(usize, Option<String>)> = vec![(0, None)];
    for (i, line) in lines.iter().enumerate() {
        if let Some(c) = COMMAND.captures(line) {
            let cmd = c.name("cmd").map(|m| m.as_str().trim().to_string());
            if i == 0 {
                starts[0].1 = cmd;
            } else {
                starts.push((i, cmd));
            }
        }
    }
    let mut classes: Vec<&'static str> = Vec::new();
    for (n, (start, cmd)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(lines.len(), |s| s.0);
        let has_cmd = cmd.is_some();
        let body_lines = &lines[(*start + usize::from(has_cmd)).min(end)..end];
        if body_lines.iter().all(|l| l.trim().is_empty()) && !has_cmd {
            continue;
        }
        let class = segment(path, &lines, *start, end, cmd.as_deref(), patterns, parsed);
        classes.push(class);
    }
    classes.dedup();
    parsed.record.class = match classes.as_slice() {
        [] => "text".into(),
        [one] => (*one).into(),
        many => many.join("+"),
    };
}

/// Classifies and parses one segment; returns its class.
fn segment(
    path: &str,
    lines: &[&str],
    start: usize,
    end: usize,
    cmd: Option<&str>,
    patterns: &LogPatterns,
    parsed: &mut Parsed,
) -> &'static str {
    let seg_text = blank_outside(lines, start, end, false);
    let body_text = blank_outside(lines, start, end, cmd.is_some());
    let cmd_word = |w: &str| cmd.is_some_and(|c| c.split_whitespace().any(|x| x == w));
    let is_curl = cmd.is_some_and(|c| c.trim_start_matches("sudo ").starts_with("curl"));
    let wants_structured = cmd.is_some_and(|c| {
        c.contains("-o yaml")
            || c.contains("-oyaml")
            || c.contains("-o json")
            || c.contains("-ojson")
            || c.contains("--output=yaml")
            || c.contains("--output=json")
            || c.contains("get --raw")
    });
    if is_curl || (cmd.is_none() && curl::looks_like_curl(&seg_text)) {
        let calls = curl::parse_curl(&seg_text);
        if !calls.is_empty() {
            parsed.record.facts += calls.len();
            parsed.probes.extend(calls.into_iter().map(|call| {
                Probe {
                    host: lines
                        .get((call.line as usize).saturating_sub(1))
                        .and_then(|l| PROMPT_HOST.captures(l))
                        .map(|c| c["host"].to_string()),
                    origin: super::Origin {
                        source: path.to_string(),
                        line: call.line,
                    },
                    call,
                }
            }));
            return "curl";
        }
    }
    if wants_structured || (cmd.is_none() && looks_like_yaml_object(&body_text)) {
        let trimmed = body_text.trim_start();
        let limits = parsed.limits;
        let docs = if trimmed.starts_with('{') || trimmed.starts_with('[') {
            tree::parse_json(&body_text, &limits).map(|d| vec![d])
        } else {
            parse_yaml_lenient(&body_text, limits)
        };
        match docs {
            Ok(docs) => {
                let hint = cmd.and_then(objects::kind_from_command);
                let mut n = 0;
                for doc in docs {
                    list_signal(&doc, parsed);
                    let found = objects::from_tree(doc, path, hint);
                    n += found.len();
                    parsed.objects.extend(found);
                }
                if n > 0 || wants_structured {
                    parsed.record.facts += n;
                    return "objects";
                }
            }
            Err(e) => {
                if wants_structured || path.ends_with(".yaml") || path.ends_with(".yml") {
                    parsed.error(
                        Some(e.line),
                        format!("invalid YAML: {} (column {})", e.message, e.column),
                    );
                    return "unparsable";
                }
            }
        }
    }
    if cmd_word("describe") || (cmd.is_none() && describe::looks_like_describe(&body_text)) {
        let described = describe::parse_describe(&body_text);
        if !described.is_empty() {
            for d in described {
                let kind = d
                    .kind
                    .clone()
                    .or_else(|| cmd.and_then(objects::kind_from_command).map(str::to_string))
                    .unwrap_or_else(|| "Unknown".into());
                let mut body = d.object;
                ensure_kind(&mut body, &kind);
                parsed.objects.push(Object {
                    kind,
                    name: d.name.unwrap_or_default(),
                    namespace: d.namespace,
                    body,
                    origin: super::Origin {
                        source: path.to_string(),
                        line: d.line,
                    },
                    partial: true,
                });
                parsed.record.facts += 1;
                for ev in d.events {
                    parsed.objects.push(event_object(path, &ev));
                    parsed.record.facts += 1;
                }
            }
            return "describe";
        }
    }
    if (cmd_word("logs") || (cmd.is_none() && looks_like_log(&body_text)))
        && let Ok(mut files) = logs::scan(path, &mut body_text.as_bytes(), patterns)
    {
        for f in &mut files {
            if let Some(c) = cmd {
                log_identity_from_command(c, f);
            }
            if f.pod.is_none() {
                attach_log_identity(Layout::Loose, f);
            }
            f.start_line = (start + 1) as u32;
        }
        parsed.record.facts += files.len();
        parsed.logs.extend(files);
        return "log";
    }
    let tables = table::parse_tables(&seg_text);
    if !tables.is_empty() {
        let mut any = false;
        for t in &tables {
            let kind = objects::table_kind(t).or_else(|| cmd.and_then(objects::kind_from_command));
            match kind {
                Some("top") => {
                    parsed.signals.push(Signal::Present("top".into()));
                    any = true;
                }
                Some(kind) => {
                    if t.rows.is_empty()
                        && let Some(fk) = super::fact_kind_of(kind)
                    {
                        parsed.signals.push(Signal::Collected(fk.into()));
                    }
                    let found = objects::from_table(t, kind, path);
                    parsed.record.facts += found.len();
                    parsed.objects.extend(found);
                    any = true;
                }
                None => {}
            }
        }
        if any {
            return "table";
        }
    }
    if cmd.is_some_and(|c| c.contains(" top ")) {
        parsed.signals.push(Signal::Present("top".into()));
        return "kubectl-output";
    }
    if cmd.is_some() {
        return "kubectl-output";
    }
    "text"
}

fn ensure_kind(body: &mut tree::Node, kind: &str) {
    if let tree::Value::Map(entries) = &mut body.value
        && !entries.iter().any(|(k, _)| k == "kind")
    {
        entries.insert(
            0,
            (
                "kind".into(),
                tree::Node {
                    line: body.line,
                    value: tree::Value::String(kind.into()),
                },
            ),
        );
    }
}

fn event_object(path: &str, ev: &describe::EventRow) -> Object {
    let line = ev.line;
    let s = |t: &str| tree::Node {
        line,
        value: tree::Value::String(t.to_string()),
    };
    let body = tree::Node {
        line,
        value: tree::Value::Map(vec![
            ("kind".into(), s("Event")),
            ("type".into(), s(&ev.event_type)),
            ("reason".into(), s(&ev.reason)),
            ("message".into(), s(&ev.message)),
            (
                "source".into(),
                tree::Node {
                    line,
                    value: tree::Value::Map(vec![("component".into(), s(&ev.from))]),
                },
            ),
            ("age".into(), s(&ev.age)),
        ]),
    };
    Object {
        kind: "Event".into(),
        name: String::new(),
        namespace: None,
        body,
        origin: super::Origin {
            source: path.to_string(),
            line,
        },
        partial: true,
    }
}

fn looks_like_yaml_object(text: &str) -> bool {
    let mut api = false;
    let mut kind = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(400) {
        let l = line.trim_start_matches("- ").trim_start();
        api |= l.starts_with("apiVersion:");
        kind |= l.starts_with("kind:");
    }
    api && kind
}

static LOG_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*\s+(?:(?:stdout|stderr)\s+[FP]\s+)?)?(?:[IWEF]\d{4} \d\d:\d\d:\d\d|\{"(?:ts|time|level|msg|caller|timestamp|severity)"|time="|level=|\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d)"#,
    )
    .expect("static regex")
});

fn looks_like_log(text: &str) -> bool {
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(40)
        .collect();
    if sample.is_empty() {
        return false;
    }
    let hits = sample.iter().filter(|l| LOG_LINE.is_match(l)).count();
    hits * 2 >= sample.len() && hits >= 1
}

/// `kubectl logs [-n ns] pod [-c container] [--previous]`.
fn log_identity_from_command(cmd: &str, log: &mut LogFile) {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let Some(pos) = words.iter().position(|w| *w == "logs") else {
        return;
    };
    let mut i = pos + 1;
    while i < words.len() {
        let w = words[i];
        match w {
            "-n" | "--namespace" => {
                log.namespace = words.get(i + 1).map(|s| (*s).to_string());
                i += 2;
                continue;
            }
            "-c" | "--container" => {
                log.container = words.get(i + 1).map(|s| (*s).to_string());
                i += 2;
                continue;
            }
            "-p" | "--previous" | "--previous=true" => log.previous = true,
            _ if w.starts_with("--namespace=") => {
                log.namespace = Some(w["--namespace=".len()..].to_string())
            }
            _ if w.starts_with("--container=") => {
                log.container = Some(w["--container=".len()..].to_string())
            }
            _ if w.starts_with('-') => {}
            _ if log.pod.is_none() => {
                let pod = w.rsplit('/').next().unwrap_or(w);
                log.pod = Some(pod.to_string());
            }
            _ => {}
        }
        i += 1;
    }
}
