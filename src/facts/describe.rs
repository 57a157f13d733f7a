//! Parser for `kubectl describe` output.
//!
//! Each block starts at a column-0 `Name:` line and ends at the next one (or
//! at a column-0 line that is not `Key: value`, such as a shell prompt). The
//! indentation tree is converted to a [`Node`] shaped like a Kubernetes object:
//!
//! * `Key:   value` → map entry. Describe-style keys (`Last Transition Time`,
//!   `Insecure Skip TLS Verify`, `Node-Selectors`) become camelCase
//!   (`lastTransitionTime`, `insecureSkipTLSVerify`, `nodeSelectors`; a leading
//!   acronym is lowercased: `API Version` → `apiVersion`, `QoS Class` →
//!   `qosClass`); other keys (`cpu`, `f:metadata`, env var and container
//!   names) are kept verbatim.
//! * Scalars: empty, `<none>`, `<nil>`, `<unset>` → `Null`; `true`/`false` →
//!   `Bool`; integers/decimals → `Number`; everything else (including
//!   `True`/`False`) → `String`.
//! * A key with nested `Key:` lines → nested `Map`; a key repeating at the same
//!   level starts a new item and turns the section into a `Seq` of `Map`s (the
//!   sections `Conditions`, `Managed Fields`, `Owner References`, `Subsets`,
//!   `Addresses`, `Ports`, `Ingress`, `Taints`, `Subjects`, `Rules` are always a
//!   `Seq`). Indented lines without a key under a key without a value →
//!   `Seq` of strings (`Args:`, `Mounts:`); under a key with a value →
//!   continuation, appended with a space.
//! * A key with both a value and nested lines (`State: Running` +
//!   `Started: ...`, `Last State: Terminated` + `Reason: OOMKilled`) → `Map`
//!   with the inline value under `"value"` plus the nested entries.
//! * Column tables (a header line followed by a `----` rule, or the pod/HPA
//!   `Conditions:` header `Type  Status ...`) → `Seq` of `Map`s keyed by the
//!   camelCased header (`type`, `status`, `reason`, `message`); when the key
//!   also has an inline value the result is `{"value": ..., "items": [...]}`.
//! * `Labels`/`Node-Selectors` → `Map` of `k=v`; `Annotations` → `Map` of
//!   `k: v` (deeper lines continue the previous value with a newline);
//!   `Tolerations` → `Seq` of strings; `<none>` → empty collection.
//! * Top level: `Name`, `Namespace`, `Labels`, `Annotations`,
//!   `CreationTimestamp` and a generic `Metadata:` section go under `metadata`;
//!   `Kind`/`API Version` → `kind`/`apiVersion`; `Spec:` → `spec`; `Status:` →
//!   `status` (a scalar `Status: Running` becomes `status.phase`); a top-level
//!   `Conditions:` (pod/HPA) → `status.conditions`; `Events:` is not in the
//!   object but parsed into [`Described::events`]; other keys stay top-level.
//! * Pod `Containers:`/`Init Containers:` → `Map` keyed by container name, each
//!   a `Map` (`image`, `state`, `lastState`, `ready`, `restartCount`, ...).
//!
//! `Node.line` is the 1-based line of the key (of the first entry for `Seq`
//! items, of the row for table rows).

use super::tree::{Key, Node, Value};
use std::collections::HashSet;

/// Maximum nesting depth converted into nested maps.
const MAX_DEPTH: usize = 48;
/// Tables with more columns than this are not treated as tables.
const MAX_COLUMNS: usize = 64;

/// One `kubectl describe` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// 1-based line of the block's `Name:` line.
    pub line: u32,
    /// `Kind:` value, or inferred from the keys present.
    pub kind: Option<String>,
    /// `Name:` value.
    pub name: Option<String>,
    /// `Namespace:` value (None when empty).
    pub namespace: Option<String>,
    /// The object tree (always a `Map`).
    pub object: Node,
    /// Rows of the `Events:` table.
    pub events: Vec<EventRow>,
}

/// One row of a describe `Events:` table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRow {
    /// 1-based line of the row.
    pub line: u32,
    /// `Normal` / `Warning`.
    pub event_type: String,
    /// Event reason (`FailedGetResourceMetric`).
    pub reason: String,
    /// Age text (`12s (x200 over 100m)`).
    pub age: String,
    /// Reporting component.
    pub from: String,
    /// Event message.
    pub message: String,
}

/// Sections whose repeated-key groups are always a `Seq`.
const LIST_KEYS: &[&str] = &[
    "Conditions",
    "Managed Fields",
    "Owner References",
    "Subsets",
    "Addresses",
    "Ports",
    "Ingress",
    "Taints",
    "Subjects",
    "Rules",
];

/// Sections whose direct child keys are user-chosen names kept verbatim.
const VERBATIM_CHILDREN: &[&str] = &[
    "Labels",
    "Annotations",
    "Environment",
    "Limits",
    "Requests",
    "Containers",
    "Init Containers",
    "Ephemeral Containers",
    "Volumes",
    "Data",
    "Binary Data",
    "Metrics",
    "Capacity",
    "Allocatable",
    "Selector",
];

fn line_no(i: usize) -> u32 {
    u32::try_from(i.saturating_add(1)).unwrap_or(u32::MAX)
}

/// A pre-processed non-blank line.
#[derive(Debug, Clone)]
struct Rec<'a> {
    line: u32,
    indent: usize,
    raw: &'a str,
    text: &'a str,
    key: Option<(&'a str, &'a str)>,
    val_col: usize,
}

