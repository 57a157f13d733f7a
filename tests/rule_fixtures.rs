//! Every rule against its fixture bundles (directories and the same files
//! packed as tar.gz), plus the registry invariants: every rule has a firing
//! and a quiet fixture, the schema file is fresh, and the id list is snapshotted
//! so adding or removing a rule shows in review.

use std::path::Path;

use bundle_doctor::Options;
use bundle_doctor::rules::{self, RuleSource, testing};

fn rules() -> rules::RuleSet {
    match rules::load(&RuleSource::Embedded) {
        Ok(r) => r,
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("embedded rules do not load:\n{}", text.join("\n"));
        }
    }
}

#[test]
fn every_fixture_case_validates() {
    let rules = rules();
    let cases = testing::discover(Path::new("fixtures")).expect("fixtures directory");
    assert!(
        cases.len() >= 20,
        "only {} fixture cases found",
        cases.len()
    );
    let options = Options::default();
    let failures: Vec<String> = cases
        .iter()
        .map(|c| testing::run_case(c, &rules, &options))
        .filter(|r| r.status != testing::Status::Validated)
        .map(|r| {
            format!(
                "{}/{} {:?}:\n  {}",
                r.group,
                r.name,
                r.status,
                r.problems.join("\n  ")
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_a_firing_and_a_quiet_fixture() {
    let rules = rules();
    let cases = testing::discover(Path::new("fixtures")).expect("fixtures directory");
    let options = Options::default();
    let results: Vec<_> = cases
        .iter()
        .map(|c| testing::run_case(c, &rules, &options))
        .collect();
    let bad: Vec<String> = testing::summarize(&rules, &results)
        .into_iter()
        .filter(|s| s.status != testing::Status::Validated)
        .map(|s| format!("{}: {}", s.id, s.problems.join("; ")))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn rule_files_match_their_ids_and_have_both_languages() {
    for rule in rules().rules {
        let spec = &rule.spec;
        assert!(
            rule.file.ends_with(&format!("{}.yaml", spec.id)),
            "{}",
            rule.file
        );
        for text in [&spec.title, &spec.summary, &spec.remediation] {
            assert!(
                !text.en.trim().is_empty(),
                "{}: empty English text",
                spec.id
            );
            assert!(
                text.zh
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{}: Chinese text has no Chinese characters",
                spec.id
            );
        }
        assert!(!spec.references.is_empty(), "{}: no references", spec.id);
    }
}

#[test]
fn rule_id_list() {
    let ids: Vec<String> = rules().rules.iter().map(|r| r.spec.id.clone()).collect();
    insta::assert_snapshot!(ids.join("\n"));
}

#[test]
fn schema_file_is_fresh() {
    let schema = schemars::schema_for!(rules::RuleFile);
    let generated = serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n";
    let committed = std::fs::read_to_string("rules/rule.schema.json").unwrap_or_default();
    assert!(
        generated == committed,
        "rules/rule.schema.json is stale: run `cargo run -- rules schema > rules/rule.schema.json`"
    );
}

#[test]
fn every_catalogue_signature_has_a_rule() {
    let catalogue: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string("tests/catalogue/metrics-server.yaml").expect("catalogue copy"),
    )
    .expect("catalogue parses");
    let ids: Vec<String> = rules().rules.iter().map(|r| r.spec.id.clone()).collect();
    let signatures = catalogue["signatures"].as_sequence().expect("signatures");
    assert!(signatures.len() >= 46, "{} signatures", signatures.len());
    let missing: Vec<&str> = signatures
        .iter()
        .filter_map(|s| s["id"].as_str())
        .filter(|id| !ids.iter().any(|r| r == id))
        .collect();
    assert!(
        missing.is_empty(),
        "catalogue signatures without a rule: {missing:?}"
    );
}
