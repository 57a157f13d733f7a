//! In-process fuzzing on stable Rust: random and mutated inputs,
//! seeded from the fixture bundles and the embedded rules, into the archive
//! reader, every fact parser and the rule loader. Each target runs for a
//! bounded time inside `cargo test`: `BD_FUZZ_SECS` seconds (default 2; run
//! `BD_FUZZ_SECS=120 cargo test --release --test fuzz -- --nocapture` for a
//! real campaign). `BD_FUZZ_SEED` picks the PRNG seed (default: fixed, so a
//! plain `cargo test` is reproducible).
//!
//! A panic or a slow input (over `BD_FUZZ_SLOW_SECS`, default 5 s) fails the
//! target; the input is written to `target/fuzz-crashes/` so it can be turned
//! into a regression case (see the `regressions` test at the end).

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

use bundle_doctor::bundle::{self, Layout, Limits};
use bundle_doctor::facts::{self, LogPatterns, classify, curl, describe, logline, table, tree};
use bundle_doctor::rules;

// ------------------------------------------------------------------------------------------
// PRNG, corpus, mutations
// ------------------------------------------------------------------------------------------

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed_for(target: &str) -> u64 {
    let base = std::env::var("BD_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_b0d1_u64);
    // Distinct stream per target, never zero.
    target.bytes().fold(base ^ 0x9e37_79b9_7f4a_7c15, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }) | 1
}

/// Every fixture file (path relative to fixtures/, content capped at 256 KiB).
fn corpus() -> &'static [(String, Vec<u8>)] {
    static CORPUS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(read) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in read.flatten() {
                let p = e.path();
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    stack.push(p);
                } else if ft.is_file()
                    && let Ok(mut bytes) = std::fs::read(&p)
                {
                    bytes.truncate(256 << 10);
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .into_owned();
                    out.push((rel, bytes));
                }
            }
        }
        out.sort();
        assert!(out.len() > 50, "fixtures not found");
        out
    })
}

const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"\t",
    b" ",
    b"    ",
    b":",
    b": ",
    b"- ",
    b"---\n",
    b"...\n",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"'",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"!!binary ",
    b"? ",
    b"|-\n",
    b">\n",
    b"#",
    b"%YAML 1.2\n",
    b"kind: ",
    b"apiVersion: v1\nkind: Pod\n",
    b"kind: List\nitems:\n",
    b"metadata:\n  name: ",
    b"status:\n  conditions:\n  - type: Available\n    status: \"False\"\n",
    b"$ kubectl get pods -A -o wide\n",
    b"$ kubectl describe apiservice v1beta1.metrics.k8s.io\n",
    b"$ curl -ik https://10.96.0.1:443/apis/metrics.k8s.io/v1beta1\n",
    b"$ kubectl logs -n kube-system metrics-server-abc --previous\n",
    b"NAME   READY   STATUS    RESTARTS   AGE\n",
    b"NAMESPACE     NAME                              READY   STATUS\n",
    b"Name:         x\nNamespace:    kube-system\n",
    b"Events:\n  Type     Reason  Age  From  Message\n  ----     ------  ---  ----  -------\n",
    b"Conditions:\n  Type  Status\n",
    b"* Connected to ",
    b"* connect to 10.0.0.1 port 443 failed: Connection timed out\n",
    b"< HTTP/1.1 503 Service Unavailable\n",
    b"> GET / HTTP/1.1\n",
    b"curl: (28) Operation timed out after 10001 milliseconds\n",
    b"curl: (",
    b"E0517 10:24:03.143001       1 scraper.go:139] ",
    b"I0101 00:00:00.000000 ",
    b"{\"level\":\"error\",\"ts\":\"2024-05-17T10:24:03Z\",\"msg\":\"",
    b"2024-05-17T10:24:03.143001234Z stderr F ",
    b"time=\"2024-05-17T10:24:03Z\" level=error msg=",
    b"==== START logs for container c of pod ns/p ====\n",
    b"==== END logs for container c of pod ns/p ====\n",
    b"x509: certificate",
    b"1e999999",
    b"-99999999999999999999999",
    b"18446744073709551616",
    b".nan",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\x1b[31m",
    b"\xe4\xb8\xad\xe6\x96\x87",
    b"\xcc\x81",
    b"***HIDDEN***",
    b"{{ url }}",
    b"{% for x in y %}",
    b"(?P<url>",
    b"[*]",
    b"[type=Available]",
];

