//! Stage 4 of the pipeline: **report** (findings → html / md / json / text).
//!
//! Receives the `rules` stage's [`Evaluation`] and the `facts` stage's
//! [`FactStore`]; builds one [`Report`] model and renders it. The JSON report
//! is the serialized model (a stable, versioned contract); Markdown and HTML
//! are minijinja templates over the same model (embedded, or a directory given
//! with `--templates`); the terminal/text report is written here. Everything
//! quoted from the bundle is redacted (tokens, passwords, keys) unless
//! `--no-redact`, and escaped for the output format.

pub mod redact;
pub mod text;

use std::collections::BTreeMap;
use std::path::PathBuf;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::assets;
use crate::bundle::{Layout, Notice};
use crate::facts::{Collection, FactStore, FileRecord, ParseError};
use crate::rules::eval::{Evaluation, Finding, NotEvaluated, Passed};

/// Version of the JSON report's schema; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Template execution budget (minijinja fuel), so a hostile template cannot loop forever;
/// `--template-fuel` sets it once for the process.
static TEMPLATE_FUEL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// Sets the template execution budget (first call wins; the default is the reader limits' default).
pub fn set_template_fuel(fuel: u64) {
    let _ = TEMPLATE_FUEL.set(fuel);
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text (colored on a terminal).
    Text,
    /// The JSON contract.
    Json,
    /// Markdown for issue trackers.
    Md,
    /// A self-contained HTML page.
    Html,
}

impl Format {
    /// File name used under `--out`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Text => "report.txt",
            Format::Json => "report.json",
            Format::Md => "report.md",
            Format::Html => "report.html",
        }
    }
}

/// The tool that wrote the report.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always `bundle-doctor`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// What was analysed.
#[derive(Debug, Clone, Serialize)]
pub struct BundleInfo {
    /// The path given on the command line.
    pub path: String,
    /// Detected layout.
    pub layout: String,
    /// Why that layout.
    pub layout_reason: String,
    /// Regular files read.
    pub files: usize,
    /// Uncompressed bytes read.
    pub bytes: u64,
    /// Top-level folder stripped from paths.
    pub root: Option<String>,
    /// Kubernetes version, when recorded in the bundle.
    pub cluster_version: Option<String>,
    /// SHA-256 of the bundle file (archives only).
    pub sha256: Option<String>,
}

/// The rule set the report was made with.
#[derive(Debug, Clone, Serialize)]
pub struct RulesInfo {
    /// Number of rules.
    pub count: usize,
    /// SHA-256 over the rule files, identifying the rule set.
    pub digest: String,
}

/// One dated line of the bundle: an event, or a log line a rule matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TimelineEntry {
    /// Sortable time (RFC 3339; klog times get the year of the bundle's dated events, `????` when unknown).
    pub time: String,
    /// `event` or `log`.
    pub kind: String,
    /// Path inside the bundle.
    pub source: String,
    /// 1-based line.
    pub line: u32,
    /// What happened.
    pub text: String,
}

/// What the bundle holds.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// Per fact kind: collected, empty, failed or not collected.
    pub collection: BTreeMap<String, Collection>,
    /// Every file with its classification.
    pub files: Vec<FileRecord>,
    /// Symlink aliases resolved inside the bundle.
    pub aliases: BTreeMap<String, String>,
}

/// The report model: the JSON report is exactly this, serialized.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Schema version of this document.
    pub schema_version: u32,
    /// The tool.
    pub tool: Tool,
    /// Language of the texts (`en`, `zh`).
    pub lang: String,
    /// One sentence: what is wrong, or that nothing known is.
    pub verdict: String,
    /// The bundle.
    pub bundle: BundleInfo,
    /// Findings, root causes first.
    pub findings: Vec<Finding>,
    /// Rules that could not run for lack of data.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Rules that ran and did not fire.
    pub passed: Vec<Passed>,
    /// What the bundle holds.
    pub inventory: Inventory,
    /// Files that could not be parsed.
    pub parse_errors: Vec<ParseError>,
    /// Reader notices: skipped links, limits hit, corruption.
    pub notices: Vec<Notice>,
    /// Rule templates that failed to render.
    pub render_errors: Vec<String>,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    /// The rule set used.
    pub rules: RulesInfo,
    /// Events and matched log lines in time order (at most 300, the latest).
    pub timeline: Vec<TimelineEntry>,
}

