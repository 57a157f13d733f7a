//! Container logs: one streaming pass per log file against every rule's log
//! patterns at once ([`LogPatterns`]), keeping only counts and a few matching
//! lines per pattern, so a log of any size needs bounded memory. A
//! `kubectl cluster-info dump` `logs.txt` holds several containers between
//! `==== START logs for container …` markers; the scanner splits it into one
//! [`LogFile`] per container.
//!
//! Speed: every pattern is reduced to a set of literals, one of which any
//! match must contain (its longest required pieces, see [`required_literals`]).
//! One Aho-Corasick search over a block of lines finds the few lines holding
//! one of those literals; on such a line only the patterns that own the
//! literals found run, each compiled on first use. Patterns with no usable
//! literal are checked per block with a multi-line set; only a block they hit
//! is searched line by line.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};
use regex::bytes::{RegexSet, RegexSetBuilder};
use regex_syntax::hir::{Class, Hir, HirKind};
use serde::Serialize;

use super::logline;

/// Default longest line kept for matching; the rest of a longer line is counted but not matched.
pub const MAX_LINE: usize = 64 << 10;
/// Matching lines kept per pattern per file (plus the last one).
const KEEP_FIRST: usize = 5;
/// Bytes read and searched at once.
const BLOCK_BYTES: usize = 1 << 20;
/// Longest excerpt kept for one matching line.
const MAX_EXCERPT: usize = 2_000;
/// Shortest literal worth a prefilter: shorter ones hit too many lines.
const MIN_LITERAL: usize = 3;
/// Most literals one pattern may contribute (alternations); more and it is checked per block.
const MAX_LITERALS_PER_PATTERN: usize = 16;

/// The log regexes of every loaded rule, with the literal prefilter in front of them.
#[derive(Debug, Clone)]
pub struct LogPatterns {
    /// The patterns, in index order, each compiled on the first line that may match it.
    regexes: Arc<[LazyBytesRegex]>,
    /// Literals of the patterns that have them, to find candidate lines in a block (leftmost first).
    prefilter: Option<AhoCorasick>,
    /// The same literals, to list every one a candidate line holds (overlapping).
    line_literals: Option<AhoCorasick>,
    /// Literal index → the patterns that need it (or a longer literal containing it).
    owners: Arc<[Vec<usize>]>,
    /// Patterns without a usable literal, in multi-line mode, to rule out whole blocks at once.
    unfiltered: Option<RegexSet>,
    /// Their indexes.
    unfiltered_ids: Arc<[usize]>,
    /// Longest line kept for matching (`--max-line-bytes`).
    max_line: usize,
}

/// One log pattern, compiled on first use.
#[derive(Debug)]
struct LazyBytesRegex {
    source: String,
    compiled: OnceLock<Result<regex::bytes::Regex, regex::Error>>,
}

impl LazyBytesRegex {
    fn get(&self) -> Result<&regex::bytes::Regex, &regex::Error> {
        self.compiled
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.source)
                    .size_limit(64 << 20)
                    .build()
            })
            .as_ref()
    }
}

