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