/// Find `Key:` (colon followed by whitespace or end of line) in trimmed text.
fn find_key(text: &str) -> Option<(&str, &str, usize)> {
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c != ':' {
            continue;
        }
        let next = iter.peek().map(|&(_, n)| n);
        if !next.is_none_or(char::is_whitespace) {
            continue;
        }
        let key = text.get(..i)?;
        let after = text.get(i + 1..).unwrap_or("");
        let value = after.trim();
        if key.is_empty() || key.len() > 120 || key.starts_with('-') {
            return None;
        }
        if key.contains('"') && key.contains(' ') {
            return None;
        }
        // Two spaces inside a key are only allowed before a parenthesis
        // (`resource cpu on pods  (as a percentage of request):`).
        let mut rest = key;
        while let Some(p) = rest.find("  ") {
            let tail = rest.get(p..).unwrap_or("").trim_start();
            if !tail.starts_with('(') {
                return None;
            }
            rest = tail;
        }
        let lead = after.chars().take_while(|c| c.is_whitespace()).count();
        let col = key.chars().count() + 1 + lead;
        return Some((key, value, col));
    }
    None
}

fn records<'a>(lines: &[(u32, &'a str)]) -> Vec<Rec<'a>> {
    let mut out = Vec::with_capacity(lines.len());
    for &(line, raw) in lines {
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }
        let indent = raw.chars().take_while(|c| c.is_whitespace()).count();
        let (key, val_col) = match find_key(text) {
            Some((k, v, col)) => (Some((k, v)), indent + col),
            None => (None, indent),
        };
        out.push(Rec {
            line,
            indent,
            raw,
            text,
            key,
            val_col,
        });
    }
    out
}

/// camelCase a describe-style key; other keys are returned verbatim.
fn camel(key: &str) -> String {
    let describe_style = key.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if !describe_style {
        return key.to_string();
    }
    let mut out = String::with_capacity(key.len());
    for (i, word) in key.split([' ', '-']).filter(|w| !w.is_empty()).enumerate() {
        if i == 0 {
            if word == "QoS" {
                out.push_str("qos");
                continue;
            }
            let run = word.chars().take_while(|c| !c.is_ascii_lowercase()).count();
            for (j, c) in word.chars().enumerate() {
                if j < run.max(1) {
                    out.push(c.to_ascii_lowercase());
                } else {
                    out.push(c);
                }
            }
        } else {
            let mut cs = word.chars();
            if let Some(f) = cs.next() {
                out.push(f.to_ascii_uppercase());
                out.push_str(cs.as_str());
            }
        }
    }
    out
}

fn scalar(v: &str) -> Value {
    let v = v.trim();
    match v {
        "" | "<none>" | "<nil>" | "<unset>" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ if is_number(v) => Value::Number(v.to_string()),
        _ => Value::String(v.to_string()),
    }
}

fn is_number(v: &str) -> bool {
    let body = v.strip_prefix('-').unwrap_or(v);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int.len() == 1 || !int.starts_with('0'))
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn node(line: u32, value: Value) -> Node {
    Node { line, value }
}

// ---------- column tables ----------

/// Runs separated by 2+ spaces: (char start, char end, byte start, byte end).
fn segments(line: &str) -> Vec<(usize, usize, usize, usize)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize, usize, usize)> = None;
    let mut spaces = 0usize;
    for (ci, (bi, ch)) in line.char_indices().enumerate() {
        if ch == ' ' || ch == '\t' {
            spaces += if ch == '\t' { 2 } else { 1 };
            if spaces >= 2
                && let Some(s) = cur.take()
            {
                out.push(s);
            }
            continue;
        }
        let end_b = bi + ch.len_utf8();
        cur = Some(match cur {
            Some((s, _, b0, _)) => (s, ci + 1, b0, end_b),
            None => (ci, ci + 1, bi, end_b),
        });
        spaces = 0;
    }
    if let Some(s) = cur {
        out.push(s);
    }
    out
}

fn header_columns(raw: &str) -> (Vec<String>, Vec<usize>) {
    let mut names = Vec::new();
    let mut starts = Vec::new();
    for (s, _, b0, b1) in segments(raw) {
        names.push(raw.get(b0..b1).unwrap_or("").to_string());
        starts.push(s);
    }
    (names, starts)
}

