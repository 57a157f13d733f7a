//! Rule tests: every rule against its fixture bundles. A fixture is a bundle
//! directory `fixtures/<rule-id>/<case>/` with its expectation beside it in
//! `fixtures/<rule-id>/<case>.yaml` (which rules must fire, which must not,
//! the first finding, cited evidence and captured values). Each case runs on
//! the directory and on the same files packed into a tar.gz in memory, so both
//! reader paths are exercised. Outcomes use ast-grep's vocabulary: validated,
//! missing (should have fired), noisy (fired where it must not), wrong (fired
//! with the wrong evidence, captures or order).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RuleSet;
use crate::Options;
use crate::report::Report;

/// What a fixture expects; the file sits beside the bundle directory.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// One sentence on the situation.
    #[serde(default)]
    pub description: Option<String>,
    /// Rule ids that must fire.
    #[serde(default)]
    pub fires: Vec<String>,
    /// Rule ids that must not fire.
    #[serde(default)]
    pub not_fires: Vec<String>,
    /// The rule id that must be the first finding.
    #[serde(default)]
    pub first: Option<String>,
    /// Rule id → `file:line` places its finding must cite.
    #[serde(default)]
    pub evidence: BTreeMap<String, Vec<String>>,
    /// Rule id → variable → value its finding must capture.
    #[serde(default)]
    pub captures: BTreeMap<String, BTreeMap<String, String>>,
    /// Highest severity allowed for any finding (for healthy bundles: `info`).
    #[serde(default)]
    pub max_severity: Option<super::Severity>,
}

/// One fixture case on disk.
#[derive(Debug, Clone)]
pub struct Case {
    /// The folder under `fixtures/` (normally a rule id).
    pub group: String,
    /// The case name.
    pub name: String,
    /// The bundle directory.
    pub bundle: PathBuf,
    /// The expectation file.
    pub expect: PathBuf,
}

/// Outcome of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every expectation held.
    Validated,
    /// A rule that must fire did not.
    Missing,
    /// A rule that must not fire did.
    Noisy,
    /// Fired, but with the wrong evidence, captures, order or severity.
    Wrong,
    /// The fixture itself could not be read.
    Error,
}

/// Result of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Fixture group (rule id).
    pub group: String,
    /// Case name.
    pub name: String,
    /// Worst outcome over the directory and packed runs.
    pub status: Status,
    /// Rule ids the case expects to fire.
    pub fires: Vec<String>,
    /// Rule ids the case expects not to fire.
    pub not_fires: Vec<String>,
    /// What went wrong.
    pub problems: Vec<String>,
}

/// All cases under `dir`, sorted.
pub fn discover(dir: &Path) -> std::io::Result<Vec<Case>> {
    let mut cases = Vec::new();
    let mut groups: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    groups.sort();
    for group in groups {
        let mut expects: Vec<PathBuf> = std::fs::read_dir(&group)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
            .collect();
        expects.sort();
        for expect in expects {
            let dir = expect.with_extension("");
            let archive = expect.with_extension("tar.gz");
            let bundle = if dir.is_dir() {
                dir
            } else if archive.is_file() {
                archive
            } else {
                continue;
            };
            cases.push(Case {
                group: file_name(&group),
                name: file_name(&expect.with_extension("")),
                bundle,
                expect,
            });
        }
    }
    Ok(cases)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Packs a directory into a tar.gz in memory (under one top-level folder, as real bundles are).
pub fn pack_tar_gz(dir: &Path) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    tar.follow_symlinks(false);
    tar.append_dir_all("support-bundle-2024-05-17T10_24_03", dir)?;
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()
}

/// Runs one case on the directory and on its tar.gz packing.
pub fn run_case(case: &Case, rules: &RuleSet, options: &Options) -> CaseResult {
    let mut result = CaseResult {
        group: case.group.clone(),
        name: case.name.clone(),
        status: Status::Validated,
        fires: Vec::new(),
        not_fires: Vec::new(),
        problems: Vec::new(),
    };
    let expect: Expectation = match std::fs::read_to_string(&case.expect)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_yaml::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(e) => e,
        Err(e) => {
            result.status = Status::Error;
            result
                .problems
                .push(format!("{}: {e}", case.expect.display()));
            return result;
        }
    };
    result.fires.clone_from(&expect.fires);
    result.not_fires.clone_from(&expect.not_fires);
    let direct = crate::analyze_path(&case.bundle, rules, options);
    if case.bundle.is_file() {
        // A real archive is read as it is; there is nothing to pack.
        match direct {
            Ok(report) => check(&expect, &report, "archive", &mut result),
            Err(e) => {
                result.status = Status::Error;
                result.problems.push(format!("archive: {e}"));
            }
        }
        return result;
    }
    let packed = pack_tar_gz(&case.bundle)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            let facts = crate::facts::collect_archive(
                &format!("{}.tar.gz", case.bundle.display()),
                bytes.as_slice(),
                &options.limits,
                &rules.patterns,
            )
            .map_err(|e| e.to_string())?;
            let eval = super::evaluate(rules, &facts, &options.lang);
            Ok(Report::new(
                "packed",
                &facts,
                eval,
                rules.info(),
                &options.lang,
                options.redact,
            ))
        });
    for (label, report) in [
        ("directory", direct.map_err(|e| e.to_string())),
        ("tar.gz", packed),
    ] {
        match report {
            Ok(report) => check(&expect, &report, label, &mut result),
            Err(e) => {
                result.status = Status::Error;
                result.problems.push(format!("{label}: {e}"));
            }
        }
    }
    result
}

