//! Queue mode of `analyze`: many bundles in, one result per bundle out, in
//! input order.
//!
//! Receives the paths given on the command line; [`expand`] turns them into
//! the queue (with `--recursive`, a directory is searched for archives).
//! [`run`] analyzes the queue on a thread pool and hands each result to the
//! caller's writer in input order as soon as it and every earlier one are
//! ready; at most a few results per thread wait in memory, whatever the
//! length of the queue. A progress bar shows on stderr when it is a terminal
//! and the queue takes a while. [`Tally`] collects what the queue summary
//! needs from each result; [`Summary`] is written as `queue.json` and
//! rendered for the terminal by [`render_text`].

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::ThreadPool;
use serde::Serialize;
use walkdir::WalkDir;

use crate::bundle::ARCHIVE_BYTES_READ;
use crate::report::Report;
use crate::report::text::{display_width, sanitize, severity_label};
use crate::rules::Severity;

/// Version of `queue.json`'s schema; bumped only on incompatible changes.
pub const QUEUE_SCHEMA_VERSION: u32 = 1;

/// File name endings (lower-cased) of the archives `--recursive` picks up.
const ARCHIVE_SUFFIXES: [&str; 3] = [".tar", ".tar.gz", ".tgz"];

/// How long a queue runs before its progress bar appears.
const PROGRESS_DELAY: Duration = Duration::from_millis(300);

/// One entry of the queue.
#[derive(Debug, Clone)]
pub enum Input {
    /// A bundle to analyze: a directory or an archive.
    Bundle(PathBuf),
    /// A path below a `--recursive` directory that could not be searched;
    /// it is reported in the queue like an unreadable bundle.
    Unsearchable {
        /// The path that could not be read.
        path: PathBuf,
        /// Why, naming the path.
        error: String,
    },
}

impl Input {
    /// The path this entry stands for.
    pub fn path(&self) -> &Path {
        match self {
            Input::Bundle(path) | Input::Unsearchable { path, .. } => path,
        }
    }
}

/// Turns the command line's paths into the queue, in command-line order.
///
/// With `recursive`, a directory is replaced by the `.tar`, `.tar.gz` and
/// `.tgz` files below it (case-insensitive, symlinks not followed, sorted by
/// path); a directory without any is an error naming it. Without it, a
/// directory is one unpacked bundle. A path that appears twice (also through
/// a different spelling of the same file) is queued once.
pub fn expand(paths: &[PathBuf], recursive: bool) -> anyhow::Result<Vec<Input>> {
    let mut seen = HashSet::new();
    let mut queue = Vec::new();
    for path in paths {
        let found = if recursive && path.is_dir() {
            let found = search(path);
            if found.is_empty() {
                anyhow::bail!(
                    "{}: no .tar, .tar.gz or .tgz archive in this directory or below \
                     (without --recursive a directory is analyzed as one unpacked bundle)",
                    path.display()
                );
            }
            found
        } else {
            vec![Input::Bundle(path.clone())]
        };
        for input in found {
            let key =
                std::fs::canonicalize(input.path()).unwrap_or_else(|_| input.path().to_path_buf());
            if seen.insert(key) {
                queue.push(input);
            }
        }
    }
    Ok(queue)
}

/// The archives below `dir`, and the paths that could not be searched, sorted by path.
fn search(dir: &Path) -> Vec<Input> {
    let mut found = Vec::new();
    for entry in WalkDir::new(dir).follow_links(false) {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_file() && is_archive_name(entry.file_name()) {
                    found.push(Input::Bundle(entry.into_path()));
                }
            }
            Err(e) => found.push(Input::Unsearchable {
                path: e.path().unwrap_or(dir).to_path_buf(),
                error: format!("searching {}: {e}", dir.display()),
            }),
        }
    }
    found.sort_by(|a, b| a.path().cmp(b.path()));
    found
}

fn is_archive_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_lowercase();
    ARCHIVE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Analyzes every entry of `queue` on `pool` with `work`, and calls `ready`