/// Split a row by header column starts, repairing with the 2+-space runs.
fn split_row(line: &str, starts: &[usize]) -> Vec<String> {
    let n = starts.len();
    let mut spans: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut min_col = 0usize;
    let mut forced = false;
    for (start, end, b0, b1) in segments(line) {
        let by_pos = starts.partition_point(|&c| c <= start).saturating_sub(1);
        let mut col = if forced { min_col } else { by_pos.max(min_col) };
        if col >= n {
            col = n.saturating_sub(1);
        }
        if let Some(slot) = spans.get_mut(col) {
            *slot = Some(match *slot {
                Some((a, _)) => (a, b1),
                None => (b0, b1),
            });
        }
        if let Some(&next) = starts.get(col + 1)
            && end > next
        {
            forced = true;
        }
        min_col = if forced { col + 1 } else { col };
    }
    spans
        .into_iter()
        .map(|sp| {
            sp.and_then(|(a, b)| line.get(a..b))
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .collect()
}

fn is_rule(text: &str) -> bool {
    text.contains("--") && text.chars().all(|c| c == '-' || c.is_whitespace())
}

fn is_cap_header(raw: &str) -> bool {
    let segs = segments(raw);
    segs.len() >= 2
        && segs.iter().all(|&(_, _, b0, b1)| {
            raw.get(b0..b1).is_some_and(|t| {
                t.split(' ').all(|w| {
                    w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                        && w.chars().all(|c| c.is_ascii_alphanumeric())
                })
            })
        })
}

/// If `children` form a column table, return (header index, first row index).
fn table_layout(children: &[Rec], key: &str) -> Option<(usize, usize)> {
    for p in 1..children.len().min(4) {
        if children.get(p).is_some_and(|r| is_rule(r.text))
            && children
                .get(p - 1)
                .is_some_and(|h| !is_rule(h.text) && segments(h.raw).len() <= MAX_COLUMNS)
        {
            return Some((p - 1, p + 1));
        }
    }
    let first = children.first()?;
    if segments(first.raw).len() > MAX_COLUMNS {
        return None;
    }
    if key == "Conditions" && first.key.is_none() && is_cap_header(first.raw) {
        return Some((0, 1));
    }
    None
}

fn parse_table(children: &[Rec], header: usize, first_row: usize) -> Vec<Node> {
    let Some(h) = children.get(header) else {
        return Vec::new();
    };
    let (names, starts) = header_columns(h.raw);
    let keys: Vec<String> = names.iter().map(|n| camel(n)).collect();
    children
        .get(first_row..)
        .unwrap_or(&[])
        .iter()
        .filter(|r| !is_rule(r.text))
        .map(|r| {
            let cells = split_row(r.raw, &starts);
            let map = keys
                .iter()
                .zip(cells)
                .map(|(k, c)| (Key::from(k.as_str()), node(r.line, Value::String(c))))
                .collect();
            node(r.line, Value::Map(map))
        })
        .collect()
}

fn parse_events(children: &[Rec]) -> Vec<EventRow> {
    let Some((header, first_row)) = table_layout(children, "") else {
        return Vec::new();
    };
    let Some(h) = children.get(header) else {
        return Vec::new();
    };
    let (names, starts) = header_columns(h.raw);
    let idx = |want: &[&str]| {
        names
            .iter()
            .position(|n| want.iter().any(|w| n.eq_ignore_ascii_case(w)))
    };
    let (ti, ri, ai, fi, mi) = (
        idx(&["Type"]),
        idx(&["Reason"]),
        idx(&["Age", "LastSeen", "Last Seen"]),
        idx(&["From"]),
        idx(&["Message"]),
    );
    children
        .get(first_row..)
        .unwrap_or(&[])
        .iter()
        .filter(|r| !is_rule(r.text))
        .map(|r| {
            let cells = split_row(r.raw, &starts);
            let get = |i: Option<usize>| i.and_then(|i| cells.get(i)).cloned().unwrap_or_default();
            EventRow {
                line: r.line,
                event_type: get(ti),
                reason: get(ri),
                age: get(ai),
                from: get(fi),
                message: get(mi),
            }
        })
        .collect()
}

// ---------- tree building ----------

/// Length of the run of records after `i` that are deeper than `base`.
fn child_end(recs: &[Rec], i: usize, base: usize) -> usize {
    let mut j = i + 1;
    while recs.get(j).is_some_and(|r| r.indent > base) {
        j += 1;
    }
    j
}

fn labels_map(rec: &Rec, children: &[Rec]) -> Value {
    let mut map = Vec::new();
    let first = rec.key.map_or("", |(_, v)| v);
    for (line, text) in
        std::iter::once((rec.line, first)).chain(children.iter().map(|c| (c.line, c.text)))
    {
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() || item == "<none>" {
                continue;
            }
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            map.push((k.into(), node(line, Value::String(v.to_string()))));
        }
    }
    Value::Map(map)
}

fn annotations_map(rec: &Rec, children: &[Rec]) -> Value {
    let mut map: Vec<(Key, Node)> = Vec::new();
    let inline = rec.key.map_or("", |(_, v)| v);
    let item_indent = if inline.is_empty() {
        children.first().map_or(0, |c| c.indent)
    } else {
        rec.val_col
    };
    let add = |line: u32, indent: usize, text: &str, map: &mut Vec<(Key, Node)>| {
        if text == "<none>" {
            return;
        }
        let new_item = if indent <= item_indent {
            text.split_once(": ")
                .map(|(k, v)| (k, v.trim()))
                .or_else(|| text.strip_suffix(':').map(|k| (k, "")))
                .filter(|(k, _)| !k.contains(' '))
        } else {
            None
        };
        match (new_item, map.last_mut()) {
            (Some((k, v)), _) => map.push((k.into(), node(line, Value::String(v.to_string())))),
            (
                None,
                Some((
                    _,
                    Node {
                        value: Value::String(s),
                        ..
                    },
                )),
            ) => {
                if !s.is_empty() {
                    s.push('\n');
                }
                s.push_str(text);
            }
            (None, _) => {}
        }
    };
    if !inline.is_empty() {
        add(rec.line, item_indent, inline, &mut map);
    }
    for c in children {
        add(c.line, c.indent, c.text, &mut map);
    }
    Value::Map(map)
}

fn string_list(rec: &Rec, children: &[Rec]) -> Value {
    let first = rec.key.map_or("", |(_, v)| v);
    let mut items = Vec::new();
    if !first.is_empty() && first != "<none>" {
        items.push(node(rec.line, Value::String(first.to_string())));
    }
    items.extend(
        children
            .iter()
            .map(|c| node(c.line, Value::String(c.text.to_string()))),
    );
    Value::Seq(items)
}

/// Build the value for one `Key:` record and its deeper children.
fn build_entry(rec: &Rec, children: &[Rec], depth: usize) -> Node {
    let (key, value) = rec.key.unwrap_or(("", rec.text));
    let v = match key {
        "Labels" | "Node-Selectors" => labels_map(rec, children),
        "Annotations" => annotations_map(rec, children),
        "Tolerations" => string_list(rec, children),
        _ if children.is_empty() => scalar(value),
        _ => {
            let table = table_layout(children, key);
            if value.is_empty() {
                return node(rec.line, build_children(children, key, depth + 1));
            }
            if table.is_none() && children.iter().all(|c| c.key.is_none()) {
                let mut s = value.to_string();
                for c in children {
                    s.push(' ');
                    s.push_str(c.text);
                }
                Value::String(s)
            } else {
                let mut map: Vec<(Key, Node)> =
                    vec![("value".into(), node(rec.line, scalar(value)))];
                match build_children(children, key, depth + 1) {
                    Value::Map(entries) => map.extend(entries),
                    other => {
                        let line = children.first().map_or(rec.line, |c| c.line);
                        map.push(("items".into(), node(line, other)));
                    }
                }
                Value::Map(map)
            }
        }
    };
    node(rec.line, v)
}

/// Build the value of a section from its (deeper-indented) records.
fn build_children(recs: &[Rec], section: &str, depth: usize) -> Value {
    if recs.is_empty() {
        return Value::Null;
    }
    if depth > MAX_DEPTH {
        // Pathologically deep input: keep the text flat instead of recursing.
        return Value::Seq(
            recs.iter()
                .map(|r| node(r.line, Value::String(r.text.to_string())))
                .collect(),
        );
    }
    if let Some((h, r)) = table_layout(recs, section) {
        return Value::Seq(parse_table(recs, h, r));
    }
    let base = recs.iter().map(|r| r.indent).min().unwrap_or(0);
    let any_key = recs.iter().any(|r| r.indent == base && r.key.is_some());
    if !any_key {
        let mut items: Vec<Node> = Vec::new();
        for r in recs {
            match items.last_mut() {
                Some(Node {
                    value: Value::String(s),
                    ..
                }) if r.indent > base => {
                    s.push(' ');
                    s.push_str(r.text);
                }
                _ => items.push(node(r.line, Value::String(r.text.to_string()))),
            }
        }
        return Value::Seq(items);
    }
    let verbatim = VERBATIM_CHILDREN.contains(&section);
    let mut groups: Vec<Vec<(Key, Node)>> = Vec::new();
    let mut cur: Vec<(Key, Node)> = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut i = 0;
    while let Some(r) = recs.get(i) {
        let end = child_end(recs, i, base.max(r.indent));
        let children = recs.get(i + 1..end).unwrap_or(&[]);
        match r.key {
            Some((k, _)) => {
                let name = if verbatim { k.to_string() } else { camel(k) };
                if !names.insert(name.clone()) {
                    groups.push(std::mem::take(&mut cur));
                    names.clear();
                    names.insert(name.clone());
                }
                cur.push((name.into(), build_entry(r, children, depth)));
            }
            None => {
                // Stray text at this level: continuation of the previous value.
                if let Some((_, Node { value, .. })) = cur.last_mut() {
                    match value {
                        Value::String(s) => {
                            s.push(' ');
                            s.push_str(r.text);
                        }
                        Value::Null => *value = Value::String(r.text.to_string()),
                        _ => {}
                    }
                }
            }
        }
        i = end.max(i + 1);
    }
    if groups.is_empty() && !LIST_KEYS.contains(&section) {
        return Value::Map(cur);
    }
    if !cur.is_empty() {
        groups.push(cur);
    }
    Value::Seq(
        groups
            .into_iter()
            .map(|g| {
                let line = g.first().map_or(0, |(_, n)| n.line);
                node(line, Value::Map(g))
            })
            .collect(),
    )
}

/// Append `entries` to the map under `key`, creating it (or wrapping a scalar
/// already there as `"value"`) when needed.
fn push_into(map: &mut Vec<(Key, Node)>, key: &str, line: u32, entries: Vec<(Key, Node)>) {
    if !map.iter().any(|(k, _)| k == key) {
        map.push((key.into(), node(line, Value::Map(Vec::new()))));
    }
    if let Some((_, slot)) = map.iter_mut().find(|(k, _)| k == key) {
        if !matches!(slot.value, Value::Map(_)) {
            let old = std::mem::replace(&mut slot.value, Value::Map(Vec::new()));
            if let Value::Map(m) = &mut slot.value
                && old != Value::Null
            {
                m.push(("value".into(), node(slot.line, old)));
            }
        }
        if let Value::Map(m) = &mut slot.value {
            m.extend(entries);
        }
    }
}

fn get<'v>(map: &'v [(Key, Node)], key: &str) -> Option<&'v Value> {
    map.iter().find(|(k, _)| k == key).map(|(_, n)| &n.value)
}

