//! Hostile and broken bundles: every case is generated here (no
//! committed binaries), analysed by the real binary, and must exit 0, 1 or 2
//! with a clear message, never panic, finish within a few seconds and in
//! bounded memory, and still analyse the valid part of the bundle: each
//! bundle also holds the seed APIService of
//! `fixtures/apiservice-discovery-timeout/seed-loose-files/apiservice.yaml`,
//! whose finding `apiservice-discovery-timeout` must still be reported.
//!
//! Archives are written by hand (raw 512-byte tar headers) so that the test can
//! produce what well-behaved tar writers refuse to: `..` paths, device entries,
//! corrupt headers, truncation. Big inputs (a 2 GiB gzip bomb, a 200 MB line)
//! are made of repeated gzip members, so generating them costs a few kilobytes
//! of compression and a few megabytes on disk.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

const BIN: &str = env!("CARGO_BIN_EXE_bundle-doctor");
const SEED_PATH: &str = "fixtures/apiservice-discovery-timeout/seed-loose-files/apiservice.yaml";
const SEED_ID: &str = "apiservice-discovery-timeout";
/// Wall-clock budget of one run, in seconds (`BD_CASE_SECS`; the default allows
/// for a debug build on a loaded machine: a release build takes well under a second).
fn case_secs() -> f64 {
    std::env::var("BD_CASE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15.0)
}

/// Runs of the binary are serialised so each one's time and memory are its own.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// A run slower than this is killed and the case fails.
const KILL_SECS: u64 = 60;
/// Peak RSS allowed for any case, where /proc tells it.
const MAX_RSS_KB: u64 = 256 * 1024;

fn seed() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED_PATH)).expect("seed fixture")
}

// ------------------------------------------------------------------------------------------
// Generators
// ------------------------------------------------------------------------------------------

