//! Position-aware document trees for support-bundle files.
//!
//! In: the text of one bundle file, either JSON (as written by `kubectl get -o json`, usually
//! indented) or a multi-document YAML stream. Both come from strangers' clusters, so they are
//! treated as hostile: nesting depth and node count are bounded by [`Limits`], and no input makes
//! the parsers panic.
//!
//! Out: a [`Node`] tree (one per YAML document) in which every node carries the 1-based line where
//! it starts, so findings can cite `file:line`. In YAML a mapping value always carries the line of
//! its key, because that is the line a reader looks for (`message: >-` rather than the first line
//! of the folded text below it). [`Node::select`] resolves the small path language that rules use.

use std::borrow::Cow;
use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

/// One node of a parsed JSON or YAML document, with the 1-based line where it starts in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line of the node's first character (for YAML mapping values: of the key).
    pub line: u32,
    /// What the node holds.
    pub value: Value,
}

/// A mapping key: most are short (`name`, `namespace`, `lastTransitionTime`) and are stored
/// inline, without an allocation of their own.
pub type Key = compact_str::CompactString;

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON `null`; YAML `null`, `~` or an empty plain scalar.
    Null,
    /// A boolean.
    Bool(bool),
    /// Kept as written ("1", "1.5e3", "0x1F" for YAML ints) so absurd numbers never overflow.
    Number(String),
    /// A string (any quoted YAML scalar, or a plain one that is not null/bool/number).
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// Keys in document order; non-string YAML keys are stringified.
    Map(Vec<(Key, Node)>),
}

/// Bounds that keep hostile input from exhausting memory or stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest allowed nesting of sequences and maps (a top-level map is depth 1). Parsing never
    /// recurses, but dropping, cloning, comparing and `to_json` do, so keep this in the hundreds.
    pub max_depth: usize,
    /// Most nodes (scalars, sequences, maps, map keys included) one call may build; YAML alias
    /// expansions count in full.
    pub max_nodes: usize,
}

impl Default for Limits {
    /// Generous enough for the biggest real bundle files, small enough to fail fast on bombs.
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_nodes: 2_000_000,
        }
    }
}

/// Why a file could not be parsed, with a 1-based position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Human-readable cause.
    pub message: String,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/// Parse one JSON value (RFC 8259; a leading UTF-8 BOM is tolerated). Duplicate keys are all
/// kept in order.
pub fn parse_json(text: &str, limits: &Limits) -> Result<Node, ParseError> {
    let text = strip_bom(text);
    JsonParser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        nodes: 0,
        limits: *limits,
    }
    .parse()
}

/// An open container. The parser keeps these on the heap rather than recursing, so depth is
/// bounded only by `Limits` and never by the thread's stack.
enum JsonFrame {
    Seq {
        line: u32,
        items: Vec<Node>,
    },
    Map {
        line: u32,
        entries: Vec<(Key, Node)>,
        key: Key,
    },
}

struct JsonParser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    nodes: usize,
    limits: Limits,
}

impl<'a> JsonParser<'a> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        // Columns are counted in characters only here, on the error path, to keep the hot loop
        // byte-based.
        let column = self
            .text
            .get(self.line_start..self.pos)
            .map_or(0, |s| s.chars().count());
        ParseError {
            line: self.line,
            column: to_u32(column.saturating_add(1)),
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line = self.line.saturating_add(1);
                    self.line_start = self.pos;
                }
                _ => break,
            }
        }
    }

    fn count_node(&mut self) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(self.error(format!(
                "document has more than {} nodes (--max-nodes)",
                self.limits.max_nodes
            )));
        }
        Ok(())
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => self.error(format!("unexpected end of input, expected {expected}")),
            Some(c) => self.error(format!("unexpected {c:?}, expected {expected}")),
        }
    }

    /// Reads `"key"` and the following `:`, leaving the cursor at the value.
    fn parse_key(&mut self) -> Result<Key, ParseError> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("a string key"));
        }
        let key = Key::from(self.parse_string_cow()?.as_ref());
        self.skip_ws();
        self.expect(b':', "':'")?;
        Ok(key)
    }

    fn parse(mut self) -> Result<Node, ParseError> {
        let mut stack: Vec<JsonFrame> = Vec::new();
        'value: loop {
            self.skip_ws();
            let line = self.line;
            let mut done = match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    self.count_node()?;
                    if stack.len() >= self.limits.max_depth {
                        return Err(self.error(format!(
                            "nesting deeper than {} levels (--max-depth)",
                            self.limits.max_depth
                        )));
                    }
                    self.pos += 1;
                    self.skip_ws();
                    if open == b'[' {
                        if self.peek() == Some(b']') {
                            self.pos += 1;
                            Node {
                                line,
                                value: Value::Seq(Vec::new()),
                            }
                        } else {
                            stack.push(JsonFrame::Seq {
                                line,
                                items: Vec::new(),
                            });
                            continue 'value;
                        }
                    } else if self.peek() == Some(b'}') {
                        self.pos += 1;
                        Node {
                            line,
                            value: Value::Map(Vec::new()),
                        }
                    } else {
                        let key = self.parse_key()?;
                        stack.push(JsonFrame::Map {
                            line,
                            entries: Vec::new(),
                            key,
                        });
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    self.count_node()?;
                    Node {
                        line,
                        value: Value::String(self.parse_string()?),
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.count_node()?;
                    Node {
                        line,
                        value: Value::Number(self.parse_number()?),
                    }
                }
                Some(b't') => self.parse_literal("true", Value::Bool(true))?,
                Some(b'f') => self.parse_literal("false", Value::Bool(false))?,
                Some(b'n') => self.parse_literal("null", Value::Null)?,
                _ => return Err(self.unexpected("a JSON value")),
            };
            // Hand the finished value to its container; closing brackets may finish several
            // containers in a row.
            loop {
                self.skip_ws();
                match stack.last_mut() {
                    None => {
                        if self.pos < self.bytes.len() {
                            return Err(self.unexpected("end of input after the JSON value"));
                        }
                        return Ok(done);
                    }
                    Some(JsonFrame::Seq { items, .. }) => {
                        items.push(done);
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                continue 'value;
                            }
                            Some(b']') => self.pos += 1,
                            _ => return Err(self.unexpected("',' or ']'")),
                        }
                    }
                    Some(JsonFrame::Map { entries, key, .. }) => {
                        entries.push((std::mem::take(key), done));
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                *key = self.parse_key()?;
                                continue 'value;
                            }
                            Some(b'}') => self.pos += 1,
                            _ => return Err(self.unexpected("',' or '}'")),
                        }
                    }
                }
                // Containers are kept for the whole analysis: no spare capacity.
                done = match stack.pop() {
                    Some(JsonFrame::Seq { line, mut items }) => {
                        items.shrink_to_fit();
                        Node {
                            line,
                            value: Value::Seq(items),
                        }
                    }
                    Some(JsonFrame::Map {
                        line, mut entries, ..
                    }) => {
                        entries.shrink_to_fit();
                        Node {
                            line,
                            value: Value::Map(entries),
                        }
                    }
                    None => return Err(self.error("internal error: container stack empty")),
                };
            }
        }
    }

    fn parse_literal(&mut self, word: &str, value: Value) -> Result<Node, ParseError> {
        let end = self.pos.saturating_add(word.len());
        if self.bytes.get(self.pos..end) != Some(word.as_bytes()) {
            return Err(self.unexpected("a JSON value"));
        }
        self.count_node()?;
        let line = self.line;
        self.pos = end;
        Ok(Node { line, value })
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn parse_number(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.unexpected("a digit after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        self.text
            .get(start..self.pos)
            .map(str::to_owned)
            .ok_or_else(|| self.error("internal error: number slice"))
    }

    /// Cursor on the opening quote. Strings without escapes (nearly all of them) are copied with
    /// a single allocation.
    fn parse_string(&mut self) -> Result<String, ParseError> {
        self.parse_string_cow().map(std::borrow::Cow::into_owned)
    }

    /// [`Self::parse_string`] without a copy when the string has no escapes.
    fn parse_string_cow(&mut self) -> Result<std::borrow::Cow<'a, str>, ParseError> {
        self.pos += 1;
        let mut run_start = self.pos;
        let mut out: Option<String> = None;
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    let tail = self
                        .text
                        .get(run_start..self.pos)
                        .ok_or_else(|| self.error("internal error: string slice"))?;
                    self.pos += 1;
                    return Ok(match out {
                        None => std::borrow::Cow::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            std::borrow::Cow::Owned(s)
                        }
                    });
                }
                Some(b'\\') => {
                    let run = self
                        .text
                        .get(run_start..self.pos)
                        .ok_or_else(|| self.error("internal error: string slice"))?;
                    let s = out.get_or_insert_with(String::new);
                    s.push_str(run);
                    self.pos += 1;
                    let c = self.parse_escape()?;
                    if let Some(s) = out.as_mut() {
                        s.push(c);
                    }
                    run_start = self.pos;
                }
                Some(b) if b < 0x20 => {
                    return Err(self.error("control character in string (must be escaped)"));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Cursor just after the backslash.
    fn parse_escape(&mut self) -> Result<char, ParseError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.pos..self.pos.saturating_add(2)) != Some(b"\\u") {
                            return Err(self.error("unpaired surrogate in \\u escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.error("unpaired surrogate in \\u escape"));
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error("unpaired surrogate in \\u escape"));
                    }
                    _ => first,
                };
                return char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"));
            }
            _ => return Err(self.error("invalid escape in string")),
        };
        self.pos += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("invalid \\u escape (need 4 hex digits)"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }
}

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

