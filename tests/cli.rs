//! The binary as a user runs it: exit codes, formats, output files, rule
//! errors, and the collector script end to end (stub kubectl and curl replay a
//! broken cluster; the bundle it writes is analyzed).

use std::path::Path;
use std::process::{Command, Output};

fn bd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bundle-doctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SEED: &str = "fixtures/apiservice-discovery-timeout/seed-loose-files";

#[test]
fn demo_prints_the_diagnosis() {
    let o = bd(&["demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("apiservice-discovery-timeout"), "{out}");
    assert!(out.contains("curl -ik https://10.96.106.114:443/apis/metrics.k8s.io/v1beta1"));
    assert!(!out.contains('\x1b'), "NO_COLOR must disable colors");
}

#[test]
fn demo_in_chinese() {
    let o = bd(&["demo", "--lang", "zh"]);
    assert!(stdout(&o).contains("根因"), "{}", stdout(&o));
}

#[test]
fn json_to_stdout_is_the_contract() {
    let o = bd(&["analyze", SEED, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["bundle"]["layout"], "loose");
    assert_eq!(v["findings"][0]["id"], "apiservice-discovery-timeout");
    assert_eq!(v["findings"][0]["evidence"][0]["source"], "apiservice.yaml");
    assert_eq!(v["findings"][0]["evidence"][0]["line"], 22);
    for key in ["not_evaluated", "parse_errors"] {
        assert!(v[key].is_array(), "{key} missing");
    }
}

#[test]
fn several_bundles_give_json_lines() {
    let other = "fixtures/missing-endpoints/fires-loose";
    let o = bd(&["analyze", SEED, other, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON document per line");
        assert_eq!(v["schema_version"], 1);
    }
}

#[test]
fn fail_on_sets_exit_code_one() {
    assert_eq!(
        bd(&["analyze", SEED, "--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );
    let healthy = "fixtures/apiservice-discovery-timeout/near-miss-available";
    assert_eq!(
        bd(&["analyze", healthy, "--fail-on", "warning"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn unreadable_bundles_exit_two_with_a_clear_message() {
    let o = bd(&["analyze", "does/not/exist.tgz"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does/not/exist.tgz"), "{}", stderr(&o));
    let dir = tempfile::tempdir().expect("tempdir");
    let zip = dir.path().join("bundle.zip");
    std::fs::write(&zip, b"PK\x03\x04rest-of-a-zip").expect("write");
    let o = bd(&["analyze", zip.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(".zip"), "{}", stderr(&o));
    assert_eq!(
        bd(&["analyze"]).status.code(),
        Some(2),
        "missing argument is a usage error"
    );
}

#[test]
fn out_dir_gets_every_format_written_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("reports");
    let o = bd(&[
        "analyze",
        SEED,
        "--out",
        out.to_str().expect("utf-8"),
        "-f",
        "json",
        "-f",
        "md",
        "-f",
        "html",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for name in ["report.json", "report.md", "report.html"] {
        let text = std::fs::read_to_string(out.join(name)).expect(name);
        assert!(text.contains("apiservice-discovery-timeout"), "{name}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("out dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "wrote outside --out"
    );
}

#[test]
fn several_formats_without_out_is_a_usage_error() {
    assert_eq!(
        bd(&["analyze", SEED, "-f", "json", "-f", "md"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn broken_rules_are_reported_with_file_line_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bad-rule.yaml"),
        "id: bad-rule\nseverity: critical\ntittle: {en: a, zh: 乙}\n",
    )
    .expect("write");
    let o = bd(&["rules", "lint", dir.path().to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad-rule.yaml:3:1: unknown field `tittle`"),
        "{err}"
    );
    assert!(err.contains("did you mean `title`"), "{err}");
}

#[test]
fn rules_list_and_schema() {
    let o = bd(&["rules", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v.as_array().is_some_and(|a| a.len() >= 6));
    let o = bd(&["rules", "schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json schema");
    assert_eq!(schema["title"], "RuleFile");
}

#[test]
fn rules_test_passes_on_the_shipped_fixtures() {
    let o = bd(&["rules", "test"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains(" 0 failed"), "{}", stdout(&o));
}

#[test]
fn collector_script_end_to_end() {
    let script = bd(&["collect-script"]);
    assert!(
        stdout(&script).starts_with("#!/bin/sh"),
        "collect-script prints the script"
    );
    if Command::new("bash").arg("--version").output().is_err() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = Command::new("bash")
        .arg("collect/test/run.sh")
        .arg(dir.path())
        .output()
        .expect("runs the collector test");
    assert!(
        run.status.success(),
        "collector test failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let bundle = std::fs::read_dir(dir.path())
        .expect("out dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("the collector wrote a tarball");
    let o = bd(&["analyze", bundle.to_str().expect("utf-8"), "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["bundle"]["layout"], "collector");
    assert_eq!(
        v["findings"][0]["id"], "apiservice-discovery-timeout",
        "{v:#}"
    );
    assert_eq!(
        v["parse_errors"].as_array().map(Vec::len),
        Some(0),
        "{:#}",
        v["parse_errors"]
    );
    assert_eq!(
        v["inventory"]["collection"]["apiservices"]["status"],
        "collected"
    );
    assert!(Path::new(&bundle).exists());
}

/// A valid rule body; each case below breaks one thing.
fn rule(id: &str, extra: &str, summary: &str) -> String {
    format!(
        "id: {id}\nseverity: warning\ntitle: {{en: t, zh: 标题}}\n{extra}match:\n  text:\n    regex: 'x(?P<x>y)'\nsummary: {{en: '{summary}', zh: '说明'}}\nremediation: {{en: r, zh: 处理}}\n"
    )
}

#[test]
fn lint_reports_every_kind_of_mistake_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::create_dir_all(fixtures.join("good-rule/fires")).expect("mkdir");
    std::fs::write(
        fixtures.join("good-rule/fires.yaml"),
        "fires: [good-rule]\n",
    )
    .expect("write");
    let files = [
        ("good-rule", rule("good-rule", "", "ok {{ x }}")),
        (
            "misspelled",
            rule("misspelled", "", "s").replace("severity:", "severty:"),
        ),
        (
            "no-remediation",
            rule("no-remediation", "", "s").replace("remediation: {en: r, zh: 处理}\n", ""),
        ),
        ("dup", rule("good-rule", "", "s")),
        (
            "bad-regex",
            rule("bad-regex", "", "s").replace("'x(?P<x>y)'", "'x(unclosed'"),
        ),
        ("uncaptured", rule("uncaptured", "", "value {{ nope }}")),
        (
            "bad-explains",
            rule("bad-explains", "explains: [good-rul]\n", "s"),
        ),
        (
            "bad-requires",
            rule("bad-requires", "requires: [apiservise]\n", "s"),
        ),
        (
            "no-chinese",
            rule("no-chinese", "", "s").replace("title: {en: t, zh: 标题}", "title: {en: t}"),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(rules.join(format!("{name}.yaml")), text).expect("write");
    }
    let o = bd(&[
        "rules",
        "lint",
        rules.to_str().expect("utf-8"),
        "--fixtures",
        fixtures.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let r = rules.display().to_string();
    for expected in [
        format!("{r}/misspelled.yaml:2:1: unknown field `severty`"),
        format!("{r}/no-remediation.yaml:1:1: missing field `remediation`"),
        format!("{r}/bad-regex.yaml:6:1: invalid regex"),
        format!(
            "{r}/uncaptured.yaml:7:1: template variable `nope` in `summary.en` is not captured by any selector"
        ),
        format!("{r}/bad-explains.yaml:4:1: `explains` names unknown rule `good-rul`"),
        format!("{r}/bad-requires.yaml:4:1: unknown fact kind `apiservise` in `requires`"),
        format!("{r}/no-chinese.yaml:3:1: missing field `zh` in `title`"),
        format!("{r}/good-rule.yaml:1:1: duplicate rule id `good-rule` (also in {r}/dup.yaml)"),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    assert!(err.contains("did you mean `severity`?"), "{err}");
    assert!(err.contains("did you mean `good-rule`?"), "{err}");
    assert!(err.contains("did you mean `apiservices`?"), "{err}");
    // The fixture check runs once the files load: fix them and lint again.
    for (name, _) in &files[1..] {
        std::fs::remove_file(rules.join(format!("{name}.yaml"))).expect("rm");
    }
    std::fs::write(rules.join("lonely.yaml"), rule("lonely", "", "s")).expect("write");
    let o = bd(&[
        "rules",
        "lint",
        rules.to_str().expect("utf-8"),
        "--fixtures",
        fixtures.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!(
            "{r}/lonely.yaml:1:1: rule `lonely` has no fixtures"
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn explain_traces_each_selector() {
    let o = bd(&[
        "rules",
        "explain",
        "apiservice-discovery-timeout",
        "fixtures/apiservice-discovery-timeout/near-miss-bad-status",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("does not fire"), "{out}");
    assert!(
        out.contains("status.conditions[type=Available].status equals \"False\": holds"),
        "{out}"
    );
    assert!(
        out.contains("FAILS — found \"failing or missing response from https://10.96.106.114:443"),
        "{out}"
    );
    let o = bd(&["rules", "explain", "apiservice-discovery-timeout", SEED]);
    assert!(stdout(&o).contains("FIRES"));
    let o = bd(&["rules", "explain", "apiservice-discovery-timeot", SEED]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `apiservice-discovery-timeout`"));
}

#[test]
fn new_scaffolds_a_rule_that_lints_and_tests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    let fixtures = dir.path().join("fixtures");
    let (r, f) = (
        rules.to_str().expect("utf-8"),
        fixtures.to_str().expect("utf-8"),
    );
    let o = bd(&[
        "rules",
        "new",
        "my-new-signature",
        "--rules",
        r,
        "--fixtures",
        f,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(rules.join("my-new-signature.yaml").is_file());
    assert!(fixtures.join("my-new-signature/fires.yaml").is_file());
    assert!(
        fixtures
            .join("my-new-signature/near-miss/apiservice.yaml")
            .is_file()
    );
    let lint = bd(&["rules", "lint", r, "--fixtures", f]);
    assert_eq!(lint.status.code(), Some(0), "{}", stderr(&lint));
    // The scaffold's firing fixture is a placeholder: `rules test` says the rule is missing there.
    let test = bd(&["rules", "test", r, "--fixtures", f]);
    assert_eq!(test.status.code(), Some(1));
    assert!(stdout(&test).contains("missing"), "{}", stdout(&test));
    assert_eq!(
        bd(&["rules", "new", "Not_Kebab", "--rules", r])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn inventory_lists_layout_files_and_kinds() {
    let o = bd(&[
        "inventory",
        "fixtures/kubelet-x509-no-ip-sans/fires-troubleshoot",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("layout: troubleshoot"), "{out}");
    assert!(out.contains("apiservices      not collected"), "{out}");
    assert!(
        out.contains("cluster-resources/pods/kube-system.json"),
        "{out}"
    );
    let o = bd(&["inventory", SEED, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["bundle"]["layout"], "loose");
    assert_eq!(
        v["inventory"]["collection"]["probes"]["status"],
        "collected"
    );
}

/// Copies a fixture case (bundle folder and expectation) into `dir`.
fn copy_case(group: &str, case: &str, dir: &Path) {
    let src = Path::new("fixtures").join(group);
    let dst = dir.join(group);
    std::fs::create_dir_all(dst.join(case)).expect("mkdir");
    std::fs::copy(
        src.join(format!("{case}.yaml")),
        dst.join(format!("{case}.yaml")),
    )
    .expect("copy");
    for entry in std::fs::read_dir(src.join(case)).expect("read fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dst.join(case).join(entry.file_name())).expect("copy file");
    }
}

#[test]
fn rules_test_gives_the_right_verdict_for_tampered_fixtures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = dir.path();
    copy_case("apiservice-discovery-timeout", "seed-loose-files", fixtures);
    copy_case(
        "apiservice-discovery-timeout",
        "near-miss-bad-status",
        fixtures,
    );
    let f = fixtures.to_str().expect("utf-8");
    let run = || {
        let o = bd(&[
            "rules",
            "test",
            "--fixtures",
            f,
            "--filter",
            "apiservice-discovery-timeout",
        ]);
        (o.status.code(), stdout(&o))
    };
    let (code, out) = run();
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("apiservice-discovery-timeout  validated"),
        "{out}"
    );

    // The near miss now claims the rule fires: it does not, so the rule is `missing`.
    let near = fixtures.join("apiservice-discovery-timeout/near-miss-bad-status.yaml");
    std::fs::write(&near, "fires: [apiservice-discovery-timeout]\n").expect("write");
    let (code, out) = run();
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("apiservice-discovery-timeout  missing"),
        "{out}"
    );
    assert!(out.contains("did not fire"), "{out}");

    // The firing case now says it must not fire: `noisy`.
    std::fs::write(&near, "not_fires: [apiservice-discovery-timeout]\n").expect("write");
    let seed = fixtures.join("apiservice-discovery-timeout/seed-loose-files.yaml");
    std::fs::write(
        &seed,
        "fires: [apiservice-discovery-timeout]\nnot_fires: [apiservice-discovery-timeout]\n",
    )
    .expect("write");
    let (code, out) = run();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("apiservice-discovery-timeout  noisy"), "{out}");

    // Wrong evidence line: `wrong`.
    std::fs::write(
        &seed,
        "fires: [apiservice-discovery-timeout]\nevidence:\n  apiservice-discovery-timeout: [\"apiservice.yaml:3\"]\n",
    )
    .expect("write");
    let (code, out) = run();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("apiservice-discovery-timeout  wrong"), "{out}");
    assert!(out.contains("does not cite apiservice.yaml:3"), "{out}");
}

#[test]
fn explain_snapshot_of_a_rule_that_does_not_fire() {
    let o = bd(&[
        "rules",
        "explain",
        "apiservice-discovery-timeout",
        "fixtures/apiservice-discovery-timeout/near-miss-bad-status",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn inventory_of_real_bundles_classifies_every_file() {
    for bundle in [
        "fixtures/real-bundles/kurl-v1.23-healthy",
        "fixtures/real-bundles/k3s-v1.31-supportbundle-healthy.tar.gz",
        "fixtures/real-bundles/k3s-v1.24-metrics-server-crashed.tar.gz",
    ] {
        let o = bd(&["inventory", bundle, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(v["bundle"]["layout"], "troubleshoot", "{bundle}");
        assert_eq!(
            v["parse_errors"].as_array().map(Vec::len),
            Some(0),
            "{bundle}: {:#}",
            v["parse_errors"]
        );
        let files = v["inventory"]["files"].as_array().expect("files");
        assert!(files.len() > 50, "{bundle}");
        for f in files {
            let class = f["class"].as_str().unwrap_or_default();
            assert!(
                !["unparsable", "binary", ""].contains(&class),
                "{bundle}: {f}"
            );
        }
        for kind in ["pods", "nodes", "events"] {
            assert_eq!(
                v["inventory"]["collection"][kind]["status"], "collected",
                "{bundle}: {kind}"
            );
        }
        assert_eq!(
            v["inventory"]["collection"]["apiservices"]["status"], "not_collected",
            "{bundle}"
        );
    }
}

#[test]
fn parse_limits_have_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        format!("{SEED}/apiservice.yaml"),
        dir.path().join("apiservice.yaml"),
    )
    .expect("copy");
    let deep = format!("{}{}", "[".repeat(50), "]".repeat(50));
    std::fs::write(dir.path().join("deep.json"), deep).expect("write");
    std::fs::write(
        dir.path().join("metrics-server.log"),
        format!("{} x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs\n", "a".repeat(5000)),
    )
    .expect("write");
    let d = dir.path().to_str().expect("utf-8");
    let o = bd(&[
        "analyze",
        d,
        "-f",
        "json",
        "--max-depth",
        "20",
        "--max-line-bytes",
        "1000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let errors = v["parse_errors"].to_string();
    assert!(
        errors.contains("deep.json") && errors.contains("--max-depth"),
        "{errors}"
    );
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"apiservice-discovery-timeout"),
        "the rest is still analysed: {ids:?}"
    );
    assert!(
        !ids.contains(&"kubelet-x509-no-ip-sans"),
        "the match lay beyond --max-line-bytes"
    );
    // With the defaults the same bundle parses and the long line matches.
    let o = bd(&["analyze", d, "-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["parse_errors"].as_array().map(Vec::len), Some(0));
    assert!(
        v["findings"]
            .to_string()
            .contains("kubelet-x509-no-ip-sans")
    );
    // A starved template budget is reported, not a crash.
    let o = bd(&["analyze", SEED, "-f", "json", "--template-fuel", "10"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(
        v["render_errors"].to_string().contains("fuel"),
        "{}",
        v["render_errors"]
    );
}

#[test]
fn an_archive_inside_the_bundle_is_read_one_level_deep() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The "tgz inside a folder" users send: a real troubleshoot bundle and a note.
    std::fs::copy(
        "fixtures/real-bundles/k3s-v1.24-metrics-server-crashed.tar.gz",
        dir.path().join("ticket-1234.tgz"),
    )
    .expect("copy");
    let d = dir.path().to_str().expect("utf-8");
    let o = bd(&["analyze", d, "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["bundle"]["layout"], "troubleshoot", "{:#}", v["bundle"]);
    assert!(
        v["findings"]
            .to_string()
            .contains("metrics-server-cannot-reach-kube-apiserver")
    );
    assert!(v["notices"].to_string().contains("read one level deep"));
    // With a note beside it, the archive is still read (by content).
    std::fs::write(
        dir.path().join("notes.txt"),
        "kubectl top is broken since Monday\n",
    )
    .expect("write");
    let o = bd(&["analyze", d, "-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(
        v["findings"]
            .to_string()
            .contains("metrics-server-cannot-reach-kube-apiserver"),
        "{:#}",
        v["findings"]
    );
    // Only one level: an archive inside the nested archive is not opened.
    assert_eq!(
        v["parse_errors"].as_array().map(Vec::len),
        Some(0),
        "{:#}",
        v["parse_errors"]
    );
}

/// Packs a fixture bundle folder into an archive at `dst` (gzipped unless it ends in `.tar`).
fn pack(fixture: &str, dst: &Path) {
    std::fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
    let file = std::fs::File::create(dst).expect("create archive");
    let name = Path::new(fixture).file_name().expect("fixture name");
    if dst.to_string_lossy().ends_with(".tar") {
        let mut tar = tar::Builder::new(file);
        tar.append_dir_all(name, fixture).expect("pack");
        tar.finish().expect("finish tar");
    } else {
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        tar.append_dir_all(name, fixture).expect("pack");
        tar.into_inner()
            .expect("finish tar")
            .finish()
            .expect("finish gzip");
    }
}

/// A queue of support bundles as a team keeps it: archives at several depths,
/// a note that is not a bundle, and a truncated upload. Returns the queue
/// folder and the bundle paths in the order they are analyzed (sorted).
fn make_queue(root: &Path) -> (String, Vec<String>) {
    let q = root.join("queue");
    let bundles = [
        (SEED, "a-seed.tgz"),
        (
            "fixtures/healthy/old-scrape-errors-before-ready",
            "b/c/old-scrape.TGZ",
        ),
        ("fixtures/missing-endpoints/fires-loose", "b/missing.tar.gz"),
        (SEED, "b/seed-again.tar"),
    ];
    for (fixture, name) in bundles {
        pack(fixture, &q.join(name));
    }
    std::fs::write(q.join("b/notes.txt"), "customer says kubectl top fails\n").expect("write");
    // A gzip header, then a deflate block of the reserved type: unreadable from the start.
    std::fs::write(
        q.join("broken.tgz"),
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff",
    )
    .expect("write");
    let mut order: Vec<String> = ["a-seed.tgz", "b/c/old-scrape.TGZ", "b/missing.tar.gz"]
        .iter()
        .chain(&["b/seed-again.tar", "broken.tgz"])
        .map(|n| q.join(n).display().to_string())
        .collect();
    order.sort();
    (q.display().to_string(), order)
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect()
}

#[test]
fn recursive_queue_gives_ordered_json_lines_and_a_summary_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (q, order) = make_queue(dir.path());
    let o = bd(&["analyze", "-r", &q, "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unreadable bundle: {}",
        stderr(&o)
    );
    let lines = json_lines(&o);
    let paths: Vec<&str> = lines
        .iter()
        .map(|v| v["bundle"]["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, order, "one line per bundle, in path order");
    let broken = lines.last().expect("broken.tgz line");
    assert_eq!(broken["schema_version"], 1);
    let error = broken["error"].as_str().expect("error line");
    assert!(error.contains("broken.tgz"), "{error}");
    assert!(broken.get("findings").is_none(), "{broken}");
    assert_eq!(
        lines[0]["findings"][0]["id"],
        "apiservice-discovery-timeout"
    );
    assert_eq!(lines[2]["findings"][0]["id"], "missing-endpoints");

    let err = stderr(&o);
    assert!(
        err.contains("bundle-doctor: error: ") && err.contains("broken.tgz"),
        "{err}"
    );
    assert!(
        err.contains(
            "Queue: 5 bundles: 3 with a finding at warning or above, 1 healthy, 1 unreadable"
        ),
        "{err}"
    );
    let row = |id: &str| {
        err.lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("no row for {id}: {err}"))
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        row("apiservice-discovery-timeout"),
        "2 CRITICAL apiservice-discovery-timeout"
    );
    assert_eq!(
        row("kubelet-x509-no-ip-sans"),
        "1 INFO kubelet-x509-no-ip-sans"
    );
    assert!(
        !err.contains(" missing-endpoints "),
        "a symptom is not a root cause: {err}"
    );
    let unreadable = err.split("Unreadable:").nth(1).expect("unreadable section");
    assert!(unreadable.contains(&order[4]), "{err}");
    assert!(!stdout(&o).contains("Queue:"), "stdout stays JSON lines");
}

#[test]
fn queue_with_out_writes_queue_json_and_a_folder_per_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (q, order) = make_queue(dir.path());
    let out = dir.path().join("reports");
    let o = bd(&[
        "analyze",
        "-r",
        &q,
        "--out",
        out.to_str().expect("utf-8"),
        "-f",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let text = stdout(&o);
    let summary_at = text.find("Queue: 5 bundles").expect("summary on stdout");
    let last_report = text.rfind("report.json").expect("wrote lines");
    assert!(
        last_report < summary_at,
        "summary after the reports: {text}"
    );
    assert!(
        text.trim_end()
            .ends_with(&format!("wrote {}", out.join("queue.json").display())),
        "{text}"
    );

    let queue: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("queue.json")).expect("queue.json"))
            .expect("valid JSON");
    let keys: Vec<&String> = queue.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "schema_version",
            "bundles",
            "failed",
            "root_causes",
            "healthy",
            "per_bundle"
        ]
    );
    assert_eq!(queue["schema_version"], 1);
    assert_eq!(queue["bundles"], 5);
    assert_eq!(queue["failed"].as_array().map(Vec::len), Some(1));
    assert_eq!(queue["failed"][0]["path"], order[4].as_str());
    assert!(
        queue["failed"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("broken.tgz"))
    );
    assert_eq!(
        queue["root_causes"][0]["id"],
        "apiservice-discovery-timeout"
    );
    assert_eq!(queue["root_causes"][0]["severity"], "critical");
    assert!(queue["root_causes"][0]["title"].is_string());
    assert_eq!(
        queue["root_causes"][0]["bundles"],
        serde_json::json!([order[0], order[3]])
    );
    assert_eq!(queue["root_causes"][1]["id"], "kubelet-x509-no-ip-sans");
    assert_eq!(queue["root_causes"].as_array().map(Vec::len), Some(2));
    assert_eq!(queue["healthy"], serde_json::json!([order[1]]));

    let per_bundle = queue["per_bundle"].as_array().expect("per_bundle");
    assert_eq!(per_bundle.len(), 4);
    let expected = [
        ("001-a-seed.tgz", "apiservice-discovery-timeout", "critical"),
        ("002-old-scrape.TGZ", "kubelet-x509-no-ip-sans", "info"),
        ("003-missing.tar.gz", "missing-endpoints", "critical"),
        (
            "004-seed-again.tar",
            "apiservice-discovery-timeout",
            "critical",
        ),
    ];
    for (line, (path, (folder, top, severity))) in per_bundle.iter().zip(order.iter().zip(expected))
    {
        let keys: Vec<&String> = line.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            ["path", "dir", "verdict", "top", "findings", "max_severity"]
        );
        assert_eq!(line["path"], path.as_str());
        assert_eq!(line["dir"], folder);
        assert_eq!(line["top"], top);
        assert_eq!(line["max_severity"], severity);
        assert!(line["findings"].as_u64().is_some_and(|n| n >= 1), "{line}");
        assert!(
            line["verdict"].as_str().is_some_and(|v| v.contains(top)),
            "{line}"
        );
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(folder).join("report.json")).expect("report.json"),
        )
        .expect("report");
        assert_eq!(report["bundle"]["path"], path.as_str());
    }
    let folders = std::fs::read_dir(&out).expect("out").count();
    assert_eq!(
        folders, 5,
        "four report folders and queue.json, none for broken.tgz"
    );
}

#[test]
fn recursive_on_a_directory_without_archives_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("queue-of-notes");
    std::fs::create_dir_all(empty.join("sub")).expect("mkdir");
    std::fs::write(empty.join("sub/notes.txt"), "no bundle here\n").expect("write");
    let e = empty.to_str().expect("utf-8");
    let o = bd(&["analyze", "-r", e]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(e) && err.contains("no .tar, .tar.gz or .tgz"),
        "{err}"
    );
    assert!(stdout(&o).is_empty());
    // Without -r the same directory is one (loose) bundle, as before.
    let o = bd(&["analyze", e, "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON report");
    assert_eq!(v["bundle"]["path"], e);
}

#[test]
fn no_summary_leaves_only_the_reports() {
    let other = "fixtures/missing-endpoints/fires-loose";
    let o = bd(&["analyze", SEED, other]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Queue: 2 bundles"),
        "text reports get the summary on stdout: {}",
        stdout(&o)
    );
    let o = bd(&["analyze", SEED, other, "--no-summary"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("Queue:"), "{}", stdout(&o));
    assert!(stdout(&o).contains("apiservice-discovery-timeout"));
    let o = bd(&["analyze", SEED, other, "-f", "json", "--no-summary"]);
    assert_eq!(json_lines(&o).len(), 2);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn queue_stderr_has_no_escape_codes_when_not_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (q, _) = make_queue(dir.path());
    // Colors allowed by the environment: only the missing terminal keeps them
    // (and the progress bar) off.
    let o = Command::new(env!("CARGO_BIN_EXE_bundle-doctor"))
        .args(["analyze", "-r", &q, "-f", "json", "-j", "1"])
        .env_remove("NO_COLOR")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("Queue: 5 bundles"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
    assert!(!err.contains('\r'), "no progress bar redraws: {err:?}");
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn jobs_one_gives_the_same_json_as_the_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (q, _) = make_queue(dir.path());
    let run = |extra: &[&str]| {
        let mut args = vec!["analyze", "-r", q.as_str(), "-f", "json", "--no-summary"];
        args.extend_from_slice(extra);
        let o = bd(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let mut lines = json_lines(&o);
        for v in &mut lines {
            if let Some(report) = v.as_object_mut() {
                report.remove("generated_at");
            }
        }
        lines
    };
    let sequential = run(&["--jobs", "1"]);
    assert_eq!(sequential.len(), 5);
    assert_eq!(sequential, run(&[]));
    assert_eq!(sequential, run(&["-j", "3"]));
    assert_eq!(bd(&["analyze", SEED, "-j", "0"]).status.code(), Some(2));
}

#[test]
fn a_bundle_named_twice_is_analyzed_once() {
    let same =
        "fixtures/apiservice-discovery-timeout/../apiservice-discovery-timeout/seed-loose-files";
    let o = bd(&["analyze", SEED, same, SEED, "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a single report");
    assert_eq!(v["bundle"]["path"], SEED);
    assert!(stderr(&o).is_empty(), "no queue summary for one bundle");
}

#[test]
fn lint_notes_a_log_regex_without_fixed_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    let log_rule = |id: &str, regex: &str| {
        format!(
            "id: {id}\nseverity: warning\ntitle: {{en: t, zh: 标题}}\nmatch:\n  log:\n    regex: '{regex}'\nsummary: {{en: s, zh: 说明}}\nremediation: {{en: r, zh: 处理}}\n"
        )
    };
    std::fs::write(
        rules.join("slow.yaml"),
        log_rule("slow", r"\d{4}-\d{2} [A-Z]\w+"),
    )
    .expect("write");
    std::fs::write(
        rules.join("fast.yaml"),
        log_rule("fast", r"x509: certificate (?:expired|invalid)"),
    )
    .expect("write");
    let o = bd(&[
        "rules",
        "lint",
        rules.to_str().expect("utf-8"),
        "--fixtures",
        "does-not-exist",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "a note is not a problem: {err}");
    assert!(
        stdout(&o).contains("2 rules, no problems"),
        "{}",
        stdout(&o)
    );
    assert!(err.contains("note: rule `slow`"), "{err}");
    assert!(err.contains("slow.yaml"), "{err}");
    assert!(!err.contains("rule `fast`"), "{err}");
}