impl LogPatterns {
    /// Prepares the patterns (validated when the rules were loaded): their
    /// literals now, each regex on first use.
    pub fn new(sources: &[String]) -> Result<Self, regex::Error> {
        if sources.is_empty() {
            return Ok(Self::empty());
        }
        let mut wanted: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
        let mut unfiltered: Vec<usize> = Vec::new();
        for (index, source) in sources.iter().enumerate() {
            match regex_syntax::parse(source)
                .ok()
                .and_then(|hir| required_literals(&hir))
                .filter(|set| {
                    set.len() <= MAX_LITERALS_PER_PATTERN
                        && set.iter().all(|l| l.len() >= MIN_LITERAL)
                }) {
                Some(set) => wanted.push((index, set)),
                None => unfiltered.push(index),
            }
        }
        let literals = minimal_literals(wanted.iter().flat_map(|(_, set)| set.clone()).collect());
        let mut owners: Vec<Vec<usize>> = vec![Vec::new(); literals.len()];
        for (index, set) in &wanted {
            for wanted_literal in set {
                // Every kept literal inside a wanted one stands for it.
                for (k, kept) in literals.iter().enumerate() {
                    if memchr::memmem::find(wanted_literal, kept).is_some() {
                        owners[k].push(*index);
                    }
                }
            }
        }
        for o in &mut owners {
            o.sort_unstable();
            o.dedup();
        }
        // Teddy (SIMD) does the scanning; the automaton only confirms its rare candidates,
        // so the compact NFA is enough and costs a fraction of a DFA's memory.
        let automaton = |kind: MatchKind| {
            AhoCorasickBuilder::new()
                .match_kind(kind)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&literals)
                .map_err(|e| regex::Error::Syntax(e.to_string()))
        };
        let (prefilter, line_literals) = if literals.is_empty() {
            (None, None)
        } else {
            (
                Some(automaton(MatchKind::LeftmostFirst)?),
                Some(automaton(MatchKind::Standard)?),
            )
        };
        let unfiltered_set = if unfiltered.is_empty() {
            None
        } else {
            Some(
                RegexSetBuilder::new(unfiltered.iter().map(|&i| &sources[i]))
                    .multi_line(true)
                    .size_limit(64 << 20)
                    .dfa_size_limit(64 << 20)
                    .build()?,
            )
        };
        Ok(Self {
            regexes: sources
                .iter()
                .map(|source| LazyBytesRegex {
                    source: source.clone(),
                    compiled: OnceLock::new(),
                })
                .collect(),
            prefilter,
            line_literals,
            owners: owners.into(),
            unfiltered: unfiltered_set,
            unfiltered_ids: unfiltered.into(),
            max_line: MAX_LINE,
        })
    }

    /// The patterns a line (already cut at `max_line`) matches, in index order, into `out`.
    fn matches(&self, line: &[u8], out: &mut Vec<usize>) {
        out.clear();
        if let Some(ac) = &self.line_literals {
            for m in ac.find_overlapping_iter(line) {
                if let Some(owners) = self.owners.get(m.pattern().as_usize()) {
                    out.extend_from_slice(owners);
                }
            }
        }
        out.extend_from_slice(&self.unfiltered_ids);
        out.sort_unstable();
        out.dedup();
        out.retain(|&i| {
            self.regexes
                .get(i)
                .and_then(|r| r.get().ok())
                .is_some_and(|re| re.is_match(line))
        });
    }

    /// No patterns at all.
    pub fn empty() -> Self {
        Self {
            regexes: Arc::from(Vec::new()),
            prefilter: None,
            line_literals: None,
            owners: Arc::from(Vec::new()),
            unfiltered: None,
            unfiltered_ids: Arc::from(Vec::new()),
            max_line: MAX_LINE,
        }
    }

    /// The same patterns with another longest-line bound.
    pub fn with_max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes.max(1);
        self
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.regexes.len()
    }

    /// True when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty()
    }

    /// The patterns, in index order.
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.regexes.iter().map(|r| r.source.as_str())
    }

    /// The compiled regex of pattern `index` (compiled now if it was not yet).
    pub fn regex(&self, index: usize) -> Option<&regex::bytes::Regex> {
        self.regexes.get(index).and_then(|r| r.get().ok())
    }

    /// True when `source` is one of the patterns and has no literal for the prefilter.
    pub fn is_unfiltered(&self, source: &str) -> bool {
        self.unfiltered_ids
            .iter()
            .any(|&i| self.regexes.get(i).is_some_and(|r| r.source == source))
    }

    /// Number of patterns checked block by block because they have no usable literal.
    pub fn unfiltered_len(&self) -> usize {
        self.unfiltered_ids.len()
    }
}

/// Most strings an exact set or a set of required literals may hold.
const MAX_SET: usize = 16;

/// Literals one of which every match of `hir` contains, or `None` when there is
/// no such set (a class, an optional part...). A concatenation offers each run
/// of consecutive parts with few exact strings (their cross product) and each
/// other part's own set; the best is kept (longest shortest literal, then
/// fewest). An alternation needs a set from every branch and takes their union.
pub fn required_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_vec()]),
        HirKind::Capture(cap) => required_literals(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required_literals(&rep.sub),
        HirKind::Concat(children) => {
            // Every run of consecutive parts with few exact strings, and every other part.
            let exact: Vec<Option<Vec<Vec<u8>>>> = children.iter().map(exact_strings).collect();
            let mut offers: Vec<Vec<Vec<u8>>> = Vec::new();
            for (i, child) in children.iter().enumerate() {
                let Some(first) = &exact[i] else {
                    offers.extend(required_literals(child));
                    continue;
                };
                let mut run = first.clone();
                offers.push(run.clone());
                for next in exact[i + 1..].iter() {
                    match next.as_ref().and_then(|set| cross(&run, set)) {
                        Some(product) => {
                            run = product;
                            offers.push(run.clone());
                        }
                        None => break,
                    }
                }
            }
            offers
                .into_iter()
                .filter(|set| set.iter().all(|s| !s.is_empty()))
                .max_by_key(|set| {
                    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
                    (shortest.min(8), std::cmp::Reverse(set.len()))
                })
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(required_literals(branch)?);
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        _ => None,
    }
}

