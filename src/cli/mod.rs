//! Command-line interface: argument parsing and glue between the pipeline
//! stages, nothing else. Exit codes are a contract: 0 the report was written,
//! 1 findings at or above `--fail-on`, 2 usage error, unreadable bundle or
//! invalid rules. `analyze` over many bundles (a queue) is in [`queue`].

mod queue;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use crate::Options;
use crate::bundle::Limits;
use crate::report::{self, Format, Report, TemplateSource};
use crate::rules::{self, RuleSource, Severity, testing};

const AFTER_HELP: &str = "\
Exit codes:
  0  the report was written (and no finding reached --fail-on)
  1  a finding at or above --fail-on
  2  usage error, unreadable bundle, or invalid rule files";

/// Offline analyzer for Kubernetes support bundles: finds why `kubectl top` and
/// the metrics.k8s.io aggregated API fail, cites the evidence, says what to do.
#[derive(Debug, Parser)]
#[command(name = "bundle-doctor", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyze one or more bundles (directory, .tar or .tar.gz/.tgz).
    #[command(after_help = AFTER_HELP)]
    Analyze(AnalyzeArgs),
    /// Analyze the demo bundle embedded in the binary (the classic FailedDiscoveryCheck timeout).
    #[command(after_help = AFTER_HELP)]
    Demo(ReportArgs),
    /// Work with rule files: list, lint, test, schema.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print the collector script: run it on a control-plane node with kubectl and curl to make a bundle.
    CollectScript,
    /// Show what a bundle holds: the detected layout and why, every file's classification, facts per kind.
    Inventory {
        /// The bundle.
        bundle: PathBuf,
        /// Output as text or JSON.
        #[arg(short, long, value_enum, default_value = "table")]
        format: ListFormat,
    },
}

#[derive(Debug, Args)]
struct AnalyzeArgs {
    /// Bundles to analyze (with --recursive, directories to search for bundle archives).
    #[arg(required = true, value_name = "BUNDLE")]
    bundles: Vec<PathBuf>,
    /// Search directories (recursively, without following links) for .tar, .tar.gz and .tgz
    /// files and analyze each; JSON output is then one document per line.
    #[arg(short, long)]
    recursive: bool,
    /// Bundles analyzed at once (default: one per CPU, or RAYON_NUM_THREADS).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Do not print the queue summary (with several bundles; --out still gets queue.json).
    #[arg(long)]
    no_summary: bool,
    #[command(flatten)]
    report: ReportArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// Output format; repeat for several (several need --out). Default: a terminal report.
    #[arg(short, long = "format", value_enum)]
    formats: Vec<Format>,
    /// Write report.<format> files into this directory instead of stdout.
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Language of the report: en or zh (default: from LANG).
    #[arg(long, value_enum)]
    lang: Option<Lang>,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<SeverityArg>,
    /// Use the rule files in this directory instead of the embedded rules.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// Use report templates from this directory instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Do not redact tokens, passwords and keys in quoted bundle text.
    #[arg(long)]
    no_redact: bool,
}

