//! Evaluation: compiled rules against one bundle's facts. Each selector looks
//! for facts that satisfy it and returns evidence (file, line, excerpt) and
//! variables (named regex groups, `bind` fields); `all`/`any`/`not` combine
//! them. A rule that fires becomes a [`Finding`] with its texts rendered in the
//! requested language; findings are then ordered root causes first, with the
//! symptoms they `explain` nested under them.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use super::model::Severity;
use super::{CLog, CObject, CProbe, CText, Compiled, Rule, RuleSet};
use crate::facts::{FactStore, Node};

/// Evidence kept per selector, at most.
const MAX_EVIDENCE: usize = 5;
/// Lines of context shown for one piece of evidence, at most.
const MAX_EXCERPT_LINES: usize = 8;

/// One cited place in the bundle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    /// Path inside the bundle.
    pub source: String,
    /// 1-based line.
    pub line: u32,
    /// The text at that place (a few lines at most).
    pub excerpt: String,
    /// The part of the excerpt a regex matched, for highlighting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
}

/// A rule that fired.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Rule id.
    pub id: String,
    /// Severity (after `severity_when`).
    pub severity: Severity,
    /// Title in the report's language.
    pub title: String,
    /// Summary, rendered with the bundle's values.
    pub summary: String,
    /// Cited places.
    pub evidence: Vec<Evidence>,
    /// Next steps, rendered with the bundle's values.
    pub remediation: String,
    /// Ids of fired symptom findings this finding accounts for.
    pub explains: Vec<String>,
    /// Ids of fired root-cause findings that account for this one.
    pub explained_by: Vec<String>,
    /// True when this is a symptom many causes produce.
    pub symptom: bool,
    /// Links.
    pub references: Vec<String>,
    /// Variables captured from the bundle.
    pub captures: BTreeMap<String, Json>,
}

/// A rule that could not be evaluated because data is missing.
#[derive(Debug, Clone, Serialize)]
pub struct NotEvaluated {
    /// Rule id.
    pub id: String,
    /// Title in the report's language.
    pub title: String,
    /// Fact kinds missing from the bundle.
    pub missing: Vec<String>,
    /// How to collect them.
    pub collect: Vec<String>,
}

/// A rule that was evaluated and did not fire.
#[derive(Debug, Clone, Serialize)]
pub struct Passed {
    /// Rule id.
    pub id: String,
    /// Title in the report's language.
    pub title: String,
}

/// The outcome of all rules on one bundle.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    /// Findings, root causes first.
    pub findings: Vec<Finding>,
    /// Rules that could not be evaluated.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Rules that were evaluated and did not fire.
    pub passed: Vec<Passed>,
    /// Template problems met while rendering (never fatal).
    pub render_errors: Vec<String>,
}

/// What a condition found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hit {
    evidence: Vec<Evidence>,
    vars: Map<String, Json>,
}

impl Hit {
    fn merge(&mut self, other: Hit) {
        for e in other.evidence {
            if !self.evidence.contains(&e) {
                self.evidence.push(e);
            }
        }
        for (k, v) in other.vars {
            self.vars.entry(k).or_insert(v);
        }
    }
}

