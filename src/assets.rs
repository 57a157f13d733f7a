//! Files embedded in the binary so it works from any directory: the rules,
//! the report templates, and the demo bundle (the seed page's situation as
//! loose files). A directory given on the command line overrides the first two.

use include_dir::{Dir, include_dir};

static RULES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/rules");
static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static DEMO: Dir<'_> =
    include_dir!("$CARGO_MANIFEST_DIR/fixtures/apiservice-discovery-timeout/seed-loose-files");

/// The embedded rule files as (`rules/<name>.yaml`, content), sorted by name.
pub fn rule_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = RULES
        .files()
        .filter(|f| f.path().extension().and_then(|e| e.to_str()) == Some("yaml"))
        .filter_map(|f| {
            Some((
                format!("rules/{}", f.path().display()),
                f.contents_utf8()?.to_string(),
            ))
        })
        .collect();
    files.sort();
    files
}

/// An embedded report template by file name (`report.md.j2`, `report.html.j2`).
pub fn template(name: &str) -> Option<&'static str> {
    TEMPLATES.get_file(name).and_then(|f| f.contents_utf8())
}

/// The demo bundle's files as (path inside the bundle, content).
pub fn demo_files() -> Vec<(String, &'static [u8])> {
    let mut out = Vec::new();
    collect(&DEMO, &mut out);
    out.sort();
    out
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
    for f in dir.files() {
        out.push((f.path().display().to_string(), f.contents()));
    }
    for d in dir.dirs() {
        collect(d, out);
    }
}

/// The collector script (`collect/collect.sh`), printed by `bundle-doctor collect-script`.
pub const COLLECT_SCRIPT: &str = include_str!("../collect/collect.sh");

/// The commented rule file written by `bundle-doctor rules new`.
pub const RULE_TEMPLATE: &str = include_str!("../templates/new-rule.yaml");

/// The starting fixture file written by `bundle-doctor rules new`.
pub const FIXTURE_TEMPLATE: &str = include_str!("../templates/new-fixture-apiservice.yaml");

/// Name shown for the demo bundle in reports.
pub const DEMO_NAME: &str = "embedded:demo (kube-apiserver cannot reach metrics-server)";