/// Applies 1–8 random mutations; the result is capped at `max` bytes.
fn mutate(rng: &mut Rng, input: &[u8], max: usize) -> Vec<u8> {
    let mut data = input.to_vec();
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(13) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(i..i, bytes);
            }
            3 | 4 => {
                let i = rng.below(len + 1);
                let token = *rng.pick(TOKENS);
                data.splice(i..i, token.iter().copied());
            }
            5 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64.min(len - a))).min(len);
                data.drain(a..b);
            }
            6 if len > 0 => {
                // Duplicate a range, sometimes many times (long lines, deep nesting).
                let a = rng.below(len);
                let b = (a + 1 + rng.below(256.min(len - a))).min(len);
                let piece = data[a..b].to_vec();
                let times = if rng.chance(8) {
                    1 + rng.below(2000)
                } else {
                    1
                };
                let at = rng.below(data.len() + 1);
                let mut rep = Vec::with_capacity(piece.len() * times);
                for _ in 0..times {
                    rep.extend_from_slice(&piece);
                }
                data.splice(at..at, rep);
            }
            7 => {
                // Splice in part of another corpus file.
                let (_, other) = rng.pick(corpus());
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + 1 + rng.below(2048)).min(other.len());
                    let at = rng.below(len + 1);
                    data.splice(at..at, other[a..b].iter().copied());
                }
            }
            8 if len > 0 => {
                data.truncate(rng.below(len));
            }
            9 if len > 0 => {
                // Swap a line with another line.
                let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
                if lines.len() > 2 {
                    let mut lines: Vec<Vec<u8>> = lines.into_iter().map(<[u8]>::to_vec).collect();
                    let a = rng.below(lines.len());
                    let b = rng.below(lines.len());
                    lines.swap(a, b);
                    data = lines.join(&b'\n');
                }
            }
            10 if len > 0 => {
                // Change indentation of a line.
                let i = rng.below(len);
                let start = data[..i]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1);
                if rng.chance(2) {
                    let n = rng.below(9);
                    data.splice(start..start, std::iter::repeat_n(b' ', n));
                } else {
                    let spaces = data[start..].iter().take_while(|b| **b == b' ').count();
                    data.drain(start..start + spaces.min(1 + rng.below(4)));
                }
            }
            11 => {
                // Interesting-number overwrite.
                let nums: &[&[u8]] = &[b"0", b"-1", b"4294967296", b"1e400", b"0x7fffffff", b"NaN"];
                let i = rng.below(len + 1);
                data.splice(i..i, rng.pick(nums).iter().copied());
            }
            _ => {
                if len > 1 {
                    let a = rng.below(len);
                    let b = rng.below(len);
                    data.swap(a, b);
                }
            }
        }
        if data.len() > max {
            data.truncate(max);
        }
    }
    data
}

/// Indices of the corpus files a target prefers (all files when none match).
fn preferred(like: fn(&str, &[u8]) -> bool) -> Vec<usize> {
    let all = corpus();
    let picked: Vec<usize> = (0..all.len())
        .filter(|i| like(&all[*i].0, &all[*i].1))
        .collect();
    if picked.is_empty() {
        (0..all.len()).collect()
    } else {
        picked
    }
}

fn contains(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

/// Like [`input`], but starting from one of `files` four times in five.
fn input_from(rng: &mut Rng, files: &[usize], max: usize) -> (String, Vec<u8>) {
    if rng.chance(5) {
        return input(rng, max);
    }
    let (path, bytes) = &corpus()[*rng.pick(files)];
    (path.clone(), mutate(rng, bytes, max))
}

/// A fresh input: mostly a mutated corpus file, sometimes pure noise.
fn input(rng: &mut Rng, max: usize) -> (String, Vec<u8>) {
    if rng.chance(20) {
        let n = rng.below(4096);
        let bytes = (0..n)
            .map(|_| {
                if rng.chance(2) {
                    *rng.pick(b" \n:-{}[]\"abcAZ09.\t")
                } else {
                    rng.next() as u8
                }
            })
            .collect();
        return ("noise.txt".into(), bytes);
    }
    let (path, bytes) = rng.pick(corpus());
    (path.clone(), mutate(rng, bytes, max))
}

// ------------------------------------------------------------------------------------------
// The loop
// ------------------------------------------------------------------------------------------

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// A quiet panic hook that remembers the message per thread.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let fuzzing = LAST_PANIC.with(|p| {
                let mut p = p.borrow_mut();
                if p.as_deref() == Some("<armed>") {
                    *p = Some(format!("{info}"));
                    true
                } else {
                    false
                }
            });
            if !fuzzing {
                default(info);
            }
        }));
    });
}