impl Report {
    /// Builds the model; quotes from the bundle are redacted when `redact` is set.
    pub fn new(
        path: &str,
        facts: &FactStore,
        eval: Evaluation,
        rules: RulesInfo,
        lang: &str,
        redact: bool,
    ) -> Self {
        let mut findings = eval.findings;
        let mut parse_errors = facts.parse_errors.clone();
        if redact {
            for f in &mut findings {
                for e in &mut f.evidence {
                    e.excerpt = redact::redact(&e.excerpt);
                    e.matched = e.matched.as_deref().map(redact::redact);
                }
                for value in f.captures.values_mut() {
                    redact_json(value);
                }
                f.summary = redact::redact(&f.summary);
                f.remediation = redact::redact(&f.remediation);
            }
            for p in &mut parse_errors {
                p.error = redact::redact(&p.error);
            }
        }
        let verdict = verdict(&findings, &eval.not_evaluated, lang);
        let mut timeline = timeline(facts);
        if redact {
            for t in &mut timeline {
                t.text = redact::redact(&t.text);
            }
        }
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "bundle-doctor",
                version: env!("CARGO_PKG_VERSION"),
            },
            lang: lang.to_string(),
            verdict,
            bundle: BundleInfo {
                path: path.to_string(),
                layout: facts.layout.unwrap_or(Layout::Loose).as_str().to_string(),
                layout_reason: facts.layout_reason.clone(),
                files: facts.files.len(),
                bytes: facts.bytes,
                root: facts.root.clone(),
                cluster_version: facts.cluster_version.clone(),
                sha256: facts.sha256.clone(),
            },
            findings,
            not_evaluated: eval.not_evaluated,
            passed: eval.passed,
            inventory: Inventory {
                collection: facts.collection.clone(),
                files: facts.files.clone(),
                aliases: facts.aliases.clone(),
            },
            parse_errors,
            notices: facts.notices.clone(),
            render_errors: eval.render_errors,
            generated_at: now_rfc3339(),
            rules,
            timeline,
        }
    }
}

/// Redacts every string inside a captured value.
fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = redact::redact(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// The current time as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    #[allow(clippy::cast_precision_loss)]
    crate::facts::logline::epoch_to_rfc3339(secs as f64).unwrap_or_default()
}

/// Events and matched log lines, in time order.
fn timeline(facts: &FactStore) -> Vec<TimelineEntry> {
    let mut out = Vec::new();
    for ev in facts.objects_of("Event") {
        let b = &ev.body;
        let time = [
            "lastTimestamp",
            "eventTime",
            "series.lastObservedTime",
            "firstTimestamp",
            "metadata.creationTimestamp",
        ]
        .iter()
        .find_map(|p| {
            b.select(p)
                .first()
                .and_then(|n| n.as_str())
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        });
        let Some(time) = time else {
            continue;
        };
        let get = |p: &str| {
            b.select(p)
                .first()
                .and_then(|n| n.scalar_text())
                .map(|t| t.into_owned())
                .unwrap_or_default()
        };
        let count = get("count");
        let text = format!(
            "{} {} {}/{}: {}{}",
            get("type"),
            get("reason"),
            get("involvedObject.kind"),
            get("involvedObject.name"),
            get("message"),
            if count.is_empty() || count == "1" {
                String::new()
            } else {
                format!(" (x{count})")
            }
        );
        out.push(TimelineEntry {
            time,
            kind: "event".into(),
            source: ev.origin.source.clone(),
            line: ev.origin.line,
            text,
        });
    }
    let year = {
        let mut years: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &out {
            if let Some(y) = e
                .time
                .get(..4)
                .filter(|y| y.chars().all(|c| c.is_ascii_digit()))
            {
                *years.entry(y).or_default() += 1;
            }
        }
        years
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map_or("????".to_string(), |(y, _)| y.to_string())
    };
    for log in &facts.logs {
        let mut seen = std::collections::BTreeSet::new();
        for hits in log.hits.values() {
            for m in hits.first.iter().chain(hits.last.iter()) {
                if !seen.insert(m.line) {
                    continue;
                }
                let Some(time) = crate::facts::logline::parse_log_line(&m.text).time else {
                    continue;
                };
                out.push(TimelineEntry {
                    time: crate::facts::logline::sortable_time(&time, &year),
                    kind: "log".into(),
                    source: log.source.clone(),
                    line: m.line,
                    text: m.text.chars().take(500).collect(),
                });
            }
        }
    }
    out.sort();
    out.dedup();
    if out.len() > 300 {
        out.drain(..out.len() - 300);
    }
    out
}

