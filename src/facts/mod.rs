//! Stage 2 of the pipeline: **facts** (entries → typed facts with origins).
//!
//! Receives the bundle reader's stream of entries ([`crate::bundle`]) and the
//! log patterns of every loaded rule ([`LogPatterns`]); hands the `rules` stage
//! a [`FactStore`]: Kubernetes objects, container logs (scanned once against
//! all rules' patterns while streaming, so a log is never held whole), `curl`
//! transcripts, `kubectl` tables and plain text, each carrying its origin
//! (path in the bundle and line) so that findings can cite evidence.
//!
//! Reading is one pass. During the pass, files that look like logs (by path) or
//! are too large to buffer are streamed through the log scanner; everything
//! else is buffered. After the pass, the single top-level folder is stripped,
//! the layout is detected from the full path list, and buffered files are
//! classified and parsed in parallel. A file that cannot be parsed becomes a
//! [`ParseError`] entry and analysis of the rest continues.

pub mod classify;
pub mod curl;
pub mod derive;
pub mod describe;
pub mod logline;
pub mod logs;
pub mod objects;
pub mod table;
pub mod tree;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::bundle::{self, Layout, Limits, Listing, Notice};
pub use logs::{LogFile, LogMatch, LogPatterns};
pub use tree::Node;

/// Where a fact came from: a path inside the bundle and a 1-based line (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    /// Path inside the bundle, top-level folder stripped.
    pub source: String,
    /// 1-based line; 0 when the whole file is meant.
    pub line: u32,
}

/// A Kubernetes object, from YAML, JSON, a `kubectl get` table row or `kubectl describe`.
#[derive(Debug, Clone)]
pub struct Object {
    /// `kind`, e.g. `APIService`; inferred from the layout when the file omits it.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when namespaced.
    pub namespace: Option<String>,
    /// The whole object, with a line on every node.
    pub body: Node,
    /// The file and the line where the object starts.
    pub origin: Origin,
    /// True when built from a table or `describe` output, which carry only some fields.
    pub partial: bool,
}

/// A `curl` call from a transcript, with its origin.
#[derive(Debug, Clone)]
pub struct Probe {
    /// What the transcript says.
    pub call: curl::CurlCall,
    /// The host the command ran on, when its shell prompt says (`[root@master1 ~]# curl ...`).
    pub host: Option<String>,
    /// The file it came from (line = the call's first line).
    pub origin: Origin,
}

/// A buffered text file kept for `text` selectors (everything that is not a log).
#[derive(Debug, Clone)]
pub struct TextFile {
    /// Path inside the bundle.
    pub source: String,
    /// The content, lossily decoded as UTF-8.
    pub text: String,
}

/// Whether a kind of fact was collected in this bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Collection {
    /// Present, with this many facts.
    Collected {
        /// Number of facts of the kind.
        count: usize,
    },
    /// The collector ran and found nothing (an empty List, `No resources found`).
    Empty,
    /// The collector ran and failed; the error is quoted.
    Failed {
        /// The collector's error.
        error: String,
        /// Where the error was recorded.
        source: String,
    },
    /// Nothing in the bundle says the kind was collected.
    NotCollected,
}

/// A file that could not be parsed; shown in the report, analysis continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    /// Path inside the bundle.
    pub source: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What went wrong.
    pub error: String,
}

/// How one file of the bundle was understood, for the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct FileRecord {
    /// Path inside the bundle.
    pub path: String,
    /// Classification, e.g. `objects`, `log`, `curl`, `table`, `describe`, `text`, `metadata`.
    pub class: String,
    /// Number of facts taken from it.
    pub facts: usize,
}