fn crash_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Generates inputs with `gen` and runs `run` on each for the time budget;
/// fails on any panic or slow input, saving it (as written by `save`).
fn fuzz<T>(
    target: &str,
    mut gen_input: impl FnMut(&mut Rng) -> T,
    save: impl Fn(&T) -> Vec<u8>,
    mut run: impl FnMut(&T),
) {
    install_hook();
    let budget = Duration::from_secs_f64(env_f64("BD_FUZZ_SECS", 2.0));
    let slow = Duration::from_secs_f64(env_f64("BD_FUZZ_SLOW_SECS", 5.0));
    let mut rng = Rng(seed_for(target));
    let start = Instant::now();
    let mut execs: u64 = 0;
    let mut failures: Vec<String> = Vec::new();
    let mut slowest = Duration::ZERO;
    while start.elapsed() < budget {
        let state = rng.0;
        let case = gen_input(&mut rng);
        LAST_PANIC.with(|p| *p.borrow_mut() = Some("<armed>".into()));
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| run(&case)));
        let took = t.elapsed();
        let panic = LAST_PANIC.with(|p| p.borrow_mut().take());
        slowest = slowest.max(took);
        execs += 1;
        let problem = match result {
            Err(_) => Some(format!(
                "panic: {}",
                panic.unwrap_or_else(|| "(no message)".into())
            )),
            Ok(()) if took > slow => Some(format!("slow: {:.2}s", took.as_secs_f64())),
            Ok(()) => None,
        };
        if let Some(problem) = problem {
            let file = crash_dir().join(format!("{target}-{state:016x}.bin"));
            let _ = std::fs::File::create(&file).and_then(|mut f| f.write_all(&save(&case)));
            failures.push(format!("{problem} (input: {})", file.display()));
            if failures.len() >= 5 {
                break;
            }
        }
    }
    let line = format!(
        "fuzz {target}: {execs} executions in {:.1}s, slowest {:.3}s, {} failures",
        start.elapsed().as_secs_f64(),
        slowest.as_secs_f64(),
        failures.len()
    );
    eprintln!("{line}");
    assert!(failures.is_empty(), "{target}:\n{}", failures.join("\n"));
}

/// The common case: a text target over mutated corpus files, preferring those
/// `like` accepts.
fn fuzz_text(target: &str, like: fn(&str, &[u8]) -> bool, mut run: impl FnMut(&[u8], &str)) {
    let files = preferred(like);
    fuzz(
        target,
        |rng| input_from(rng, &files, 1 << 20).1,
        Clone::clone,
        |bytes| run(bytes, &text_of(bytes)),
    );
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ------------------------------------------------------------------------------------------
// Targets: fact parsers
// ------------------------------------------------------------------------------------------

#[test]
fn fuzz_tree_json() {
    fuzz_text(
        "tree_json",
        |p, _| p.ends_with(".json"),
        |_, text| {
            let limits = tree::Limits::default();
            if let Ok(node) = tree::parse_json(text, &limits) {
                let _ = node.to_json();
                let _ = node.select("status.conditions[type=Available].message");
                let _ = node.select("spec.containers[*].args");
                let _ = facts::objects::from_tree(node, "f.json", None);
            }
        },
    );
}

#[test]
fn fuzz_tree_yaml() {
    fuzz_text(
        "tree_yaml",
        |p, _| p.ends_with(".yaml"),
        |_, text| {
            let limits = tree::Limits::default();
            if let Ok(docs) = tree::parse_yaml(text, &limits) {
                for doc in docs {
                    let _ = doc.to_json();
                    let _ = doc.select("metadata.name");
                    let _ = doc.select("items[*].status.containerStatuses[*].lastState");
                    let _ = facts::objects::from_tree(doc, "f.yaml", None);
                }
            }
            let _ = classify::parse_yaml_lenient(text, tree::Limits::default());
        },
    );
}

#[test]
fn fuzz_tables() {
    fuzz_text(
        "tables",
        |_, b| contains(b, b"NAME "),
        |_, text| {
            for t in table::parse_tables(text) {
                if let Some(kind) = facts::objects::table_kind(&t) {
                    let _ = facts::objects::from_table(&t, kind, "t.txt");
                }
            }
        },
    );
}

#[test]
fn fuzz_describe() {
    fuzz_text(
        "describe",
        |_, b| contains(b, b"Name:"),
        |_, text| {
            let _ = describe::looks_like_describe(text);
            let _ = describe::parse_describe(text);
        },
    );
}

#[test]
fn fuzz_curl() {
    fuzz_text(
        "curl",
        |_, b| contains(b, b"curl"),
        |_, text| {
            let _ = curl::looks_like_curl(text);
            let _ = curl::parse_curl(text);
        },
    );
}

#[test]
fn fuzz_logline() {
    fuzz_text(
        "logline",
        |p, _| p.ends_with(".log"),
        |bytes, text| {
            for line in text.lines().take(5_000) {
                let _ = logline::parse_log_line(line);
            }
            let _ = facts::logs::scan("f.log", &mut &bytes[..], patterns());
        },
    );
}

fn patterns() -> &'static LogPatterns {
    static SET: OnceLock<rules::RuleSet> = OnceLock::new();
    &SET.get_or_init(|| rules::load(&rules::RuleSource::Embedded).expect("embedded rules"))
        .patterns
}