/// once per entry, in queue order, as soon as that entry and all earlier ones
/// are done. An entry that cannot be analyzed (including a panic inside
/// `work`) reaches `ready` as an error message naming its path; the queue goes
/// on. An error returned by `ready` (a failed write) stops the queue.
pub fn run<T, W, R>(pool: &ThreadPool, queue: &[Input], work: W, mut ready: R) -> anyhow::Result<()>
where
    T: Send,
    W: Fn(&Path) -> Result<T, String> + Sync,
    R: FnMut(usize, &Path, Result<T, String>) -> anyhow::Result<()>,
{
    // Started but not yet written: bounds the results held for reordering.
    let window = pool.current_num_threads().max(1) * 2;
    let mut progress = Progress::new(queue);
    let (tx, rx) = mpsc::channel();
    let work = &work;
    pool.in_place_scope_fifo(|scope| {
        let mut started = 0;
        let mut next = 0;
        let mut finished = BTreeMap::new();
        progress.waiting_on(queue.first());
        while next < queue.len() {
            while started < queue.len() && started < next + window {
                let (index, input, tx) = (started, &queue[started], tx.clone());
                scope.spawn_fifo(move |_| {
                    // Cannot fail: the receiver outlives the scope.
                    let _ = tx.send((index, analyze_one(input, work)));
                });
                started += 1;
            }
            let (index, result) = progress.recv(&rx)?;
            progress.one_done();
            finished.insert(index, result);
            while let Some(result) = finished.remove(&next) {
                let path = queue[next].path();
                progress.suspend(|| ready(next, path, result))?;
                next += 1;
            }
            progress.waiting_on(queue.get(next));
        }
        Ok(())
    })
}

fn analyze_one<T>(input: &Input, work: &impl Fn(&Path) -> Result<T, String>) -> Result<T, String> {
    match input {
        Input::Unsearchable { error, .. } => Err(error.clone()),
        Input::Bundle(path) => {
            panic::catch_unwind(AssertUnwindSafe(|| work(path))).unwrap_or_else(|payload| {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(format!(
                    "{}: the analysis stopped on an internal error, please report it: {what}",
                    path.display()
                ))
            })
        }
    }
}

/// The progress bar: only when stderr is a terminal, and there are several
/// bundles or the one bundle is an archive; hidden until the queue has run for
/// [`PROGRESS_DELAY`]. With archives it counts their bytes as they are read
/// (a single 2 GiB bundle moves too), else bundles done.
struct Progress {
    bar: Option<ProgressBar>,
    reveal_at: Option<Instant>,
    /// Total size of the archives in the queue (0: count bundles instead).
    total_bytes: u64,
    /// [`ARCHIVE_BYTES_READ`] when the queue started.
    bytes_at_start: u64,
    total: usize,
    done: usize,
    /// The bundle the ordered output waits for.
    waiting: String,
}

/// How often the bar takes the bytes read so far.
const PROGRESS_TICK: Duration = Duration::from_millis(150);

