//! bundle-doctor: an offline analyzer for Kubernetes support bundles.
//!
//! The pipeline has one module per stage:
//! [`bundle`] (archive → entries) → [`facts`] (entries → typed facts with
//! origins) → [`rules`] (declarative rules → findings) → [`report`]
//! (findings → html / md / json / text). [`cli`] parses arguments and glues
//! the stages together; [`assets`] holds what is embedded in the binary.

pub mod assets;
pub mod bundle;
pub mod cli;
pub mod facts;
pub mod report;
pub mod rules;

use std::path::Path;

/// Options of one analysis.
#[derive(Debug, Clone)]
pub struct Options {
    /// Language of rule texts and templates (`en`, `zh`).
    pub lang: String,
    /// Redact secrets in quoted bundle text.
    pub redact: bool,
    /// Reader limits.
    pub limits: bundle::Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lang: "en".into(),
            redact: true,
            limits: bundle::Limits::default(),
        }
    }
}

/// Runs the whole pipeline on the bundle at `path` (directory, .tar or .tar.gz).
pub fn analyze_path(
    path: &Path,
    rules: &rules::RuleSet,
    options: &Options,
) -> Result<report::Report, bundle::BundleError> {
    let facts = facts::collect(path, &options.limits, &rules.patterns)?;
    Ok(build_report(
        &path.display().to_string(),
        &facts,
        rules,
        options,
    ))
}

/// Runs the pipeline on the embedded demo bundle.
pub fn analyze_demo(rules: &rules::RuleSet, options: &Options) -> report::Report {
    let files = assets::demo_files();
    let facts = facts::collect_memory(&files, &options.limits, &rules.patterns);
    build_report(assets::DEMO_NAME, &facts, rules, options)
}

fn build_report(
    name: &str,
    facts: &facts::FactStore,
    rules: &rules::RuleSet,
    options: &Options,
) -> report::Report {
    let evaluation = rules::evaluate(rules, facts, &options.lang);
    report::Report::new(
        name,
        facts,
        evaluation,
        rules.info(),
        &options.lang,
        options.redact,
    )
}