/// Every string `hir` can match, when there are at most [`MAX_SET`] of them.
fn exact_strings(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![Vec::new()]),
        HirKind::Literal(lit) => Some(vec![lit.0.to_vec()]),
        HirKind::Capture(cap) => exact_strings(&cap.sub),
        HirKind::Class(class) => small_class(class),
        HirKind::Repetition(rep) if rep.min == 0 && rep.max == Some(1) => {
            let mut set = exact_strings(&rep.sub)?;
            set.push(Vec::new());
            (set.len() <= MAX_SET).then_some(set)
        }
        HirKind::Repetition(rep) if rep.min == 1 && rep.max == Some(1) => exact_strings(&rep.sub),
        HirKind::Concat(children) => {
            let mut set = vec![Vec::new()];
            for child in children {
                set = cross(&set, &exact_strings(child)?)?;
            }
            Some(set)
        }
        HirKind::Alternation(branches) => {
            let mut set = Vec::new();
            for branch in branches {
                set.extend(exact_strings(branch)?);
                if set.len() > MAX_SET {
                    return None;
                }
            }
            Some(set)
        }
        HirKind::Repetition(_) => None,
    }
}

/// The members of a class of at most four characters or bytes (`[Mm]`, `(?i:k)`).
fn small_class(class: &Class) -> Option<Vec<Vec<u8>>> {
    let members: Vec<Vec<u8>> = match class {
        Class::Unicode(c) => c
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(5)
            .map(|c| c.to_string().into_bytes())
            .collect(),
        Class::Bytes(c) => c
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(5)
            .map(|b| vec![b])
            .collect(),
    };
    (members.len() <= 4).then_some(members)
}

/// Every `a` followed by every `b`, when there are at most [`MAX_SET`].
fn cross(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len().saturating_mul(b.len()) > MAX_SET {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            out.push(s);
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// Drops every literal that contains another one: a line holding the longer
/// one holds the shorter, so the prefilter needs only the shorter.
fn minimal_literals(mut literals: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    literals.sort_by_key(Vec::len);
    literals.dedup();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for lit in literals {
        if !kept.iter().any(|k| memchr::memmem::find(&lit, k).is_some()) {
            kept.push(lit);
        }
    }
    kept.sort();
    kept
}

/// One line of a log that matched a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogMatch {
    /// 1-based line number in the file.
    pub line: u32,
    /// The line (cut at a bounded length).
    pub text: String,
}

/// What one pattern found in one log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hits {
    /// Number of matching lines.
    pub count: u64,
    /// The first few matching lines.
    pub first: Vec<LogMatch>,
    /// The last matching line.
    pub last: Option<LogMatch>,
}

/// One container's log (or one container segment of a combined log file).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LogFile {
    /// Path inside the bundle.
    pub source: String,
    /// Namespace of the pod, when the layout or the content says.
    pub namespace: Option<String>,
    /// Pod name (for loose files, the file name without extension when nothing better is known).
    pub pod: Option<String>,
    /// Container name.
    pub container: Option<String>,
    /// True for a previous (crashed) container's log.
    pub previous: bool,
    /// Lines read.
    pub lines: u32,
    /// Bytes read.
    pub bytes: u64,
    /// First line number of this segment in the file (1 for whole files).
    pub start_line: u32,
    /// Time of the first line, when it carries one.
    pub first_time: Option<String>,
    /// Time of the last line, when it carries one.
    pub last_time: Option<String>,
    /// The last line.
    pub last_line: Option<LogMatch>,
    /// Pattern index → hits.
    pub hits: BTreeMap<usize, Hits>,
}