/// All documents of a multi-document YAML stream; empty documents (`---` with nothing, comments only) are skipped.
///
/// Plain scalars are resolved with the YAML 1.2 core schema (so `yes`/`on` stay strings); quoted
/// and block scalars are strings, as is anything tagged `!!str`. Aliases are expanded by copy.
/// A mapping value's `line` is the line of its key.
pub fn parse_yaml(text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    let text = strip_bom(text);
    // yaml-rust2 still has `unwrap`s on internal invariants; a bug there must become an error
    // for this one file, not take the analyzer down. (Ineffective under `panic = "abort"`.)
    std::panic::catch_unwind(|| YamlBuilder::new(text, *limits).run()).unwrap_or_else(|_| {
        Err(ParseError {
            line: 1,
            column: 1,
            message: "YAML parser failed internally on this input".to_owned(),
        })
    })
}

fn scan_error(e: &ScanError) -> ParseError {
    marker_error(e.marker(), e.info())
}

fn marker_error(m: &Marker, message: &str) -> ParseError {
    // yaml-rust2 markers have 1-based lines and 0-based columns.
    ParseError {
        line: to_u32(m.line().max(1)),
        column: to_u32(m.col().saturating_add(1)),
        message: message.to_owned(),
    }
}

/// A node still receiving children. `nodes_before` and `height` let an anchored subtree's size
/// and depth be known without walking it, so alias expansion can be priced before copying.
struct YamlFrame {
    line: u32,
    anchor: usize,
    nodes_before: usize,
    height: usize,
    kind: YamlFrameKind,
}

enum YamlFrameKind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Key, Node)>,
        /// Key waiting for its value, with the key's line.
        key: Option<(String, u32)>,
    },
}

/// An anchored node kept for later aliases, with its node count and nesting height.
struct Anchored {
    node: Node,
    size: usize,
    height: usize,
}

struct YamlBuilder<'a> {
    text: &'a str,
    /// Byte offset of each line start, built on the first block scalar (see `block_scalar_line`).
    line_starts: Option<Vec<usize>>,
    limits: Limits,
    nodes: usize,
    /// Nodes copied by alias expansion so far.
    alias_nodes: usize,
    stack: Vec<YamlFrame>,
    anchors: HashMap<usize, Anchored>,
    docs: Vec<Node>,
    /// Root of the current document and whether it is the implicit empty scalar of a document
    /// with no content.
    root: Option<(Node, bool)>,
}

impl<'a> YamlBuilder<'a> {
    fn new(text: &'a str, limits: Limits) -> Self {
        YamlBuilder {
            text,
            line_starts: None,
            limits,
            nodes: 0,
            alias_nodes: 0,
            stack: Vec::new(),
            anchors: HashMap::new(),
            docs: Vec::new(),
            root: None,
        }
    }