/// A ustar header; `name` and `link` are cut at 100 bytes.
fn header(name: &[u8], kind: u8, size: u64, link: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0001750\0");
    h[116..124].copy_from_slice(b"0001750\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"14641342760\0");
    h[156] = kind;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link[..l]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

fn pad(out: &mut Vec<u8>) {
    let rem = out.len() % 512;
    if rem != 0 {
        out.resize(out.len() + 512 - rem, 0);
    }
}

/// A regular file entry, padded.
fn file(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = header(name, b'0', data.len() as u64, b"");
    out.extend_from_slice(data);
    pad(&mut out);
    out
}

/// A non-file entry (`2` symlink, `1` hard link, `3`/`4` devices, `6` fifo, `5` folder).
fn special(name: &[u8], kind: u8, link: &[u8]) -> Vec<u8> {
    header(name, kind, 0, link)
}

/// A GNU long-name entry (`L`) naming the entry that follows it.
fn long_name(name: &[u8], kind: u8, data: &[u8]) -> Vec<u8> {
    let mut name0 = name.to_vec();
    name0.push(0);
    let mut out = file(b"././@LongLink", &name0);
    out[156] = b'L';
    // Recompute the checksum of the first header after changing its type.
    out[148..156].copy_from_slice(b"        ");
    let sum: u32 = out[..512].iter().map(|b| u32::from(*b)).sum();
    out[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    out.extend(header(b"placeholder", kind, data.len() as u64, b""));
    out.extend_from_slice(data);
    pad(&mut out);
    out
}

fn end() -> Vec<u8> {
    vec![0u8; 1024]
}

fn tar(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out: Vec<u8> = entries.concat();
    out.extend(end());
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("in memory");
    enc.finish().expect("in memory")
}

/// Writes `chunk` (`times` times) as repeated gzip members: a gzip reader sees
/// `chunk * times` while the file holds one compressed copy per repetition.
fn write_repeated(out: &mut impl Write, chunk: &[u8], times: usize) {
    let member = {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(chunk).expect("in memory");
        enc.finish().expect("in memory")
    };
    for _ in 0..times {
        out.write_all(&member).expect("write");
    }
}

/// Deterministic pseudo-random printable text (incompressible enough that a cut
/// in the gzip stream lands inside it).
fn noise_text(len: usize, mut state: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if out.len() % 64 == 63 {
            out.push(b'\n');
        } else {
            out.push(b"abcdefghijklmnopqrstuvwxyz0123456789 "[(state % 37) as usize]);
        }
    }
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write bundle");
    path
}

// ------------------------------------------------------------------------------------------
// Running the binary
// ------------------------------------------------------------------------------------------

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    secs: f64,
    /// Peak resident set size (VmHWM) in KiB, when /proc tells it.
    peak_kb: Option<u64>,
}

impl Run {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON report ({e}); stderr: {}; stdout starts: {}",
                self.stderr,
                self.stdout.chars().take(500).collect::<String>()
            )
        })
    }
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bd(args: &[&std::ffi::OsStr]) -> Run {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "1")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let pid = child.id();
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let mut peak: Option<u64> = None;
    let status = loop {
        if let Some(kb) = peak_rss_kb(pid) {
            peak = Some(peak.map_or(kb, |p| p.max(kb)));
        }
        match child.try_wait().expect("wait") {
            Some(status) => break status,
            None if start.elapsed() > Duration::from_secs(KILL_SECS) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("bundle-doctor {args:?} still running after {KILL_SECS}s: killed");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out_thread.join().expect("reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().expect("reader")).into_owned();
    let run = Run {
        code: status.code(),
        stdout,
        stderr,
        secs,
        peak_kb: peak,
    };
    eprintln!(
        "case {:?}: exit {:?} in {:.2}s, peak RSS {} KiB",
        args.last(),
        run.code,
        run.secs,
        run.peak_kb.map_or("?".into(), |k| k.to_string())
    );
    assert!(
        !run.stderr.contains("panicked"),
        "bundle-doctor panicked on {args:?}:\n{}",
        run.stderr
    );
    assert!(
        matches!(run.code, Some(0..=2)),
        "exit {:?} (killed by a signal?) on {args:?}:\n{}",
        run.code,
        run.stderr
    );
    assert!(
        run.secs < case_secs(),
        "{args:?} took {:.1}s (budget {}s, BD_CASE_SECS)",
        run.secs,
        case_secs()
    );
    if let Some(kb) = run.peak_kb {
        assert!(kb < MAX_RSS_KB, "{args:?} peaked at {kb} KiB");
    }
    run
}

/// `analyze BUNDLE -f json` plus extra flags; exit 0 and one JSON report expected.
fn analyze_json(bundle: &Path, extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["analyze".as_ref(), "-f".as_ref(), "json".as_ref()];
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    args.push(bundle.as_os_str());
    let run = bd(&args);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let json = run.json();
    (run, json)
}

fn finding_ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_seed_found(report: &serde_json::Value) {
    let ids = finding_ids(report);
    assert!(
        ids.iter().any(|id| id == SEED_ID),
        "the valid part was not analysed: findings {ids:?}; notices {}; parse errors {}",
        report["notices"],
        report["parse_errors"]
    );
}

fn notices(report: &serde_json::Value) -> Vec<(String, String)> {
    report["notices"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| {
                    (
                        n["source"].as_str().unwrap_or_default().to_string(),
                        n["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a notice whose source contains `source` and whose message contains every word.
fn assert_notice(report: &serde_json::Value, source: &str, words: &[&str]) {
    let all = notices(report);
    assert!(
        all.iter()
            .any(|(s, m)| s.contains(source) && words.iter().all(|w| m.contains(w))),
        "no notice on `{source}` with {words:?}; notices: {all:#?}"
    );
}

fn parse_errors(report: &serde_json::Value) -> Vec<(String, String)> {
    report["parse_errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| {
                    (
                        n["source"].as_str().unwrap_or_default().to_string(),
                        n["error"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A scratch folder; with `BD_HOSTILE_DIR` set, the generated bundles are kept
/// there (one sub-folder per case) for manual runs, e.g. under `/usr/bin/time -v`.
fn tmp() -> tempfile::TempDir {
    match std::env::var_os("BD_HOSTILE_DIR") {
        Some(dir) => {
            std::fs::create_dir_all(&dir).expect("BD_HOSTILE_DIR");
            tempfile::Builder::new()
                .prefix("case-")
                .disable_cleanup(true)
                .tempdir_in(dir)
                .expect("temp dir")
        }
        None => tempfile::tempdir().expect("temp dir"),
    }
}

// ------------------------------------------------------------------------------------------
// Broken archives
// ------------------------------------------------------------------------------------------

fn three_files() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let seed = file(b"bundle/apiservice.yaml", &seed());
    let filler = file(b"bundle/filler.txt", &noise_text(300_000, 0x9e37_79b9));
    let third = file(b"bundle/third.txt", b"never reached\n");
    (seed, filler, third)
}

#[test]
fn truncated_gzip_keeps_what_was_read() {
    let dir = tmp();
    let (seed, filler, third) = three_files();
    let gz = gzip(&tar(&[seed, filler, third]));
    let cut = &gz[..gz.len() * 6 / 10];
    let path = write(dir.path(), "truncated.tgz", cut);
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    // The break is inside filler.txt: the notice names it and says what happened.
    assert_notice(&report, "filler.txt", &["analysed as far as it was read"]);
}

#[test]
fn truncated_tar_keeps_what_was_read() {
    let dir = tmp();
    let (seed, filler, third) = three_files();
    let whole = tar(&[seed.clone(), filler, third]);
    let cut = &whole[..seed.len() + 512 + 100_000];
    let path = write(dir.path(), "truncated.tar", cut);
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert_notice(&report, "filler.txt", &["analysed as far as it was read"]);
    // Cut inside a header block.
    let cut = &whole[..seed.len() + 300];
    let path = write(dir.path(), "truncated-header.tar", cut);
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert_notice(&report, "", &["truncated or corrupt after 1 entries"]);
    // Cut right after a header: the entry's data is missing altogether.
    let cut = &whole[..seed.len() + 512];
    let path = write(dir.path(), "truncated-after-header.tar", cut);
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert_notice(
        &report,
        "filler.txt",
        &["the archive ends inside this file (0 of 300000 bytes)"],
    );
}

#[test]
fn corrupt_header_mid_archive() {
    let dir = tmp();
    let seed = file(b"apiservice.yaml", &seed());
    let mut bad = file(b"garbage.yaml", b"kind: Pod\n");
    bad[148..156].copy_from_slice(b"0000001\0"); // wrong checksum
    bad[124..136].copy_from_slice(b"zzzzzzzzzzz\0"); // and a size that is not octal
    let after = file(b"after.txt", b"not reached\n");
    let path = write(
        dir.path(),
        "corrupt.tar.gz",
        &gzip(&tar(&[seed, bad, after])),
    );
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert_notice(&report, "", &["corrupt after 1 entries"]);
}

#[test]
fn gzip_that_is_not_a_tar() {
    let dir = tmp();
    let path = write(
        dir.path(),
        "notatar.tar.gz",
        &gzip(b"just some text, compressed\n"),
    );
    let run = bd(&["analyze".as_ref(), path.as_os_str()]);
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    assert!(
        run.stderr.contains("notatar.tar.gz") && run.stderr.contains("not a tar"),
        "{}",
        run.stderr
    );
}

#[test]
fn empty_archives_and_folders() {
    let dir = tmp();
    // A zero-byte file is not a bundle.
    let empty = write(dir.path(), "empty.tgz", b"");
    let run = bd(&["analyze".as_ref(), empty.as_os_str()]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("empty"), "{}", run.stderr);
    // An empty tar (only the end-of-archive blocks), plain or compressed, is
    // read and reported as holding nothing.
    for (name, bytes) in [("empty.tar", end()), ("empty.tar.gz", gzip(&end()))] {
        let path = write(dir.path(), name, &bytes);
        let (_, report) = analyze_json(&path, &[]);
        assert_eq!(report["bundle"]["files"], 0, "{name}");
        assert!(finding_ids(&report).is_empty());
        assert_notice(&report, "", &["no files"]);
    }
    let folder = dir.path().join("empty-folder");
    std::fs::create_dir(&folder).expect("mkdir");
    let (_, report) = analyze_json(&folder, &[]);
    assert_notice(&report, "", &["no files"]);
}

#[test]
fn zip_is_refused_with_the_supported_formats() {
    let dir = tmp();
    // Local file header of a stored entry, enough for the sniffer.
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x00\x00".to_vec();
    zip.extend_from_slice(&[0u8; 64]);
    let path = write(dir.path(), "bundle.zip", &zip);
    let run = bd(&["analyze".as_ref(), path.as_os_str()]);
    assert_eq!(run.code, Some(2));
    for word in ["bundle.zip", "zip", ".tar.gz", "directory"] {
        assert!(run.stderr.contains(word), "missing {word}: {}", run.stderr);
    }
}

// ------------------------------------------------------------------------------------------
// Hostile entries
// ------------------------------------------------------------------------------------------

/// An APIService that would make a different rule fire if it were read.
const DECOY: &[u8] = b"apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1beta1.decoy.example.com\n";

#[test]
fn escaping_paths_are_skipped_and_nothing_is_written_outside_out() {
    let dir = tmp();
    let entries = vec![
        special(b"./", b'5', b""),
        file(b"./apiservice.yaml", &seed()),
        file(b"../../escape.yaml", DECOY),
        file(b"a/../../escape2.yaml", DECOY),
        file(
            b"/etc/absolute.txt",
            b"an absolute path is read inside the bundle\n",
        ),
        long_name(b"../../../../tmp/long-escape.yaml", b'0', DECOY),
    ];
    let path = write(dir.path(), "paths.tar.gz", &gzip(&tar(&entries)));
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    for source in [
        "../../escape.yaml",
        "a/../../escape2.yaml",
        "long-escape.yaml",
    ] {
        assert_notice(&report, source, &["leaves the bundle"]);
    }
    // `./` is the bundle's own root folder, not an escape.
    assert!(
        !notices(&report).iter().any(|(s, _)| s == "./" || s == "."),
        "{:?}",
        notices(&report)
    );
    let text = report.to_string();
    assert!(!text.contains("decoy"), "a skipped entry was analysed");
    let files: Vec<&str> = report["inventory"]["files"]
        .as_array()
        .expect("inventory")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(files.contains(&"etc/absolute.txt"), "{files:?}");

    // With --out, only the out directory gets files.
    let out = dir.path().join("out");
    let before = list_tree(dir.path());
    let run = bd(&[
        "analyze".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        path.as_os_str(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let after = list_tree(dir.path());
    let new: Vec<&PathBuf> = after.iter().filter(|p| !before.contains(p)).collect();
    assert!(
        new.iter().all(|p| p.starts_with(&out)),
        "written outside --out: {new:?}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["report.html", "report.json", "report.md"]);
}

fn list_tree(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in read.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out
}

#[test]
fn symlinks_outside_in_loops_and_hard_links() {
    let dir = tmp();
    let entries = vec![
        file(b"sb/apiservice.yaml", &seed()),
        special(b"sb/out-rel", b'2', b"../../../etc/passwd"),
        special(b"sb/out-abs", b'2', b"/etc/passwd"),
        special(b"sb/loop-a", b'2', b"loop-b"),
        special(b"sb/loop-b", b'2', b"loop-a"),
        special(b"sb/self", b'2', b"self"),
        special(b"sb/dangling", b'2', b"nothing-here"),
        special(b"sb/alias.yaml", b'2', b"apiservice.yaml"),
        special(b"sb/hard.yaml", b'1', b"sb/apiservice.yaml"),
        special(b"sb/hard-out", b'1', b"../etc/shadow"),
        special(b"sb/hard-loop", b'1', b"sb/hard-loop"),
    ];
    let path = write(dir.path(), "links.tgz", &gzip(&tar(&entries)));
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert_notice(&report, "out-rel", &["outside the bundle"]);
    assert_notice(&report, "out-abs", &["outside the bundle"]);
    assert_notice(&report, "hard-out", &["outside the bundle"]);
    assert_notice(&report, "loop-a", &["loop"]);
    assert_notice(&report, "self", &["loop"]);
    assert_notice(&report, "hard-loop", &["loop"]);
    assert_notice(&report, "dangling", &["not in the bundle"]);
    assert!(!report.to_string().contains("root:"), "a link was followed");
}

#[test]
fn symlinks_and_fifos_in_a_folder_are_never_followed_or_opened() {
    let dir = tmp();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("secret.yaml"), DECOY).expect("write");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    std::fs::write(bundle.join("apiservice.yaml"), seed()).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(outside.join("secret.yaml"), bundle.join("abs-link.yaml")).expect("symlink");
        symlink("../outside/secret.yaml", bundle.join("rel-link.yaml")).expect("symlink");
        symlink("../outside", bundle.join("dir-link")).expect("symlink");
        symlink("loop2", bundle.join("loop1")).expect("symlink");
        symlink("loop1", bundle.join("loop2")).expect("symlink");
        symlink(".", bundle.join("dot")).expect("symlink");
    }
    // A fifo would block the reader forever if it were opened.
    let fifo = Command::new("mkfifo").arg(bundle.join("pipe.log")).status();
    let (_, report) = analyze_json(&bundle, &[]);
    assert_seed_found(&report);
    assert!(!report.to_string().contains("decoy"), "a link was followed");
    #[cfg(unix)]
    {
        assert_notice(&report, "abs-link.yaml", &["outside"]);
        assert_notice(&report, "rel-link.yaml", &["outside"]);
        assert_notice(&report, "loop1", &["loop"]);
    }
    if fifo.is_ok_and(|s| s.success()) {
        assert_notice(&report, "pipe.log", &["never opened"]);
    }
}

#[test]
fn device_and_fifo_entries_are_never_opened() {
    let dir = tmp();
    let entries = vec![
        file(b"apiservice.yaml", &seed()),
        special(b"dev/sda", b'4', b""),
        special(b"dev/null", b'3', b""),
        special(b"pipe", b'6', b""),
        special(b"weird", b'X', b""),
    ];
    let path = write(dir.path(), "devices.tar", &tar(&entries));
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    for source in ["dev/sda", "dev/null", "pipe"] {
        assert_notice(&report, source, &["never opened"]);
    }
}

#[test]
fn control_characters_never_reach_the_terminal_or_html() {
    let dir = tmp();
    let evil_name: &[u8] = b"evil\x1b[2J\x1b]0;pwned\x07\r\x08name.yaml";
    let evil_text: &[u8] =
        b"kind: ConfigMap\nmetadata:\n  name: \"cm\x1b[31m\"\ndata: {a: \"\x1b]52;c;ZXZpbA==\x07\"}\n: : :\x1b[0m\n";
    let html_name: &[u8] = b"<script>alert(1)</script>.txt";
    let entries = vec![
        file(b"apiservice.yaml", &seed()),
        file(evil_name, evil_text),
        file(
            b"x\x1b[1mlog.log",
            b"E0517 x509: certificate \x1b[41mred\x1b[0m\n",
        ),
        file(
            html_name,
            b"</pre><img src=x onerror=alert(1)>\n| md | table |\n",
        ),
        special(b"link\x1b[5m", b'2', b"\x1b[6m/etc/passwd"),
        special(b"..\x1b[7m/../up", b'0', b""),
    ];
    let path = write(dir.path(), "ansi.tgz", &gzip(&tar(&entries)));
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    // Terminal text and Markdown: no raw ESC, BEL or CR from the bundle.
    for format in [None, Some("md")] {
        let mut args: Vec<&std::ffi::OsStr> = vec!["analyze".as_ref()];
        if let Some(f) = format {
            args.push(std::ffi::OsStr::new("-f"));
            args.push(std::ffi::OsStr::new(f));
        }
        args.push(path.as_os_str());
        let run = bd(&args);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        for bad in ['\x1b', '\x07', '\x08', '\r'] {
            assert!(
                !run.stdout.contains(bad),
                "{format:?} output has raw {bad:?}:\n{}",
                run.stdout
            );
        }
        assert!(run.stdout.contains(SEED_ID));
    }
    let out = dir.path().join("out");
    let run = bd(&[
        "analyze".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        path.as_os_str(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stdout.contains('\x1b'), "{}", run.stdout);
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(
        !html.contains("<script>alert"),
        "unescaped bundle text in HTML"
    );
    assert!(
        !html.contains("<img src=x"),
        "unescaped bundle text in HTML"
    );
}

// ------------------------------------------------------------------------------------------
// Broken and hostile content
// ------------------------------------------------------------------------------------------

fn utf16(text: &[u8], big_endian: bool, bom: bool) -> Vec<u8> {
    let s = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian {
            &[0xfe, 0xff]
        } else {
            &[0xff, 0xfe]
        });
    }
    for unit in s.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

#[test]
fn utf16_invalid_utf8_and_nul_bytes() {
    let dir = tmp();
    let bundle = dir.path().join("b");
    std::fs::create_dir(&bundle).expect("mkdir");
    // The seed itself is UTF-16LE with a BOM (PowerShell's `>`): it must be read.
    write(&bundle, "apiservice.yaml", &utf16(&seed(), false, true));
    write(
        &bundle,
        "be.yaml",
        &utf16(b"kind: ConfigMap\nmetadata: {name: be}\n", true, true),
    );
    write(
        &bundle,
        "nobom.yaml",
        &utf16(b"kind: ConfigMap\nmetadata: {name: nobom}\n", false, false),
    );
    write(&bundle, "odd.txt", &[0xff, 0xfe, 0x41]);
    let mut bad = b"kind: ConfigMap\nmetadata:\n  name: \xc3\x28bad\xff\xfe\n".to_vec();
    bad.extend_from_slice(b"data:\n  k: \xed\xa0\x80 surrogate \xf4\x90\x80\x80 too big\n");
    write(&bundle, "invalid-utf8.yaml", &bad);
    write(&bundle, "nul.yaml", b"kind: Pod\n\0\0\0metadata: {}\n");
    let mut late = noise_text(20_000, 7);
    late.extend_from_slice(b"\0\0late nul\n");
    write(&bundle, "late-nul.yaml", &late);
    write(&bundle, "nul.log", b"E0517 x509: \0\0\0 in a log\n\0\n");
    let (_, report) = analyze_json(&bundle, &[]);
    assert_seed_found(&report);
    let errors = parse_errors(&report);
    assert!(
        errors
            .iter()
            .any(|(s, e)| s == "nul.yaml" && e.contains("binary")),
        "{errors:?}"
    );
}

#[test]
fn yaml_billion_laughs_json_depth_duplicates_numbers_missing_fields() {
    let dir = tmp();
    let bundle = dir.path().join("b");
    std::fs::create_dir(&bundle).expect("mkdir");
    write(&bundle, "apiservice.yaml", &seed());
    // `apiVersion` + `kind` make the classifier parse a file as Kubernetes YAML.
    const K8S: &str = "apiVersion: v1\nkind: ConfigMap\n";
    let mut lol = format!(
        "{K8S}a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, name) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        lol.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    write(&bundle, "billion-laughs.yaml", lol.as_bytes());
    let deep = 100_000;
    let nested = |open: &str, inner: &str, close: &str| {
        format!("{}{inner}{}", open.repeat(deep), close.repeat(deep))
    };
    write(&bundle, "deep-array.json", nested("[", "", "]").as_bytes());
    write(
        &bundle,
        "deep-object.json",
        nested("{\"a\":", "1", "}").as_bytes(),
    );
    write(
        &bundle,
        "deep-flow.yaml",
        format!("{K8S}data: {}\n", nested("[", "", "]")).as_bytes(),
    );
    let mut block = format!("{K8S}data:\n");
    for i in 0..1_000 {
        block.push_str(&" ".repeat(i + 1));
        block.push_str("- \n");
    }
    write(&bundle, "deep-block.yaml", block.as_bytes());
    write(
        &bundle,
        "unclosed.json",
        "[{\"a\":".repeat(50_000).as_bytes(),
    );
    write(
        &bundle,
        "duplicates.yaml",
        b"apiVersion: v1\nkind: Pod\nkind: Service\nmetadata: {name: dup, name: dup2}\nmetadata:\n  namespace: kube-system\n  namespace: other\nspec: {}\n",
    );
    write(
        &bundle,
        "absurd-numbers.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata: {name: metrics-server-abc, namespace: kube-system, generation: 1e999999}\nspec:\n  containers:\n  - name: metrics-server\n    resources: {limits: {memory: 99999999999999999999999999999999Ei, cpu: -1e308}}\nstatus:\n  phase: Running\n  containerStatuses:\n  - name: metrics-server\n    restartCount: 340282366920938463463374607431768211457\n    ready: .nan\n    lastState: {terminated: {reason: OOMKilled, exitCode: -99999999999999999999}}\n---\nkind: Event\napiVersion: v1\nmetadata: {name: e, namespace: kube-system}\ncount: .inf\nfirstTimestamp: 99999-99-99T99:99:99Z\nlastTimestamp: -1\nreason: FailedGetResourceMetric\ninvolvedObject: {kind: HorizontalPodAutoscaler, name: h}\n",
    );
    write(
        &bundle,
        "absurd.json",
        b"{\"kind\":\"HorizontalPodAutoscaler\",\"apiVersion\":\"autoscaling/v2\",\"metadata\":{\"name\":\"h\",\"namespace\":\"default\"},\"spec\":{\"minReplicas\":1e400,\"maxReplicas\":-0.0e-999999},\"status\":{\"currentReplicas\":18446744073709551617}}",
    );
    write(
        &bundle,
        "missing-fields.yaml",
        b"apiVersion: v1\nkind: APIService\n---\nkind: Pod\nmetadata: []\nspec: {containers: \"x\"}\nstatus: 5\n---\nkind: Event\n---\nkind: List\nitems: null\n---\nkind: PodList\nitems: 7\n---\nkind: APIService\nmetadata: {name: v1beta1.metrics.k8s.io}\nstatus: {conditions: \"Available\"}\n---\nkind: Service\nmetadata: {name: metrics-server, namespace: kube-system}\nspec: {ports: [{port: null}, 7, [], {targetPort: {}}]}\n---\nkind: Endpoints\nsubsets: [{addresses: 1}]\n---\n- - - []\n---\n42\n---\n~\n---\nkind: [Pod]\nmetadata: {name: {a: b}, namespace: [1]}\n",
    );
    write(
        &bundle,
        "not-k8s.json",
        b"{\"hello\": \"world\", \"items\": [1,2,3]}",
    );
    write(
        &bundle,
        "garbage.yaml",
        b"{{{{ : - ]]] &&& *** !!binary @@@ `\n\t\tkey: value\n",
    );
    let (run, report) = analyze_json(&bundle, &[]);
    assert_seed_found(&report);
    let errors = parse_errors(&report);
    let error_for = |name: &str| {
        errors
            .iter()
            .find(|(s, _)| s == name)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("no parse error for {name}: {errors:#?}"))
    };
    let laughs = error_for("billion-laughs.yaml");
    assert!(laughs.contains("billion-laughs guard"), "{laughs}");
    for name in [
        "deep-array.json",
        "deep-object.json",
        "deep-block.yaml",
        "unclosed.json",
    ] {
        let e = error_for(name);
        assert!(e.contains("deeper than 128"), "{name}: {e}");
    }
    // yaml-rust2 stops deep flow nesting itself.
    let e = error_for("deep-flow.yaml");
    assert!(
        e.contains("recursion limit") || e.contains("deeper than"),
        "{e}"
    );
    assert!(run.secs < case_secs());
}

// ------------------------------------------------------------------------------------------
// Limits
// ------------------------------------------------------------------------------------------

/// The seed, then one entry of `chunk * times` bytes, then a file after it.
/// With `gz`, a tar.gz of repeated gzip members (a few KB on disk per GB);
/// without, a plain tar streamed to disk.
fn big_entry_bundle(
    dir: &Path,
    name: &str,
    entry: &[u8],
    chunk: &[u8],
    times: usize,
    tail: &[u8],
    gz: bool,
) -> PathBuf {
    let path = dir.join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let size = (chunk.len() * times + tail.len()) as u64;
    let mut head = file(b"apiservice.yaml", &seed());
    head.extend(header(entry, b'0', size, b""));
    out.write_all(&if gz { gzip(&head) } else { head })
        .expect("write");
    if gz {
        write_repeated(&mut out, chunk, times);
    } else {
        for _ in 0..times {
            out.write_all(chunk).expect("write");
        }
    }
    let mut rest = tail.to_vec();
    let tail_pad = (512 - (size as usize % 512)) % 512;
    rest.resize(tail.len() + tail_pad, 0);
    rest.extend(file(b"after.txt", b"after the big entry\n"));
    rest.extend(end());
    out.write_all(&if gz { gzip(&rest) } else { rest })
        .expect("write");
    out.flush().expect("flush");
    path
}

#[test]
fn gzip_bomb_stops_at_the_ratio_limit() {
    let dir = tmp();
    // 2 GiB of zeros as 128 gzip members of 16 MiB: ~2 MB on disk, and a ratio
    // (~1030:1) as close to deflate's ceiling as one stream gets.
    let path = big_entry_bundle(
        dir.path(),
        "bomb.tgz",
        b"zeros.bin",
        &vec![0u8; 16 << 20],
        128,
        b"",
        true,
    );
    assert!(std::fs::metadata(&path).expect("meta").len() < 8 << 20);
    let (run, report) = analyze_json(&path, &["--max-ratio", "100"]);
    assert_seed_found(&report);
    assert_notice(&report, "zeros.bin", &["--max-ratio (100:1)", "bomb"]);
    assert!(run.secs < case_secs(), "{}", run.secs);
    // The same bomb against the total-bytes limit.
    let (_, report) = analyze_json(
        &path,
        &["--max-ratio", "100000000", "--max-total-bytes", "50000000"],
    );
    assert_seed_found(&report);
    assert_notice(&report, "zeros.bin", &["--max-total-bytes (50000000"]);
    // Default limits: the default 200:1 stops the bomb right after the 16 MiB grace.
    let (_, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert_notice(&report, "zeros.bin", &["--max-ratio (200:1)"]);
}

#[test]
fn a_200_mb_line_is_streamed_in_bounded_memory() {
    let dir = tmp();
    let mut chunk = vec![b'a'; 1 << 20];
    chunk[..6].copy_from_slice(b"x509: ");
    let path = big_entry_bundle(
        dir.path(),
        "longline.tar",
        b"huge.log",
        &chunk,
        200,
        b"\nE0517 x509: short line\n",
        false,
    );
    let (run, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert!(
        notices(&report).iter().all(|(_, m)| !m.contains("--max")),
        "{:?}",
        notices(&report)
    );
    let files = report["inventory"]["files"].to_string();
    assert!(
        files.contains("huge.log") && files.contains("after.txt"),
        "{files}"
    );
    if let Some(kb) = run.peak_kb {
        assert!(kb < 128 * 1024, "peak RSS {kb} KiB for a 200 MB line");
    }
    // The same line in a file not named like a log: over --max-file-bytes, streamed.
    std::fs::remove_file(&path).expect("rm");
    let path = big_entry_bundle(
        dir.path(),
        "longtext.tar",
        b"dump.txt",
        &chunk,
        200,
        b"\n",
        false,
    );
    let (run, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert_notice(&report, "dump.txt", &["--max-file-bytes"]);
    if let Some(kb) = run.peak_kb {
        assert!(kb < 128 * 1024, "peak RSS {kb} KiB for a 200 MB line");
    }
}

#[test]
fn a_file_over_max_file_bytes_is_streamed_as_text() {
    let dir = tmp();
    let bundle = dir.path().join("b");
    std::fs::create_dir(&bundle).expect("mkdir");
    write(&bundle, "apiservice.yaml", &seed());
    let mut big = b"kind: ConfigMap\nmetadata: {name: big}\ndata:\n".to_vec();
    for i in 0..40_000 {
        big.extend_from_slice(format!("  k{i}: E0517 x509: value {i}\n").as_bytes());
    }
    assert!(big.len() > 1_000_000);
    write(&bundle, "big.yaml", &big);
    let (_, report) = analyze_json(&bundle, &["--max-file-bytes", "1000000"]);
    assert_seed_found(&report);
    assert_notice(
        &report,
        "big.yaml",
        &["--max-file-bytes (1000000", "line by line"],
    );
}

#[test]
fn too_many_entries() {
    let dir = tmp();
    let mut entries = vec![file(b"apiservice.yaml", &seed())];
    for i in 0..300 {
        entries.push(file(format!("many/f{i}.txt").as_bytes(), b"x\n"));
    }
    let path = write(dir.path(), "many.tgz", &gzip(&tar(&entries)));
    let (_, report) = analyze_json(&path, &["--max-entries", "100"]);
    assert_seed_found(&report);
    assert_notice(&report, "", &["--max-entries (100)"]);
    assert_eq!(report["bundle"]["files"], 100);
}

#[test]
fn many_dangling_links_resolve_quickly() {
    // 20,000 files and 20,000 links to nowhere: resolving them must not be
    // quadratic (each used to scan every file path).
    let dir = tmp();
    let mut entries = vec![file(b"apiservice.yaml", &seed())];
    for i in 0..20_000 {
        entries.push(file(format!("d/f{i}").as_bytes(), b""));
        entries.push(special(
            format!("l/{i}").as_bytes(),
            b'2',
            format!("../x/{i}").as_bytes(),
        ));
    }
    let path = write(dir.path(), "links.tgz", &gzip(&tar(&entries)));
    let (run, report) = analyze_json(&path, &[]);
    assert_seed_found(&report);
    assert!(run.secs < case_secs(), "{}", run.secs);
}