fn infer_kind(top: &[&str], object: &[(Key, Node)]) -> Option<String> {
    let has = |k: &str| top.contains(&k);
    let spec_has = |k: &str| match get(object, "spec") {
        Some(Value::Map(m)) => get(m, k).is_some(),
        _ => false,
    };
    let kind = if has("Reference") && (has("Min replicas") || has("Max replicas")) {
        "HorizontalPodAutoscaler"
    } else if has("Containers") && (has("Node") || has("QoS Class") || has("IP")) {
        "Pod"
    } else if spec_has("groupPriorityMinimum") || spec_has("versionPriority") {
        "APIService"
    } else if has("Replicas") && has("StrategyType") {
        "Deployment"
    } else if has("Roles") && (has("Capacity") || has("Taints")) {
        "Node"
    } else if has("Subsets") {
        "Endpoints"
    } else if has("Selector") && (has("TargetPort") || has("Endpoints") || has("IP Families")) {
        "Service"
    } else {
        return None;
    };
    Some(kind.to_string())
}

fn build_block(recs: &[Rec]) -> Option<Described> {
    let first = recs.first()?;
    let mut object: Vec<(Key, Node)> = Vec::new();
    let mut events = Vec::new();
    let mut kind = None;
    let mut top_keys: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(r) = recs.get(i) {
        let end = child_end(recs, i, r.indent);
        let children = recs.get(i + 1..end).unwrap_or(&[]);
        i = end.max(i + 1);
        let Some((key, value)) = r.key else { continue };
        top_keys.push(key);
        let meta_key = match key {
            "Name" => Some("name"),
            "Namespace" => Some("namespace"),
            "Labels" => Some("labels"),
            "Annotations" => Some("annotations"),
            "CreationTimestamp" | "Creation Timestamp" => Some("creationTimestamp"),
            _ => None,
        };
        if let Some(mk) = meta_key {
            let entry = build_entry(r, children, 0);
            push_into(&mut object, "metadata", r.line, vec![(mk.into(), entry)]);
            continue;
        }
        match key {
            "Events" => events = parse_events(children),
            "Kind" => {
                kind = Some(value.to_string()).filter(|s| !s.is_empty());
                object.push(("kind".into(), build_entry(r, children, 0)));
            }
            "Metadata" => {
                if let Value::Map(m) = build_children(children, key, 0) {
                    push_into(&mut object, "metadata", r.line, m);
                }
            }
            "Status" if children.is_empty() => {
                let n = node(r.line, scalar(value));
                push_into(&mut object, "status", r.line, vec![("phase".into(), n)]);
            }
            "Status" | "Spec" => {
                let name = camel(key);
                let built = build_entry(r, children, 0);
                match built.value {
                    Value::Map(m) => push_into(&mut object, &name, r.line, m),
                    other => object.push((name.into(), node(r.line, other))),
                }
            }
            "Conditions" => {
                let n = build_entry(r, children, 0);
                push_into(
                    &mut object,
                    "status",
                    r.line,
                    vec![("conditions".into(), n)],
                );
            }
            _ => object.push((camel(key).into(), build_entry(r, children, 0))),
        }
    }
    let text_of = |k: &str| -> Option<String> {
        match get(&object, "metadata") {
            Some(Value::Map(m)) => match get(m, k) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(s)) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        }
    };
    let name = text_of("name");
    let namespace = text_of("namespace");
    let kind = kind.or_else(|| infer_kind(&top_keys, &object));
    Some(Described {
        line: first.line,
        kind,
        name,
        namespace,
        object: node(first.line, Value::Map(object)),
        events,
    })
}