    fn run(mut self) -> Result<Vec<Node>, ParseError> {
        let mut parser = Parser::new_from_str(self.text);
        loop {
            let (event, mark) = parser.next_token().map_err(|e| scan_error(&e))?;
            match event {
                Event::StreamEnd => break,
                Event::Nothing | Event::StreamStart => {}
                Event::DocumentStart => {
                    // Anchors are scoped to one document.
                    self.anchors.clear();
                    self.root = None;
                }
                Event::DocumentEnd => {
                    if let Some((node, false)) = self.root.take() {
                        self.docs.push(node);
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    self.count(1, &mark)?;
                    let forced_str = tag.as_ref().is_some_and(|t| {
                        t.suffix == "str" && (t.handle == "tag:yaml.org,2002:" || t.handle == "!!")
                    });
                    let empty_doc = text.is_empty()
                        && style == TScalarStyle::Plain
                        && anchor == 0
                        && tag.is_none();
                    let value = if style == TScalarStyle::Plain && !forced_str {
                        resolve_plain(text)
                    } else {
                        Value::String(text)
                    };
                    let line = match style {
                        TScalarStyle::Literal | TScalarStyle::Folded => {
                            self.block_scalar_line(&mark)
                        }
                        _ => mark_line(&mark),
                    };
                    let node = Node { line, value };
                    self.finish(node, anchor, 1, 0, empty_doc, &mark)?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.open(anchor, YamlFrameKind::Seq(Vec::new()), &mark)?
                }
                Event::MappingStart(anchor, _) => self.open(
                    anchor,
                    YamlFrameKind::Map {
                        entries: Vec::new(),
                        key: None,
                    },
                    &mark,
                )?,
                Event::SequenceEnd | Event::MappingEnd => self.close(&mark)?,
                Event::Alias(id) => {
                    let (size, height) = match self.anchors.get(&id) {
                        Some(a) => (a.size, a.height),
                        None => {
                            return Err(marker_error(
                                &mark,
                                "alias refers to an anchor that is unknown or not yet complete",
                            ));
                        }
                    };
                    // Price the copy before making it: this is what stops billion-laughs.
                    // Aliases get their own, smaller budget: real bundle files barely use
                    // them, and a bomb must not fill the whole node budget in memory.
                    self.alias_nodes = self.alias_nodes.saturating_add(size);
                    let alias_budget = (self.limits.max_nodes / 20).max(1_000);
                    if self.alias_nodes > alias_budget {
                        return Err(marker_error(
                            &mark,
                            &format!(
                                "YAML aliases expand to more than {alias_budget} nodes (billion-laughs guard; --max-nodes)"
                            ),
                        ));
                    }
                    self.count(size, &mark)?;
                    self.check_depth(height, &mark)?;
                    let node = match self.anchors.get(&id) {
                        Some(a) => a.node.clone(),
                        None => return Err(marker_error(&mark, "alias lost its anchor")),
                    };
                    self.finish(node, 0, size, height, false, &mark)?;
                }
            }
        }
        Ok(self.docs)
    }

    /// yaml-rust2 marks a block scalar at its first content line, but the node starts at the
    /// `|`/`>` indicator (e.g. `- >-`). Only blank lines can separate the two, so the indicator
    /// is on the nearest non-blank line above, unless the mark already sits on the indicator
    /// (empty scalars).
    fn block_scalar_line(&mut self, mark: &Marker) -> u32 {
        let text = self.text;
        let starts = self.line_starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line_text = |line: usize| -> Option<&str> {
            let start = *starts.get(line.checked_sub(1)?)?;
            let end = starts.get(line).map_or(text.len(), |&e| e);
            text.get(start..end)
        };
        let mut line = mark.line();
        let on_indicator = line_text(line)
            .and_then(|l| l.chars().nth(mark.col()))
            .is_some_and(|c| c == '|' || c == '>');
        if !on_indicator {
            while line > 1 {
                line -= 1;
                if line_text(line).is_none_or(|l| !l.trim().is_empty()) {
                    break;
                }
            }
        }
        to_u32(line.max(1))
    }

    fn count(&mut self, n: usize, mark: &Marker) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(marker_error(
                mark,
                &format!(
                    "document has more than {} nodes after alias expansion (--max-nodes)",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    /// Would a subtree of `height` container levels fit below the open containers?
    fn check_depth(&self, height: usize, mark: &Marker) -> Result<(), ParseError> {
        if self.stack.len().saturating_add(height) > self.limits.max_depth {
            return Err(marker_error(
                mark,
                &format!(
                    "nesting deeper than {} levels (--max-depth)",
                    self.limits.max_depth
                ),
            ));
        }
        Ok(())
    }

    fn open(
        &mut self,
        anchor: usize,
        kind: YamlFrameKind,
        mark: &Marker,
    ) -> Result<(), ParseError> {
        self.count(1, mark)?;
        self.check_depth(1, mark)?;
        self.stack.push(YamlFrame {
            line: mark_line(mark),
            anchor,
            nodes_before: self.nodes - 1,
            height: 1,
            kind,
        });
        Ok(())
    }

    fn close(&mut self, mark: &Marker) -> Result<(), ParseError> {
        let frame = self
            .stack
            .pop()
            .ok_or_else(|| marker_error(mark, "unbalanced end of collection"))?;
        // Containers are kept for the whole analysis: no spare capacity.
        let value = match frame.kind {
            YamlFrameKind::Seq(mut items) => {
                items.shrink_to_fit();
                Value::Seq(items)
            }
            YamlFrameKind::Map { mut entries, .. } => {
                entries.shrink_to_fit();
                Value::Map(entries)
            }
        };
        let size = self.nodes - frame.nodes_before;
        let node = Node {
            line: frame.line,
            value,
        };
        self.finish(node, frame.anchor, size, frame.height, false, mark)
    }

    /// Attach a completed node (of `size` nodes and `height` container levels) to its parent, or
    /// make it the document root.
    fn finish(
        &mut self,
        mut node: Node,
        anchor: usize,
        size: usize,
        height: usize,
        empty_doc: bool,
        mark: &Marker,
    ) -> Result<(), ParseError> {
        if anchor != 0 {
            // The kept copy costs memory like any other node, so it is charged to the budget.
            self.count(size, mark)?;
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    size,
                    height,
                },
            );
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some((node, empty_doc));
            return Ok(());
        };
        parent.height = parent.height.max(height.saturating_add(1));
        match &mut parent.kind {
            YamlFrameKind::Seq(items) => items.push(node),
            YamlFrameKind::Map { entries, key } => match key.take() {
                None => {
                    let line = node.line;
                    *key = Some((key_text(&node), line));
                }
                Some((k, line)) => {
                    node.line = line;
                    entries.push((k.into(), node));
                }
            },
        }
        Ok(())
    }
}

fn mark_line(mark: &Marker) -> u32 {
    to_u32(mark.line().max(1))
}

fn key_text(node: &Node) -> String {
    match node.scalar_text() {
        Some(text) => text.into_owned(),
        // Complex keys are legal YAML but never appear in Kubernetes objects; a JSON rendering
        // keeps them distinct and readable.
        None => node.to_json().to_string(),
    }
}

/// YAML 1.2 core schema resolution of an untagged plain scalar.
fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        t if is_core_number(t) => Value::Number(text),
        _ => Value::String(text),
    }
}

fn is_core_number(t: &str) -> bool {
    let all = |s: &str, f: fn(&u8) -> bool| !s.is_empty() && s.as_bytes().iter().all(f);
    if let Some(hex) = t.strip_prefix("0x") {
        return all(hex, u8::is_ascii_hexdigit);
    }
    if let Some(oct) = t.strip_prefix("0o") {
        return all(oct, |b| (b'0'..=b'7').contains(b));
    }
    if matches!(t, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // [0-9]+ | [0-9]+ . [0-9]* | . [0-9]+, then an optional exponent.
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (unsigned.get(..i).unwrap_or(""), unsigned.get(i + 1..)),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        None => all(mantissa, u8::is_ascii_digit),
        Some(("", frac)) => all(frac, u8::is_ascii_digit),
        Some((int, frac)) => {
            all(int, u8::is_ascii_digit) && frac.bytes().all(|b| b.is_ascii_digit())
        }
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => all(e.strip_prefix(['-', '+']).unwrap_or(e), u8::is_ascii_digit),
    };
    mantissa_ok && exponent_ok
}