/// Read-only context of one evaluation.
pub(crate) struct Ctx<'a> {
    pub facts: &'a FactStore,
    /// The rules' log patterns (their compiled regexes give a log hit's captures).
    pub patterns: &'a crate::facts::LogPatterns,
    /// Buffered files by path, each split into lines on the first excerpt taken from it.
    texts: HashMap<&'a str, (&'a str, std::sync::OnceLock<Vec<&'a str>>)>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(facts: &'a FactStore, patterns: &'a crate::facts::LogPatterns) -> Self {
        let texts = facts
            .texts
            .iter()
            .map(|t| {
                (
                    t.source.as_str(),
                    (t.text.as_str(), std::sync::OnceLock::new()),
                )
            })
            .collect();
        Self {
            facts,
            patterns,
            texts,
        }
    }

    /// The lines of a buffered file starting at `line`: the line itself plus
    /// following lines indented deeper (a folded YAML value), bounded.
    fn excerpt(&self, source: &str, line: u32) -> Option<String> {
        let (text, split) = self.texts.get(source)?;
        let lines = split.get_or_init(|| text.lines().collect());
        let first = *lines.get((line as usize).checked_sub(1)?)?;
        let indent = first.len() - first.trim_start().len();
        let mut out = vec![first];
        for next in lines.iter().skip(line as usize).take(MAX_EXCERPT_LINES - 1) {
            let ind = next.len() - next.trim_start().len();
            if next.trim().is_empty() || ind <= indent {
                break;
            }
            out.push(next);
        }
        Some(out.join("\n"))
    }
}

/// Evaluates every rule against the facts, rendering texts in `lang`.
pub fn evaluate(rules: &RuleSet, facts: &FactStore, lang: &str) -> Evaluation {
    let ctx = Ctx::new(facts, &rules.patterns);
    let env = crate::report::template_env();
    let mut out = Evaluation::default();
    for rule in &rules.rules {
        let spec = &rule.spec;
        match eval(&rule.matcher, &ctx) {
            Some(mut hit) => {
                for c in &rule.context {
                    if let Some(extra) = eval(c, &ctx) {
                        hit.merge(extra);
                    }
                }
                let mut severity = rule
                    .severity_when
                    .iter()
                    .find(|(_, c)| eval(c, &ctx).is_some())
                    .map_or(spec.severity, |(s, _)| *s);
                if recovered(&hit.evidence, facts) {
                    // A crash whose cause is only in the previous container's log, the pod
                    // Ready again: it stopped, but it will recur.
                    severity = severity.min(Severity::Warning);
                }
                if startup_noise(&hit.evidence, facts) {
                    // DESIGN "Time and recovery": errors logged before the pod first became
                    // Ready, with no restart since, are startup noise.
                    severity = severity.min(Severity::Info);
                }
                let mut vars = hit.vars.clone();
                vars.insert("severity".into(), json!(severity.as_str()));
                let ctx_value = Json::Object(vars.clone());
                let mut render = |field: &str, template: &str| -> String {
                    match env.render_str(template, &ctx_value) {
                        Ok(s) => s.trim_end().to_string(),
                        Err(e) => {
                            out.render_errors
                                .push(format!("{}: {field}: {e}", rule.file));
                            template.to_string()
                        }
                    }
                };
                let summary = tidy(lang, render("summary", spec.summary.get(lang)));
                let remediation = render("remediation", spec.remediation.get(lang));
                let title = tidy(lang, render("title", spec.title.get(lang)));
                let mut evidence = hit.evidence;
                evidence.sort();
                evidence.dedup();
                out.findings.push(Finding {
                    id: spec.id.clone(),
                    severity,
                    title,
                    summary,
                    evidence,
                    remediation,
                    explains: Vec::new(),
                    explained_by: Vec::new(),
                    symptom: spec.symptom,
                    references: spec.references.clone(),
                    captures: vars.into_iter().collect(),
                });
            }
            None => {
                let missing = missing_requirements(rule, facts);
                if missing.is_empty() {
                    out.passed.push(Passed {
                        id: spec.id.clone(),
                        title: spec.title.get(lang).to_string(),
                    });
                } else {
                    let layout = facts.layout.unwrap_or(crate::bundle::Layout::Loose);
                    out.not_evaluated.push(NotEvaluated {
                        id: spec.id.clone(),
                        title: spec.title.get(lang).to_string(),
                        collect: missing
                            .iter()
                            .map(|k| crate::report::collect_hint(k, layout, lang))
                            .collect(),
                        missing,
                    });
                }
            }
        }
    }
    link_causes(rules, &mut out.findings);
    out
}