/// Every fact of one bundle.
#[derive(Debug, Default)]
pub struct FactStore {
    /// Detected layout.
    pub layout: Option<Layout>,
    /// Why that layout was chosen.
    pub layout_reason: String,
    /// Top-level folder stripped from every path, if any.
    pub root: Option<String>,
    /// Kubernetes objects.
    pub objects: Vec<Object>,
    /// Container logs with the matches of every rule's patterns.
    pub logs: Vec<LogFile>,
    /// `curl` transcripts.
    pub probes: Vec<Probe>,
    /// Buffered text (non-log) files.
    pub texts: Vec<TextFile>,
    /// Per fact kind, whether it was collected.
    pub collection: BTreeMap<String, Collection>,
    /// Files that could not be parsed.
    pub parse_errors: Vec<ParseError>,
    /// Reader notices (links, limits, corruption).
    pub notices: Vec<Notice>,
    /// Per-file classification.
    pub files: Vec<FileRecord>,
    /// Uncompressed bytes read.
    pub bytes: u64,
    /// Symlink aliases resolved inside the bundle (alias → file).
    pub aliases: BTreeMap<String, String>,
    /// Kubernetes version string, when the bundle records it.
    pub cluster_version: Option<String>,
    /// SHA-256 of the bundle file (archives only).
    pub sha256: Option<String>,
}

/// Fact kinds rules may `require`, with the object kinds that feed them.
pub const FACT_KINDS: &[(&str, &[&str])] = &[
    ("apiservices", &["APIService"]),
    ("pods", &["Pod"]),
    ("services", &["Service"]),
    ("endpoints", &["Endpoints"]),
    ("endpointslices", &["EndpointSlice"]),
    ("deployments", &["Deployment"]),
    ("daemonsets", &["DaemonSet"]),
    ("replicasets", &["ReplicaSet"]),
    ("nodes", &["Node"]),
    ("events", &["Event"]),
    ("hpas", &["HorizontalPodAutoscaler"]),
    ("configmaps", &["ConfigMap"]),
    ("namespaces", &["Namespace"]),
    ("logs", &[]),
    ("probes", &[]),
    ("top", &[]),
    ("discovery", &[]),
];

/// The fact kind an object kind feeds (`APIService` → `apiservices`).
pub fn fact_kind_of(kind: &str) -> Option<&'static str> {
    FACT_KINDS
        .iter()
        .find(|(_, kinds)| kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)))
        .map(|(name, _)| *name)
}

/// True when `name` is a fact kind rules may require.
pub fn is_fact_kind(name: &str) -> bool {
    FACT_KINDS.iter().any(|(k, _)| *k == name)
}

/// A buffered entry awaiting classification.
struct Buffered {
    path: String,
    bytes: Vec<u8>,
}

/// Reads the bundle at `path` into a [`FactStore`], scanning logs with `patterns`.
pub fn collect(
    path: &Path,
    limits: &Limits,
    patterns: &LogPatterns,
) -> Result<FactStore, bundle::BundleError> {
    run(limits, patterns, |sink| {
        bundle::read_bundle(path, limits, |meta, reader| sink.take(meta, reader))
    })
}

/// Reads a tar or tar.gz stream into a [`FactStore`]; `name` is used in errors.
pub fn collect_archive(
    name: &str,
    reader: impl Read,
    limits: &Limits,
    patterns: &LogPatterns,
) -> Result<FactStore, bundle::BundleError> {
    run(limits, patterns, |sink| {
        bundle::read_archive(name, reader, 0, limits, |meta, r| sink.take(meta, r))
    })
}

/// Reads an in-memory bundle (the embedded demo) into a [`FactStore`].
pub fn collect_memory(
    files: &[(String, &[u8])],
    limits: &Limits,
    patterns: &LogPatterns,
) -> FactStore {
    let store = run(limits, patterns, |sink| {
        Ok(bundle::read_memory(files, limits, |meta, reader| {
            sink.take(meta, reader)
        }))
    });
    store.unwrap_or_default()
}

/// What the reading thread sends the log-scanning thread.
enum Chunk {
    /// A log file starts.
    Start(String),
    /// Its next bytes.
    Data(Vec<u8>),
    /// It ended (or could not be read further).
    End,
}

/// Bytes of a log sent to the scanner at once.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks in flight between the threads (bounds memory to about 4 MiB).
const CHUNKS_IN_FLIGHT: usize = 4;