const LAYOUTS: &[Layout] = &[
    Layout::Troubleshoot,
    Layout::ClusterInfoDump,
    Layout::MustGather,
    Layout::Collector,
    Layout::Loose,
];

#[test]
fn fuzz_classify() {
    let patterns = patterns();
    fuzz(
        "classify",
        |rng| {
            let (path, bytes) = input(rng, 1 << 20);
            // The corpus file's own path (layout mapping) or another one.
            let path = if rng.chance(3) {
                rng.pick(corpus()).0.clone()
            } else {
                path
            };
            let path = path.split('/').skip(2).collect::<Vec<_>>().join("/");
            (*rng.pick(LAYOUTS), path, bytes)
        },
        |(layout, path, bytes)| {
            let mut out = format!("{layout:?}\n{path}\n").into_bytes();
            out.extend_from_slice(bytes);
            out
        },
        |(layout, path, bytes)| {
            let _ = classify::parse_file(
                *layout,
                path,
                bytes.clone(),
                patterns,
                tree::Limits::default(),
            );
        },
    );
}

// ------------------------------------------------------------------------------------------
// Target: the archive reader (and the whole facts stage behind it)
// ------------------------------------------------------------------------------------------

/// A small tar of 1–6 corpus files (with a symlink now and then), as bytes.
fn small_tar(rng: &mut Rng) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let n = 1 + rng.below(6);
    for i in 0..n {
        let (path, bytes) = rng.pick(corpus());
        let bytes = &bytes[..bytes.len().min(32 << 10)];
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let name = format!(
            "sb/{}",
            path.split('/').skip(2).collect::<Vec<_>>().join("/")
        );
        let name = if name == "sb/" {
            format!("sb/f{i}")
        } else {
            name
        };
        let _ = builder.append_data(&mut header, &name, bytes);
        if rng.chance(4) {
            let mut link = tar::Header::new_gnu();
            link.set_entry_type(tar::EntryType::Symlink);
            link.set_size(0);
            let _ = builder.append_link(&mut link, format!("sb/link{i}"), &name[3..]);
        }
    }
    builder.into_inner().unwrap_or_default()
}

fn gz(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

fn archive_input(rng: &mut Rng) -> Vec<u8> {
    let tar = small_tar(rng);
    match rng.below(4) {
        // Mutate the tar, then compress: corrupt headers and sizes behind a valid gzip.
        0 => gz(&mutate_binary(rng, &tar), 1),
        // Mutate the compressed stream.
        1 => {
            let level = 1 + rng.below(9) as u32;
            mutate_binary(rng, &gz(&tar, level))
        }
        // Plain tar, mutated.
        2 => mutate_binary(rng, &tar),
        // Truncated somewhere.
        _ => {
            let z = gz(&tar, 6);
            let cut = rng.below(z.len() + 1);
            z[..cut].to_vec()
        }
    }
}

/// Byte-level mutations suited to binary formats (few, local).
fn mutate_binary(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        if len == 0 {
            break;
        }
        match rng.below(5) {
            0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len);
                data[i] = *rng.pick(&[0u8, 0xff, b'0', b'7', b'/', b'.', b'5', b'2', b'1', b'x']);
            }
            2 => {
                // Header fields: a size, a type flag, a name.
                let block = rng.below(len / 512 + 1) * 512;
                let field = *rng.pick(&[124usize, 156, 0, 157, 148, 345]);
                if let Some(b) = data.get_mut(block + field) {
                    *b = rng.next() as u8;
                }
            }
            3 => data.truncate(rng.below(len)),
            _ => {
                let i = rng.below(len);
                data.insert(i, rng.next() as u8);
            }
        }
    }
    data
}

#[test]
fn fuzz_archive_reader() {
    let patterns = patterns();
    let limits = Limits {
        max_total_bytes: 32 << 20,
        max_file_bytes: 1 << 20,
        max_entries: 1_000,
        max_ratio: 1_000,
        ..Limits::default()
    };
    fuzz("archive", archive_input, Clone::clone, |bytes| {
        // The reader alone, with a visitor that reads everything.
        let _ = bundle::read_archive("fuzz.tgz", bytes.as_slice(), 0, &limits, |_, r| {
            std::io::copy(r, &mut std::io::sink()).map(drop)
        });
        // And the whole facts stage behind it.
        let _ = facts::collect_archive("fuzz.tgz", bytes.as_slice(), &limits, patterns);
    });
}

