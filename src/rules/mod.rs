//! Stage 3 of the pipeline: **rules** (rule files + facts → findings).
//!
//! Receives rule files (embedded in the binary, or a directory given with
//! `--rules`) and, per bundle, the [`FactStore`](crate::facts::FactStore) from
//! the `facts` stage; hands the `report` stage an [`Evaluation`]: findings with
//! evidence and rendered texts, rules not evaluated for lack of data, and rules
//! that passed.
//!
//! Every rule file is validated when loaded, and all problems of all files are
//! reported together, each as `file:line:column: message` (a broken rule is an
//! error, never a silent skip). The log regexes of all rules are gathered into
//! one [`LogPatterns`] set so the `facts` stage can scan each log once.

pub mod eval;
pub mod explain;
pub mod model;
pub mod shape;
pub mod testing;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use regex::Regex;

use crate::assets;
use crate::facts::{self, LogPatterns, tree};
pub use eval::{Evaluation, Evidence, Finding, NotEvaluated, evaluate};
pub use model::{Condition, RuleFile, Severity};

/// A problem in a rule file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleError {
    /// The rule file (path on disk, or `rules/<file>` for embedded rules).
    pub file: String,
    /// 1-based line (0 when the whole file is meant).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Where rules come from.
#[derive(Debug, Clone)]
pub enum RuleSource {
    /// The rules embedded in the binary.
    Embedded,
    /// A directory of `*.yaml` rule files (overrides the embedded rules).
    Dir(PathBuf),
}

/// A rule, validated and compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleFile,
    /// The file it came from.
    pub file: String,
    /// Compiled `match`.
    pub(crate) matcher: Compiled,
    /// Compiled `severity_when`.
    pub(crate) severity_when: Vec<(Severity, Compiled)>,
    /// Compiled `context`.
    pub(crate) context: Vec<Compiled>,
}

impl Rule {
    /// The regexes of the rule's `log` selectors, in file order.
    pub fn log_regexes(&self) -> Vec<&str> {
        fn walk<'c>(c: &'c Compiled, out: &mut Vec<&'c str>) {
            if let Some(l) = &c.log
                && let Some(r) = &l.spec.regex
            {
                out.push(r);
            }
            for child in c.all.iter().chain(&c.any).chain(&c.not) {
                walk(child, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.matcher, &mut out);
        for (_, c) in &self.severity_when {
            walk(c, &mut out);
        }
        for c in &self.context {
            walk(c, &mut out);
        }
        out.dedup();
        out
    }
}

/// All loaded rules plus the combined log patterns.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Rules in file-name order.
    pub rules: Vec<Rule>,
    /// Every `log` selector's regex, compiled into one set.
    pub patterns: LogPatterns,
    /// SHA-256 over the rule files, identifying the rule set in reports.
    pub digest: String,
}

impl RuleSet {
    /// What a report says about the rule set.
    pub fn info(&self) -> crate::report::RulesInfo {
        crate::report::RulesInfo {
            count: self.rules.len(),
            digest: self.digest.clone(),
        }
    }
}

/// A compiled condition.
#[derive(Debug, Clone, Default)]
pub(crate) struct Compiled {
    pub all: Vec<Compiled>,
    pub any: Vec<Compiled>,
    pub not: Vec<Compiled>,
    pub object: Option<CObject>,
    pub log: Option<CLog>,
    pub probe: Option<CProbe>,
    pub text: Option<CText>,
}

#[derive(Debug, Clone)]
pub(crate) struct CObject {
    pub spec: model::ObjectSelector,
    pub name: Option<GlobMatcher>,
    pub namespace: Option<GlobMatcher>,
    pub regexes: Vec<Option<LazyRegex>>,
}

#[derive(Debug, Clone)]
pub(crate) struct CLog {
    pub spec: model::LogSelector,
    pub pod: Option<GlobMatcher>,
    pub namespace: Option<GlobMatcher>,
    pub container: Option<GlobMatcher>,
    /// Index into the combined log patterns; `None` when the selector only asks for the log's presence.
    pub pattern: Option<usize>,
}