#[derive(Debug, Args)]
struct LimitArgs {
    /// Most uncompressed bytes read from one bundle.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_total_bytes)]
    max_total_bytes: u64,
    /// Most bytes of one file buffered for parsing (larger files are streamed as text).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_file_bytes)]
    max_file_bytes: u64,
    /// Most archive entries read from one bundle.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    max_entries: u64,
    /// Highest uncompressed:compressed ratio before a gzip stream counts as a bomb.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_ratio)]
    max_ratio: u64,
    /// Deepest nesting of a JSON or YAML document.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    max_depth: usize,
    /// Most nodes in one JSON or YAML document, YAML aliases expanded.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_nodes)]
    max_nodes: usize,
    /// Longest log line kept for matching, in bytes (the rest of a longer line is skipped).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_line_bytes)]
    max_line_bytes: usize,
    /// Execution budget of a rule or report template (minijinja fuel).
    #[arg(long, value_name = "N", default_value_t = Limits::default().template_fuel)]
    template_fuel: u64,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// List the rules: id, severity, title.
    List {
        /// Rule directory (default: the embedded rules).
        dir: Option<PathBuf>,
        /// Output as a table or JSON.
        #[arg(short, long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Validate rule files; every problem is printed as file:line:column.
    Lint {
        /// Rule directory (default: the embedded rules).
        dir: Option<PathBuf>,
        /// Fixture directory; each rule must have fixtures there (skipped when it does not exist).
        #[arg(long, default_value = "fixtures")]
        fixtures: PathBuf,
    },
    /// Explain, selector by selector, why a rule fired or did not on a bundle.
    Explain {
        /// Rule id.
        id: String,
        /// The bundle.
        bundle: PathBuf,
        /// Rule directory (default: the embedded rules).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Scaffold a new rule: rules/<ID>.yaml with every field commented, a firing and a near-miss fixture.
    New {
        /// The new rule id (kebab-case, naming the problem).
        id: String,
        /// Rule directory to write into.
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
        /// Fixture directory to write into.
        #[arg(long, default_value = "fixtures")]
        fixtures: PathBuf,
    },
    /// Run every rule against its fixture bundles.
    Test {
        /// Rule directory (default: the embedded rules).
        dir: Option<PathBuf>,
        /// Fixture directory.
        #[arg(long, default_value = "fixtures")]
        fixtures: PathBuf,
        /// Only rules whose id matches this glob.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Print the JSON Schema of the rule format.
    Schema,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Lang {
    En,
    Zh,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SeverityArg {
    Info,
    Warning,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bundle-doctor: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => analyze(&args),
        Command::Demo(args) => demo(&args),
        Command::Rules(cmd) => rules_command(cmd),
        Command::Inventory { bundle, format } => inventory(&bundle, format),
        Command::CollectScript => {
            std::io::stdout().write_all(crate::assets::COLLECT_SCRIPT.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn default_lang() -> String {
    let lang = std::env::var("LC_ALL")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var("LANG").ok())
        .unwrap_or_default();
    if lang.to_ascii_lowercase().starts_with("zh") {
        "zh".into()
    } else {
        "en".into()
    }
}

fn load_rules(dir: Option<&PathBuf>) -> Result<rules::RuleSet, ExitCode> {
    let source = dir.map_or(RuleSource::Embedded, |d| RuleSource::Dir(d.clone()));
    rules::load(&source).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!(
            "bundle-doctor: {} problem(s) in the rule files",
            errors.len()
        );
        ExitCode::from(2)
    })
}

fn options(args: &ReportArgs, limits: Limits) -> Options {
    Options {
        lang: args
            .lang
            .map(|l| match l {
                Lang::En => "en".to_string(),
                Lang::Zh => "zh".to_string(),
            })
            .unwrap_or_else(default_lang),
        redact: !args.no_redact,
        limits,
    }
}

fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && no_color_unset()
}

fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && no_color_unset()
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn analyze(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let limits = Limits {
        max_total_bytes: args.limits.max_total_bytes,
        max_file_bytes: args.limits.max_file_bytes,
        max_entries: args.limits.max_entries,
        max_ratio: args.limits.max_ratio,
        max_depth: args.limits.max_depth,
        max_nodes: args.limits.max_nodes,
        max_line_bytes: args.limits.max_line_bytes,
        template_fuel: args.limits.template_fuel,
    };
    let bundles = queue::expand(&args.bundles, args.recursive)?;
    let mut emitter = match Emitter::new(&args.report, bundles.len(), args.recursive) {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    // Before the rules load: their templates are checked with this budget.
    report::set_template_fuel(limits.template_fuel);
    let rules = match load_rules(args.report.rules.as_ref()) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let opts = options(&args.report, limits);
    // Zero threads is rayon's default: RAYON_NUM_THREADS, else one per CPU.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, usize::from))
        .build()
        .context("starting the analysis threads")?;
    let mut tally = queue::Tally::default();
    queue::run(
        &pool,
        &bundles,
        |path| crate::analyze_path(path, &rules, &opts).map_err(|e| e.to_string()),
        |index, path, result| {
            let dir = emitter.bundle(index, path, &result)?;
            tally.add(path, dir, &result);
            Ok(())
        },
    )?;
    if bundles.len() > 1 {
        let summary = tally.finish();
        emitter.summary(&summary, !args.no_summary)?;
    }
    Ok(emitter.exit_code())
}

fn demo(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let rules = match load_rules(args.rules.as_ref()) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let mut emitter = match Emitter::new(args, 1, false) {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let opts = options(args, Limits::default());
    let report = crate::analyze_demo(&rules, &opts);
    emitter.bundle(0, Path::new("demo"), &Ok(report))?;
    Ok(emitter.exit_code())
}

/// Where reports go: one format to stdout, or files under `--out`.
enum Target {
    Stdout(Format),
    Dir(PathBuf, Vec<Format>),
}

/// Writes each bundle's reports as they arrive (in queue order), then the
/// queue summary, and computes the exit code.
struct Emitter<'a> {
    args: &'a ReportArgs,
    templates: TemplateSource,
    target: Target,
    /// Bundles in the queue.
    total: usize,
    /// JSON to stdout as one document per line, unreadable bundles included.
    json_lines: bool,
    /// Reports written to stdout so far (they are separated by a blank line).
    printed: usize,
    /// A finding reached `--fail-on`.
    hit: bool,
    /// A bundle could not be read.
    failed: bool,
    /// Language of the queue summary.
    lang: String,
}

impl<'a> Emitter<'a> {
    /// Checks the output options; a usage error is printed and its exit code returned.
    fn new(args: &'a ReportArgs, total: usize, recursive: bool) -> Result<Self, ExitCode> {
        let target = match &args.out {
            None => match args.formats.as_slice() {
                [] => Target::Stdout(Format::Text),
                [one] => Target::Stdout(*one),
                _ => {
                    eprintln!("bundle-doctor: several --format values need --out DIR");
                    return Err(ExitCode::from(2));
                }
            },
            Some(out) if args.formats.is_empty() => {
                Target::Dir(out.clone(), vec![Format::Json, Format::Md, Format::Html])
            }
            Some(out) => Target::Dir(out.clone(), args.formats.clone()),
        };
        let json_lines = matches!(target, Target::Stdout(Format::Json)) && (total > 1 || recursive);
        Ok(Emitter {
            args,
            lang: options(args, Limits::default()).lang,
            templates: args
                .templates
                .clone()
                .map_or(TemplateSource::Embedded, TemplateSource::Dir),
            target,
            total,
            json_lines,
            printed: 0,
            hit: false,
            failed: false,
        })
    }

    /// Writes the reports of the bundle at `index` in the queue, or reports
    /// that it could not be read; returns the bundle's own folder under
    /// `--out` (relative to it), when there are several bundles.
    fn bundle(
        &mut self,
        index: usize,
        path: &Path,
        result: &Result<Report, String>,
    ) -> anyhow::Result<Option<String>> {
        let report = match result {
            Ok(report) => report,
            Err(error) => {
                self.failed = true;
                eprintln!("bundle-doctor: error: {error}");
                if self.json_lines {
                    let line = serde_json::json!({
                        "schema_version": report::SCHEMA_VERSION,
                        "bundle": {"path": path.display().to_string()},
                        "error": error,
                    });
                    writeln!(std::io::stdout().lock(), "{line}")?;
                }
                return Ok(None);
            }
        };
        let threshold = self.args.fail_on.map(Severity::from);
        if threshold.is_some_and(|t| report.findings.iter().any(|f| f.severity >= t)) {
            self.hit = true;
        }
        let mut stdout = std::io::stdout().lock();
        match &self.target {
            Target::Stdout(format) => {
                let text = if self.json_lines {
                    serde_json::to_string(report)? + "\n"
                } else {
                    report::render(report, *format, &self.templates, color_stdout())?
                };
                if self.printed > 0 && !self.json_lines {
                    writeln!(stdout)?;
                }
                stdout.write_all(text.as_bytes())?;
                self.printed += 1;
                Ok(None)
            }
            Target::Dir(out, formats) => {
                // With several bundles, one folder each, zero-padded to the queue's
                // length so the folders sort in queue order.
                let folder = (self.total > 1).then(|| {
                    let width = self.total.to_string().len().max(3);
                    format!("{:0width$}-{}", index + 1, safe_name(path))
                });
                let dir = folder.as_ref().map_or_else(|| out.clone(), |f| out.join(f));
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                stdout
                    .write_all(report::text::render_summary(report, color_stdout()).as_bytes())?;
                for format in formats {
                    let text = report::render(report, *format, &self.templates, false)?;
                    let target = dir.join(format.file_name());
                    write_atomic(&target, text.as_bytes())?;
                    writeln!(stdout, "wrote {}", target.display())?;
                }
                Ok(folder)
            }
        }
    }

    /// Writes the queue summary: `queue.json` under `--out`, and, when
    /// `print`, the text summary to stdout (after text reports or under
    /// `--out`) or to stderr (after JSON, Markdown or HTML on stdout).
    fn summary(&self, summary: &queue::Summary, print: bool) -> anyhow::Result<()> {
        match &self.target {
            Target::Dir(out, _) => {
                std::fs::create_dir_all(out)
                    .with_context(|| format!("creating {}", out.display()))?;
                let target = out.join("queue.json");
                let json = serde_json::to_string_pretty(summary)? + "\n";
                write_atomic(&target, json.as_bytes())?;
                let mut stdout = std::io::stdout().lock();
                if print {
                    writeln!(stdout)?;
                    stdout.write_all(
                        queue::render_text(summary, &self.lang, color_stdout()).as_bytes(),
                    )?;
                }
                writeln!(stdout, "wrote {}", target.display())?;
            }
            Target::Stdout(Format::Text) if print => {
                let mut stdout = std::io::stdout().lock();
                if self.printed > 0 {
                    writeln!(stdout)?;
                }
                stdout.write_all(
                    queue::render_text(summary, &self.lang, color_stdout()).as_bytes(),
                )?;
            }
            Target::Stdout(_) if print => {
                let mut stderr = std::io::stderr().lock();
                if self.failed {
                    writeln!(stderr)?;
                }
                stderr.write_all(
                    queue::render_text(summary, &self.lang, color_stderr()).as_bytes(),
                )?;
            }
            Target::Stdout(_) => {}
        }
        Ok(())
    }

    /// 2 when a bundle could not be read, else 1 when a finding reached `--fail-on`, else 0.
    fn exit_code(&self) -> ExitCode {
        if self.failed {
            ExitCode::from(2)
        } else if self.hit {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// `rules lint`: load errors, plus rules without fixtures.
fn lint(dir: Option<&PathBuf>, fixtures: &Path) -> anyhow::Result<ExitCode> {
    let source = dir.map_or(RuleSource::Embedded, |d| RuleSource::Dir(d.clone()));
    let mut problems: Vec<rules::RuleError> = Vec::new();
    let mut count = 0;
    match rules::load_checked(&source) {
        Ok(set) => {
            count = set.rules.len();
            // Not a problem, but slow on big bundles: say so.
            for rule in &set.rules {
                for regex in rule.log_regexes() {
                    if set.patterns.is_unfiltered(regex) {
                        eprintln!(
                            "{}: note: rule `{}`: log regex `{regex}` has no fixed text of 3+ characters that every match contains, so it is tried on every block of every log (slower on big bundles); see docs/rule-authoring.md",
                            rule.file, rule.spec.id
                        );
                    }
                }
            }
            if fixtures.is_dir() {
                let cases = testing::discover(fixtures).unwrap_or_default();
                for rule in &set.rules {
                    let id = &rule.spec.id;
                    let has = cases.iter().any(|c| &c.group == id);
                    if !has {
                        problems.push(rules::RuleError {
                            file: rule.file.clone(),
                            line: 1,
                            column: 1,
                            message: format!("rule `{id}` has no fixtures in {}/{id}/", fixtures.display()),
                            hint: Some(format!("run `bundle-doctor rules new {id}` to scaffold a firing and a near-miss fixture")),
                        });
                    }
                }
            }
        }
        Err(errors) => problems = errors,
    }
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        println!("{count} rules, no problems");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "bundle-doctor: {} problem(s) in the rule files",
            problems.len()
        );
        Ok(ExitCode::from(2))
    }
}

/// `rules new`: a commented rule file and two fixture cases.
fn scaffold(id: &str, rules_dir: &Path, fixtures: &Path) -> anyhow::Result<ExitCode> {
    let well_formed = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if !well_formed {
        eprintln!(
            "bundle-doctor: rule id `{id}` is not kebab-case (lower-case words joined by `-`)"
        );
        return Ok(ExitCode::from(2));
    }
    let rule_path = rules_dir.join(format!("{id}.yaml"));
    if rule_path.exists() {
        eprintln!("bundle-doctor: {} already exists", rule_path.display());
        return Ok(ExitCode::from(2));
    }
    std::fs::create_dir_all(rules_dir)
        .with_context(|| format!("creating {}", rules_dir.display()))?;
    write_atomic(
        &rule_path,
        crate::assets::RULE_TEMPLATE
            .replace("RULE-ID", id)
            .as_bytes(),
    )?;
    let group = fixtures.join(id);
    for (case, expect) in [
        (
            "fires",
            format!(
                "# Reproduces: <URL of the ticket or upstream report>\ndescription: the failure this rule recognises\nfires: [{id}]\nfirst: {id}\n"
            ),
        ),
        (
            "near-miss",
            format!(
                "# near miss: <what differs from the firing case>\ndescription: the same cluster without the failure\nnot_fires: [{id}]\n"
            ),
        ),
    ] {
        let bundle = group.join(case);
        std::fs::create_dir_all(&bundle)
            .with_context(|| format!("creating {}", bundle.display()))?;
        write_atomic(&group.join(format!("{case}.yaml")), expect.as_bytes())?;
        write_atomic(
            &bundle.join("apiservice.yaml"),
            crate::assets::FIXTURE_TEMPLATE.as_bytes(),
        )?;
    }
    println!("wrote {}", rule_path.display());
    println!(
        "wrote {}/{{fires,near-miss}}/ and their expectations",
        group.display()
    );
    println!(
        "next: edit them, then run `bundle-doctor rules lint {}` and `bundle-doctor rules test {} --fixtures {}`",
        rules_dir.display(),
        rules_dir.display(),
        fixtures.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `inventory`: what the bundle holds.
fn inventory(bundle: &Path, format: ListFormat) -> anyhow::Result<ExitCode> {
    let rules = match load_rules(None) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let report = match crate::analyze_path(bundle, &rules, &Options::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bundle-doctor: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut out = std::io::stdout().lock();
    if matches!(format, ListFormat::Json) {
        let v = serde_json::json!({
            "bundle": report.bundle,
            "inventory": report.inventory,
            "parse_errors": report.parse_errors,
            "notices": report.notices,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = report::text::sanitize;
    writeln!(out, "bundle: {}", s(&report.bundle.path))?;
    writeln!(
        out,
        "layout: {} ({})",
        report.bundle.layout, report.bundle.layout_reason
    )?;
    if let Some(root) = &report.bundle.root {
        writeln!(out, "top-level folder stripped: {}", s(root))?;
    }
    writeln!(
        out,
        "files: {}, bytes: {}\n",
        report.bundle.files, report.bundle.bytes
    )?;
    writeln!(out, "{:16} STATUS", "KIND")?;
    for (kind, c) in &report.inventory.collection {
        let status = match c {
            crate::facts::Collection::Collected { count } => format!("collected ({count})"),
            crate::facts::Collection::Empty => "collected, empty".into(),
            crate::facts::Collection::Failed { error, source } => {
                format!("collection failed: {} ({})", s(error), s(source))
            }
            crate::facts::Collection::NotCollected => "not collected".into(),
        };
        writeln!(out, "{kind:16} {status}")?;
    }
    writeln!(out, "\n{:16} {:6} FILE", "CLASS", "FACTS")?;
    for f in &report.inventory.files {
        writeln!(out, "{:16} {:6} {}", f.class, f.facts, s(&f.path))?;
    }
    for (alias, target) in &report.inventory.aliases {
        writeln!(out, "{:16} {:6} {} -> {}", "alias", "", s(alias), s(target))?;
    }
    for e in &report.parse_errors {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        writeln!(out, "parse error: {}{line}: {}", s(&e.source), s(&e.error))?;
    }
    for n in &report.notices {
        writeln!(out, "notice: {}: {}", s(&n.source), s(&n.message))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A file-name-safe version of a bundle path, for per-bundle report folders.
fn safe_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect()
}

/// Writes through a temporary file in the same directory, then renames, so a
/// reader never sees half a report.
fn write_atomic(target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, target).with_context(|| format!("renaming to {}", target.display()))?;
    Ok(())
}

fn rules_command(cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::List { dir, format } => {
            let rules = match load_rules(dir.as_ref()) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            let mut out = std::io::stdout().lock();
            match format {
                ListFormat::Json => {
                    let items: Vec<serde_json::Value> = rules
                        .rules
                        .iter()
                        .map(|r| {
                            serde_json::json!({
                                "id": r.spec.id, "severity": r.spec.severity.as_str(),
                                "title": r.spec.title.en, "symptom": r.spec.symptom,
                                "requires": r.spec.requires, "explains": r.spec.explains,
                            })
                        })
                        .collect();
                    writeln!(out, "{}", serde_json::to_string_pretty(&items)?)?;
                }
                ListFormat::Table => {
                    let width = rules
                        .rules
                        .iter()
                        .map(|r| r.spec.id.len())
                        .max()
                        .unwrap_or(2);
                    writeln!(out, "{:width$}  {:8}  TITLE", "ID", "SEVERITY")?;
                    for r in &rules.rules {
                        writeln!(
                            out,
                            "{:width$}  {:8}  {}",
                            r.spec.id,
                            r.spec.severity.as_str(),
                            r.spec.title.en
                        )?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Lint { dir, fixtures } => lint(dir.as_ref(), &fixtures),
        RulesCommand::Explain { id, bundle, rules } => {
            let rules = match load_rules(rules.as_ref()) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            let Some(rule) = rules.rules.iter().find(|r| r.spec.id == id) else {
                let ids: Vec<&str> = rules.rules.iter().map(|r| r.spec.id.as_str()).collect();
                eprintln!(
                    "bundle-doctor: no rule `{id}`{}",
                    rules::closest(&id, &ids)
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default()
                );
                return Ok(ExitCode::from(2));
            };
            let facts = crate::facts::collect(&bundle, &Limits::default(), &rules.patterns)?;
            print!(
                "{}",
                report::text::sanitize(&rules::explain::explain(rule, &facts, &rules.patterns))
            );
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::New {
            id,
            rules,
            fixtures,
        } => scaffold(&id, &rules, &fixtures),
        RulesCommand::Schema => {
            let schema = schemars::schema_for!(rules::RuleFile);
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Test {
            dir,
            fixtures,
            filter,
        } => {
            let rules = match load_rules(dir.as_ref()) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            let glob = match filter.as_deref().map(globset::Glob::new).transpose() {
                Ok(g) => g.map(|g| g.compile_matcher()),
                Err(e) => {
                    eprintln!("bundle-doctor: invalid --filter: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let cases = testing::discover(&fixtures)
                .with_context(|| format!("reading fixtures in {}", fixtures.display()))?;
            let opts = Options::default();
            let results: Vec<testing::CaseResult> = cases
                .par_iter()
                .map(|c| testing::run_case(c, &rules, &opts))
                .collect();
            let summary: Vec<testing::RuleSummary> = testing::summarize(&rules, &results)
                .into_iter()
                .filter(|s| glob.as_ref().is_none_or(|g| g.is_match(&s.id)))
                .collect();
            let mut out = std::io::stdout().lock();
            let width = summary.iter().map(|s| s.id.len()).max().unwrap_or(4);
            writeln!(out, "{:width$}  {:9}  FIRES  QUIET", "RULE", "STATUS")?;
            let mut bad = 0;
            for s in &summary {
                let status = serde_json::to_value(s.status)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                writeln!(
                    out,
                    "{:width$}  {:9}  {:5}  {:5}",
                    s.id, status, s.firing_cases, s.quiet_cases
                )?;
                for p in &s.problems {
                    writeln!(out, "    {p}")?;
                }
                if s.status != testing::Status::Validated {
                    bad += 1;
                }
            }
            writeln!(
                out,
                "\n{} passed, {} failed ({} fixture cases)",
                summary.len() - bad,
                bad,
                results.len()
            )?;
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