/// Reads `reader` block by block and records every pattern hit, line by line.
pub fn scan(path: &str, reader: &mut dyn Read, patterns: &LogPatterns) -> io::Result<Vec<LogFile>> {
    let mut scanner = Scanner {
        path,
        patterns,
        files: vec![LogFile {
            source: path.to_string(),
            start_line: 1,
            ..LogFile::default()
        }],
        line_no: 0,
        last: Vec::new(),
        first_time_pending: true,
        matched: Vec::new(),
    };
    let max_line = patterns.max_line;
    // One block buffer per thread, reused from log to log (a bundle has thousands of small logs).
    let mut buf = SCAN_BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    buf.resize(BLOCK_BYTES, 0);
    let result = scan_with(&mut scanner, reader, &mut buf, max_line);
    buf.truncate(BLOCK_BYTES);
    buf.shrink_to(2 * BLOCK_BYTES);
    SCAN_BUFFER.with(|b| *b.borrow_mut() = buf);
    result.map(|()| scanner.finish())
}

thread_local! {
    static SCAN_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The read loop of [`scan`]: blocks of whole lines into `scanner`.
fn scan_with(
    scanner: &mut Scanner<'_>,
    reader: &mut dyn Read,
    buf: &mut Vec<u8>,
    max_line: usize,
) -> io::Result<()> {
    let mut filled = 0usize;
    // Discarding the rest of a line longer than `max_line` (its head was scanned).
    let mut skipping = false;
    loop {
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let eof = n == 0;
        if skipping {
            // `filled` is 0 while skipping: the new bytes are at the start.
            match memchr::memchr(b'\n', &buf[..n]) {
                Some(i) => {
                    scanner.add_bytes(i + 1);
                    buf.copy_within(i + 1..n, 0);
                    filled = n - i - 1;
                    skipping = false;
                }
                None => {
                    scanner.add_bytes(n);
                    if eof {
                        break;
                    }
                    continue;
                }
            }
        } else {
            filled += n;
        }
        if eof {
            scanner.region(&buf[..filled], max_line, true);
            break;
        }
        if filled < buf.len() {
            continue;
        }
        // A full buffer: scan its whole lines, keep the partial last one.
        match memchr::memrchr(b'\n', &buf[..filled]) {
            Some(i) => {
                scanner.region(&buf[..=i], max_line, false);
                buf.copy_within(i + 1..filled, 0);
                filled -= i + 1;
            }
            None if filled >= max_line => {
                // One line longer than `max_line`: scan its head, skip the rest.
                scanner.cut_line(&buf[..max_line], filled - max_line);
                filled = 0;
                skipping = true;
            }
            None => {
                // A line not yet longer than `max_line` fills the buffer: grow it.
                let grown = buf
                    .len()
                    .saturating_mul(2)
                    .min(max_line.saturating_add(BLOCK_BYTES));
                buf.resize(grown.max(buf.len() + 1), 0);
            }
        }
    }
    Ok(())
}

/// State of one log's scan.
struct Scanner<'p> {
    path: &'p str,
    patterns: &'p LogPatterns,
    /// The log's segments (one unless the log holds cluster-info dump markers).
    files: Vec<LogFile>,
    /// Lines read so far.
    line_no: u32,
    /// The last non-empty line of the current segment.
    last: Vec<u8>,
    first_time_pending: bool,
    matched: Vec<usize>,
}