/// A rule's regex: its syntax is checked when the rules load, and it is
/// compiled on first use (most rules never get that far on a given bundle).
/// `rules lint` compiles every one at load, to report size-limit errors too.
#[derive(Debug, Clone)]
pub(crate) struct LazyRegex {
    source: String,
    multi_line: bool,
    compiled: std::sync::OnceLock<Option<Regex>>,
}

impl LazyRegex {
    fn new(source: &str, multi_line: bool) -> Self {
        Self {
            source: source.to_string(),
            multi_line,
            compiled: std::sync::OnceLock::new(),
        }
    }

    fn build(&self) -> Result<Regex, regex::Error> {
        regex::RegexBuilder::new(&self.source)
            .multi_line(self.multi_line)
            .size_limit(8 << 20)
            .build()
    }

    /// The compiled regex; `None` only if it exceeds the size limit (`rules lint` reports that).
    pub(crate) fn get(&self) -> Option<&Regex> {
        self.compiled.get_or_init(|| self.build().ok()).as_ref()
    }

    /// A regex compiled at once, for callers outside rule loading.
    pub(crate) fn compiled(source: &str) -> Self {
        let lazy = Self::new(source, false);
        let _ = lazy.get();
        lazy
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CProbe {
    pub spec: model::ProbeSelector,
    pub url: Option<GlobMatcher>,
    pub regex: Option<LazyRegex>,
}

#[derive(Debug, Clone)]
pub(crate) struct CText {
    pub spec: model::TextSelector,
    pub file: Option<GlobMatcher>,
    /// Built in multi-line mode: it tests whole files (to skip them) and single lines alike.
    pub regex: LazyRegex,
}

/// Reads the rule files of `source` (file name, content), sorted by name.
pub fn read_sources(source: &RuleSource) -> Result<Vec<(String, String)>, Vec<RuleError>> {
    match source {
        RuleSource::Embedded => Ok(assets::rule_files()),
        RuleSource::Dir(dir) => {
            let entries = std::fs::read_dir(dir).map_err(|e| {
                vec![RuleError {
                    file: dir.display().to_string(),
                    line: 0,
                    column: 0,
                    message: format!("cannot read the rules directory: {e}"),
                    hint: None,
                }]
            })?;
            let mut files = Vec::new();
            let mut errors = Vec::new();
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
                    continue;
                }
                match read_bounded(&path) {
                    Ok(text) => files.push((path.display().to_string(), text)),
                    Err(message) => errors.push(RuleError {
                        file: path.display().to_string(),
                        line: 0,
                        column: 0,
                        message,
                        hint: None,
                    }),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            files.sort();
            Ok(files)
        }
    }
}

fn read_bounded(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > 1 << 20 {
        return Err("rule file larger than 1 MiB".into());
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

/// Loads and validates every rule of `source`; regexes are compiled on first
/// use. All errors of all files come back together.
pub fn load(source: &RuleSource) -> Result<RuleSet, Vec<RuleError>> {
    let files = read_sources(source)?;
    load_files(&files)
}

/// Like [`load`], but every regex is compiled now, so that one too large to
/// compile is reported with its file and line (`rules lint`).
pub fn load_checked(source: &RuleSource) -> Result<RuleSet, Vec<RuleError>> {
    let files = read_sources(source)?;
    load_files_with(&files, true)
}

/// Loads rules from (file name, content) pairs.
pub fn load_files(files: &[(String, String)]) -> Result<RuleSet, Vec<RuleError>> {
    load_files_with(files, false)
}

fn load_files_with(files: &[(String, String)], eager: bool) -> Result<RuleSet, Vec<RuleError>> {
    let mut errors = Vec::new();
    let mut specs: Vec<(String, String, RuleFile)> = Vec::new();
    for (file, text) in files {
        match serde_yaml::from_str::<RuleFile>(text) {
            Ok(spec) => specs.push((file.clone(), text.clone(), spec)),
            Err(e) => {
                // The schema walk reports every shape problem of the file at once; serde only the first.
                let shape = tree::parse_yaml(text, &tree::Limits::default())
                    .ok()
                    .and_then(|d| d.into_iter().next())
                    .map(|doc| shape::shape_errors(file, &doc))
                    .unwrap_or_default();
                if !shape.is_empty() {
                    errors.extend(shape);
                    continue;
                }
                let (line, column) = e
                    .location()
                    .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
                let message = e.to_string();
                // serde_yaml appends " at line L column C"; the location is already in front.
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                let hint = unknown_field_hint(&message);
                errors.push(RuleError {
                    file: file.clone(),
                    line,
                    column,
                    message,
                    hint,
                });
            }
        }
    }
    let ids: HashSet<&str> = specs.iter().map(|(_, _, s)| s.id.as_str()).collect();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut patterns: Vec<String> = Vec::new();
    let mut rules = Vec::new();
    let env = crate::report::template_env();
    for (file, text, spec) in &specs {
        let mut v = Validator {
            file,
            text,
            doc: None,
            errors: &mut errors,
            patterns: &mut patterns,
            captured: ["object", "log", "probe", "severity"]
                .into_iter()
                .map(str::to_string)
                .collect(),
            env: &env,
            eager,
        };
        if let Some(first) = seen.insert(spec.id.as_str(), file.as_str()) {
            v.error(
                "id",
                format!("duplicate rule id `{}` (also in {first})", spec.id),
                None,
            );
        }
        let matcher = v.compile(&spec.matcher, "match");
        let severity_when = spec
            .severity_when
            .iter()
            .enumerate()
            .map(|(i, sw)| {
                (
                    sw.severity,
                    v.compile(&sw.matcher, &format!("severity_when[{i}].match")),
                )
            })
            .collect();
        let context = spec
            .context
            .iter()
            .enumerate()
            .map(|(i, c)| v.compile(c, &format!("context[{i}]")))
            .collect();
        // After compiling, so the variables the selectors capture are known.
        v.check_meta(spec, &ids);
        rules.push(Rule {
            spec: spec.clone(),
            file: file.clone(),
            matcher,
            severity_when,
            context,
        });
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        return Err(errors);
    }
    let patterns = LogPatterns::new(&patterns).map_err(|e| {
        vec![RuleError {
            file: "rules".into(),
            line: 0,
            column: 0,
            message: format!("the combined log patterns do not compile: {e}"),
            hint: Some("one log regex is too large; simplify it".into()),
        }]
    })?;
    let digest = {
        use sha2::Digest;
        let mut h = sha2::Sha256::default();
        for (file, text) in files {
            h.update(file.rsplit('/').next().unwrap_or(file).as_bytes());
            h.update([0]);
            h.update(text.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    };
    Ok(RuleSet {
        rules,
        patterns,
        digest,
    })
}

fn unknown_field_hint(message: &str) -> Option<String> {
    // "unknown field `tittle`, expected one of `id`, `severity`, ..."
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let best = expected
        .iter()
        .map(|c| (strsim(field, c), *c))
        .min_by_key(|(d, _)| *d)?;
    (best.0 <= 3).then(|| format!("did you mean `{}`?", best.1))
}

/// Levenshtein distance, for "did you mean" hints.
pub fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

struct Validator<'a> {
    file: &'a str,
    text: &'a str,
    /// The file as a positioned tree, parsed only when an error needs a line.
    doc: Option<Option<tree::Node>>,
    errors: &'a mut Vec<RuleError>,
    patterns: &'a mut Vec<String>,
    /// Variables the rule's selectors provide (named groups, `bind` keys), gathered while compiling.
    captured: HashSet<String>,
    /// The environment rule texts render in, to check them.
    env: &'a minijinja::Environment<'static>,
    /// Compile every regex now (for `rules lint`), not on first use.
    eager: bool,
}

impl Validator<'_> {
    /// Records an error at the line of `path` in the rule file (the file's first line if not found).
    fn error(&mut self, path: &str, message: String, hint: Option<String>) {
        let text = self.text;
        let doc = self.doc.get_or_insert_with(|| {
            tree::parse_yaml(text, &tree::Limits::default())
                .ok()
                .and_then(|d| d.into_iter().next())
        });
        let line = doc
            .as_ref()
            .and_then(|d| d.select(path).first().map(|n| n.line))
            .unwrap_or(1);
        let column = 1;
        self.errors.push(RuleError {
            file: self.file.to_string(),
            line,
            column,
            message,
            hint,
        });
    }

    fn check_meta(&mut self, spec: &RuleFile, ids: &HashSet<&str>) {
        let well_formed = !spec.id.is_empty()
            && spec
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !spec.id.starts_with('-')
            && !spec.id.ends_with('-');
        if !well_formed {
            self.error(
                "id",
                format!("rule id `{}` is not kebab-case", spec.id),
                Some("use lower-case words joined by `-`, naming the problem".into()),
            );
        }
        let stem = Path::new(self.file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if stem != spec.id {
            self.error(
                "id",
                format!(
                    "rule id `{}` does not match the file name `{stem}.yaml`",
                    spec.id
                ),
                Some(format!("rename the file to `{}.yaml`", spec.id)),
            );
        }
        for (i, req) in spec.requires.iter().enumerate() {
            for alt in req.split('|') {
                if !facts::is_fact_kind(alt) {
                    let known: Vec<&str> = facts::FACT_KINDS.iter().map(|(k, _)| *k).collect();
                    self.error(
                        &format!("requires[{i}]"),
                        format!("unknown fact kind `{alt}` in `requires`"),
                        closest(alt, &known).map(|c| format!("did you mean `{c}`?")),
                    );
                }
            }
        }
        for (i, id) in spec.explains.iter().enumerate() {
            if !ids.contains(id.as_str()) {
                let known: Vec<&str> = ids.iter().copied().collect();
                self.error(
                    &format!("explains[{i}]"),
                    format!("`explains` names unknown rule `{id}`"),
                    closest(id, &known).map(|c| format!("did you mean `{c}`?")),
                );
            }
        }
        let known = self.captured.clone();
        for (field, text) in [
            ("summary", &spec.summary),
            ("remediation", &spec.remediation),
            ("title", &spec.title),
        ] {
            for (lang, t) in [("en", &text.en), ("zh", &text.zh)] {
                if t.trim().is_empty() {
                    self.error(
                        &format!("{field}.{lang}"),
                        format!("`{field}.{lang}` is empty"),
                        None,
                    );
                }
                match self.env.template_from_str(t) {
                    Err(e) => self.error(
                        &format!("{field}.{lang}"),
                        format!("`{field}.{lang}` is not a valid template: {e}"),
                        None,
                    ),
                    Ok(template) => {
                        let mut unknown: Vec<String> = template
                            .undeclared_variables(false)
                            .into_iter()
                            .filter(|v| !known.contains(v))
                            .collect();
                        unknown.sort();
                        for var in unknown {
                            let mut names: Vec<&str> = known.iter().map(String::as_str).collect();
                            names.sort_unstable();
                            self.error(
                                &format!("{field}.{lang}"),
                                format!("template variable `{var}` in `{field}.{lang}` is not captured by any selector"),
                                closest(&var, &names)
                                    .map(|c| format!("did you mean `{c}`? Capture it with a named group `(?P<{var}>...)` or `bind`"))
                                    .or_else(|| Some(format!("capture it with a named group `(?P<{var}>...)` or `bind: {{{var}: <path>}}`"))),
                            );
                        }
                    }
                }
            }
        }
    }

    fn glob(&mut self, at: &str, pattern: Option<&String>) -> Option<GlobMatcher> {
        let pattern = pattern?;
        match Glob::new(pattern) {
            Ok(g) => Some(g.compile_matcher()),
            Err(e) => {
                self.error(at, format!("invalid glob `{pattern}`: {e}"), None);
                None
            }
        }
    }

    /// The index of a log regex in the combined set, adding it once.
    fn pattern_index(&mut self, source: &str) -> usize {
        match self.patterns.iter().position(|p| p == source) {
            Some(i) => i,
            None => {
                self.patterns.push(source.to_string());
                self.patterns.len() - 1
            }
        }
    }

    /// Compiles a log regex as the log scan does (over bytes); reports an error if it cannot.
    fn log_regex_compiles(&mut self, at: &str, source: &str) -> bool {
        match regex::bytes::RegexBuilder::new(source)
            .size_limit(64 << 20)
            .build()
        {
            Ok(_) => true,
            Err(e) => {
                self.error(at, format!("invalid regex: {e}"), None);
                false
            }
        }
    }

    /// Checks a regex's syntax without compiling it (log regexes are compiled
    /// once, together, into the scanning set) and records its named groups.
    fn check_regex(&mut self, at: &str, pattern: &str) -> bool {
        match regex_syntax::ParserBuilder::new().build().parse(pattern) {
            Ok(_) => {
                static NAMES: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
                    Regex::new(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>").expect("static regex")
                });
                self.captured.extend(
                    NAMES
                        .captures_iter(pattern)
                        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string())),
                );
                true
            }
            Err(e) => {
                self.error(at, format!("invalid regex: {e}"), None);
                false
            }
        }
    }

    fn regex(&mut self, at: &str, pattern: &str) -> Option<LazyRegex> {
        self.build_regex(at, pattern, false)
    }

    fn regex_multi_line(&mut self, at: &str, pattern: &str) -> Option<LazyRegex> {
        self.build_regex(at, pattern, true)
    }

    fn build_regex(&mut self, at: &str, pattern: &str, multi_line: bool) -> Option<LazyRegex> {
        if !self.check_regex(at, pattern) {
            return None;
        }
        let lazy = LazyRegex::new(pattern, multi_line);
        if self.eager {
            match lazy.build() {
                Ok(r) => {
                    let _ = lazy.compiled.set(Some(r));
                }
                Err(e) => {
                    self.error(at, format!("invalid regex: {e}"), None);
                    return None;
                }
            }
        }
        Some(lazy)
    }

    fn compile(&mut self, cond: &Condition, at: &str) -> Compiled {
        let mut out = Compiled::default();
        let mut selectors = 0;
        for (i, c) in cond.all.iter().enumerate() {
            out.all.push(self.compile(c, &format!("{at}.all[{i}]")));
        }
        for (i, c) in cond.any.iter().enumerate() {
            out.any.push(self.compile(c, &format!("{at}.any[{i}]")));
        }
        for (i, c) in cond.not.iter().enumerate() {
            out.not.push(self.compile(c, &format!("{at}.not[{i}]")));
        }
        if let Some(o) = &cond.object {
            selectors += 1;
            let at = format!("{at}.object");
            let name = self.glob(&format!("{at}.name"), o.name.as_ref());
            let namespace = self.glob(&format!("{at}.namespace"), o.namespace.as_ref());
            let mut regexes = Vec::new();
            for (i, p) in o.predicates.iter().enumerate() {
                let pat = format!("{at}.where[{i}]");
                if let Err(e) = tree::validate_path(&p.path) {
                    self.error(
                        &format!("{pat}.path"),
                        format!("invalid path `{}`: {e}", p.path),
                        None,
                    );
                }
                let tests = [
                    p.equals.is_some(),
                    p.one_of.is_some(),
                    p.regex.is_some(),
                    p.exists.is_some(),
                    p.contains.is_some(),
                    p.gt.is_some() || p.ge.is_some() || p.lt.is_some() || p.le.is_some(),
                ];
                if !tests.iter().any(|t| *t) {
                    self.error(
                        &pat,
                        format!("predicate on `{}` tests nothing", p.path),
                        Some(
                            "add one of equals, one_of, regex, exists, contains, gt, ge, lt, le"
                                .into(),
                        ),
                    );
                }
                regexes.push(
                    p.regex
                        .as_ref()
                        .and_then(|r| self.regex(&format!("{pat}.regex"), r)),
                );
            }
            self.captured.extend(o.bind.keys().cloned());
            for (var, path) in &o.bind {
                if let Err(e) = tree::validate_path(path) {
                    self.error(
                        &format!("{at}.bind.{var}"),
                        format!("invalid path `{path}`: {e}"),
                        None,
                    );
                }
            }
            out.object = Some(CObject {
                spec: o.clone(),
                name,
                namespace,
                regexes,
            });
        }
        if let Some(l) = &cond.log {
            selectors += 1;
            let at = format!("{at}.log");
            let pod = self.glob(&format!("{at}.pod"), l.pod.as_ref());
            let namespace = self.glob(&format!("{at}.namespace"), l.namespace.as_ref());
            let container = self.glob(&format!("{at}.container"), l.container.as_ref());
            // Compiled by the log scan (`LogPatterns`), whose regex also gives the captures.
            let checked = match &l.regex {
                Some(source) => {
                    let at = format!("{at}.regex");
                    (self.check_regex(&at, source)
                        && (!self.eager || self.log_regex_compiles(&at, source)))
                    .then(|| Some(self.pattern_index(source)))
                }
                None => Some(None),
            };
            if let Some(pattern) = checked {
                out.log = Some(CLog {
                    spec: l.clone(),
                    pod,
                    namespace,
                    container,
                    pattern,
                });
            }
        }
        if let Some(p) = &cond.probe {
            selectors += 1;
            let at = format!("{at}.probe");
            let url = self.glob(&format!("{at}.url"), p.url.as_ref());
            let regex = p
                .regex
                .as_ref()
                .and_then(|r| self.regex(&format!("{at}.regex"), r));
            out.probe = Some(CProbe {
                spec: p.clone(),
                url,
                regex,
            });
        }
        if let Some(t) = &cond.text {
            selectors += 1;
            let at = format!("{at}.text");
            let file = self.glob(&format!("{at}.file"), t.file.as_ref());
            if let Some(regex) = self.regex_multi_line(&format!("{at}.regex"), &t.regex) {
                out.text = Some(CText {
                    spec: t.clone(),
                    file,
                    regex,
                });
            }
        }
        if selectors == 0 && cond.all.is_empty() && cond.any.is_empty() && cond.not.is_empty() {
            self.error(
                at,
                "empty condition: it would match every bundle".into(),
                Some("use all, any, not, object, log, probe or text".into()),
            );
        }
        out
    }
}

/// The candidate closest to `word`, when close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim(word, c), *c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 4))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_with(selector: &str) -> Vec<(String, String)> {
        vec![(
            "rules/big.yaml".to_string(),
            format!(
                "id: big\nseverity: warning\ntitle: {{en: t, zh: 标题}}\nmatch:\n  {selector}\nsummary: {{en: s, zh: 说明}}\nremediation: {{en: r, zh: 处理}}\n"
            ),
        )]
    }