fn verdict(findings: &[Finding], not_evaluated: &[NotEvaluated], lang: &str) -> String {
    let zh = lang == "zh";
    match findings.first() {
        Some(first) if !first.symptom => {
            if zh {
                format!("根因：{}（{}）。", first.title, first.id)
            } else {
                format!("Root cause: {} ({}).", first.title, first.id)
            }
        }
        Some(first) => {
            if zh {
                format!(
                    "发现症状：{}（{}），但未能确定根因；请按建议收集更多信息。",
                    first.title, first.id
                )
            } else {
                format!(
                    "Symptom found: {} ({}), but no root cause could be determined; collect what the next steps ask for.",
                    first.title, first.id
                )
            }
        }
        None if !not_evaluated.is_empty() => {
            if zh {
                format!(
                    "未发现已知故障特征；{} 条规则因缺少数据未能评估。",
                    not_evaluated.len()
                )
            } else {
                format!(
                    "No known failure signature found; {} rules could not be evaluated for lack of data.",
                    not_evaluated.len()
                )
            }
        }
        None => {
            if zh {
                "未发现已知故障特征。".to_string()
            } else {
                "No known failure signature found.".to_string()
            }
        }
    }
}

/// The minijinja environment for rule texts: strict fuel, lenient undefined
/// (a variable a bundle could not provide renders empty rather than failing).
pub fn template_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(
        *TEMPLATE_FUEL.get_or_init(|| crate::bundle::Limits::default().template_fuel),
    ));
    env.set_recursion_limit(64);
    // Chainable: `{{ log.count }}` renders empty when no log selector matched, rather than failing.
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    // Rule variables like `namespace` or `range` must not resolve to minijinja's global functions.
    for name in [
        "namespace",
        "range",
        "dict",
        "debug",
        "lipsum",
        "cycler",
        "joiner",
    ] {
        env.remove_global(name);
    }
    env.set_keep_trailing_newline(false);
    env
}

/// Where report templates come from.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    /// Embedded in the binary.
    Embedded,
    /// A directory holding `report.md.j2` and `report.html.j2`.
    Dir(PathBuf),
}

/// Renders the report in a format.
pub fn render(
    report: &Report,
    format: Format,
    templates: &TemplateSource,
    color: bool,
) -> anyhow::Result<String> {
    match format {
        Format::Json => Ok(serde_json::to_string_pretty(report)? + "\n"),
        Format::Text => Ok(text::render(report, color)),
        Format::Md => render_template(report, "report.md.j2", templates),
        Format::Html => render_template(report, "report.html.j2", templates),
    }
}

fn render_template(
    report: &Report,
    name: &str,
    templates: &TemplateSource,
) -> anyhow::Result<String> {
    use anyhow::Context;
    let source = match templates {
        TemplateSource::Embedded => assets::template(name)
            .with_context(|| format!("template {name} is not embedded"))?
            .to_string(),
        TemplateSource::Dir(dir) => {
            let path = dir.join(name);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
        }
    };
    let mut env = template_env();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.add_filter("md_fence", md_fence);
    env.add_filter("md_inline", md_inline);
    env.add_filter("md_cell", md_cell);
    env.add_filter("collection_label", collection_label);
    env.add_filter("highlight", highlight);
    env.add_template_owned(name.to_string(), source)
        .with_context(|| format!("template {name}"))?;
    let tmpl = env.get_template(name)?;
    let t = strings(&report.lang);
    let out = tmpl
        .render(minijinja::context! { r => report, t => t })
        .with_context(|| format!("rendering {name}"))?;
    Ok(out)
}