fn worse(a: Status, b: Status) -> Status {
    let rank = |s: Status| match s {
        Status::Validated => 0,
        Status::Wrong => 1,
        Status::Noisy => 2,
        Status::Missing => 3,
        Status::Error => 4,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// Checks a report against an expectation.
pub fn check(expect: &Expectation, report: &Report, label: &str, result: &mut CaseResult) {
    let fired: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    for e in &report.render_errors {
        result.status = worse(result.status, Status::Wrong);
        result
            .problems
            .push(format!("{label}: template error: {e}"));
    }
    for id in &expect.fires {
        if !fired.contains(&id.as_str()) {
            result.status = worse(result.status, Status::Missing);
            result
                .problems
                .push(format!("{label}: `{id}` did not fire (fired: {fired:?})"));
        }
    }
    for id in &expect.not_fires {
        if fired.contains(&id.as_str()) {
            result.status = worse(result.status, Status::Noisy);
            result
                .problems
                .push(format!("{label}: `{id}` fired but must not"));
        }
    }
    if let Some(first) = &expect.first
        && fired.first().copied() != Some(first.as_str())
    {
        result.status = worse(result.status, Status::Wrong);
        result.problems.push(format!(
            "{label}: first finding is {:?}, expected `{first}`",
            fired.first()
        ));
    }
    if let Some(max) = expect.max_severity {
        for f in &report.findings {
            if f.severity > max {
                result.status = worse(result.status, Status::Noisy);
                result.problems.push(format!(
                    "{label}: `{}` is {}, above the allowed {}",
                    f.id,
                    f.severity.as_str(),
                    max.as_str()
                ));
            }
        }
    }
    for (id, places) in &expect.evidence {
        let Some(f) = report.findings.iter().find(|f| &f.id == id) else {
            continue;
        };
        for place in places {
            let cited = f
                .evidence
                .iter()
                .any(|e| format!("{}:{}", e.source, e.line) == *place);
            if !cited {
                result.status = worse(result.status, Status::Wrong);
                let got: Vec<String> = f
                    .evidence
                    .iter()
                    .map(|e| format!("{}:{}", e.source, e.line))
                    .collect();
                result.problems.push(format!(
                    "{label}: `{id}` does not cite {place} (cites {got:?})"
                ));
            }
        }
    }
    for (id, vars) in &expect.captures {
        let Some(f) = report.findings.iter().find(|f| &f.id == id) else {
            continue;
        };
        for (var, want) in vars {
            let got = f.captures.get(var).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            if got.as_deref() != Some(want.as_str()) {
                result.status = worse(result.status, Status::Wrong);
                result.problems.push(format!(
                    "{label}: `{id}` captured {var} = {got:?}, expected {want:?}"
                ));
            }
        }
    }
}

/// Per-rule summary: a rule is validated when it has at least one case that
/// fires it and one that must not, and all its cases validated.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    /// Rule id.
    pub id: String,
    /// Cases that expect it to fire.
    pub firing_cases: usize,
    /// Cases that expect it not to fire.
    pub quiet_cases: usize,
    /// Worst status over its cases (`missing` when it has no fixtures).
    pub status: Status,
    /// Problems from its cases.
    pub problems: Vec<String>,
}

/// Summarises case results per rule.
pub fn summarize(rules: &RuleSet, results: &[CaseResult]) -> Vec<RuleSummary> {
    rules
        .rules
        .iter()
        .map(|r| {
            let id = r.spec.id.as_str();
            let mut s = RuleSummary {
                id: id.to_string(),
                firing_cases: 0,
                quiet_cases: 0,
                status: Status::Validated,
                problems: Vec::new(),
            };
            for c in results {
                let fires = c.fires.iter().any(|x| x == id);
                let quiet = c.not_fires.iter().any(|x| x == id);
                if fires {
                    s.firing_cases += 1;
                }
                if quiet {
                    s.quiet_cases += 1;
                }
                if c.status == Status::Validated || !(fires || quiet || c.group == id) {
                    continue;
                }
                let tag = format!("`{id}`");
                let mine: Vec<String> = c
                    .problems
                    .iter()
                    .filter(|p| c.group == id || p.contains(&tag) || c.status == Status::Error)
                    .map(|p| format!("{}/{}: {p}", c.group, c.name))
                    .collect();
                if !mine.is_empty() {
                    s.status = worse(s.status, c.status);
                    s.problems.extend(mine);
                }
            }
            if s.firing_cases == 0 || s.quiet_cases == 0 {
                s.status = worse(s.status, Status::Missing);
                s.problems.push(format!(
                    "needs at least one fixture where it fires and one where it must not (has {} and {})",
                    s.firing_cases, s.quiet_cases
                ));
            }
            s
        })
        .collect()
}