// ---------------------------------------------------------------------------------------------
// Access
// ---------------------------------------------------------------------------------------------

impl Node {
    /// Value of `key` in a map; with duplicate keys the last one wins, as in Go and Kubernetes.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The text of a `String` node; `None` for every other kind, numbers included.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Elements of a `Seq` node.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// Entries of a `Map` node, in document order, duplicates included.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Scalar rendered as text: String as is, Number as written, Bool "true"/"false", Null "null"; None for Seq/Map.
    pub fn scalar_text(&self) -> Option<Cow<'_, str>> {
        match &self.value {
            Value::Null => Some(Cow::Borrowed("null")),
            Value::Bool(true) => Some(Cow::Borrowed("true")),
            Value::Bool(false) => Some(Cow::Borrowed("false")),
            Value::Number(n) => Some(Cow::Borrowed(n)),
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// Convert to `serde_json` (duplicate keys collapse, last wins). Integers that fit `i64`/`u64`
    /// and finite floats become numbers; anything else (`1e999999`, 400-digit integers, YAML
    /// `.inf`) stays a string rather than silently losing precision.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(n),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Path lookup used by rules: dotted keys with optional selectors, e.g.
    /// `status.conditions[type=Available].message`, `spec.containers[*].args`, `items[0].metadata.name`,
    /// `metadata.labels.k8s-app`, and quoted keys for keys with dots: `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`.
    /// Returns every node reached (a `[*]` or `[k=v]` selector can reach many; `[k=v]` keeps seq elements whose field k has scalar_text == v).
    ///
    /// `[*]` also yields a map's values. A malformed path (see [`validate_path`]) selects nothing.
    pub fn select<'a>(&'a self, path: &str) -> Vec<&'a Node> {
        let Ok(steps) = parse_path(path) else {
            return Vec::new();
        };
        let mut current = vec![self];
        for step in &steps {
            let mut next = Vec::new();
            for node in current {
                match step {
                    Step::Key(k) => next.extend(node.get(k)),
                    Step::Index(i) => next.extend(node.as_seq().and_then(|s| s.get(*i))),
                    Step::All => match &node.value {
                        Value::Seq(items) => next.extend(items.iter()),
                        Value::Map(entries) => next.extend(entries.iter().map(|(_, v)| v)),
                        _ => {}
                    },
                    Step::Filter(k, v) => {
                        if let Some(items) = node.as_seq() {
                            next.extend(items.iter().filter(|item| {
                                item.get(k)
                                    .and_then(Node::scalar_text)
                                    .is_some_and(|t| t == v.as_str())
                            }));
                        }
                    }
                }
            }
            current = next;
            if current.is_empty() {
                break;
            }
        }
        current
    }
}

fn number_to_json(n: &str) -> serde_json::Value {
    use serde_json::{Number, Value as J};
    let digits = n.strip_prefix('+').unwrap_or(n);
    if let Ok(i) = digits.parse::<i64>() {
        return J::Number(i.into());
    }
    if let Ok(u) = digits.parse::<u64>() {
        return J::Number(u.into());
    }
    // Written without let-chains so the file also builds in a 2021-edition crate.
    let radix = |prefix: &str, radix: u32| {
        digits
            .strip_prefix(prefix)
            .and_then(|d| u64::from_str_radix(d, radix).ok())
    };
    if let Some(u) = radix("0x", 16).or_else(|| radix("0o", 8)) {
        return J::Number(u.into());
    }
    let is_integer = digits
        .strip_prefix('-')
        .unwrap_or(digits)
        .bytes()
        .all(|b| b.is_ascii_digit());
    // Integers too big for u64 would lose digits as f64; `from_f64` refuses infinities.
    let float = (!is_integer)
        .then(|| digits.parse::<f64>().ok())
        .flatten()
        .and_then(Number::from_f64);
    if let Some(f) = float {
        return J::Number(f);
    }
    J::String(n.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    All,
    Filter(String, String),
}

/// Parse-time validation of a path string for rule loading: Err(message) when malformed (unbalanced brackets, empty segment).
pub fn validate_path(path: &str) -> Result<(), String> {
    parse_path(path).map(|_| ())
}

fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    if path.is_empty() {
        return Err("empty path".to_owned());
    }
    let mut steps = Vec::new();
    let mut chars = path.char_indices().peekable();
    loop {
        // One segment: an optional bare key, then any number of `[...]` selectors.
        let mut name = String::new();
        while let Some(&(_, c)) = chars.peek() {
            match c {
                '.' | '[' => break,
                ']' => return Err(format!("unbalanced ']' in path {path:?}")),
                _ => {
                    name.push(c);
                    chars.next();
                }
            }
        }
        let has_name = !name.is_empty();
        if has_name {
            steps.push(Step::Key(name));
        }
        let mut selectors = 0;
        while let Some(&(at, '[')) = chars.peek() {
            chars.next();
            steps.push(parse_selector(&mut chars, path, at)?);
            selectors += 1;
        }
        if !has_name && selectors == 0 {
            return Err(format!("empty segment in path {path:?}"));
        }
        match chars.next() {
            None => return Ok(steps),
            Some((_, '.')) => {}
            Some((at, c)) => {
                return Err(format!(
                    "unexpected {c:?} at byte {at} of path {path:?} (expected '.' or '[')"
                ));
            }
        }
    }
}

fn parse_selector(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    path: &str,
    open_at: usize,
) -> Result<Step, String> {
    let unbalanced = || format!("unbalanced '[' at byte {open_at} of path {path:?}");
    if let Some(&(_, quote @ ('"' | '\''))) = chars.peek() {
        chars.next();
        let key = read_quoted(chars, quote).ok_or_else(unbalanced)?;
        return match chars.next() {
            Some((_, ']')) => Ok(Step::Key(key)),
            _ => Err(unbalanced()),
        };
    }
    let mut body = String::new();
    let mut value: Option<String> = None;
    loop {
        match chars.next() {
            None => return Err(unbalanced()),
            Some((_, ']')) => break,
            Some((_, '[')) => return Err(unbalanced()),
            Some((_, '=')) if value.is_none() => {
                let v = match chars.peek() {
                    Some(&(_, q @ ('"' | '\''))) => {
                        chars.next();
                        read_quoted(chars, q).ok_or_else(unbalanced)?
                    }
                    _ => {
                        let mut v = String::new();
                        while let Some(&(_, c)) = chars.peek() {
                            if c == ']' || c == '[' {
                                break;
                            }
                            v.push(c);
                            chars.next();
                        }
                        v
                    }
                };
                value = Some(v);
            }
            Some((_, c)) if value.is_none() => body.push(c),
            Some((_, c)) => {
                return Err(format!("unexpected {c:?} after selector value in {path:?}"));
            }
        }
    }
    match value {
        Some(v) if !body.is_empty() => Ok(Step::Filter(body, v)),
        Some(_) => Err(format!("selector with empty field name in path {path:?}")),
        None if body == "*" => Ok(Step::All),
        None => body.parse::<usize>().map(Step::Index).map_err(|_| {
            format!("selector [{body}] in path {path:?} is not *, an index, k=v or a quoted key")
        }),
    }
}