/// Wraps bundle text in a fenced code block that the text itself cannot close.
fn md_fence(text: String) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}text\n{}\n{fence}", text.trim_end_matches('\n'))
}

/// Neutralises bundle text for inline Markdown: no raw HTML, no links, no emphasis.
fn md_inline(text: String) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// HTML for an evidence excerpt with the matched part in `<mark>`; everything escaped.
fn highlight(excerpt: String, matched: Option<String>) -> minijinja::Value {
    let escape = |t: &str| minijinja::HtmlEscape(t).to_string();
    let html = match matched
        .as_deref()
        .filter(|m| !m.is_empty())
        .and_then(|m| excerpt.find(m).map(|i| (i, m.len())))
    {
        Some((i, len)) => format!(
            "{}<mark>{}</mark>{}",
            escape(&excerpt[..i]),
            escape(&excerpt[i..i + len]),
            escape(&excerpt[i + len..])
        ),
        None => escape(&excerpt),
    };
    minijinja::Value::from_safe_string(html)
}

/// Like [`md_inline`], for a table cell.
fn md_cell(text: String) -> String {
    md_inline(text)
}

fn collection_label(value: minijinja::Value) -> String {
    let status = value
        .get_attr("status")
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    match status.as_str() {
        "collected" => {
            let count = value
                .get_attr("count")
                .ok()
                .map(|v| v.to_string())
                .unwrap_or_default();
            format!("collected ({count})")
        }
        "empty" => "collected, empty".into(),
        "failed" => "collection failed".into(),
        _ => "not collected".into(),
    }
}

/// UI strings for the templates and the text report.
pub fn strings(lang: &str) -> BTreeMap<&'static str, &'static str> {
    let zh = lang == "zh";
    let pairs: &[(&str, &str, &str)] = &[
        ("title", "bundle-doctor report", "bundle-doctor 诊断报告"),
        ("finding_title", "Finding", "问题"),
        ("verdict", "Verdict", "结论"),
        ("findings", "Findings", "发现的问题"),
        (
            "no_findings",
            "No known failure signature fired.",
            "未命中任何已知故障特征。",
        ),
        ("severity", "Severity", "级别"),
        ("rule", "Rule", "规则"),
        ("summary", "Summary", "说明"),
        ("evidence", "Evidence", "证据"),
        ("remediation", "Next steps", "处理建议"),
        ("references", "References", "参考"),
        ("explains", "Explains", "可解释的症状"),
        ("explained_by", "Explained by", "由以下根因导致"),
        ("not_evaluated", "Not evaluated", "未能评估"),
        ("missing", "Missing", "缺少"),
        ("collect", "How to collect", "如何收集"),
        ("passed", "Passed checks", "通过的检查"),
        ("inventory", "Bundle inventory", "Bundle 内容"),
        ("layout", "Layout", "布局"),
        ("files", "Files", "文件"),
        ("bytes", "Bytes", "字节"),
        ("kind", "Kind", "类型"),
        ("status", "Status", "状态"),
        ("parse_errors", "Parse errors", "解析错误"),
        ("notices", "Notices", "提示"),
        ("file", "File", "文件"),
        ("class", "Class", "分类"),
        ("run", "Run", "运行信息"),
        ("tool", "Tool", "工具"),
        ("copy", "Copy", "复制"),
        ("symptom", "symptom", "症状"),
        ("cluster_version", "Cluster version", "集群版本"),
        ("timeline", "Timeline", "时间线"),
        ("time", "Time", "时间"),
        ("rules_used", "Rules", "规则"),
        ("generated", "Generated", "生成时间"),
        ("sev_critical", "CRITICAL", "严重"),
        ("sev_warning", "WARNING", "警告"),
        ("sev_info", "INFO", "提示"),
        ("queue", "Queue:", "队列："),
        ("queue_bundles", "bundles", "个包"),
        (
            "queue_with_findings",
            "with a finding at warning or above",
            "有 warning 及以上的问题",
        ),
        ("queue_healthy", "healthy", "健康"),
        ("queue_unreadable", "unreadable", "无法读取"),
        (
            "queue_no_root_cause",
            "No root cause found in any bundle.",
            "所有包中都没有找到根因。",
        ),
        ("queue_col_bundles", "BUNDLES", "包数"),
        ("queue_col_severity", "SEVERITY", "级别"),
        ("queue_col_root_cause", "ROOT CAUSE", "根因"),
        ("queue_col_title", "TITLE", "标题"),
        (
            "queue_healthy_heading",
            "Healthy (no finding at warning or above):",
            "健康（没有 warning 及以上的问题）：",
        ),
        ("queue_unreadable_heading", "Unreadable:", "无法读取："),
    ];
    pairs
        .iter()
        .map(|(k, en, zh_text)| (*k, if zh { *zh_text } else { *en }))
        .collect()
}