impl Progress {
    fn new(queue: &[Input]) -> Self {
        let total = queue.len();
        let total_bytes: u64 = queue
            .iter()
            .filter_map(|input| match input {
                Input::Bundle(path) => std::fs::metadata(path).ok().filter(|m| m.is_file()),
                Input::Unsearchable { .. } => None,
            })
            .map(|m| m.len())
            .sum();
        let mut progress = Progress {
            bar: None,
            reveal_at: None,
            total_bytes,
            bytes_at_start: ARCHIVE_BYTES_READ.load(Ordering::Relaxed),
            total,
            done: 0,
            waiting: String::new(),
        };
        if (total < 2 && total_bytes == 0) || !std::io::stderr().is_terminal() {
            return progress;
        }
        let (len, template) = if total_bytes > 0 {
            (
                total_bytes,
                "{spinner} [{elapsed_precise}] {bar:30} {binary_bytes}/{binary_total_bytes}, ETA {eta}  {wide_msg}",
            )
        } else {
            (
                total as u64,
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} bundles, ETA {eta}  {wide_msg}",
            )
        };
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        progress.bar = Some(bar);
        progress.reveal_at = Some(Instant::now() + PROGRESS_DELAY);
        progress
    }

    /// Waits for the next finished bundle; meanwhile shows the bar once the
    /// delay is over and moves it with the bytes read.
    fn recv<M>(&mut self, rx: &Receiver<M>) -> anyhow::Result<M> {
        if self.bar.is_none() {
            return rx
                .recv()
                .map_err(|_| anyhow::anyhow!("the analysis threads stopped unexpectedly"));
        }
        loop {
            match rx.recv_timeout(PROGRESS_TICK) {
                Ok(message) => return Ok(message),
                Err(RecvTimeoutError::Timeout) => {
                    if self.reveal_at.is_some_and(|at| Instant::now() >= at) {
                        self.reveal();
                    }
                    self.tick();
                }
                Err(RecvTimeoutError::Disconnected) => {
                    anyhow::bail!("the analysis threads stopped unexpectedly")
                }
            }
        }
    }

    fn reveal(&mut self) {
        self.reveal_at = None;
        if let Some(bar) = &self.bar {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    /// Moves a byte-counting bar to the bytes read so far.
    fn tick(&self) {
        if let (Some(bar), true) = (&self.bar, self.total_bytes > 0) {
            let read = ARCHIVE_BYTES_READ
                .load(Ordering::Relaxed)
                .saturating_sub(self.bytes_at_start);
            bar.set_position(read.min(self.total_bytes));
        }
    }

    fn one_done(&mut self) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            if self.total_bytes == 0 {
                bar.inc(1);
            }
            self.tick();
            self.show_message();
        }
    }

    fn show_message(&self) {
        if let Some(bar) = &self.bar {
            if self.total_bytes > 0 && self.total > 1 {
                bar.set_message(format!(
                    "{}/{} bundles  {}",
                    self.done, self.total, self.waiting
                ));
            } else {
                bar.set_message(self.waiting.clone());
            }
        }
    }

    /// Names the bundle the ordered output is waiting for.
    fn waiting_on(&mut self, input: Option<&Input>) {
        if let (Some(_), Some(input)) = (&self.bar, input) {
            let path = input.path();
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            self.waiting = sanitize(&name);
            self.show_message();
        }
    }

    /// Runs `f` (which prints) with the bar cleared from the terminal.
    fn suspend<X>(&self, f: impl FnOnce() -> X) -> X {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `queue.json`: what a queue of bundles held, for dashboards and triage
/// scripts. A stable contract (`schema_version` 1): fields may be added,
/// never renamed.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Schema version of this document.
    pub schema_version: u32,
    /// Bundles in the queue: analyzed (`per_bundle`) plus unreadable (`failed`).
    pub bundles: usize,
    /// Bundles that could not be read, in queue order.
    pub failed: Vec<Failure>,
    /// Root causes found, the most frequent first (then by rule id).
    pub root_causes: Vec<RootCause>,
    /// Bundles with no finding at or above `warning`, in queue order.
    pub healthy: Vec<String>,
    /// One line per analyzed bundle, in queue order.
    pub per_bundle: Vec<BundleLine>,
}

/// A bundle that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The bundle path.
    pub path: String,
    /// Why, naming the file.
    pub error: String,
}

/// A rule that fired as a root cause (not a symptom, not explained by another
/// finding) in at least one bundle.
#[derive(Debug, Clone, Serialize)]
pub struct RootCause {
    /// Rule id.
    pub id: String,
    /// Rule title, in the report's language.
    pub title: String,
    /// The highest severity it had in any bundle.
    pub severity: Severity,
    /// The bundles it fired in, in queue order.
    pub bundles: Vec<String>,
}

/// One analyzed bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleLine {
    /// The bundle path.
    pub path: String,
    /// The folder its reports were written to, relative to `--out` (where
    /// `queue.json` is); `null` without `--out`.
    pub dir: Option<String>,
    /// The report's one-sentence verdict.
    pub verdict: String,
    /// Id of the report's first finding (its root cause, when there is one).
    pub top: Option<String>,
    /// Number of findings.
    pub findings: usize,
    /// Severity of the worst finding.
    pub max_severity: Option<Severity>,
}

/// Collects the queue summary from the results as they are written.
#[derive(Debug, Default)]
pub struct Tally {
    bundles: usize,
    failed: Vec<Failure>,
    root_causes: BTreeMap<String, RootCause>,
    healthy: Vec<String>,
    per_bundle: Vec<BundleLine>,
}

impl Tally {
    /// Records one result; `dir` is the folder its reports were written to, relative to `--out`.
    pub fn add(&mut self, path: &Path, dir: Option<String>, result: &Result<Report, String>) {
        self.bundles += 1;
        let path = path.display().to_string();
        let report = match result {
            Ok(report) => report,
            Err(error) => {
                self.failed.push(Failure {
                    path,
                    error: error.clone(),
                });
                return;
            }
        };
        let mut counted = BTreeSet::new();
        for f in &report.findings {
            if f.symptom || !f.explained_by.is_empty() {
                continue;
            }
            let cause = self
                .root_causes
                .entry(f.id.clone())
                .or_insert_with(|| RootCause {
                    id: f.id.clone(),
                    title: f.title.clone(),
                    severity: f.severity,
                    bundles: Vec::new(),
                });
            cause.severity = cause.severity.max(f.severity);
            if counted.insert(f.id.as_str()) {
                cause.bundles.push(path.clone());
            }
        }
        let max_severity = report.findings.iter().map(|f| f.severity).max();
        if max_severity.is_none_or(|s| s < Severity::Warning) {
            self.healthy.push(path.clone());
        }
        self.per_bundle.push(BundleLine {
            path,
            dir,
            verdict: report.verdict.clone(),
            top: report.findings.first().map(|f| f.id.clone()),
            findings: report.findings.len(),
            max_severity,
        });
    }