/// Reads up to the closing `quote`; `\` escapes the next character. None if unterminated.
fn read_quoted(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    quote: char,
) -> Option<String> {
    let mut out = String::new();
    loop {
        match chars.next()?.1 {
            '\\' => out.push(chars.next()?.1),
            c if c == quote => return Some(out),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn json(text: &str) -> Node {
        parse_json(text, &Limits::default()).expect("valid JSON")
    }

    fn yaml(text: &str) -> Vec<Node> {
        parse_yaml(text, &Limits::default()).expect("valid YAML")
    }

    fn one<'a>(node: &'a Node, path: &str) -> &'a Node {
        let found = node.select(path);
        assert_eq!(found.len(), 1, "path {path} selected {found:?}");
        found[0]
    }

    /// 1-based line of the first line of `text` containing `needle`.
    fn line_of(text: &str, needle: &str) -> u32 {
        let i = text.lines().position(|l| l.contains(needle)).expect(needle);
        u32::try_from(i + 1).unwrap()
    }

    const POD_LIST: &str = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "kind": "Pod",
            "metadata": {
                "name": "coredns-1",
                "labels": {
                    "k8s-app": "kube-dns"
                }
            },
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "message": "containers with unready status: [coredns]"
                    }
                ],
                "restartCount": 12
            }
        },
        {
            "kind": "Pod",
            "metadata": { "name": "etcd-0", "labels": {} }
        }
    ],
    "kind": "PodList"
}
"#;

    const API_SERVICE: &str = r#"apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  creationTimestamp: '2020-04-03T07:18:41Z'
  name: v1beta1.metrics.k8s.io
spec:
  group: metrics.k8s.io
  groupPriorityMinimum: 100
  insecureSkipTLSVerify: true
  service:
    name: metrics-server
    namespace: kube-system
    port: 443
  version: v1beta1
  versionPriority: 100
status:
  conditions:
    - lastTransitionTime: '2020-04-03T07:18:41Z'
      message: >-
        failing or missing response from
        https://10.96.106.114:443/apis/metrics.k8s.io/v1beta1: Get
        https://10.96.106.114:443/apis/metrics.k8s.io/v1beta1: net/http: request
        canceled while waiting for connection (Client.Timeout exceeded while
        awaiting headers)
      reason: FailedDiscoveryCheck
      status: 'False'
      type: Available