/// Runs one read of a bundle with logs scanned on a second thread, so that
/// decompression and pattern matching overlap.
fn run<F>(
    limits: &Limits,
    patterns: &LogPatterns,
    read: F,
) -> Result<FactStore, bundle::BundleError>
where
    F: FnOnce(&mut Sink<'_>) -> Result<Listing, bundle::BundleError>,
{
    let patterns = &patterns.clone().with_max_line(limits.max_line_bytes);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(CHUNKS_IN_FLIGHT);
    // Used chunk buffers go back to the reader, so chunks are neither allocated nor zeroed again.
    let (recycle_tx, recycle_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT + 2);
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || scan_worker(&rx, &recycle_tx, patterns));
        let mut sink = Sink::new(limits, patterns, tx, recycle_rx);
        let listing = read(&mut sink);
        sink.scanner = None;
        let streamed = worker.join().unwrap_or_default();
        let listing = listing?;
        sink.streamed.extend(streamed);
        Ok(sink.finish(listing))
    })
}

/// The scanning thread: one [`logs::scan`] per log file announced on the channel.
fn scan_worker(
    rx: &std::sync::mpsc::Receiver<Chunk>,
    recycle: &std::sync::mpsc::SyncSender<Vec<u8>>,
    patterns: &LogPatterns,
) -> Vec<(String, Vec<LogFile>)> {
    let mut out = Vec::new();
    while let Ok(msg) = rx.recv() {
        let Chunk::Start(path) = msg else {
            continue;
        };
        let mut reader = ChannelReader {
            rx,
            recycle,
            buf: Vec::new(),
            pos: 0,
            done: false,
        };
        let files = logs::scan(&path, &mut reader, patterns).unwrap_or_default();
        // Drain what the scanner left (it stops at nothing, but be safe).
        while !reader.done {
            match rx.recv() {
                Ok(Chunk::End) | Err(_) => reader.done = true,
                Ok(_) => {}
            }
        }
        out.push((path, files));
    }
    out
}

/// `Read` over the chunks of one log file.
struct ChannelReader<'r> {
    rx: &'r std::sync::mpsc::Receiver<Chunk>,
    recycle: &'r std::sync::mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ChannelReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Chunk::Data(data)) => {
                    let used = std::mem::replace(&mut self.buf, data);
                    // The reader makes a new buffer when none comes back.
                    let _ = self.recycle.try_send(used);
                    self.pos = 0;
                }
                Ok(Chunk::End | Chunk::Start(_)) | Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads into `buf` until it is full or the reader ends; returns the bytes read.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Receives entries during the single pass: streams logs, buffers the rest.
/// The entries of an archive found inside the bundle.
struct Nested {
    archive: String,
    files: Vec<String>,
    links: Vec<bundle::Link>,
}

/// A `.tar.gz`, `.tgz` or `.tar` inside the bundle, by name (the content is sniffed when read).
fn is_nested_archive(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".tar.gz") || lower.ends_with(".tgz") || lower.ends_with(".tar")
}

struct Sink<'a> {
    /// True while reading an archive inside the bundle (no deeper nesting).
    in_nested: bool,
    nested: Vec<Nested>,
    limits: &'a Limits,
    patterns: &'a LogPatterns,
    /// Where streamed logs go to be scanned; `None` once reading is over.
    scanner: Option<std::sync::mpsc::SyncSender<Chunk>>,
    /// Chunk buffers the scanner is done with.
    recycled: std::sync::mpsc::Receiver<Vec<u8>>,
    buffered: Vec<Buffered>,
    streamed: Vec<(String, Vec<LogFile>)>,
    /// Files streamed or cut because of `--max-file-bytes`.
    notices: Vec<Notice>,
}

