//! The rule file format. These types are the documentation of the format:
//! every field's doc comment lands in the generated JSON Schema
//! (`rules/rule.schema.json`), which editors use to complete and check rule files.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One rule: a known failure signature, how to recognise it in a bundle, and what to do about it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Stable identifier, kebab-case, naming the problem (`kubelet-x509-no-ip-sans`); the file is `<id>.yaml`.
    pub id: String,
    /// How bad it is when the rule fires.
    pub severity: Severity,
    /// Short title, in English and Chinese.
    pub title: Text,
    /// Fact kinds the rule needs to be conclusive (`apiservices`, `pods`, `logs`, ...; `a|b` means either).
    /// When one is missing and the rule did not fire, the report lists it as "not evaluated" with what to collect.
    #[serde(default)]
    pub requires: Vec<String>,
    /// When the rule fires: a condition over the bundle's facts.
    #[serde(rename = "match")]
    pub matcher: Condition,
    /// Severity overrides, first match wins: e.g. a crash that is still happening is critical, a past one a warning.
    #[serde(default)]
    pub severity_when: Vec<SeverityWhen>,
    /// Conditions looked at only when the rule fired; each that holds adds its variables and
    /// evidence (to tailor the texts, e.g. which node lacks kube-proxy) without deciding whether the rule fires.
    #[serde(default)]
    pub context: Vec<Condition>,
    /// Ids of symptom rules this root cause accounts for; when both fire, the symptom is nested under this rule.
    #[serde(default)]
    pub explains: Vec<String>,
    /// True for a symptom that many causes produce: it is reported after the causes, and never alone as a cause.
    #[serde(default)]
    pub symptom: bool,
    /// What was found, as a minijinja template over the captured variables.
    pub summary: Text,
    /// What to do next, as a minijinja template over the captured variables (commands with the bundle's own values).
    pub remediation: Text,
    /// Links to upstream issues, docs and the catalogue's sources.
    #[serde(default)]
    pub references: Vec<String>,
}

/// How bad a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no action needed now.
    Info,
    /// Degraded, or a past failure that will recur.
    Warning,
    /// Broken now: `kubectl top`, HPA or the aggregated API fail.
    Critical,
}

impl Severity {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A text in each supported language.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// English.
    pub en: String,
    /// Chinese (simplified).
    pub zh: String,
}

impl Text {
    /// The text in `lang` (`en` or `zh`), English otherwise.
    pub fn get(&self, lang: &str) -> &str {
        if lang == "zh" { &self.zh } else { &self.en }
    }
}

/// A severity override.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityWhen {
    /// The severity to use.
    pub severity: Severity,
    /// When it applies (evaluated only when the rule fired).
    #[serde(rename = "match")]
    pub matcher: Condition,
}

/// A condition: every key present must hold (`all`, `any`, `not` and the selectors combine with AND).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Every condition in the list holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all: Vec<Condition>,
    /// At least one condition in the list holds (each that does adds evidence; the first provides variables first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<Condition>,
    /// None of the conditions in the list holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not: Vec<Condition>,
    /// Some Kubernetes object satisfies every predicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectSelector>,
    /// Some container log has enough lines matching a regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogSelector>,
    /// Some `curl` transcript has the given target and outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeSelector>,
    /// Some non-log text file has a line matching a regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextSelector>,
}

/// Selects Kubernetes objects, whatever file or format they came from.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectSelector {
    /// Object kind, e.g. `APIService`, `Pod`, `Event`, `HorizontalPodAutoscaler`.
    pub kind: String,
    /// Glob on `metadata.name`, e.g. `metrics-server-*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Glob on `metadata.namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Field predicates, all of which must hold for the same object.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub predicates: Vec<Predicate>,
    /// Variables to bind from the matched object: name → field path (first value reached).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bind: BTreeMap<String, String>,
    /// At least this many objects must match (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u64>,
}

/// A test on the values a field path reaches. Paths are dotted with selectors:
/// `status.conditions[type=Available].message`, `spec.containers[*].args`, `items[0]`,
/// `metadata.annotations["example.com/key"]`. The predicate holds when any reached value passes.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// The field path.
    pub path: String,
    /// The value, as text, equals this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Scalar>,
    /// The value is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Scalar>>,
    /// The value matches this regex; named groups `(?P<name>...)` become template variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// The path reaches (true) or does not reach (false) a non-null value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// A list value holds this item, or a string value contains this substring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// Numeric value greater than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    /// Numeric value greater than or equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ge: Option<f64>,
    /// Numeric value less than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    /// Numeric value less than or equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub le: Option<f64>,
    /// Inverts the predicate (e.g. `equals: "True"` with `negate: true` is "not True").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negate: bool,
}

/// A YAML scalar compared as text (`443`, `true` and `"443"` are all fine).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    /// A string.
    Text(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl Scalar {
    /// The scalar as text, as it would print in YAML.
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// Selects container logs, scanned once for all rules' patterns together.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogSelector {
    /// Glob on the pod name (`metrics-server-*`); loose log files whose pod is unknown are not filtered out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Glob on the namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Glob on the container name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The line regex; named groups become template variables. Anchor it on the stable part of the message.
    /// Without it, the selector asks whether such a log exists at all (no line is scanned for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// At least this many matching lines across the selected logs (default 1; without `regex`, lines in the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u64>,
    /// Only previous-container logs (true) or only current ones (false); both when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<bool>,
}

/// Selects `curl` calls from transcripts in the bundle.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeSelector {
    /// Glob on the URL, e.g. `https://*/apis/metrics.k8s.io/*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The call ended with one of these outcomes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcome: Vec<crate::facts::curl::Outcome>,
    /// The HTTP status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A regex over the curl error and the response body; named groups become variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// Selects lines of non-log text files (tables, `kubectl` output, discovery errors...).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextSelector {
    /// Glob on the path inside the bundle; all text files when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line regex; named groups become template variables.
    pub regex: String,
    /// At least this many matching lines (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u64>,
}