    /// The summary of everything recorded.
    pub fn finish(self) -> Summary {
        let mut root_causes: Vec<RootCause> = self.root_causes.into_values().collect();
        root_causes.sort_by(|a, b| {
            b.bundles
                .len()
                .cmp(&a.bundles.len())
                .then_with(|| a.id.cmp(&b.id))
        });
        Summary {
            schema_version: QUEUE_SCHEMA_VERSION,
            bundles: self.bundles,
            failed: self.failed,
            root_causes,
            healthy: self.healthy,
            per_bundle: self.per_bundle,
        }
    }
}

/// The summary for a terminal, in `lang`: counts, a table of root causes, the
/// healthy and the unreadable bundles. Colored with ANSI escapes when `color`
/// is set; bundle text is sanitized.
pub fn render_text(s: &Summary, lang: &str, color: bool) -> String {
    let t = crate::report::strings(lang);
    let tr = |key: &str| t.get(key).copied().unwrap_or_default();
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {}: {} {}, {} {}, {} {}",
        paint("1", tr("queue")),
        s.bundles,
        tr("queue_bundles"),
        s.per_bundle.len() - s.healthy.len(),
        tr("queue_with_findings"),
        s.healthy.len(),
        tr("queue_healthy"),
        s.failed.len(),
        tr("queue_unreadable"),
    );
    out.push('\n');
    if s.root_causes.is_empty() {
        let _ = writeln!(out, "{}", tr("queue_no_root_cause"));
    } else {
        let count_header = tr("queue_col_bundles");
        let severity_header = tr("queue_col_severity");
        let id_header = tr("queue_col_root_cause");
        let count_width = column_width([count_header], 7, usize::MAX);
        let severity_width = column_width([severity_header], 8, usize::MAX);
        let id_width = column_width(
            s.root_causes
                .iter()
                .map(|c| c.id.as_str())
                .chain([id_header]),
            0,
            usize::MAX,
        );
        let header = format!(
            "{}  {}  {}  {}",
            pad(count_header, count_width),
            pad(severity_header, severity_width),
            pad(id_header, id_width),
            tr("queue_col_title")
        );
        let _ = writeln!(out, "{}", paint("1", &header));
        for c in &s.root_causes {
            let severity = pad(&severity_label(c.severity, &t), severity_width);
            let severity = match c.severity {
                Severity::Critical => paint("1;31", &severity),
                Severity::Warning => paint("1;33", &severity),
                Severity::Info => paint("1;36", &severity),
            };
            let _ = writeln!(
                out,
                "{:>count_width$}  {severity}  {}  {}",
                c.bundles.len(),
                pad(&sanitize(&c.id), id_width),
                sanitize(&c.title),
            );
        }
    }
    if !s.healthy.is_empty() {
        let _ = writeln!(out, "\n{}", paint("1", tr("queue_healthy_heading")));
        for path in &s.healthy {
            let _ = writeln!(out, "  {}", sanitize(path));
        }
    }
    if !s.failed.is_empty() {
        let _ = writeln!(out, "\n{}", paint("1;31", tr("queue_unreadable_heading")));
        let width = column_width(s.failed.iter().map(|f| f.path.as_str()), 0, 60);
        for f in &s.failed {
            let _ = writeln!(
                out,
                "  {}  {}",
                pad(&sanitize(&f.path), width),
                sanitize(&one_line_reason(&f.path, &f.error)),
            );
        }
    }
    out
}

/// Display width of the widest of `cells` (counting a CJK character as two
/// columns), at least `min`, at most `max`.
fn column_width<'a>(cells: impl IntoIterator<Item = &'a str>, min: usize, max: usize) -> usize {
    cells
        .into_iter()
        .map(display_width)
        .max()
        .unwrap_or(0)
        .max(min)
        .min(max)
}

/// `text` padded with spaces to `width` display columns.
fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(display_width(text));
    format!("{text}{}", " ".repeat(fill))
}

