//! The plain-text report, colored when written to a terminal (ANSI escapes;
//! off with `NO_COLOR` or when not a TTY). Bundle text is stripped of control
//! characters so a hostile file name or log line cannot drive the terminal.

use std::fmt::Write;

use super::{Report, strings};
use crate::rules::Severity;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    /// `label` (the severity's name in the report language) in the severity's color.
    fn severity(&self, s: Severity, label: &str) -> String {
        match s {
            Severity::Critical => self.wrap("1;31", label),
            Severity::Warning => self.wrap("1;33", label),
            Severity::Info => self.wrap("1;36", label),
        }
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// The name of a severity in the report language (`CRITICAL`, `严重`...).
pub fn severity_label(
    s: Severity,
    t: &std::collections::BTreeMap<&'static str, &'static str>,
) -> String {
    let key = match s {
        Severity::Critical => "sev_critical",
        Severity::Warning => "sev_warning",
        Severity::Info => "sev_info",
    };
    t.get(key)
        .map_or_else(|| s.as_str().to_ascii_uppercase(), |l| (*l).to_string())
}

/// Terminal columns of `text`: two for CJK and fullwidth characters, one for the rest.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = matches!(u32::from(c),
                0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// Removes control characters (ANSI escapes included) from bundle text; keeps newlines and tabs.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders the whole report as text.
pub fn render(r: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let t = strings(&r.lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} — {} ({}, {} {}, {} {})",
        p.bold("bundle-doctor"),
        r.tool.version,
        sanitize(&r.bundle.path),
        r.bundle.layout,
        r.bundle.files,
        t["files"].to_lowercase(),
        r.bundle.bytes,
        t["bytes"].to_lowercase(),
    );
    let _ = writeln!(out, "{}: {}\n", p.bold(t["verdict"]), sanitize(&r.verdict));
    if r.findings.is_empty() {
        let _ = writeln!(out, "{}\n", t["no_findings"]);
    }
    for f in &r.findings {
        let nested = !f.explained_by.is_empty();
        let pad = if nested { "    " } else { "" };
        let _ = writeln!(
            out,
            "{pad}{} {}  {}{}",
            p.severity(f.severity, &severity_label(f.severity, &t)),
            p.bold(&f.id),
            sanitize(&f.title),
            if f.symptom {
                format!(" ({})", t["symptom"])
            } else {
                String::new()
            }
        );
        if nested {
            let _ = writeln!(
                out,
                "{pad}  {}: {}",
                t["explained_by"],
                f.explained_by.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "{}",
            indent(&sanitize(&f.summary), &format!("{pad}  "))
        );
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "{pad}  {}:", p.bold(t["evidence"]));
            for e in &f.evidence {
                let _ = writeln!(
                    out,
                    "{pad}    {}",
                    p.dim(&format!("{}:{}", sanitize(&e.source), e.line))
                );
                let _ = writeln!(
                    out,
                    "{}",
                    indent(&sanitize(&e.excerpt), &format!("{pad}      "))
                );
            }
        }
        if !f.explains.is_empty() {
            let _ = writeln!(out, "{pad}  {}: {}", t["explains"], f.explains.join(", "));
        }
        if !nested {
            let _ = writeln!(out, "{pad}  {}:", p.bold(t["remediation"]));
            let _ = writeln!(
                out,
                "{}",
                indent(&sanitize(&f.remediation), &format!("{pad}    "))
            );
        }
        if !f.references.is_empty() {
            let _ = writeln!(
                out,
                "{pad}  {}: {}",
                t["references"],
                f.references.join(" ")
            );
        }
        out.push('\n');
    }
    if !r.not_evaluated.is_empty() {
        let _ = writeln!(
            out,
            "{} ({}):",
            p.bold(t["not_evaluated"]),
            r.not_evaluated.len()
        );
        for n in &r.not_evaluated {
            let _ = writeln!(
                out,
                "  {}  {}: {}",
                n.id,
                t["missing"],
                n.missing.join(", ")
            );
        }
        out.push('\n');
    }
    if !r.parse_errors.is_empty() {
        let _ = writeln!(
            out,
            "{} ({}):",
            p.bold(t["parse_errors"]),
            r.parse_errors.len()
        );
        for e in &r.parse_errors {
            let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}{line}: {}",
                sanitize(&e.source),
                sanitize(&e.error)
            );
        }
        out.push('\n');
    }
    if !r.notices.is_empty() {
        let _ = writeln!(out, "{} ({}):", p.bold(t["notices"]), r.notices.len());
        for n in &r.notices {
            let _ = writeln!(out, "  {}: {}", sanitize(&n.source), sanitize(&n.message));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{}: {} {}, {} {}, {} {}",
        p.dim(t["run"]),
        r.findings.len(),
        t["findings"].to_lowercase(),
        r.passed.len(),
        t["passed"].to_lowercase(),
        r.not_evaluated.len(),
        t["not_evaluated"].to_lowercase(),
    );
    out
}

/// The short terminal summary printed when the full report goes to files:
/// the verdict, one line per finding (severity, id, title, where the evidence is).
pub fn render_summary(r: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let t = strings(&r.lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} — {} ({})",
        p.bold("bundle-doctor"),
        r.tool.version,
        sanitize(&r.bundle.path),
        r.bundle.layout
    );
    let _ = writeln!(out, "{}: {}", p.bold(t["verdict"]), sanitize(&r.verdict));
    for f in &r.findings {
        let pad = if f.explained_by.is_empty() {
            ""
        } else {
            "  ↳ "
        };
        let places: Vec<String> = f
            .evidence
            .iter()
            .take(3)
            .map(|e| format!("{}:{}", sanitize(&e.source), e.line))
            .collect();
        let _ = writeln!(
            out,
            "{pad}{} {}  {}  {}",
            p.severity(f.severity, &{
                let label = severity_label(f.severity, &t);
                format!(
                    "{}{label}",
                    " ".repeat(8usize.saturating_sub(display_width(&label)))
                )
            }),
            p.bold(&f.id),
            sanitize(&f.title),
            p.dim(&places.join(", "))
        );
    }
    if !r.not_evaluated.is_empty() || !r.parse_errors.is_empty() {
        let _ = writeln!(
            out,
            "{}: {}, {}: {}",
            t["not_evaluated"],
            r.not_evaluated.len(),
            t["parse_errors"],
            r.parse_errors.len()
        );
    }
    out
}