impl<'a> Sink<'a> {
    fn new(
        limits: &'a Limits,
        patterns: &'a LogPatterns,
        scanner: std::sync::mpsc::SyncSender<Chunk>,
        recycled: std::sync::mpsc::Receiver<Vec<u8>>,
    ) -> Self {
        Self {
            in_nested: false,
            nested: Vec::new(),
            limits,
            patterns,
            scanner: Some(scanner),
            recycled,
            buffered: Vec::new(),
            streamed: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// Sends a log to the scanning thread in chunks (inline when there is no thread).
    fn stream(&mut self, path: &str, reader: &mut dyn Read) -> std::io::Result<()> {
        let Some(tx) = &self.scanner else {
            let files = logs::scan(path, reader, self.patterns)?;
            self.streamed.push((path.to_string(), files));
            return Ok(());
        };
        if tx.send(Chunk::Start(path.to_string())).is_err() {
            return Ok(());
        }
        let result = loop {
            let mut chunk = self.recycled.try_recv().unwrap_or_default();
            chunk.resize(CHUNK_BYTES, 0);
            match fill(reader, &mut chunk) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    chunk.truncate(n);
                    if tx.send(Chunk::Data(chunk)).is_err() {
                        break Ok(());
                    }
                }
                Err(e) => break Err(e),
            }
        };
        let _ = tx.send(Chunk::End);
        result
    }

    fn take(&mut self, meta: &bundle::EntryMeta, reader: &mut dyn Read) -> std::io::Result<()> {
        if !self.in_nested && is_nested_archive(&meta.path) {
            return self.take_nested(meta, reader);
        }
        let by_path = classify::stream_by_path(&meta.path);
        if by_path || meta.size > self.limits.max_file_bytes {
            if !by_path {
                self.notices.push(Notice {
                    source: meta.path.clone(),
                    message: format!(
                        "{} bytes, larger than --max-file-bytes ({} bytes): not parsed as structured data; scanned line by line as a log",
                        meta.size, self.limits.max_file_bytes
                    ),
                });
            }
            self.stream(&meta.path, reader)?;
        } else {
            let capacity = usize::try_from(meta.size).unwrap_or(0).min(1 << 24);
            let mut bytes = Vec::with_capacity(capacity);
            let mut limited = reader.take(self.limits.max_file_bytes + 1);
            limited.read_to_end(&mut bytes)?;
            if bytes.len() as u64 > self.limits.max_file_bytes {
                // The file grew past its declared size while being read.
                bytes.truncate(usize::try_from(self.limits.max_file_bytes).unwrap_or(usize::MAX));
                self.notices.push(Notice {
                    source: meta.path.clone(),
                    message: format!(
                        "cut at --max-file-bytes ({} bytes); only that much was parsed",
                        self.limits.max_file_bytes
                    ),
                });
            }
            self.buffered.push(Buffered {
                path: meta.path.clone(),
                bytes,
            });
        }
        Ok(())
    }

    /// An archive inside the bundle (the common "tgz inside a folder"): read one
    /// level deep, its entries named `<archive path>/<entry path>`.
    fn take_nested(
        &mut self,
        meta: &bundle::EntryMeta,
        reader: &mut dyn Read,
    ) -> std::io::Result<()> {
        let outer = meta.path.clone();
        let limits = *self.limits;
        self.in_nested = true;
        let result = bundle::read_archive(&outer, reader, meta.size, &limits, |inner, r| {
            let entry = bundle::EntryMeta {
                path: format!("{outer}/{}", inner.path),
                size: inner.size,
            };
            self.take(&entry, r)
        });
        self.in_nested = false;
        match result {
            Ok(listing) => {
                self.notices.push(Notice {
                    source: outer.clone(),
                    message: format!(
                        "archive inside the bundle: read one level deep ({} files)",
                        listing.files.len()
                    ),
                });
                for mut n in listing.notices {
                    n.source = if n.source.is_empty() {
                        outer.clone()
                    } else {
                        format!("{outer}/{}", n.source)
                    };
                    self.notices.push(n);
                }
                self.nested.push(Nested {
                    archive: outer.clone(),
                    files: listing
                        .files
                        .iter()
                        .map(|f| format!("{outer}/{f}"))
                        .collect(),
                    links: listing
                        .links
                        .into_iter()
                        .map(|l| bundle::Link {
                            path: format!("{outer}/{}", l.path),
                            target: if l.hard {
                                format!("{outer}/{}", l.target)
                            } else {
                                l.target
                            },
                            hard: l.hard,
                        })
                        .collect(),
                });
            }
            Err(e) => self.notices.push(Notice {
                source: outer,
                message: format!("archive inside the bundle could not be read: {e}"),
            }),
        }
        Ok(())
    }