/// True when every piece of evidence is a line of a previous (crashed)
/// container's log, and that pod is Ready now.
fn recovered(evidence: &[Evidence], facts: &FactStore) -> bool {
    !evidence.is_empty()
        && evidence.iter().all(|e| {
            facts
                .logs
                .iter()
                .find(|l| l.source == e.source)
                .filter(|l| l.previous)
                .and_then(|l| pod_of(l, facts))
                .is_some_and(|pod| {
                    pod.body
                        .select("status.conditions[type=Ready].status")
                        .first()
                        .and_then(|n| n.as_str())
                        == Some("True")
                })
        })
}

/// The Pod object a log belongs to.
fn pod_of<'f>(
    log: &crate::facts::LogFile,
    facts: &'f FactStore,
) -> Option<&'f crate::facts::Object> {
    facts.objects_of("Pod").find(|p| {
        Some(p.name.as_str()) == log.pod.as_deref()
            && (log.namespace.is_none() || p.namespace == log.namespace)
    })
}

/// True when every piece of evidence is a log line of a pod that is Ready now,
/// has never restarted, and became Ready after the last of those lines.
fn startup_noise(evidence: &[Evidence], facts: &FactStore) -> bool {
    if evidence.is_empty() {
        return false;
    }
    evidence.iter().all(|e| {
        let Some(log) = facts
            .logs
            .iter()
            .find(|l| l.source == e.source && l.pod.is_some() && !l.previous)
        else {
            return false;
        };
        let Some(line_time) = crate::facts::logline::parse_log_line(&e.excerpt)
            .time
            .and_then(|t| time_key(&t))
        else {
            return false;
        };
        let Some(pod) = pod_of(log, facts) else {
            return false;
        };
        let ready = pod.body.select("status.conditions[type=Ready]");
        let Some(ready) = ready.first() else {
            return false;
        };
        let is_ready = ready.get("status").and_then(|n| n.as_str()) == Some("True");
        let since = ready
            .get("lastTransitionTime")
            .and_then(|n| n.as_str())
            .and_then(time_key);
        let restarts: u64 = pod
            .body
            .select("status.containerStatuses[*].restartCount")
            .iter()
            .filter_map(|n| n.scalar_text().and_then(|t| t.parse::<u64>().ok()))
            .sum();
        is_ready && restarts == 0 && since.is_some_and(|s| line_time < s)
    })
}

/// `MMDDhhmmss` from an RFC 3339 time or klog's `MMDD hh:mm:ss`, so the two compare.
/// (klog lines carry no year; a bundle spanning New Year would compare wrongly.)
fn time_key(t: &str) -> Option<String> {
    let sortable = crate::facts::logline::sortable_time(t, "0000");
    let d: String = sortable
        .get(5..19)?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (d.len() == 10).then_some(d)
}

/// YAML folding joins the lines of a `>-` block with spaces, which Chinese
/// text does not use: drop a space that stands between two CJK characters.
fn tidy(lang: &str, text: String) -> String {
    if lang != "zh" {
        return text;
    }
    let cjk = |c: char| matches!(c, '\u{2e80}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == ' ' && i > 0 && i + 1 < chars.len() && cjk(chars[i - 1]) && cjk(chars[i + 1]) {
            continue;
        }
        out.push(*c);
    }
    out
}

/// Requirements (`a|b` alternatives) none of whose kinds was collected.
fn missing_requirements(rule: &Rule, facts: &FactStore) -> Vec<String> {
    rule.spec
        .requires
        .iter()
        .filter(|req| !req.split('|').any(|k| facts.is_collected(k)))
        .flat_map(|req| req.split('|').map(str::to_string))
        .collect()
}