fn is_name_line(raw: &str) -> bool {
    raw.strip_prefix("Name:")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// True when the text looks like `kubectl describe` output: a column-0 `Name:` line near the top plus other column-0 `Key:   value` lines (Namespace:, Labels:, Status: ...).
pub fn looks_like_describe(text: &str) -> bool {
    const OTHERS: &[&str] = &[
        "Namespace",
        "Labels",
        "Annotations",
        "Status",
        "Kind",
        "API Version",
        "CreationTimestamp",
        "Reference",
        "Containers",
        "Roles",
        "Selector",
        "Type",
        "Spec",
    ];
    let mut seen_name = false;
    for raw in text.lines().filter(|l| !l.trim().is_empty()).take(60) {
        let raw = raw.trim_end_matches('\r');
        if is_name_line(raw) {
            seen_name = true;
            continue;
        }
        if seen_name
            && !raw.starts_with([' ', '\t'])
            && find_key(raw.trim()).is_some_and(|(k, _, _)| OTHERS.contains(&k))
        {
            return true;
        }
    }
    false
}

/// Each `kubectl describe` block in the text (blocks start at a column-0 `Name:` line; several objects per file are common).
pub fn parse_describe(text: &str) -> Vec<Described> {
    let mut out = Vec::new();
    let mut block: Vec<(u32, &str)> = Vec::new();
    let mut in_block = false;
    let flush = |block: &mut Vec<(u32, &str)>, out: &mut Vec<Described>| {
        let recs = records(block);
        if let Some(d) = build_block(&recs) {
            out.push(d);
        }
        block.clear();
    };
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let col0 = !raw.is_empty() && !raw.starts_with([' ', '\t']);
        if is_name_line(raw) {
            if in_block {
                flush(&mut block, &mut out);
            }
            in_block = true;
        } else if in_block && col0 && find_key(raw.trim()).is_none() {
            flush(&mut block, &mut out);
            in_block = false;
        }
        if in_block {
            block.push((line_no(i), raw));
        }
    }
    if in_block {
        flush(&mut block, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const APISERVICE: &str = "Name:         v1beta1.metrics.k8s.io
Namespace:
Labels:       app.kubernetes.io/name=metrics-server
              k8s-app=metrics-server
Annotations:  meta.helm.sh/release-name: metrics-server
              meta.helm.sh/release-namespace: kube-system
API Version:  apiregistration.k8s.io/v1
Kind:         APIService
Metadata:
  Creation Timestamp:  2024-05-16T19:02:11Z
  Resource Version:    1234567
  UID:                 8c3a5f4e-1b2c-4d5e-8f90-123456789abc
Spec:
  Group:                     metrics.k8s.io
  Group Priority Minimum:    100
  Insecure Skip TLS Verify:  true
  Service:
    Name:            metrics-server
    Namespace:       kube-system
    Port:            443
  Version:           v1beta1
  Version Priority:  100
Status:
  Conditions:
    Last Transition Time:  2024-05-16T19:02:11Z
    Message:               failing or missing response from https://10.0.1.218:4443/apis/metrics.k8s.io/v1beta1: Get \"https://10.0.1.218:4443/apis/metrics.k8s.io/v1beta1\": dial tcp 10.0.1.218:4443: i/o timeout
    Reason:                FailedDiscoveryCheck
    Status:                False
    Type:                  Available
Events:                    <none>
";

    const HPA: &str = "Name:                                                  php-apache
Namespace:                                             default
Labels:                                                <none>
Annotations:                                           <none>
CreationTimestamp:                                     Fri, 17 May 2024 09:00:00 +0000
Reference:                                             Deployment/php-apache
Metrics:                                               ( current / target )
  resource cpu on pods  (as a percentage of request):  <unknown> / 50%
Min replicas:                                          1
Max replicas:                                          10
Deployment pods:                                       1 current / 0 desired
Conditions:
  Type           Status  Reason                   Message
  ----           ------  ------                   -------
  AbleToScale    True    SucceededGetScale        the HPA controller was able to get the target's current scale
  ScalingActive  False   FailedGetResourceMetric  the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)
Events:
  Type     Reason                        Age                  From                       Message
  ----     ------                        ----                 ----                       -------
  Warning  FailedGetResourceMetric       12s (x200 over 100m)  horizontal-pod-autoscaler  failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)
  Warning  FailedComputeMetricsReplicas  12s (x200 over 100m)  horizontal-pod-autoscaler  invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)