impl Scanner<'_> {
    fn add_bytes(&mut self, n: usize) {
        if let Some(current) = self.files.last_mut() {
            current.bytes += n as u64;
        }
    }

    /// The head of a line longer than `max_line`; its `rest` further bytes are not scanned.
    fn cut_line(&mut self, head: &[u8], rest: usize) {
        self.segment(head, head.len(), false, Some(rest));
    }

    /// Whole lines `text`, each ending in a line break, except at the end of the log.
    fn region(&mut self, text: &[u8], max_line: usize, at_end: bool) {
        // Split at cluster-info dump markers.
        let mut from = 0usize;
        for at in memchr::memmem::find_iter(text, b"==== ") {
            if at < from || (at > 0 && text[at - 1] != b'\n') {
                continue;
            }
            let line_end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
            let Some(marker) = dump_marker(trim_eol(&text[at..line_end])) else {
                continue;
            };
            self.segment(&text[from..at], max_line, false, None);
            self.line_no = self.line_no.saturating_add(1);
            self.add_bytes(line_end - at);
            self.next_segment(marker);
            from = line_end;
        }
        self.segment(&text[from..], max_line, at_end, None);
    }

    /// Starts the segment after a marker line.
    fn next_segment(&mut self, marker: Marker) {
        let line_no = self.line_no;
        let last = std::mem::take(&mut self.last);
        if let Some(current) = self.files.last_mut() {
            finish(current, &last, line_no.saturating_sub(1));
        }
        let next = match marker {
            Marker::Start {
                namespace,
                pod,
                container,
            } => LogFile {
                namespace: Some(namespace),
                pod: Some(pod),
                container: Some(container),
                ..LogFile::default()
            },
            Marker::End => LogFile::default(),
        };
        self.files.push(LogFile {
            source: self.path.to_string(),
            start_line: line_no.saturating_add(1),
            ..next
        });
        self.first_time_pending = true;
    }

    /// Lines of one segment: counts, first time, last line, hits.
    fn segment(&mut self, text: &[u8], max_line: usize, at_end: bool, cut: Option<usize>) {
        if text.is_empty() {
            return;
        }
        let base = self.line_no;
        let Some(current) = self.files.last_mut() else {
            return;
        };
        current.bytes += (text.len() + cut.unwrap_or(0)) as u64;
        // Every line ends in a break, except a last one at the end of the log or a cut head.
        let breaks = memchr::memchr_iter(b'\n', text).count();
        let open_tail = !text.ends_with(b"\n") && (at_end || cut.is_some());
        let lines = u32::try_from(breaks + usize::from(open_tail)).unwrap_or(u32::MAX);
        current.lines = current.lines.saturating_add(lines);
        self.line_no = base.saturating_add(lines);

        if self.first_time_pending
            && let Some(line) = lines_of(text).map(trim_eol).find(|l| !l.is_empty())
        {
            current.first_time = logline::parse_log_line(&String::from_utf8_lossy(line)).time;
            self.first_time_pending = false;
        }
        if let Some(line) = lines_rev(text).map(trim_eol).find(|l| !l.is_empty()) {
            self.last.clear();
            self.last
                .extend_from_slice(&line[..line.len().min(max_line)]);
        }

        if self.patterns.is_empty() {
            return;
        }
        let every_line = self
            .patterns
            .unfiltered
            .as_ref()
            .is_some_and(|u| u.is_match(text));
        // (line start, line number) of each candidate line, in order.
        let mut counted = 0usize;
        let mut number = base;
        let mut pos = 0usize;
        while pos < text.len() {
            let line_start = if every_line {
                pos
            } else {
                let Some(prefilter) = &self.patterns.prefilter else {
                    break;
                };
                let Some(m) = prefilter.find(Input::new(text).span(pos..text.len())) else {
                    break;
                };
                memchr::memrchr(b'\n', &text[pos..m.start()]).map_or(pos, |i| pos + i + 1)
            };
            let line_end =
                memchr::memchr(b'\n', &text[line_start..]).map_or(text.len(), |i| line_start + i);
            number = number.saturating_add(
                u32::try_from(memchr::memchr_iter(b'\n', &text[counted..line_start]).count())
                    .unwrap_or(u32::MAX),
            );
            counted = line_start;
            let line = trim_eol(&text[line_start..line_end]);
            let complete = line.len() <= max_line && cut.is_none();
            let kept = &line[..line.len().min(max_line)];
            self.patterns.matches(kept, &mut self.matched);
            for &index in &self.matched {
                let hit = LogMatch {
                    line: number.saturating_add(1),
                    text: excerpt(kept, complete),
                };
                let hits = current.hits.entry(index).or_default();
                hits.count += 1;
                if hits.first.len() < KEEP_FIRST {
                    hits.first.push(hit.clone());
                }
                hits.last = Some(hit);
            }
            pos = line_end + 1;
        }
    }

    fn finish(mut self) -> Vec<LogFile> {
        let line_no = self.line_no;
        if let Some(current) = self.files.last_mut() {
            finish(current, &self.last, line_no);
        }
        // Drop empty segments between markers, but always keep one file.
        let keep_any = self.files.len() == 1;
        self.files
            .retain(|f| keep_any || f.lines > 0 || f.container.is_some());
        self.files
    }
}

/// The lines of `text`, each with its line break.
fn lines_of(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split_inclusive(|b| *b == b'\n')
}

/// The lines of `text` from the last, each with its line break.
fn lines_rev(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    body.rsplit(|b| *b == b'\n')
}

fn finish(file: &mut LogFile, last: &[u8], line_no: u32) {
    if last.is_empty() {
        return;
    }
    let text = String::from_utf8_lossy(last);
    file.last_time = logline::parse_log_line(&text).time;
    file.last_line = Some(LogMatch {
        line: line_no,
        text: excerpt(last, true),
    });
}