/// How to collect a missing fact kind, for the bundle's layout.
pub fn collect_hint(kind: &str, layout: Layout, lang: &str) -> String {
    let zh = lang == "zh";
    let kubectl = match kind {
        "apiservices" => "kubectl get apiservices -o yaml > apiservices.yaml",
        "pods" => {
            "kubectl get pods -A -o wide > pods-wide.txt; kubectl get pods -n kube-system -o yaml > pods-kube-system.yaml"
        }
        "services" => "kubectl get svc -A -o yaml > services.yaml",
        "endpoints" => "kubectl get endpoints -n kube-system -o yaml > endpoints.yaml",
        "endpointslices" => {
            "kubectl get endpointslices -n kube-system -o yaml > endpointslices.yaml"
        }
        "deployments" => "kubectl get deploy -n kube-system -o yaml > deployments.yaml",
        "daemonsets" => "kubectl get ds -n kube-system -o yaml > daemonsets.yaml",
        "replicasets" => "kubectl get rs -n kube-system -o yaml > replicasets.yaml",
        "nodes" => "kubectl get nodes -o wide > nodes.txt",
        "events" => "kubectl get events -A -o yaml > events.yaml",
        "hpas" => {
            "kubectl get hpa -A -o yaml > hpas.yaml; kubectl describe hpa -A > hpa-describe.txt"
        }
        "configmaps" => "kubectl get cm -n kube-system -o yaml > configmaps.yaml",
        "namespaces" => "kubectl get ns -o yaml > namespaces.yaml",
        "logs" => {
            "kubectl -n kube-system logs -l k8s-app=metrics-server --all-containers --tail=2000 > metrics-server.log (and --previous > metrics-server-previous.log)"
        }
        "probes" => {
            "on a control-plane node: curl -ik --max-time 10 https://<metrics-server ClusterIP>:443/apis/metrics.k8s.io/v1beta1 > curl-metrics.txt 2>&1"
        }
        "top" => "kubectl top nodes > kubectl-top.txt 2>&1",
        "discovery" => "kubectl api-resources > api-resources.txt 2>&1",
        _ => "",
    };
    let troubleshoot_extra = match kind {
        "apiservices" => Some(
            "add a `clusterResources` run or `run` collector: `kubectl get apiservices -o yaml` (troubleshoot does not collect APIServices by default)",
        ),
        "probes" => Some(
            "add an `http` or `runPod` collector that runs `curl -ik` against the metrics-server Service",
        ),
        "logs" => Some(
            "add a `logs` collector with `selector: [k8s-app=metrics-server]` in the metrics-server namespace",
        ),
        "hpas" => Some(
            "add a `run` collector for `kubectl get hpa -A -o yaml` or a `clusterResources` collector that includes HPAs",
        ),
        _ => None,
    };
    let own = "or run the collector: bundle-doctor collect-script > collect.sh && sh collect.sh";
    let base = match (layout, troubleshoot_extra) {
        (Layout::Troubleshoot, Some(extra)) => format!("{extra}; or: {kubectl}"),
        _ => format!("{kubectl}; {own}"),
    };
    if zh {
        format!("收集方法：{base}")
    } else {
        base
    }
}