    fn finish(self, mut listing: Listing) -> FactStore {
        listing.notices.extend(self.notices);
        // Nested archives stand for their entries.
        for n in self.nested {
            listing.files.retain(|f| *f != n.archive);
            listing.files.extend(n.files);
            listing.links.extend(n.links);
        }
        let tree_limits = tree::Limits {
            max_depth: self.limits.max_depth,
            max_nodes: self.limits.max_nodes,
        };
        assemble(
            listing,
            self.buffered,
            self.streamed,
            self.patterns,
            tree_limits,
        )
    }
}

/// Second half of [`collect`]: strips the root, detects the layout, classifies.
fn assemble(
    listing: Listing,
    buffered: Vec<Buffered>,
    streamed: Vec<(String, Vec<LogFile>)>,
    patterns: &LogPatterns,
    tree_limits: tree::Limits,
) -> FactStore {
    let mut store = FactStore {
        bytes: listing.bytes,
        sha256: listing.sha256.clone(),
        notices: listing.notices.clone(),
        ..FactStore::default()
    };
    let all_paths: Vec<&str> = listing
        .files
        .iter()
        .map(String::as_str)
        .chain(listing.links.iter().map(|l| l.path.as_str()))
        .collect();
    // A single top folder is stripped; so is a second one, which a bundle
    // folder holding one archive of a bundle folder gives (`case/bundle.tgz/support-bundle-…/`).
    let root = {
        let mut root: Option<String> = None;
        for _ in 0..3 {
            let rest: Vec<&str> = all_paths
                .iter()
                .map(|p| match &root {
                    Some(r) => p
                        .strip_prefix(r.as_str())
                        .and_then(|x| x.strip_prefix('/'))
                        .unwrap_or(p),
                    None => p,
                })
                .collect();
            match bundle::common_root(rest.iter().copied()) {
                Some(next) => {
                    root = Some(match root {
                        Some(r) => format!("{r}/{next}"),
                        None => next,
                    });
                }
                None => break,
            }
        }
        root
    };
    let strip = |p: &str| -> String {
        match &root {
            Some(r) => p
                .strip_prefix(r.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(p)
                .to_string(),
            None => p.to_string(),
        }
    };
    let file_set: HashSet<&str> = listing.files.iter().map(String::as_str).collect();
    let mut link_notices = Vec::new();
    let aliases = bundle::resolve_links(&listing.links, &file_set, &mut link_notices);
    store.aliases = aliases
        .into_iter()
        .map(|(a, f)| (strip(&a), strip(&f)))
        .collect();
    store.notices.extend(link_notices.into_iter().map(|mut n| {
        n.source = strip(&n.source);
        n
    }));
    for notice in &mut store.notices {
        notice.source = strip(&notice.source);
    }
    let stripped: Vec<String> = listing.files.iter().map(|p| strip(p)).collect();
    let (layout, reason) = bundle::detect_layout(stripped.iter().map(String::as_str));
    store.layout = Some(layout);
    store.layout_reason = reason;
    store.root = root.clone();

    // Parse buffered files in parallel; each yields its own partial store.
    let parsed: Vec<classify::Parsed> = buffered
        .into_par_iter()
        .map(|b| {
            let path = strip(&b.path);
            classify::parse_file(layout, &path, b.bytes, patterns, tree_limits)
        })
        .collect();
    for (path, mut files) in streamed {
        let path = strip(&path);
        for f in &mut files {
            f.source.clone_from(&path);
            classify::attach_log_identity(layout, f);
        }
        store.files.push(FileRecord {
            path,
            class: "log".into(),
            facts: files.len(),
        });
        store.logs.extend(files);
    }
    let mut signals: Vec<classify::Signal> = Vec::new();
    for p in parsed {
        store.files.push(p.record);
        store.objects.extend(p.objects);
        store.logs.extend(p.logs);
        store.probes.extend(p.probes);
        if let Some(text) = p.text {
            store.texts.push(text);
        }
        store.parse_errors.extend(p.errors);
        signals.extend(p.signals);
        if p.cluster_version.is_some() {
            store.cluster_version = p.cluster_version;
        }
    }
    store.files.sort_by(|a, b| a.path.cmp(&b.path));
    store.objects.sort_by(|a, b| a.origin.cmp(&b.origin));
    dedupe_objects(&mut store.objects);
    // Facts about nodes that no single file states (which node runs kube-proxy...).
    let nodes = derive::node_summaries(&store);
    store.objects.extend(nodes);
    store
        .logs
        .sort_by(|a, b| (&a.source, &a.container).cmp(&(&b.source, &b.container)));
    store.probes.sort_by(|a, b| a.origin.cmp(&b.origin));
    store.texts.sort_by(|a, b| a.source.cmp(&b.source));
    store
        .parse_errors
        .sort_by(|a, b| (&a.source, a.line).cmp(&(&b.source, b.line)));
    store.collection = collection_status(&store, &signals);
    store
}

/// The same object often arrives twice (must-gather writes a pod in its
/// namespace list and on its own; users paste a table row and the YAML): keep
/// one, preferring a full object over a partial one, then the first seen.
fn dedupe_objects(objects: &mut Vec<Object>) {
    let mut best: HashMap<(String, Option<String>, String), usize> = HashMap::new();
    let mut keep = vec![true; objects.len()];
    for (i, o) in objects.iter().enumerate() {
        if o.name.is_empty() {
            continue;
        }
        let key = (o.kind.clone(), o.namespace.clone(), o.name.clone());
        match best.get(&key) {
            None => {
                best.insert(key, i);
            }
            Some(&j) => {
                if objects[j].partial && !o.partial {
                    keep[j] = false;
                    best.insert(key, i);
                } else {
                    keep[i] = false;
                }
            }
        }
    }
    let mut index = 0;
    objects.retain(|_| {
        let k = keep[index];
        index += 1;
        k
    });
}

/// Per fact kind: collected (with a count), empty, failed, or not collected.
fn collection_status(
    store: &FactStore,
    signals: &[classify::Signal],
) -> BTreeMap<String, Collection> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for object in &store.objects {
        if let Some(kind) = fact_kind_of(&object.kind) {
            *counts.entry(kind).or_default() += 1;
        }
    }
    counts.insert("logs", store.logs.len());
    counts.insert("probes", store.probes.len());
    let mut out = BTreeMap::new();
    for (kind, _) in FACT_KINDS {
        let count = counts.get(kind).copied().unwrap_or(0);
        let mut status = if count > 0 {
            Collection::Collected { count }
        } else {
            Collection::NotCollected
        };
        for signal in signals {
            match signal {
                classify::Signal::Collected(k) if k == kind && count == 0 => {
                    status = Collection::Empty;
                }
                classify::Signal::Present(k) if k == kind && count == 0 => {
                    status = Collection::Collected { count: 1 };
                }
                classify::Signal::Failed {
                    kind: k,
                    error,
                    source,
                } if k == kind && count == 0 => {
                    status = Collection::Failed {
                        error: error.clone(),
                        source: source.clone(),
                    };
                }
                _ => {}
            }
        }
        out.insert((*kind).to_string(), status);
    }
    out
}

impl FactStore {
    /// Objects of a kind (case-insensitive).
    pub fn objects_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects
            .iter()
            .filter(move |o| o.kind.eq_ignore_ascii_case(kind))
    }

    /// Whether a fact kind counts as collected (present, or collected and empty).
    pub fn is_collected(&self, kind: &str) -> bool {
        matches!(
            self.collection.get(kind),
            Some(Collection::Collected { .. } | Collection::Empty)
        )
    }
}