    #[test]
    fn regexes_compile_on_first_use_and_lint_compiles_them_at_load() {
        // Valid syntax, but far beyond the size limit once compiled.
        let huge = r"\w{2000}\w{2000}\w{2000}";
        for selector in [
            format!("text:\n    regex: '{huge}'"),
            // With fixed text, so that it is not in the block set (compiled at load).
            format!("log:\n    regex: 'x509: {huge}'"),
            format!("probe:\n    regex: '{huge}'"),
        ] {
            let files = rule_with(&selector);
            let lazy = load_files(&files);
            assert!(lazy.is_ok(), "loading does not compile: {selector}");
            let errors = load_files_with(&files, true).expect_err("lint compiles");
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].file, "rules/big.yaml");
            assert_eq!(errors[0].line, 6, "{}", errors[0].message);
            assert!(
                errors[0].message.contains("invalid regex"),
                "{}",
                errors[0].message
            );
        }
        // A syntax error is reported either way.
        let files = rule_with("text:\n    regex: 'a(b'");
        assert!(load_files(&files).is_err());
    }

    #[test]
    fn a_lazy_regex_too_big_to_compile_never_matches() {
        let lazy = LazyRegex::new(r"\w{200}\w{200}\w{200}", false);
        assert!(lazy.get().is_none());
        let ok = LazyRegex::new("x(?P<v>y)", true);
        assert!(ok.get().is_some_and(|r| r.is_match("xy")));
    }
}