/// Fills `explains`/`explained_by` and orders findings: root causes first
/// (by severity, causes before symptoms), then the findings they explain.
fn link_causes(rules: &RuleSet, findings: &mut Vec<Finding>) {
    let fired: Vec<String> = findings.iter().map(|f| f.id.clone()).collect();
    let explains: HashMap<&str, &Vec<String>> = rules
        .rules
        .iter()
        .map(|r| (r.spec.id.as_str(), &r.spec.explains))
        .collect();
    for f in findings.iter_mut() {
        if let Some(list) = explains.get(f.id.as_str()) {
            f.explains = list
                .iter()
                .filter(|id| fired.contains(id))
                .cloned()
                .collect();
        }
    }
    let pairs: Vec<(String, String)> = findings
        .iter()
        .flat_map(|f| f.explains.iter().map(move |s| (f.id.clone(), s.clone())))
        .collect();
    for (cause, symptom) in pairs {
        if let Some(f) = findings.iter_mut().find(|f| f.id == symptom)
            && !f.explained_by.contains(&cause)
        {
            f.explained_by.push(cause);
        }
    }
    let order: HashMap<&str, usize> = rules
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.spec.id.as_str(), i))
        .collect();
    let base: HashMap<&str, Severity> = rules
        .rules
        .iter()
        .map(|r| (r.spec.id.as_str(), r.spec.severity))
        .collect();
    // At equal severity, a problem that is still happening comes before one whose
    // severity `severity_when` lowered (a recovered crash, startup noise).
    let key = |f: &Finding| {
        (
            !f.explained_by.is_empty(),
            f.symptom,
            std::cmp::Reverse(f.severity),
            base.get(f.id.as_str()).is_some_and(|b| f.severity < *b),
            order.get(f.id.as_str()).copied().unwrap_or(usize::MAX),
        )
    };
    let mut sorted = std::mem::take(findings);
    sorted.sort_by_key(key);
    *findings = sorted;
}

/// Evaluates a condition; `None` when it does not hold.
pub(crate) fn eval(c: &Compiled, ctx: &Ctx<'_>) -> Option<Hit> {
    let mut hit = Hit::default();
    for sub in &c.all {
        hit.merge(eval(sub, ctx)?);
    }
    if !c.any.is_empty() {
        // Holds when one branch holds; every branch that holds contributes evidence
        // (variables come first from the earliest branch).
        let mut any = false;
        for sub in &c.any {
            if let Some(h) = eval(sub, ctx) {
                hit.merge(h);
                any = true;
            }
        }
        if !any {
            return None;
        }
    }
    for sub in &c.not {
        if eval(sub, ctx).is_some() {
            return None;
        }
    }
    if let Some(o) = &c.object {
        hit.merge(eval_object(o, ctx)?);
    }
    if let Some(l) = &c.log {
        hit.merge(eval_log(l, ctx)?);
    }
    if let Some(p) = &c.probe {
        hit.merge(eval_probe(p, ctx)?);
    }
    if let Some(t) = &c.text {
        hit.merge(eval_text(t, ctx)?);
    }
    Some(hit)
}

fn captures_into(re: &regex::Regex, text: &str, vars: &mut Map<String, Json>) -> bool {
    let Some(caps) = re.captures(text) else {
        return false;
    };
    for name in re.capture_names().flatten() {
        if let Some(m) = caps.name(name) {
            vars.entry(name.to_string())
                .or_insert_with(|| json!(m.as_str()));
        }
    }
    true
}

/// [`captures_into`] with a log pattern (a bytes regex) on a line of text.
fn captures_into_bytes(re: &regex::bytes::Regex, text: &str, vars: &mut Map<String, Json>) -> bool {
    let Some(caps) = re.captures(text.as_bytes()) else {
        return false;
    };
    for name in re.capture_names().flatten() {
        if let Some(m) = caps.name(name) {
            vars.entry(name.to_string())
                .or_insert_with(|| json!(String::from_utf8_lossy(m.as_bytes())));
        }
    }
    true
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok()
}