/// The error on one line, without the path it starts with (printed beside it).
fn one_line_reason(path: &str, error: &str) -> String {
    let reason = error
        .strip_prefix(path)
        .and_then(|r| r.strip_prefix(": "))
        .unwrap_or(error);
    reason.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_are_matched_case_insensitively() {
        for name in ["a.tar", "a.tar.gz", "A.TGZ", "b.Tar.Gz"] {
            assert!(is_archive_name(name.as_ref()), "{name}");
        }
        for name in ["a.gz", "a.zip", "tgz", "a.tar.bz2", "notes.txt"] {
            assert!(!is_archive_name(name.as_ref()), "{name}");
        }
    }

    #[test]
    fn the_summary_speaks_the_report_language_and_aligns_wide_characters() {
        let summary = Summary {
            schema_version: QUEUE_SCHEMA_VERSION,
            bundles: 2,
            failed: vec![Failure {
                path: "q/bad.tgz".into(),
                error: "q/bad.tgz: not an archive".into(),
            }],
            root_causes: vec![RootCause {
                id: "apiservice-discovery-timeout".into(),
                title: "标题".into(),
                severity: Severity::Critical,
                bundles: vec!["q/a.tgz".into()],
            }],
            healthy: Vec::new(),
            per_bundle: Vec::new(),
        };
        let en = render_text(&summary, "en", false);
        assert!(en.contains("Queue: 2 bundles"), "{en}");
        assert!(en.contains("Unreadable:"), "{en}");
        let zh = render_text(&summary, "zh", false);
        assert!(
            zh.contains("队列") && zh.contains("无法读取") && zh.contains("根因"),
            "{zh}"
        );
        // The rule id starts in the same terminal column in the header and the row.
        let lines: Vec<&str> = zh.lines().collect();
        let header = lines.iter().find(|l| l.contains("根因")).expect("header");
        let row = lines
            .iter()
            .find(|l| l.contains("apiservice-discovery-timeout"))
            .expect("row");
        let column_of =
            |line: &str, needle: &str| line.find(needle).map(|i| display_width(&line[..i]));
        assert_eq!(
            column_of(header, "根因"),
            column_of(row, "apiservice-discovery-timeout")
        );
        assert!(!zh.contains('\x1b'));
        assert!(render_text(&summary, "en", true).contains("\x1b[1;31m"));
    }

    #[test]
    fn a_reason_is_one_line_without_its_path() {
        assert_eq!(
            one_line_reason("q/x.tgz", "q/x.tgz: not an archive;\n  see help"),
            "not an archive; see help"
        );
        assert_eq!(one_line_reason("q/x.tgz", "cannot open"), "cannot open");
    }

    #[test]
    fn the_reorder_buffer_writes_in_queue_order() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .expect("pool");
        let queue: Vec<Input> = (0..40)
            .map(|i| Input::Bundle(PathBuf::from(i.to_string())))
            .collect();
        let mut seen = Vec::new();
        run(
            &pool,
            &queue,
            |path| {
                let n: u64 = path.to_string_lossy().parse().map_err(|_| "nan")?;
                // Later entries finish first.
                std::thread::sleep(Duration::from_millis(40 - n));
                if n % 7 == 3 {
                    Err(format!("{n} fails"))
                } else {
                    Ok(n)
                }
            },
            |index, _, result| {
                seen.push((index, result));
                Ok(())
            },
        )
        .expect("runs");
        assert_eq!(seen.len(), 40);
        for (i, (index, result)) in seen.iter().enumerate() {
            assert_eq!(*index, i);
            match result {
                Ok(n) => assert_eq!(*n, i as u64),
                Err(e) => assert_eq!(e, &format!("{i} fails")),
            }
        }
    }

    #[test]
    fn a_panic_in_one_bundle_does_not_stop_the_queue() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool");
        let queue: Vec<Input> = ["ok", "boom", "ok2"]
            .iter()
            .map(|p| Input::Bundle(PathBuf::from(p)))
            .collect();
        let mut seen = Vec::new();
        run(
            &pool,
            &queue,
            |path| {
                assert!(path != Path::new("boom"), "bad input");
                Ok(())
            },
            |_, path, result| {
                seen.push((path.to_path_buf(), result.is_ok()));
                Ok(())
            },
        )
        .expect("runs");
        assert_eq!(
            seen,
            vec![
                (PathBuf::from("ok"), true),
                (PathBuf::from("boom"), false),
                (PathBuf::from("ok2"), true)
            ]
        );
    }
}