"#;

    #[test]
    fn json_pod_list_lines() {
        let root = json(POD_LIST);
        assert_eq!(root.line, 1);
        assert_eq!(root.get("kind").and_then(Node::as_str), Some("PodList"));
        assert_eq!(one(&root, "items").line, line_of(POD_LIST, "\"items\""));
        assert_eq!(one(&root, "items[0]").line, 4);
        let name = one(&root, "items[0].metadata.name");
        assert_eq!(name.as_str(), Some("coredns-1"));
        assert_eq!(name.line, line_of(POD_LIST, "coredns-1"));
        let msg = one(&root, "items[0].status.conditions[0].message");
        assert_eq!(msg.line, line_of(POD_LIST, "\"message\""));
        let cond = one(&root, "items[0].status.conditions[type=Ready]");
        assert_eq!(cond.line, line_of(POD_LIST, "\"type\": \"Ready\"") - 1);
        assert_eq!(
            one(&root, "items[0].metadata.labels.k8s-app").as_str(),
            Some("kube-dns")
        );
        let restarts = one(&root, "items[0].status.restartCount");
        assert_eq!(restarts.value, Value::Number("12".into()));
        assert_eq!(
            one(&root, "items[1].metadata.name").line,
            line_of(POD_LIST, "etcd-0")
        );
        // The tree agrees with serde_json on content.
        let expected: serde_json::Value = serde_json::from_str(POD_LIST).unwrap();
        assert_eq!(root.to_json(), expected);
    }

    #[test]
    fn json_strings_and_escapes() {
        let n = json(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00z""#);
        assert_eq!(n.as_str(), Some("a\"\\/\u{8}\u{c}\n\r\té😀z"));
        assert_eq!(json(r#""héllo wörld""#).as_str(), Some("héllo wörld"));
        for bad in [
            r#""\x""#,
            r#""\u12""#,
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            "\"tab\tinside\"",
            "\"unterminated",
            "\"ends in escape\\",
        ] {
            assert!(parse_json(bad, &Limits::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_syntax_errors_have_positions() {
        let err = parse_json("{\n  \"a\": 1,\n  \"b\": tru\n}", &Limits::default()).unwrap_err();
        assert_eq!((err.line, err.column), (3, 8));
        assert_eq!(
            err.to_string(),
            format!("line 3, column 8: {}", err.message)
        );
        let err = parse_json("[1, 2]\n  x", &Limits::default()).unwrap_err();
        assert_eq!((err.line, err.column), (2, 3));
        for bad in [
            "",
            "   ",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "[1 2]",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "[",
            "{\"a\"",
            "{\"a\":",
            "nul",
            "truex",
            "[1]]",
            "\"a\" \"b\"",
            "NaN",
        ] {
            assert!(parse_json(bad, &Limits::default()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_bom_and_scalars() {
        assert_eq!(
            json("\u{FEFF}{\"a\": null}").get("a").unwrap().value,
            Value::Null
        );
        assert_eq!(json(" true ").value, Value::Bool(true));
        assert_eq!(json("-0.5E+3").value, Value::Number("-0.5E+3".into()));
        assert_eq!(json("[]").as_seq().map(<[Node]>::len), Some(0));
        assert_eq!(json("{}").as_map().map(<[(Key, Node)]>::len), Some(0));
    }

    #[test]
    fn json_deep_nesting_is_an_error_not_a_crash() {
        let start = Instant::now();
        let deep = "[".repeat(100_000);
        let err = parse_json(&deep, &Limits::default()).unwrap_err();
        assert!(err.message.contains("nesting"), "{err}");
        let deep_maps = "{\"a\":".repeat(100_000);
        assert!(parse_json(&deep_maps, &Limits::default()).is_err());
        assert!(start.elapsed() < Duration::from_secs(1));

        let at_limit = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse_json(&at_limit, &Limits::default()).is_ok());
        let over = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(parse_json(&over, &Limits::default()).is_err());

        // Even a caller who lifts the limit cannot overflow the stack while parsing.
        let huge = Limits {
            max_depth: usize::MAX,
            max_nodes: usize::MAX,
        };
        let text = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        let mut node = parse_json(&text, &huge).unwrap();
        // Dropping a 200,000-deep tree recursively would overflow the test thread; unnest first.
        while let Value::Seq(mut items) = node.value {
            match items.pop() {
                Some(inner) => node = inner,
                None => break,
            }
        }
    }

    #[test]
    fn json_node_limit() {
        let limits = Limits {
            max_depth: 128,
            max_nodes: 4,
        };
        assert!(parse_json("[1, 2, 3]", &limits).is_ok());
        let err = parse_json("[1, 2, 3, 4]", &limits).unwrap_err();
        assert!(err.message.contains("more than 4 nodes"), "{err}");
        assert!(parse_json("{\"a\": [true, false, null]}", &limits).is_err());
    }

    #[test]
    fn duplicate_keys_keep_both_and_get_returns_last() {
        let n = json("{\"a\": 1,\n \"a\": 2}");
        let entries = n.as_map().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].1.value, Value::Number("1".into()));
        let last = n.get("a").unwrap();
        assert_eq!((last.line, last.scalar_text().unwrap().as_ref()), (2, "2"));
        assert_eq!(one(&n, "a").line, 2);

        let docs = yaml("a: 1\nb: x\na: 2\n");
        assert_eq!(docs[0].as_map().unwrap().len(), 3);
        assert_eq!(docs[0].get("a").unwrap().line, 3);
    }

    #[test]
    fn absurd_numbers_are_kept_as_text() {
        let big = "9".repeat(400);
        let n = json(&format!(
            "[1e999999, {big}, -{big}, 12, 18446744073709551615, 1.5]"
        ));
        let items = n.as_seq().unwrap();
        assert_eq!(items[0].value, Value::Number("1e999999".into()));
        assert_eq!(items[1].scalar_text().as_deref(), Some(big.as_str()));
        let j = n.to_json();
        assert_eq!(j[0], serde_json::json!("1e999999"));
        assert_eq!(j[1], serde_json::Value::String(big.clone()));
        assert_eq!(j[2], serde_json::Value::String(format!("-{big}")));
        assert_eq!(j[3], serde_json::json!(12));
        assert_eq!(j[4], serde_json::json!(u64::MAX));
        assert_eq!(j[5], serde_json::json!(1.5));

        let docs = yaml(&format!("a: {big}\nb: 1e999999\nc: 0x1F\nd: .inf\n"));
        let d = &docs[0];
        assert_eq!(d.get("a").unwrap().value, Value::Number(big.clone()));
        assert_eq!(d.get("b").unwrap().value, Value::Number("1e999999".into()));
        assert_eq!(d.get("c").unwrap().to_json(), serde_json::json!(31));
        assert_eq!(d.get("d").unwrap().to_json(), serde_json::json!(".inf"));
    }

    #[test]
    fn yaml_api_service_condition_message() {
        let docs = yaml(API_SERVICE);
        assert_eq!(docs.len(), 1);
        let svc = &docs[0];
        assert_eq!(svc.get("kind").and_then(Node::as_str), Some("APIService"));
        let found = svc.select("status.conditions[type=Available].message");
        assert_eq!(found.len(), 1);
        let msg = found[0];
        assert_eq!(msg.line, line_of(API_SERVICE, "message: >-"));
        assert_eq!(msg.line, 19);
        let text = msg.as_str().unwrap();
        assert!(
            text.starts_with("failing or missing response from https://10.96.106.114:443"),
            "{text}"
        );
        assert!(text.ends_with("awaiting headers)"), "{text}");
        assert!(!text.contains('\n'));
        assert_eq!(one(svc, "status.conditions[0]").line, 18);
        assert_eq!(one(svc, "status.conditions").line, 17);
        assert_eq!(one(svc, "status").line, 16);
        assert_eq!(one(svc, "status.conditions[0].reason").line, 25);
        // Quoted scalars stay strings even when they look like something else.
        assert_eq!(
            one(svc, "status.conditions[0].status").as_str(),
            Some("False")
        );
        assert_eq!(
            one(svc, "spec.groupPriorityMinimum").value,
            Value::Number("100".into())
        );
        assert_eq!(
            one(svc, "spec.insecureSkipTLSVerify").value,
            Value::Bool(true)
        );
        assert_eq!(one(svc, "spec.service.port").line, 13);
        assert!(
            svc.select("status.conditions[type=Ready].message")
                .is_empty()
        );
    }

    #[test]
    fn yaml_block_scalar_and_nested_block_values_cite_the_key_line() {
        let text =
            "a:\n  b: |\n    one\n    two\n  c:\n    - x\n  d:\n    e: 1\nf: >\n  folded\n  text\n";
        let d = &yaml(text)[0];
        assert_eq!(one(d, "a").line, 1);
        assert_eq!(one(d, "a.b").line, 2);
        assert_eq!(one(d, "a.b").as_str(), Some("one\ntwo\n"));
        assert_eq!(one(d, "a.c").line, 5);
        assert_eq!(one(d, "a.c[0]").line, 6);
        assert_eq!(one(d, "a.d").line, 7);
        assert_eq!(one(d, "a.d.e").line, 8);
        assert_eq!(one(d, "f").line, 9);
        assert_eq!(one(d, "f").as_str(), Some("folded text\n"));
    }

    #[test]
    fn yaml_block_scalars_outside_maps_start_at_their_indicator() {
        let text = "- >-\n  folded\n  more\n- |\n\n\n  after blanks\n- |+\n- x\n- key: |\n    v\n";
        let d = &yaml(text)[0];
        let lines: Vec<u32> = d.as_seq().unwrap().iter().map(|n| n.line).collect();
        assert_eq!(lines, [1, 4, 8, 9, 10]);
        assert_eq!(one(d, "[0]").as_str(), Some("folded more"));
        assert_eq!(one(d, "[1]").as_str(), Some("\n\nafter blanks\n"));
        assert_eq!(one(d, "[4].key").line, 10);
        assert_eq!(yaml("--- |\n  root text\n")[0].line, 1);
        assert_eq!(yaml("a: 1\n---\n\n>\n  root\n")[1].line, 4);
    }

    #[test]
    fn yaml_multi_document_stream() {
        let text = "# leading comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n---\n# only a comment\n---\n---\nkind: List\nitems:\n  - kind: Secret\n    metadata:\n      name: two\n  - kind: Pod\n    metadata:\n      name: three\n...\n";
        let docs = yaml(text);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].line, 3);
        assert_eq!(one(&docs[0], "metadata.name").line, 6);
        let list = &docs[1];
        assert_eq!(list.get("kind").and_then(Node::as_str), Some("List"));
        let names: Vec<_> = list
            .select("items[*].metadata.name")
            .into_iter()
            .map(|n| (n.as_str().unwrap(), n.line))
            .collect();
        assert_eq!(names, [("two", 15), ("three", 18)]);
        assert_eq!(one(list, "items[kind=Pod]").line, 16);

        assert!(yaml("").is_empty());
        assert!(yaml("# nothing\n").is_empty());
        assert!(yaml("---\n---\n").is_empty());
        // An explicit null is content, not an empty document.
        assert_eq!(yaml("--- null\n")[0].value, Value::Null);
    }

    #[test]
    fn yaml_top_level_sequence() {
        let docs = yaml("\n- name: a\n  v: 1\n- name: b\n- [x, {y: 2}]\n");
        assert_eq!(docs.len(), 1);
        let seq = docs[0].as_seq().unwrap();
        assert_eq!(seq.len(), 3);
        assert_eq!(docs[0].line, 2);
        assert_eq!(one(&docs[0], "[1].name").line, 4);
        assert_eq!(one(&docs[0], "[2][1].y").value, Value::Number("2".into()));
        assert_eq!(docs[0].select("[*]").len(), 3);
    }

    #[test]
    fn yaml_scalar_resolution() {
        let d = &yaml(
            "a: ~\nb:\nc: Null\nd: True\ne: 0x1F\nf: 0o17\ng: -1.5e3\nh: yes\ni: '12'\nj: \"true\"\n\
             k: !!str 42\nl: 1_000\nm: .NaN\nn: 1.\no: +12\np: 12abc\nq: \"\"\nr: 2020-04-03\n",
        )[0];
        let v = |k: &str| d.get(k).unwrap().value.clone();
        let num = |s: &str| Value::Number(s.into());
        let st = |s: &str| Value::String(s.into());
        assert_eq!(v("a"), Value::Null);
        assert_eq!(v("b"), Value::Null);
        assert_eq!(v("c"), Value::Null);
        assert_eq!(v("d"), Value::Bool(true));
        assert_eq!(v("e"), num("0x1F"));
        assert_eq!(v("f"), num("0o17"));
        assert_eq!(v("g"), num("-1.5e3"));
        assert_eq!(v("h"), st("yes"));
        assert_eq!(v("i"), st("12"));
        assert_eq!(v("j"), st("true"));
        assert_eq!(v("k"), st("42"));
        assert_eq!(v("l"), st("1_000"));
        assert_eq!(v("m"), num(".NaN"));
        assert_eq!(v("n"), num("1."));
        assert_eq!(v("o"), num("+12"));
        assert_eq!(v("p"), st("12abc"));
        assert_eq!(v("q"), st(""));
        assert_eq!(v("r"), st("2020-04-03"));
        assert_eq!(d.get("g").unwrap().to_json(), serde_json::json!(-1500.0));
        assert_eq!(d.get("o").unwrap().to_json(), serde_json::json!(12));
    }

    #[test]
    fn yaml_non_string_keys_are_stringified() {
        let d = &yaml("1: a\ntrue: b\n~: c\n1.5: d\n? [x, y]\n: e\n")[0];
        let keys: Vec<_> = d
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["1", "true", "null", "1.5", "[\"x\",\"y\"]"]);
    }

    #[test]
    fn yaml_aliases_expand() {
        let d = &yaml(
            "base: &b\n  image: nginx\n  ports: [80, 443]\ncopy: *b\nname: &n web\nagain: *n\n",
        )[0];
        assert_eq!(one(d, "copy.image").as_str(), Some("nginx"));
        assert_eq!(d.select("copy.ports[*]").len(), 2);
        // The alias value cites the key that uses it.
        assert_eq!(one(d, "copy").line, 4);
        assert_eq!(one(d, "again").as_str(), Some("web"));
        assert_eq!(one(d, "again").line, 6);
        assert!(parse_yaml("a: *nope\n", &Limits::default()).is_err());
        assert!(parse_yaml("a: &x [1, *x]\n", &Limits::default()).is_err());
    }

    #[test]
    fn yaml_billion_laughs_fails_fast() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names: Vec<char> = ('b'..='j').collect();
        let mut prev = 'a';
        for &n in &names {
            let refs = vec![format!("*{prev}"); 9].join(",");
            text.push_str(&format!("{n}: &{n} [{refs}]\n"));
            prev = n;
        }
        let start = Instant::now();
        let err = parse_yaml(&text, &Limits::default()).unwrap_err();
        assert!(err.message.contains("nodes"), "{err}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn yaml_deep_nesting_is_an_error_not_a_crash() {
        let start = Instant::now();
        assert!(parse_yaml(&"[".repeat(100_000), &Limits::default()).is_err());
        assert!(parse_yaml(&"{a: ".repeat(100_000), &Limits::default()).is_err());
        let block: String = (0..2000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let err = parse_yaml(&block, &Limits::default()).unwrap_err();
        assert!(err.message.contains("nesting"), "{err}");
        assert!(parse_yaml(&"- ".repeat(50_000), &Limits::default()).is_err());
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );

        let at_limit = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse_yaml(&at_limit, &Limits::default()).is_ok());
        let over = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(parse_yaml(&over, &Limits::default()).is_err());
        // An alias may not smuggle depth past the limit either.
        let limits = Limits {
            max_depth: 3,
            max_nodes: 100,
        };
        assert!(parse_yaml("a: &x [[1]]\nb: *x\n", &limits).is_ok());
        assert!(parse_yaml("a: &x [[1]]\nb: [*x]\n", &limits).is_err());
    }

    #[test]
    fn yaml_errors_have_one_based_positions() {
        let err = parse_yaml("a: 1\nb: [1, 2\n", &Limits::default()).unwrap_err();
        assert!(err.line >= 2 && err.column >= 1, "{err}");
        let err = parse_yaml("a: 'unterminated\n", &Limits::default()).unwrap_err();
        assert!(err.line >= 1 && err.column >= 1, "{err}");
        let err = parse_yaml("key: value\n  bad: indent\n", &Limits::default()).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        let err = parse_yaml("a:\n\tb: 1\n", &Limits::default());
        assert!(err.is_err());
    }

    #[test]
    fn yaml_node_limit() {
        let limits = Limits {
            max_depth: 128,
            max_nodes: 5,
        };
        assert!(parse_yaml("a: 1\nb: 2\n", &limits).is_ok());
        assert!(parse_yaml("a: 1\nb: 2\nc: 3\n", &limits).is_err());
    }

    #[test]
    fn select_paths() {
        let text = r#"{
  "metadata": {
    "labels": {"k8s-app": "metrics", "app.kubernetes.io/name": "ms"},
    "annotations": {
      "kubectl.kubernetes.io/last-applied-configuration": "{}"
    }
  },
  "spec": {"containers": [
    {"name": "a", "args": ["--x"]},
    {"name": "b", "args": ["--y", "--z"]},
    {"name": "c"}
  ]}
}"#;
        let n = json(text);
        assert_eq!(one(&n, "metadata.labels.k8s-app").as_str(), Some("metrics"));
        assert_eq!(
            one(&n, "metadata.labels[\"app.kubernetes.io/name\"]").as_str(),
            Some("ms")
        );
        assert_eq!(
            one(&n, "metadata.labels['app.kubernetes.io/name']").as_str(),
            Some("ms")
        );
        let ann = one(
            &n,
            "metadata.annotations[\"kubectl.kubernetes.io/last-applied-configuration\"]",
        );
        assert_eq!((ann.as_str(), ann.line), (Some("{}"), 5));
        assert!(
            n.select("metadata.labels.app.kubernetes.io/name")
                .is_empty()
        );
        assert_eq!(n.select("spec.containers[*].args").len(), 2);
        assert_eq!(n.select("spec.containers[*].args[*]").len(), 3);
        assert_eq!(n.select("spec.containers[*].name").len(), 3);
        assert_eq!(one(&n, "spec.containers[1].args[0]").as_str(), Some("--y"));
        assert_eq!(
            one(&n, "spec.containers[name=b].args[1]").as_str(),
            Some("--z")
        );
        assert_eq!(one(&n, "spec.containers[name=\"c\"]").line, 11);
        assert!(n.select("spec.containers[3]").is_empty());
        assert!(n.select("spec.containers[name=zzz]").is_empty());
        assert!(n.select("spec.containers.name").is_empty());
        assert!(n.select("metadata[0]").is_empty());
        assert_eq!(n.select("metadata.labels[*]").len(), 2);
        assert!(n.select("a..b").is_empty());
        // Filters compare scalar text, so numbers and bools match their written form.
        let m = json(r#"{"ports": [{"port": 443, "tls": true}, {"port": 80}]}"#);
        assert_eq!(m.select("ports[port=443]").len(), 1);
        assert_eq!(m.select("ports[tls=true]").len(), 1);
    }

    #[test]
    fn validate_paths() {
        for ok in [
            "a",
            "a.b.c",
            "items[0].metadata.name",
            "spec.containers[*].args",
            "status.conditions[type=Available].message",
            "status.conditions[type=\"Available\"].message",
            "metadata.annotations[\"kubectl.kubernetes.io/last-applied-configuration\"]",
            "metadata.labels.k8s-app",
            "[0]",
            "a[0][1]",
            "a[\"x]y\"]",
            "a[k=]",
        ] {
            assert_eq!(validate_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            ".",
            "a.",
            ".a",
            "a..b",
            "a[0",
            "a]",
            "a[]",
            "a[x]",
            "a[-1]",
            "a[0]b",
            "a[\"x]",
            "a[=v]",
            "a[[0]]",
            "a[\"x\"y]",
            "a.[",
        ] {
            assert!(validate_path(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn yaml_and_json_agree_on_content() {
        let as_json = serde_json::to_string_pretty(&yaml(API_SERVICE)[0].to_json()).unwrap();
        let reparsed = json(&as_json);
        assert_eq!(reparsed.to_json(), yaml(API_SERVICE)[0].to_json());
        assert_eq!(
            one(&reparsed, "spec.versionPriority").to_json(),
            serde_json::json!(100)
        );
    }

    /// Cuts every document at every char boundary and flips bytes throughout; the parsers must
    /// answer Ok or Err, never panic.
    #[test]
    fn fuzz_truncation_and_byte_flips() {
        let small = Limits {
            max_depth: 16,
            max_nodes: 10_000,
        };
        let samples = [
            POD_LIST,
            API_SERVICE,
            "a: &x {b: [1, 2, {c: d}]}\ne: *x\n---\n- \"q\\u00e9\"\n- 'it''s'\n- |\n  lit\n",
            r#"{"s": "\ud83d\ude00\n", "n": [-1.5e-3, 0, true, false, null], "d": {"d": {}}}"#,
        ];
        let flips: [u8; 12] = [
            b'{', b'[', b']', b'"', b'\\', b':', b'-', b'\n', b'&', b'*', 0xFF, 0,
        ];
        for sample in samples {
            for cut in 0..=sample.len() {
                if let Some(prefix) = sample.get(..cut) {
                    let _ = parse_json(prefix, &small);
                    let _ = parse_yaml(prefix, &small);
                }
            }
            let bytes = sample.as_bytes();
            for i in 0..bytes.len() {
                for (j, &f) in flips.iter().enumerate() {
                    if (i + j) % 3 != 0 {
                        continue;
                    }
                    let mut mutated = bytes.to_vec();
                    mutated[i] = f;
                    let text = String::from_utf8_lossy(&mutated);
                    let _ = parse_json(&text, &small);
                    let _ = parse_yaml(&text, &small);
                    if let Ok(n) = parse_json(&text, &small) {
                        let _ = n.to_json();
                    }
                }
            }
        }
    }

    fn big_pod_list(pods: usize) -> String {
        let items: Vec<serde_json::Value> = (0..pods)
            .map(|i| {
                serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": format!("pod-{i}"),
                        "namespace": "default",
                        "labels": {"app": "web", "pod-template-hash": "5d8f7b9c6"},
                        "annotations": {"note": "line one\nline \"two\" \u{e9}"}
                    },
                    "spec": {"containers": [{
                        "name": "web",
                        "image": "nginx:1.25",
                        "args": ["--port=8080", "--verbose"],
                        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}
                    }]},
                    "status": {
                        "phase": "Running",
                        "restartCount": i,
                        "conditions": [{"type": "Ready", "status": "True", "message": null}]
                    }
                })
            })
            .collect();
        serde_json::to_string_pretty(&serde_json::json!({"kind": "PodList", "items": items}))
            .unwrap()
    }

    /// Prints the time for ~1 MB of indented JSON; meaningful with `cargo test --release`.
    #[test]
    fn parses_a_megabyte_of_json() {
        let text = big_pod_list(1250);
        assert!(text.len() > 900_000, "{}", text.len());
        let start = Instant::now();
        let root = json(&text);
        let elapsed = start.elapsed();
        eprintln!("parse_json: {} bytes in {elapsed:?}", text.len());
        let last = one(&root, "items[1249].metadata.name");
        assert_eq!(last.as_str(), Some("pod-1249"));
        assert_eq!(last.line, line_of(&text, "\"pod-1249\""));
        let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(root.to_json(), expected);

        // JSON is YAML, so the same bytes also time the YAML path and check that it agrees.
        let start = Instant::now();
        let docs = yaml(&text);
        eprintln!("parse_yaml: {} bytes in {:?}", text.len(), start.elapsed());
        assert_eq!(docs.len(), 1);
        assert_eq!(one(&docs[0], "items[1249].metadata.name").line, last.line);
        assert_eq!(docs[0].to_json(), expected);
    }
}