/// Tests one predicate on one object; on success returns the node that passed.
fn test_predicate<'n>(
    p: &super::model::Predicate,
    regex: Option<&regex::Regex>,
    body: &'n Node,
    vars: &mut Map<String, Json>,
) -> Option<Option<&'n Node>> {
    let nodes = body.select(&p.path);
    let non_null: Vec<&Node> = nodes
        .into_iter()
        .filter(|n| !matches!(n.value, crate::facts::tree::Value::Null))
        .collect();
    let passes = |n: &Node, vars: &mut Map<String, Json>| -> bool {
        let text = n.scalar_text();
        if let Some(eq) = &p.equals
            && text.as_deref() != Some(eq.text().as_str())
        {
            return false;
        }
        if let Some(list) = &p.one_of
            && !list
                .iter()
                .any(|v| text.as_deref() == Some(v.text().as_str()))
        {
            return false;
        }
        if let Some(want) = &p.contains {
            let ok = match n.as_seq() {
                Some(items) => items
                    .iter()
                    .any(|i| i.scalar_text().as_deref() == Some(want.as_str())),
                None => text.as_deref().is_some_and(|t| t.contains(want.as_str())),
            };
            if !ok {
                return false;
            }
        }
        let num = text.as_deref().and_then(number);
        for (bound, cmp) in [
            (p.gt, f64::gt as fn(&f64, &f64) -> bool),
            (p.ge, f64::ge),
            (p.lt, f64::lt),
            (p.le, f64::le),
        ] {
            if let Some(b) = bound {
                match num {
                    Some(v) if cmp(&v, &b) => {}
                    _ => return false,
                }
            }
        }
        if let Some(re) = regex {
            let Some(t) = text.as_deref() else {
                return false;
            };
            let mut local = Map::new();
            if !captures_into(re, t, &mut local) {
                return false;
            }
            for (k, v) in local {
                vars.entry(k).or_insert(v);
            }
        }
        true
    };
    let value_tests = p.equals.is_some()
        || p.one_of.is_some()
        || p.contains.is_some()
        || p.regex.is_some()
        || p.gt.is_some()
        || p.ge.is_some()
        || p.lt.is_some()
        || p.le.is_some();
    let mut found: Option<&Node> = None;
    let mut local = Map::new();
    if value_tests {
        for n in &non_null {
            if passes(n, &mut local) {
                found = Some(n);
                break;
            }
        }
    }
    let exists_ok = p.exists.is_none_or(|want| want != non_null.is_empty());
    let value_ok = !value_tests || found.is_some();
    let ok = exists_ok && value_ok;
    if ok != p.negate {
        if ok {
            for (k, v) in local {
                vars.entry(k).or_insert(v);
            }
        }
        let cited = if p.negate || p.exists == Some(false) {
            None
        } else {
            found.or_else(|| non_null.first().copied())
        };
        Some(cited)
    } else {
        None
    }
}

/// Whether every predicate of `o` holds for `obj` (names and namespaces are not checked here).
pub(crate) fn object_matches(o: &CObject, obj: &crate::facts::Object) -> bool {
    predicates_hold(o, obj, &mut Map::new()).is_some()
}

/// Runs the predicates on one object; on success returns the nodes to cite
/// (all passing nodes, and those a regex matched).
fn predicates_hold<'o>(
    o: &CObject,
    obj: &'o crate::facts::Object,
    vars: &mut Map<String, Json>,
) -> Option<(Vec<&'o Node>, Vec<&'o Node>)> {
    let mut cited: Vec<&Node> = Vec::new();
    let mut cited_regex: Vec<&Node> = Vec::new();
    for (p, re) in o.spec.predicates.iter().zip(&o.regexes) {
        let node = test_predicate(
            p,
            re.as_ref().and_then(super::LazyRegex::get),
            &obj.body,
            vars,
        )?;
        // The value a regex matched is the telling evidence; equality checks only qualify it.
        if p.regex.is_some() {
            cited_regex.extend(node);
        }
        cited.extend(node);
    }
    Some((cited, cited_regex))
}

