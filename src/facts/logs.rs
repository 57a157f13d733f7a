//! Container logs: one streaming pass per log file against every rule's log
//! patterns at once ([`LogPatterns`], a `RegexSet` over bytes), keeping only
//! counts and a few matching lines per pattern, so a log of any size needs
//! bounded memory. A `kubectl cluster-info dump` `logs.txt` holds several
//! containers between `==== START logs for container …` markers; the scanner
//! splits it into one [`LogFile`] per container.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};

use regex::bytes::{RegexSet, RegexSetBuilder};
use serde::Serialize;

use super::logline;

/// Default longest line kept for matching; the rest of a longer line is counted but not matched.
pub const MAX_LINE: usize = 64 << 10;
/// Matching lines kept per pattern per file (plus the last one).
const KEEP_FIRST: usize = 5;
/// Bytes of whole lines searched at once before any per-line search.
const BLOCK_BYTES: usize = 1 << 20;
/// Longest excerpt kept for one matching line.
const MAX_EXCERPT: usize = 2_000;

/// The log regexes of every loaded rule, compiled once into a set.
#[derive(Debug, Clone)]
pub struct LogPatterns {
    /// Per-line set: which patterns a line matches.
    set: Option<RegexSet>,
    /// The same patterns in multi-line mode, to rule out whole blocks of lines at once.
    block: Option<RegexSet>,
    count: usize,
    /// Longest line kept for matching (`--max-line-bytes`).
    max_line: usize,
}

impl LogPatterns {
    /// Compiles the patterns; they were validated when the rules were loaded.
    pub fn new(sources: &[String]) -> Result<Self, regex::Error> {
        if sources.is_empty() {
            return Ok(Self::empty());
        }
        let build = |multi_line: bool| {
            RegexSetBuilder::new(sources)
                .multi_line(multi_line)
                .size_limit(64 << 20)
                .dfa_size_limit(64 << 20)
                .build()
        };
        Ok(Self {
            set: Some(build(false)?),
            block: Some(build(true)?),
            count: sources.len(),
            max_line: MAX_LINE,
        })
    }

    /// No patterns at all.
    pub fn empty() -> Self {
        Self {
            set: None,
            block: None,
            count: 0,
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
        self.count
    }

    /// True when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
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

/// Reads `reader` line by line and records every pattern hit.
pub fn scan(path: &str, reader: &mut dyn Read, patterns: &LogPatterns) -> io::Result<Vec<LogFile>> {
    let mut reader = BufReader::with_capacity(256 << 10, reader);
    let mut files = vec![LogFile {
        source: path.to_string(),
        start_line: 1,
        ..LogFile::default()
    }];
    let mut line_no: u32 = 0;
    let max_line = patterns.max_line;
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + max_line.min(BLOCK_BYTES) + 2);
    // (start, end without line break, whole line kept, bytes consumed)
    let mut lines: Vec<(usize, usize, bool, usize)> = Vec::with_capacity(8192);
    let mut last: Vec<u8> = Vec::new();
    let mut matched: Vec<usize> = Vec::new();
    let mut first_time_pending = true;
    loop {
        // Gather a block of whole lines; one set search over the block decides
        // whether any line in it needs the per-line search (most blocks: none).
        block.clear();
        lines.clear();
        while block.len() < BLOCK_BYTES {
            let start = block.len();
            let (read, complete) = read_capped_line(&mut reader, &mut block, max_line)?;
            if read == 0 {
                break;
            }
            let end = start + trim_eol(&block[start..]).len();
            lines.push((start, end, complete, read));
        }
        if lines.is_empty() {
            break;
        }
        let block_hit = patterns.block.as_ref().is_some_and(|b| b.is_match(&block));
        let mut last_nonempty: Option<(usize, usize)> = None;
        for &(start, end, complete, read) in &lines {
            line_no = line_no.saturating_add(1);
            let line = &block[start..end];
            let Some(current) = files.last_mut() else {
                break;
            };
            current.bytes += read as u64;
            if let Some(marker) = dump_marker(line) {
                if let Some((a, b)) = last_nonempty.take() {
                    last.clear();
                    last.extend_from_slice(&block[a..b]);
                }
                finish(current, &last, line_no.saturating_sub(1));
                last.clear();
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
                files.push(LogFile {
                    source: path.to_string(),
                    start_line: line_no.saturating_add(1),
                    ..next
                });
                first_time_pending = true;
                continue;
            }
            current.lines = current.lines.saturating_add(1);
            if line.is_empty() {
                continue;
            }
            last_nonempty = Some((start, end));
            if first_time_pending {
                current.first_time = logline::parse_log_line(&String::from_utf8_lossy(line)).time;
                first_time_pending = false;
            }
            if !block_hit {
                continue;
            }
            if let Some(set) = &patterns.set {
                matched.clear();
                matched.extend(set.matches(line).iter());
                for &index in &matched {
                    let hit = LogMatch {
                        line: line_no,
                        text: excerpt(line, complete),
                    };
                    let hits = current.hits.entry(index).or_default();
                    hits.count += 1;
                    if hits.first.len() < KEEP_FIRST {
                        hits.first.push(hit.clone());
                    }
                    hits.last = Some(hit);
                }
            }
        }
        if let Some((a, b)) = last_nonempty {
            last.clear();
            last.extend_from_slice(&block[a..b]);
        }
    }
    if let Some(current) = files.last_mut() {
        finish(current, &last, line_no);
    }
    // Drop empty segments between markers, but always keep one file.
    let keep_any = files.len() == 1;
    files.retain(|f| keep_any || f.lines > 0 || f.container.is_some());
    Ok(files)
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

/// Reads one line into `buf`, keeping at most [`MAX_LINE`] bytes of it and
/// discarding the rest, so a single 1 GiB line costs no more memory than a
/// short one. Returns the bytes consumed and whether the whole line was kept.
fn read_capped_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max_line: usize,
) -> io::Result<(usize, bool)> {
    // The line starts where the buffer ends now; earlier lines of a block do not count.
    let limit = buf.len() + max_line;
    let mut consumed = 0usize;
    let mut complete = true;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, complete));
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = limit.saturating_sub(buf.len());
        if chunk.len() <= room {
            buf.extend_from_slice(chunk);
        } else {
            buf.extend_from_slice(&chunk[..room]);
            complete = false;
        }
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, complete));
        }
    }
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
