//! `rules explain`: why a rule fired or did not on a bundle, selector by
//! selector — which facts each selector saw, which predicate failed and with
//! what value, which requirement was missing. The trace re-runs the same
//! evaluation as [`super::eval`], so what it says is what the engine did.

use std::fmt::Write;

use super::eval::{Ctx, eval};
use super::{CLog, CObject, CProbe, CText, Compiled, Rule};
use crate::facts::FactStore;

/// Most candidates described per selector.
const MAX_SHOWN: usize = 8;

/// A human-readable trace of `rule` on `facts` (`patterns`: the rule set's log patterns).
pub fn explain(rule: &Rule, facts: &FactStore, patterns: &crate::facts::LogPatterns) -> String {
    let ctx = Ctx::new(facts, patterns);
    let mut out = String::new();
    let fired = eval(&rule.matcher, &ctx).is_some();
    let _ = writeln!(
        out,
        "rule {} ({}): {}",
        rule.spec.id,
        rule.file,
        if fired { "FIRES" } else { "does not fire" }
    );
    let _ = writeln!(
        out,
        "bundle layout: {}",
        facts.layout.map_or("unknown", |l| l.as_str())
    );
    for req in &rule.spec.requires {
        let ok = req.split('|').any(|k| facts.is_collected(k));
        let _ = writeln!(
            out,
            "requires {req}: {}",
            if ok {
                "collected"
            } else {
                "NOT collected (the rule is reported as not evaluated when it does not fire)"
            }
        );
    }
    let _ = writeln!(out, "match:");
    trace(&rule.matcher, &ctx, 1, &mut out);
    for (i, (severity, cond)) in rule.severity_when.iter().enumerate() {
        let holds = eval(cond, &ctx).is_some();
        let _ = writeln!(
            out,
            "severity_when[{i}] -> {}: {}",
            severity.as_str(),
            if holds { "applies" } else { "does not apply" }
        );
        trace(cond, &ctx, 1, &mut out);
    }
    out
}

fn pad(depth: usize) -> String {
    "  ".repeat(depth)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "holds" } else { "FAILS" }
}

fn trace(c: &Compiled, ctx: &Ctx<'_>, depth: usize, out: &mut String) {
    let p = pad(depth);
    if !c.all.is_empty() {
        let ok = c.all.iter().all(|s| eval(s, ctx).is_some());
        let _ = writeln!(out, "{p}all ({}):", verdict(ok));
        for s in &c.all {
            trace(s, ctx, depth + 1, out);
        }
    }
    if !c.any.is_empty() {
        let ok = c.any.iter().any(|s| eval(s, ctx).is_some());
        let _ = writeln!(out, "{p}any ({}):", verdict(ok));
        for s in &c.any {
            trace(s, ctx, depth + 1, out);
        }
    }
    if !c.not.is_empty() {
        let ok = !c.not.iter().any(|s| eval(s, ctx).is_some());
        let _ = writeln!(out, "{p}not ({}; none of these may hold):", verdict(ok));
        for s in &c.not {
            trace(s, ctx, depth + 1, out);
        }
    }
    if let Some(o) = &c.object {
        trace_object(o, ctx, depth, out);
    }
    if let Some(l) = &c.log {
        trace_log(l, ctx, depth, out);
    }
    if let Some(pr) = &c.probe {
        trace_probe(pr, ctx, depth, out);
    }
    if let Some(t) = &c.text {
        trace_text(t, ctx, depth, out);
    }
}

fn trace_object(o: &CObject, ctx: &Ctx<'_>, depth: usize, out: &mut String) {
    let p = pad(depth);
    let ok = eval(
        &Compiled {
            object: Some(o.clone()),
            ..Compiled::default()
        },
        ctx,
    )
    .is_some();
    let all: Vec<_> = ctx.facts.objects_of(&o.spec.kind).collect();
    let _ = writeln!(
        out,
        "{p}object kind={}{}{} ({}): {} {} object(s) in the bundle",
        o.spec.kind,
        o.spec
            .name
            .as_ref()
            .map(|n| format!(" name={n}"))
            .unwrap_or_default(),
        o.spec
            .namespace
            .as_ref()
            .map(|n| format!(" namespace={n}"))
            .unwrap_or_default(),
        verdict(ok),
        all.len(),
        o.spec.kind
    );
    for (shown, obj) in all.into_iter().enumerate() {
        if shown >= MAX_SHOWN {
            let _ = writeln!(out, "{p}  ...");
            break;
        }
        let name_ok = o.name.as_ref().is_none_or(|g| g.is_match(&obj.name));
        let ns_ok = o
            .namespace
            .as_ref()
            .is_none_or(|g| obj.namespace.as_deref().is_some_and(|ns| g.is_match(ns)));
        let _ = writeln!(
            out,
            "{p}  {}/{} at {}:{}{}",
            obj.namespace.as_deref().unwrap_or("-"),
            obj.name,
            obj.origin.source,
            obj.origin.line,
            if !name_ok {
                " — name does not match"
            } else if !ns_ok {
                " — namespace does not match"
            } else {
                ""
            }
        );
        if !(name_ok && ns_ok) {
            continue;
        }
        for pred in &o.spec.predicates {
            let values: Vec<String> = obj
                .body
                .select(&pred.path)
                .iter()
                .map(|n| {
                    let text = n
                        .scalar_text()
                        .map(|t| t.into_owned())
                        .unwrap_or_else(|| n.to_json().to_string());
                    let short: String = text.chars().take(400).collect();
                    format!("{short:?} (line {})", n.line)
                })
                .collect();
            let single_pred = CObject {
                spec: crate::rules::model::ObjectSelector {
                    predicates: vec![pred.clone()],
                    bind: Default::default(),
                    min_count: None,
                    name: None,
                    namespace: None,
                    kind: o.spec.kind.clone(),
                },
                name: None,
                namespace: None,
                regexes: vec![pred.regex.as_deref().map(super::LazyRegex::compiled)],
            };
            let holds = super::eval::object_matches(&single_pred, obj);
            let test = describe_predicate(pred);
            let _ = writeln!(
                out,
                "{p}    {} {}: {} — found {}",
                pred.path,
                test,
                verdict(holds),
                if values.is_empty() {
                    "nothing at that path".to_string()
                } else {
                    values.join(", ")
                }
            );
        }
    }
}