fn eval_object(o: &CObject, ctx: &Ctx<'_>) -> Option<Hit> {
    let mut hit = Hit::default();
    let mut matched = 0u64;
    for obj in ctx.facts.objects_of(&o.spec.kind) {
        if let Some(g) = &o.name
            && !g.is_match(&obj.name)
        {
            continue;
        }
        if let Some(g) = &o.namespace
            && !obj.namespace.as_deref().is_some_and(|ns| g.is_match(ns))
        {
            continue;
        }
        let mut vars = Map::new();
        let Some((cited, cited_regex)) = predicates_hold(o, obj, &mut vars) else {
            continue;
        };
        matched += 1;
        for (var, path) in &o.spec.bind {
            if let Some(n) = obj.body.select(path).first() {
                vars.entry(var.clone()).or_insert_with(|| n.to_json());
            }
        }
        vars.entry("object".to_string()).or_insert_with(|| {
            json!({"kind": obj.kind, "name": obj.name, "namespace": obj.namespace, "source": obj.origin.source, "line": obj.origin.line})
        });
        if hit.evidence.len() < MAX_EVIDENCE {
            let telling = if cited_regex.is_empty() {
                &cited
            } else {
                &cited_regex
            };
            let mut lines: Vec<u32> = telling.iter().map(|n| n.line).collect();
            if lines.is_empty() {
                lines.push(obj.origin.line);
            }
            lines.sort_unstable();
            lines.dedup();
            for line in lines {
                let excerpt = ctx
                    .excerpt(&obj.origin.source, line)
                    .unwrap_or_else(|| format!("{} {}", obj.kind, obj.name));
                hit.evidence.push(Evidence {
                    source: obj.origin.source.clone(),
                    line,
                    excerpt,
                    matched: None,
                });
            }
        }
        for (k, v) in vars {
            hit.vars.entry(k).or_insert(v);
        }
    }
    (matched >= o.spec.min_count.unwrap_or(1).max(1)).then_some(hit)
}

fn eval_log(l: &CLog, ctx: &Ctx<'_>) -> Option<Hit> {
    let mut hit = Hit::default();
    let mut total = 0u64;
    let mut files = 0usize;
    for log in &ctx.facts.logs {
        // A pod name guessed from a loose file's name is a hint, not a filter.
        let guessed =
            ctx.facts.layout == Some(crate::bundle::Layout::Loose) && log.namespace.is_none();
        if let Some(g) = &l.pod
            && !guessed
            && !log.pod.as_deref().is_some_and(|p| g.is_match(p))
        {
            continue;
        }
        if let Some(g) = &l.namespace
            && !guessed
            && !log.namespace.as_deref().is_some_and(|p| g.is_match(p))
        {
            continue;
        }
        if let Some(g) = &l.container
            && !guessed
            && !log.container.as_deref().is_some_and(|p| g.is_match(p))
        {
            continue;
        }
        if let Some(prev) = l.spec.previous
            && log.previous != prev
        {
            continue;
        }
        let Some(pattern) = l.pattern else {
            // Presence only: the log exists and has lines.
            total += u64::from(log.lines);
            files += 1;
            hit.vars.entry("log".to_string()).or_insert_with(|| {
                json!({"pod": log.pod, "namespace": log.namespace, "container": log.container, "previous": log.previous, "source": log.source})
            });
            continue;
        };
        let Some(hits) = log.hits.get(&pattern) else {
            continue;
        };
        total += hits.count;
        files += 1;
        let mut shown: Vec<&crate::facts::LogMatch> = hits.first.iter().take(3).collect();
        if let Some(last) = &hits.last
            && !shown.iter().any(|m| m.line == last.line)
        {
            shown.push(last);
        }
        for m in shown {
            if hit.evidence.len() >= MAX_EVIDENCE {
                break;
            }
            // The scan's own compiled pattern: Unicode-aware over bytes, so on text it
            // matches exactly as a `&str` regex would.
            let regex = ctx.patterns.regex(pattern);
            if let Some(re) = regex {
                captures_into_bytes(re, &m.text, &mut hit.vars);
            }
            hit.evidence.push(Evidence {
                source: log.source.clone(),
                line: m.line,
                excerpt: m.text.clone(),
                matched: regex
                    .and_then(|re| re.find(m.text.as_bytes()))
                    .map(|f| String::from_utf8_lossy(f.as_bytes()).into_owned()),
            });
        }
        hit.vars.entry("log".to_string()).or_insert_with(|| {
            json!({"pod": log.pod, "namespace": log.namespace, "container": log.container, "previous": log.previous, "source": log.source})
        });
    }
    if files == 0 || total < l.spec.min_count.unwrap_or(1).max(1) {
        return None;
    }
    if let Some(Json::Object(log)) = hit.vars.get_mut("log") {
        log.insert("count".into(), json!(total));
    }
    Some(hit)
}