fn excerpt(line: &[u8], complete: bool) -> String {
    let text = String::from_utf8_lossy(line);
    let mut out: String = if text.len() > MAX_EXCERPT {
        let mut end = MAX_EXCERPT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &text[..end])
    } else {
        text.into_owned()
    };
    if !complete && !out.ends_with('…') {
        out.push('…');
    }
    out
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && (line[end - 1] == b'\n' || line[end - 1] == b'\r') {
        end -= 1;
    }
    &line[..end]
}

enum Marker {
    Start {
        namespace: String,
        pod: String,
        container: String,
    },
    End,
}

/// `==== START logs for container <c> of pod <ns>/<pod> ====` (kubectl cluster-info dump).
fn dump_marker(line: &[u8]) -> Option<Marker> {
    let rest = line.strip_prefix(b"==== ")?;
    if rest.starts_with(b"END logs for container ") {
        return Some(Marker::End);
    }
    let rest = rest.strip_prefix(b"START logs for container ")?;
    let text = std::str::from_utf8(rest).ok()?;
    let (container, rest) = text.split_once(" of pod ")?;
    let (pod_ref, _) = rest.split_once(' ')?;
    let (namespace, pod) = pod_ref.split_once('/')?;
    Some(Marker::Start {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container: container.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(p: &[&str]) -> LogPatterns {
        LogPatterns::new(&p.iter().map(|s| (*s).to_string()).collect::<Vec<_>>())
            .expect("valid patterns")
    }

    #[test]
    fn counts_hits_and_keeps_first_and_last() {
        let text = "I0101 ok\nE0101 x509: bad\nE0101 x509: bad again\nI0101 done\n";
        let p = patterns(&["x509: ", "never"]);
        let files = scan("a.log", &mut text.as_bytes(), &p).expect("scan");
        assert_eq!(files.len(), 1);
        let f = &files[0];
        assert_eq!(f.lines, 4);
        let hits = &f.hits[&0];
        assert_eq!(hits.count, 2);
        assert_eq!(hits.first[0].line, 2);
        assert_eq!(hits.last.as_ref().map(|m| m.line), Some(3));
        assert!(!f.hits.contains_key(&1));
        assert_eq!(
            f.last_line.as_ref().map(|m| m.text.as_str()),
            Some("I0101 done")
        );
    }

    #[test]
    fn splits_cluster_info_dump_segments() {
        let text = "==== START logs for container metrics-server of pod kube-system/ms-1 ====\nE1 x509: a\n==== END logs for container metrics-server of pod kube-system/ms-1 ====\n==== START logs for container sidecar of pod kube-system/ms-1 ====\nfine\n==== END logs for container sidecar of pod kube-system/ms-1 ====\n";
        let p = patterns(&["x509: "]);
        let files = scan("kube-system/ms-1/logs.txt", &mut text.as_bytes(), &p).expect("scan");
        let trickled = scan(
            "kube-system/ms-1/logs.txt",
            &mut prefilter_tests::Trickle {
                data: text.as_bytes(),
                step: 3,
            },
            &p,
        )
        .expect("scan");
        assert_eq!(
            serde_json::to_string(&files).ok(),
            serde_json::to_string(&trickled).ok()
        );
        let names: Vec<_> = files.iter().map(|f| f.container.clone()).collect();
        assert_eq!(
            names,
            vec![Some("metrics-server".into()), Some("sidecar".into())]
        );
        assert_eq!(files[0].hits[&0].first[0].line, 2);
        assert_eq!(files[0].pod.as_deref(), Some("ms-1"));
    }

    #[test]
    fn long_lines_are_capped_not_held() {
        let mut text = vec![b'a'; MAX_LINE * 3];
        text.extend_from_slice(b" x509: tail\nshort x509: \n");
        let p = patterns(&["x509: "]);
        let files = scan("big.log", &mut text.as_slice(), &p).expect("scan");
        assert_eq!(files[0].lines, 2);
        // The tail of the long line was beyond the cap: only the short line matches.
        assert_eq!(files[0].hits[&0].count, 1);
    }
}

#[cfg(test)]
mod prefilter_tests {
    use super::*;
    use crate::rules::{self, RuleSource};

    /// Every line of every text file under `dir`.
    fn fixture_lines(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
        for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
            if entry.file_type().is_file()
                && let Ok(bytes) = std::fs::read(entry.path())
            {
                out.extend(bytes.split(|b| *b == b'\n').map(|l| trim_eol(l).to_vec()));
            }
        }
    }

    /// The literal set the prefilter uses for one pattern (`None`: checked per block).
    fn literals_of(source: &str) -> Option<Vec<Vec<u8>>> {
        regex_syntax::parse(source)
            .ok()
            .and_then(|hir| required_literals(&hir))
            .filter(|set| {
                set.len() <= MAX_LITERALS_PER_PATTERN && set.iter().all(|l| l.len() >= MIN_LITERAL)
            })
    }

    #[test]
    fn every_shipped_pattern_has_literals_that_every_match_contains() {
        let set = rules::load(&RuleSource::Embedded).expect("embedded rules load");
        let sources: Vec<&str> = set.patterns.sources().collect();
        assert!(sources.len() > 40, "{} patterns", sources.len());
        assert!((0..sources.len()).all(|i| set.patterns.regex(i).is_some()));
        assert_eq!(
            set.patterns.unfiltered_len(),
            0,
            "a shipped log pattern has no literal for the prefilter"
        );
        let mut lines = Vec::new();
        fixture_lines(std::path::Path::new("fixtures"), &mut lines);
        let mut matched = 0;
        for source in sources {
            let literals = literals_of(source).expect("literals");
            let re = regex::bytes::Regex::new(source).expect("compiles");
            for line in lines.iter().filter(|l| re.is_match(l)) {
                matched += 1;
                assert!(
                    literals
                        .iter()
                        .any(|lit| memchr::memmem::find(line, lit).is_some()),
                    "`{}` matches {:?} but none of its literals {:?}",
                    source,
                    String::from_utf8_lossy(line),
                    literals
                        .iter()
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .collect::<Vec<_>>()
                );
            }
        }
        assert!(matched > 100, "only {matched} matching fixture lines");
    }

    #[test]
    fn required_literals_of_the_regex_forms() {
        let lits = |re: &str| {
            literals_of(re).map(|set| {
                set.into_iter()
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
                    .collect::<Vec<_>>()
            })
        };
        // A run of parts with few strings is crossed out: longer literals hit fewer lines.
        assert_eq!(
            lits("x509: (?:a|b)"),
            Some(vec!["x509: a".into(), "x509: b".into()])
        );
        assert_eq!(
            lits(r"x509: (?:a|b)\s+"),
            Some(vec!["x509: a".into(), "x509: b".into()])
        );
        // Alternation: one literal per branch.
        assert_eq!(
            lits("connection refused|no route to host"),
            Some(vec!["connection refused".into(), "no route to host".into()])
        );
        // A small class in a run is expanded; the longer run wins.
        assert_eq!(
            lits("[Mm]etrics not available"),
            Some(vec!["etrics not available".into()])
        );
        assert_eq!(
            lits("[Pp]od|[Nn]ode"),
            Some(vec![
                "Node".into(),
                "Pod".into(),
                "node".into(),
                "pod".into()
            ])
        );
        // Optional parts give nothing; a branch without a literal spoils the alternation.
        assert_eq!(lits(r"(?:abcdef)?\d+"), None);
        assert_eq!(lits(r"abcdef|\d+"), None);
        assert_eq!(lits(r"\S"), None);
        // Repetitions of at least one keep their part's literals.
        assert_eq!(lits("(?:timeout!)+"), Some(vec!["timeout!".into()]));
    }

    /// The plain algorithm: every line, capped, through the set.
    fn reference(
        text: &[u8],
        sources: &[&str],
        max_line: usize,
    ) -> (u32, Vec<(usize, u32, String)>) {
        let set = RegexSet::new(sources).expect("set");
        let mut lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
        if text.ends_with(b"\n") || text.is_empty() {
            lines.pop();
        }
        let mut hits = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let line = trim_eol(line);
            let kept = &line[..line.len().min(max_line)];
            for p in set.matches(kept).iter() {
                hits.push((p, i as u32 + 1, excerpt(kept, line.len() <= max_line)));
            }
        }
        (lines.len() as u32, hits)
    }

    /// `scan` with reads of at most `step` bytes.
    pub(super) struct Trickle<'a> {
        pub(super) data: &'a [u8],
        pub(super) step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.data.len().min(self.step).min(out.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn check_against_reference(text: &[u8], sources: &[&str], max_line: usize, step: usize) {
        let p = LogPatterns::new(&sources.iter().map(|s| (*s).to_string()).collect::<Vec<_>>())
            .expect("patterns")
            .with_max_line(max_line);
        let files = scan("t.log", &mut Trickle { data: text, step }, &p).expect("scan");
        assert_eq!(files.len(), 1);
        let (lines, expected) = reference(text, sources, max_line);
        assert_eq!(
            files[0].lines, lines,
            "line count (max_line {max_line}, step {step})"
        );
        assert_eq!(files[0].bytes, text.len() as u64, "byte count");
        for (index, source) in sources.iter().enumerate() {
            let want: Vec<&(usize, u32, String)> =
                expected.iter().filter(|h| h.0 == index).collect();
            let got = files[0].hits.get(&index);
            assert_eq!(
                got.map_or(0, |h| h.count),
                want.len() as u64,
                "hits of `{source}` (max_line {max_line}, step {step})"
            );
            if let (Some(got), Some(first), Some(last)) = (got, want.first(), want.last()) {
                assert_eq!(got.first[0].line, first.1);
                assert_eq!(got.first[0].text, first.2);
                assert_eq!(got.last.as_ref().map(|m| m.line), Some(last.1));
                assert_eq!(
                    got.last.as_ref().map(|m| m.text.clone()),
                    Some(last.2.clone())
                );
            }
        }
    }

    /// A log of `n` lines with hits, empty and CRLF lines, and long lines.
    fn synthetic_log(n: usize, long: usize) -> Vec<u8> {
        let mut text = Vec::new();
        let mut state: u64 = 7;
        for i in 0..n {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (state >> 33) % 100;
            let line = match r {
                0 => format!(
                    "E0101 12:00:{:02} x509: certificate signed by unknown authority node=n{i}",
                    i % 60
                ),
                1 => format!(
                    "I0101 dial tcp 10.0.0.{}:10250: connect: connection refused",
                    i % 255
                ),
                2 => String::new(),
                3 => format!("W0101 2024-01-{:02} timeout after {i}ms\r", i % 28 + 1),
                4 => format!(
                    "{} x509: certificate signed by unknown authority (tail)",
                    "a".repeat(long)
                ),
                5 => format!(
                    "x509: certificate signed by unknown authority {}",
                    "b".repeat(long)
                ),
                _ => format!(
                    "I0101 12:00:00.000000 1 controller.go:{i}] \"Reconciling\" name=\"web-{r}\""
                ),
            };
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
        }
        text
    }

    #[test]
    fn random_logs_scan_like_the_reference() {
        let sources = [
            r"x509: bad",
            r"refused|timeout",
            r"ab\d",
            // No literal: checked block by block.
            r"[xy]\d{2}",
        ];
        let alphabet: &[&[u8]] = &[
            b"x509: bad",
            b"refused",
            b"timeout",
            b"ab1",
            b"y42",
            b"a",
            b" ",
            b"\n",
            b"\n",
            b"\r\n",
            b"\xff\xfe",
            b"ab",
            b"x5",
            b"=== ",
        ];
        let mut state: u64 = 42;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for _ in 0..300 {
            let mut text = Vec::new();
            for _ in 0..next(200) {
                text.extend_from_slice(alphabet[next(alphabet.len() as u64) as usize]);
            }
            let max_line = 1 + next(40) as usize;
            let step = 1 + next(64) as usize;
            check_against_reference(&text, &sources, max_line, step);
        }
    }

    #[test]
    fn block_scan_equals_the_line_by_line_reference() {
        let sources = [
            r"x509: certificate signed by unknown authority",
            r"dial tcp (?P<ip>[0-9.]+):(?P<port>\d+): connect: connection refused",
            r"\d{4}-\d{2}-\d{2} timeout",
            r"controller\.go:1\d\d\]",
            // No literal: checked block by block.
            r"\d{4}-\d{2}-\d{2}\s",
        ];
        // Across 1 MiB blocks, with lines longer than the cap, with tiny reads.
        let big = synthetic_log(40_000, 300);
        assert!(big.len() > 2 * BLOCK_BYTES);
        check_against_reference(&big, &sources, MAX_LINE, usize::MAX);
        check_against_reference(&big, &sources, 200, 65_536);
        let small = synthetic_log(600, 40);
        for step in [1, 3, 17, 4096] {
            check_against_reference(&small, &sources, 64, step);
        }
        // No line break at the end; a lone long line; empty input.
        let mut open = small.clone();
        open.extend_from_slice(b"last x509: certificate signed by unknown authority");
        check_against_reference(&open, &sources, 64, 5);
        let lone = [
            b"c".repeat(3 * BLOCK_BYTES),
            b" x509: certificate signed by unknown authority".to_vec(),
        ]
        .concat();
        check_against_reference(&lone, &sources, 100, usize::MAX);
        check_against_reference(b"", &sources, 64, 1);
    }
}