fn describe_predicate(p: &crate::rules::model::Predicate) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &p.equals {
        parts.push(format!("equals {:?}", v.text()));
    }
    if let Some(v) = &p.one_of {
        parts.push(format!(
            "one_of {:?}",
            v.iter().map(super::model::Scalar::text).collect::<Vec<_>>()
        ));
    }
    if let Some(v) = &p.regex {
        parts.push(format!("regex {v:?}"));
    }
    if let Some(v) = p.exists {
        parts.push(format!("exists {v}"));
    }
    if let Some(v) = &p.contains {
        parts.push(format!("contains {v:?}"));
    }
    for (name, v) in [("gt", p.gt), ("ge", p.ge), ("lt", p.lt), ("le", p.le)] {
        if let Some(v) = v {
            parts.push(format!("{name} {v}"));
        }
    }
    if p.negate {
        parts.push("(negated)".into());
    }
    parts.join(", ")
}

fn trace_log(l: &CLog, ctx: &Ctx<'_>, depth: usize, out: &mut String) {
    let p = pad(depth);
    let ok = eval(
        &Compiled {
            log: Some(l.clone()),
            ..Compiled::default()
        },
        ctx,
    )
    .is_some();
    let _ = writeln!(
        out,
        "{p}log regex {:?}{}{} ({}): {} log file(s) in the bundle",
        l.spec.regex.as_deref().unwrap_or("(any line)"),
        l.spec
            .pod
            .as_ref()
            .map(|g| format!(" pod={g}"))
            .unwrap_or_default(),
        l.spec
            .previous
            .map(|v| format!(" previous={v}"))
            .unwrap_or_default(),
        verdict(ok),
        ctx.facts.logs.len()
    );
    for (shown, log) in ctx.facts.logs.iter().enumerate() {
        if shown >= MAX_SHOWN {
            let _ = writeln!(out, "{p}  ...");
            break;
        }
        let hits = match l.pattern {
            Some(p) => log.hits.get(&p).map_or(0, |h| h.count),
            None => u64::from(log.lines),
        };
        let pod_ok = l
            .pod
            .as_ref()
            .is_none_or(|g| log.pod.as_deref().is_some_and(|x| g.is_match(x)));
        let _ = writeln!(
            out,
            "{p}  {} (pod {}, container {}{}): {} matching line(s){}",
            log.source,
            log.pod.as_deref().unwrap_or("?"),
            log.container.as_deref().unwrap_or("?"),
            if log.previous { ", previous" } else { "" },
            hits,
            if pod_ok {
                ""
            } else {
                " — pod name does not match the glob (ignored for loose files)"
            }
        );
    }
}

fn trace_probe(pr: &CProbe, ctx: &Ctx<'_>, depth: usize, out: &mut String) {
    let p = pad(depth);
    let ok = eval(
        &Compiled {
            probe: Some(pr.clone()),
            ..Compiled::default()
        },
        ctx,
    )
    .is_some();
    let _ = writeln!(
        out,
        "{p}probe{}{} ({}): {} curl call(s) in the bundle",
        pr.spec
            .url
            .as_ref()
            .map(|u| format!(" url={u}"))
            .unwrap_or_default(),
        if pr.spec.outcome.is_empty() {
            String::new()
        } else {
            format!(" outcome={:?}", pr.spec.outcome)
        },
        verdict(ok),
        ctx.facts.probes.len()
    );
    for probe in ctx.facts.probes.iter().take(MAX_SHOWN) {
        let _ = writeln!(
            out,
            "{p}  {}:{} url={} outcome={:?} status={:?} error={:?}",
            probe.origin.source,
            probe.origin.line,
            probe.call.url.as_deref().unwrap_or("?"),
            probe.call.outcome,
            probe.call.http_status,
            probe.call.error
        );
    }
}

fn trace_text(t: &CText, ctx: &Ctx<'_>, depth: usize, out: &mut String) {
    let p = pad(depth);
    let files: Vec<_> = ctx
        .facts
        .texts
        .iter()
        .filter(|f| t.file.as_ref().is_none_or(|g| g.is_match(&f.source)))
        .collect();
    let matching: Vec<(&str, usize)> = files
        .iter()
        .map(|f| {
            (
                f.source.as_str(),
                f.text
                    .lines()
                    .filter(|l| t.regex.get().is_some_and(|r| r.is_match(l)))
                    .count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let total: usize = matching.iter().map(|(_, n)| n).sum();
    let _ = writeln!(
        out,
        "{p}text regex {:?}{} ({}): {} file(s) searched, {total} matching line(s)",
        t.spec.regex,
        t.spec
            .file
            .as_ref()
            .map(|g| format!(" file={g}"))
            .unwrap_or_default(),
        verdict(total as u64 >= t.spec.min_count.unwrap_or(1).max(1)),
        files.len()
    );
    for (source, n) in matching.iter().take(MAX_SHOWN) {
        let _ = writeln!(out, "{p}  {source}: {n}");
    }
}