fn eval_probe(p: &CProbe, ctx: &Ctx<'_>) -> Option<Hit> {
    let mut hit = Hit::default();
    let mut matched = false;
    for probe in &ctx.facts.probes {
        let call = &probe.call;
        if let Some(g) = &p.url
            && !call.url.as_deref().is_some_and(|u| g.is_match(u))
        {
            continue;
        }
        if !p.spec.outcome.is_empty() && !p.spec.outcome.contains(&call.outcome) {
            continue;
        }
        if let Some(status) = p.spec.status
            && call.http_status != Some(status)
        {
            continue;
        }
        let mut vars = Map::new();
        if let Some(regex) = &p.regex {
            let re = regex.get()?;
            let text = format!(
                "{}\n{}",
                call.error.as_deref().unwrap_or_default(),
                call.body
            );
            if !captures_into(re, &text, &mut vars) {
                continue;
            }
        }
        matched = true;
        vars.insert(
            "probe".into(),
            json!({"url": call.url, "command": call.command, "status": call.http_status, "error": call.error, "exit_code": call.exit_code, "source": probe.origin.source}),
        );
        for (k, v) in vars {
            hit.vars.entry(k).or_insert(v);
        }
        let mut lines = vec![probe.origin.line];
        lines.extend(call.error_line);
        lines.extend(call.status_line);
        lines.sort_unstable();
        lines.dedup();
        for line in lines {
            if hit.evidence.len() >= MAX_EVIDENCE {
                break;
            }
            let excerpt = ctx
                .excerpt(&probe.origin.source, line)
                .unwrap_or_else(|| call.command.clone().unwrap_or_default());
            hit.evidence.push(Evidence {
                source: probe.origin.source.clone(),
                line,
                excerpt,
                matched: None,
            });
        }
    }
    matched.then_some(hit)
}

fn eval_text(t: &CText, ctx: &Ctx<'_>) -> Option<Hit> {
    let mut hit = Hit::default();
    let mut count = 0u64;
    let regex = t.regex.get()?;
    for file in &ctx.facts.texts {
        if let Some(g) = &t.file
            && !g.is_match(&file.source)
        {
            continue;
        }
        if !regex.is_match(&file.text) {
            continue;
        }
        for (i, line) in file.text.lines().enumerate() {
            if !regex.is_match(line) {
                continue;
            }
            count += 1;
            captures_into(regex, line, &mut hit.vars);
            if hit.evidence.len() < MAX_EVIDENCE {
                hit.evidence.push(Evidence {
                    source: file.source.clone(),
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    excerpt: line.chars().take(2000).collect(),
                    matched: regex.find(line).map(|f| f.as_str().to_string()),
                });
            }
        }
    }
    (count >= t.spec.min_count.unwrap_or(1).max(1)).then_some(hit)
}