";

    const POD: &str = "Name:                 metrics-server-6d94bc8694-2xk7q
Namespace:            kube-system
Priority:             2000000000
Priority Class Name:  system-cluster-critical
Service Account:      metrics-server
Node:                 node1/10.0.1.218
Start Time:           Fri, 17 May 2024 10:00:00 +0000
Labels:               k8s-app=metrics-server
                      pod-template-hash=6d94bc8694
Annotations:          <none>
Status:               Running
IP:                   10.244.1.5
IPs:
  IP:           10.244.1.5
Controlled By:  ReplicaSet/metrics-server-6d94bc8694
Containers:
  metrics-server:
    Container ID:  containerd://4f1e2d3c4b5a69788796a5b4c3d2e1f0
    Image:         registry.k8s.io/metrics-server/metrics-server:v0.7.1
    Image ID:      registry.k8s.io/metrics-server/metrics-server@sha256:db3800085a0957083930c3932b17580eec652cfb6156a05c0f79c7543e80d17a
    Port:          10250/TCP
    Host Port:     0/TCP
    Args:
      --cert-dir=/tmp
      --secure-port=10250
      --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname
      --kubelet-use-node-status-port
      --metric-resolution=15s
    State:          Running
      Started:      Fri, 17 May 2024 10:20:01 +0000
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Fri, 17 May 2024 10:10:01 +0000
      Finished:     Fri, 17 May 2024 10:20:00 +0000
    Ready:          False
    Restart Count:  5
    Limits:
      memory:  200Mi
    Requests:
      cpu:        100m
      memory:     200Mi
    Liveness:     http-get https://:https/livez delay=0s timeout=1s period=10s #success=1 #failure=3
    Readiness:    http-get https://:https/readyz delay=20s timeout=1s period=10s #success=1 #failure=3
    Environment:  <none>
    Mounts:
      /tmp from tmp-dir (rw)
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-8xz2k (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       False 
  ContainersReady             False 
  PodScheduled                True 
Volumes:
  tmp-dir:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  <unset>
QoS Class:                   Burstable
Node-Selectors:              kubernetes.io/os=linux
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type     Reason     Age                 From     Message
  ----     ------     ----                ----     -------
  Warning  BackOff    2m (x20 over 10m)   kubelet  Back-off restarting failed container metrics-server in pod metrics-server-6d94bc8694-2xk7q_kube-system(0b1c2d3e)
  Normal   Pulled     5m (x6 over 15m)    kubelet  Container image \"registry.k8s.io/metrics-server/metrics-server:v0.7.1\" already present on machine
";

    fn at<'a>(n: &'a Node, path: &[&str]) -> Option<&'a Value> {
        let mut cur = &n.value;
        for p in path {
            cur = match cur {
                Value::Map(m) => get(m, p)?,
                Value::Seq(s) => &s.get(p.parse::<usize>().ok()?)?.value,
                _ => return None,
            };
        }
        Some(cur)
    }

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn apiservice() {
        assert!(looks_like_describe(APISERVICE));
        let d = parse_describe(APISERVICE);
        assert_eq!(d.len(), 1);
        let d = &d[0];
        assert_eq!(d.line, 1);
        assert_eq!(d.kind.as_deref(), Some("APIService"));
        assert_eq!(d.name.as_deref(), Some("v1beta1.metrics.k8s.io"));
        assert_eq!(d.namespace, None);
        assert!(d.events.is_empty());
        let o = &d.object;
        assert_eq!(
            at(o, &["apiVersion"]),
            Some(&s("apiregistration.k8s.io/v1"))
        );
        assert_eq!(
            at(o, &["metadata", "labels", "k8s-app"]),
            Some(&s("metrics-server"))
        );
        assert_eq!(
            at(
                o,
                &["metadata", "annotations", "meta.helm.sh/release-namespace"]
            ),
            Some(&s("kube-system"))
        );
        assert_eq!(
            at(o, &["metadata", "uid"]),
            Some(&s("8c3a5f4e-1b2c-4d5e-8f90-123456789abc"))
        );
        assert_eq!(
            at(o, &["metadata", "creationTimestamp"]),
            Some(&s("2024-05-16T19:02:11Z"))
        );
        assert_eq!(
            at(o, &["spec", "insecureSkipTLSVerify"]),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            at(o, &["spec", "groupPriorityMinimum"]),
            Some(&Value::Number("100".into()))
        );
        assert_eq!(
            at(o, &["spec", "service", "name"]),
            Some(&s("metrics-server"))
        );
        assert_eq!(
            at(o, &["spec", "service", "port"]),
            Some(&Value::Number("443".into()))
        );
        assert_eq!(
            at(o, &["status", "conditions", "0", "type"]),
            Some(&s("Available"))
        );
        assert_eq!(
            at(o, &["status", "conditions", "0", "status"]),
            Some(&s("False"))
        );
        assert_eq!(
            at(o, &["status", "conditions", "0", "reason"]),
            Some(&s("FailedDiscoveryCheck"))
        );
        assert_eq!(
            at(o, &["status", "conditions", "0", "message"]),
            Some(&s(
                "failing or missing response from https://10.0.1.218:4443/apis/metrics.k8s.io/v1beta1: Get \"https://10.0.1.218:4443/apis/metrics.k8s.io/v1beta1\": dial tcp 10.0.1.218:4443: i/o timeout"
            ))
        );
        // Node.line is the key's line.
        if let Value::Map(m) = &o.value {
            let status = m.iter().find(|(k, _)| k == "status").map(|(_, n)| n.line);
            assert_eq!(status, Some(23));
        }
        assert!(at(o, &["events"]).is_none());
    }

    #[test]
    fn apiservice_two_conditions_become_two_items() {
        let text = APISERVICE.replace(
            "Events:",
            "    Last Transition Time:  2024-05-16T19:02:11Z\n    Message:               all good\n    Reason:                Passed\n    Status:                True\n    Type:                  Other\nEvents:",
        );
        let d = parse_describe(&text);
        assert_eq!(
            at(&d[0].object, &["status", "conditions", "1", "type"]),
            Some(&s("Other"))
        );
    }

    #[test]
    fn hpa() {
        assert!(looks_like_describe(HPA));
        let d = parse_describe(HPA);
        assert_eq!(d.len(), 1);
        let d = &d[0];
        assert_eq!(d.kind.as_deref(), Some("HorizontalPodAutoscaler"));
        assert_eq!(d.namespace.as_deref(), Some("default"));
        let o = &d.object;
        assert_eq!(at(o, &["reference"]), Some(&s("Deployment/php-apache")));
        assert_eq!(at(o, &["minReplicas"]), Some(&Value::Number("1".into())));
        assert_eq!(at(o, &["metadata", "labels"]), Some(&Value::Map(vec![])));
        assert_eq!(
            at(
                o,
                &[
                    "metrics",
                    "resource cpu on pods  (as a percentage of request)"
                ]
            ),
            Some(&s("<unknown> / 50%"))
        );
        assert_eq!(
            at(o, &["status", "conditions", "1", "type"]),
            Some(&s("ScalingActive"))
        );
        assert_eq!(
            at(o, &["status", "conditions", "1", "status"]),
            Some(&s("False"))
        );
        assert_eq!(
            at(o, &["status", "conditions", "1", "reason"]),
            Some(&s("FailedGetResourceMetric"))
        );
        assert!(matches!(
            at(o, &["status", "conditions", "1", "message"]),
            Some(Value::String(m)) if m.ends_with("(get pods.metrics.k8s.io)")
        ));
        assert_eq!(d.events.len(), 2);
        let e = &d.events[0];
        assert_eq!(e.line, 20);
        assert_eq!(e.event_type, "Warning");
        assert_eq!(e.reason, "FailedGetResourceMetric");
        assert_eq!(e.age, "12s (x200 over 100m)");
        assert_eq!(e.from, "horizontal-pod-autoscaler");
        assert!(e.message.starts_with("failed to get cpu utilization"));
        assert_eq!(d.events[1].reason, "FailedComputeMetricsReplicas");
    }

    #[test]
    fn pod_oomkilled() {
        assert!(looks_like_describe(POD));
        let d = parse_describe(POD);
        assert_eq!(d.len(), 1);
        let d = &d[0];
        assert_eq!(d.kind.as_deref(), Some("Pod"));
        assert_eq!(d.name.as_deref(), Some("metrics-server-6d94bc8694-2xk7q"));
        let o = &d.object;
        assert_eq!(at(o, &["status", "phase"]), Some(&s("Running")));
        assert_eq!(at(o, &["qosClass"]), Some(&s("Burstable")));
        assert_eq!(
            at(o, &["nodeSelectors", "kubernetes.io/os"]),
            Some(&s("linux"))
        );
        assert_eq!(at(o, &["ips", "ip"]), Some(&s("10.244.1.5")));
        assert_eq!(
            at(o, &["metadata", "labels", "pod-template-hash"]),
            Some(&s("6d94bc8694"))
        );
        let c = ["containers", "metrics-server"];
        let p = |rest: &[&str]| -> Vec<String> {
            c.iter().chain(rest).map(|x| x.to_string()).collect()
        };
        let q =
            |rest: &[&str]| at(o, &p(rest).iter().map(String::as_str).collect::<Vec<_>>()).cloned();
        assert_eq!(q(&["lastState", "value"]), Some(s("Terminated")));
        assert_eq!(q(&["lastState", "reason"]), Some(s("OOMKilled")));
        assert_eq!(
            q(&["lastState", "exitCode"]),
            Some(Value::Number("137".into()))
        );
        assert_eq!(q(&["state", "value"]), Some(s("Running")));
        assert_eq!(q(&["ready"]), Some(s("False")));
        assert_eq!(q(&["restartCount"]), Some(Value::Number("5".into())));
        assert_eq!(
            q(&["containerID"]),
            Some(s("containerd://4f1e2d3c4b5a69788796a5b4c3d2e1f0"))
        );
        assert_eq!(q(&["limits", "memory"]), Some(s("200Mi")));
        assert_eq!(q(&["args", "4"]), Some(s("--metric-resolution=15s")));
        assert_eq!(q(&["mounts", "0"]), Some(s("/tmp from tmp-dir (rw)")));
        assert_eq!(q(&["environment"]), Some(Value::Null));
        assert_eq!(
            at(o, &["status", "conditions", "2", "type"]),
            Some(&s("Ready"))
        );
        assert_eq!(
            at(o, &["status", "conditions", "2", "status"]),
            Some(&s("False"))
        );
        assert_eq!(
            at(o, &["volumes", "tmp-dir", "sizeLimit"]),
            Some(&Value::Null)
        );
        assert_eq!(
            at(o, &["tolerations", "1"]),
            Some(&s(
                "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s"
            ))
        );
        assert_eq!(d.events.len(), 2);
        assert_eq!(d.events[0].reason, "BackOff");
        assert_eq!(d.events[1].event_type, "Normal");
        assert_eq!(d.events[1].from, "kubelet");
    }

    #[test]
    fn several_blocks_and_noise() {
        let text = format!(
            "$ kubectl describe apiservice v1beta1.metrics.k8s.io\n{APISERVICE}\n\n{HPA}$ kubectl describe pod x\n{POD}"
        );
        let d = parse_describe(&text);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].line, 2);
        assert_eq!(d[1].kind.as_deref(), Some("HorizontalPodAutoscaler"));
        assert_eq!(d[2].kind.as_deref(), Some("Pod"));
        assert!(d[0].events.is_empty());
        let crlf = HPA.replace('\n', "\r\n");
        assert_eq!(
            parse_describe(&crlf).first().map(|d| d.events.len()),
            Some(2)
        );
    }

    #[test]
    fn camel_case_keys() {
        assert_eq!(camel("Last Transition Time"), "lastTransitionTime");
        assert_eq!(camel("Insecure Skip TLS Verify"), "insecureSkipTLSVerify");
        assert_eq!(camel("API Version"), "apiVersion");
        assert_eq!(camel("UID"), "uid");
        assert_eq!(camel("QoS Class"), "qosClass");
        assert_eq!(camel("Node-Selectors"), "nodeSelectors");
        assert_eq!(camel("Container ID"), "containerID");
        assert_eq!(camel("f:metadata"), "f:metadata");
        assert_eq!(camel("cpu"), "cpu");
    }

    #[test]
    fn not_describe() {
        assert!(!looks_like_describe(
            "NAME   READY   STATUS\nfoo    1/1     Running\n"
        ));
        assert!(!looks_like_describe("Name: just one line\n"));
        assert!(parse_describe("").is_empty());
        assert!(parse_describe("hello\nworld\n").is_empty());
    }

    #[test]
    fn pathological_inputs_are_bounded() {
        let deep: String = (0..5000)
            .map(|i| format!("{}K{i}:\n", " ".repeat(i)))
            .collect();
        let d = parse_describe(&format!("Name: x\nSpec:\n{deep}"));
        assert_eq!(d.len(), 1);
        let wide: String = (0..20000).map(|i| format!("    Key:  {i}\n")).collect();
        let d = parse_describe(&format!("Name: x\nStatus:\n  Conditions:\n{wide}"));
        assert!(
            matches!(at(&d[0].object, &["status", "conditions"]), Some(Value::Seq(v)) if v.len() == 20000)
        );
    }

    #[test]
    fn truncations_never_panic() {
        let utf = "Name:   nœud\nLabels: ü=é\n         ✓=✓\nStatus:\n  Conditions:\n    Type  Status\n    ----  ------\n    Ä     Ö ü\nEvents:\n  Type  Reason  Age  From  Message\n  ----  ------  ---  ----  -------\n  W     R       1s   k     ✓ message\n";
        for t in [APISERVICE, HPA, POD, utf] {
            for (i, _) in t.char_indices() {
                let _ = looks_like_describe(&t[..i]);
                let _ = parse_describe(&t[..i]);
                let _ = parse_describe(&t[i..]);
            }
        }
        let d = parse_describe(utf);
        assert_eq!(
            d.first()
                .and_then(|d| d.events.first())
                .map(|e| e.message.as_str()),
            Some("✓ message")
        );
    }
}