// ------------------------------------------------------------------------------------------
// Target: the rule loader
// ------------------------------------------------------------------------------------------

#[test]
fn fuzz_rule_loader() {
    let files = rules::read_sources(&rules::RuleSource::Embedded).expect("embedded rules");
    let demo = bundle_doctor::assets::demo_files();
    let facts = facts::collect_memory(&demo, &Limits::default(), patterns());
    fuzz(
        "rules",
        |rng| {
            // One mutated rule among a few intact ones (loading all of them every
            // time would spend the budget compiling the same regexes).
            let (name, text) = rng.pick(&files).clone();
            let mut set = vec![(name, text_of(&mutate(rng, text.as_bytes(), 64 << 10)))];
            for _ in 0..rng.below(3) {
                set.push(rng.pick(&files).clone());
            }
            let lang = if rng.chance(2) { "en" } else { "zh" };
            (set, lang)
        },
        |(set, _)| set[0].1.clone().into_bytes(),
        |(set, lang)| {
            if let Ok(ruleset) = rules::load_files(set) {
                // A rule that loads must also evaluate and render without panicking.
                let _ = rules::evaluate(&ruleset, &facts, lang);
            }
        },
    );
}

// ------------------------------------------------------------------------------------------
// Regressions: inputs found by fuzzing, replayed on every run.
// ------------------------------------------------------------------------------------------

#[test]
fn regressions() {
    let limits = tree::Limits::default();
    // (none yet; add found inputs here as byte strings, each with the target it crashed)
    let cases: &[(&str, &[u8])] = &[];
    for (target, input) in cases {
        let text = text_of(input);
        match *target {
            "tree_yaml" => drop(tree::parse_yaml(&text, &limits)),
            "tree_json" => drop(tree::parse_json(&text, &limits)),
            "tables" => drop(table::parse_tables(&text)),
            "describe" => drop(describe::parse_describe(&text)),
            "curl" => drop(curl::parse_curl(&text)),
            _ => {}
        }
    }
}

/// `BD_FUZZ_REPLAY=target/fuzz-crashes/<target>-<state>.bin cargo test --release
/// --test fuzz replay -- --nocapture` re-runs one saved input and times its parts.
#[test]
fn replay() {
    let Some(file) = std::env::var_os("BD_FUZZ_REPLAY") else {
        return;
    };
    let bytes = std::fs::read(&file).expect("replay input");
    let name = Path::new(&file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let target = name.split('-').next().unwrap_or_default().to_string();
    let text = text_of(&bytes);
    let timed = |what: &str, f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        eprintln!("{what}: {:.3}s", t.elapsed().as_secs_f64());
    };
    match target.as_str() {
        "logline" => {
            timed("parse_log_line x lines", &mut || {
                for line in text.lines().take(5_000) {
                    let _ = logline::parse_log_line(line);
                }
            });
            timed("logs::scan", &mut || {
                let _ = facts::logs::scan("f.log", &mut &bytes[..], patterns());
            });
        }
        "classify" => {
            let mut parts = bytes.splitn(3, |b| *b == b'\n');
            let layout = text_of(parts.next().unwrap_or_default());
            let path = text_of(parts.next().unwrap_or_default());
            let body = parts.next().unwrap_or_default().to_vec();
            let layout = *LAYOUTS
                .iter()
                .find(|l| format!("{l:?}") == layout)
                .unwrap_or(&Layout::Loose);
            let _ = patterns();
            timed("parse_file", &mut || {
                let _ = classify::parse_file(
                    layout,
                    &path,
                    body.clone(),
                    patterns(),
                    tree::Limits::default(),
                );
            });
            let body = text_of(&body);
            timed("parse_tables", &mut || drop(table::parse_tables(&body)));
            timed("parse_describe", &mut || {
                drop(describe::parse_describe(&body))
            });
            timed("parse_curl", &mut || drop(curl::parse_curl(&body)));
            timed("parse_yaml", &mut || {
                drop(tree::parse_yaml(&body, &tree::Limits::default()))
            });
        }
        _ => {
            timed("parse_json", &mut || {
                drop(tree::parse_json(&text, &tree::Limits::default()))
            });
            timed("parse_yaml", &mut || {
                drop(tree::parse_yaml(&text, &tree::Limits::default()))
            });
        }
    }
}
