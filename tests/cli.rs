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
