//! Layout detection: which tool produced the bundle, judged from the paths
//! present (never from the archive's name). Receives the bundle's file paths
//! with the top-level folder already stripped; hands the `facts` stage a
//! [`Layout`] and the reason it was chosen, so the inventory can explain it.

use serde::Serialize;

/// The bundle layouts bundle-doctor knows (see the README's "Bundle layouts").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Replicated troubleshoot support bundle (`support-bundle`, `kubectl support-bundle`).
    Troubleshoot,
    /// `kubectl cluster-info dump --output-directory`.
    ClusterInfoDump,
    /// OpenShift `oc adm must-gather` / `oc adm inspect`.
    MustGather,
    /// bundle-doctor's own collector (`bundle-doctor.yaml` manifest at the root).
    Collector,
    /// Anything else: files pasted together by hand, classified by content.
    Loose,
}

impl Layout {
    /// The name used in reports and the JSON contract.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Troubleshoot => "troubleshoot",
            Layout::ClusterInfoDump => "cluster-info-dump",
            Layout::MustGather => "must-gather",
            Layout::Collector => "collector",
            Layout::Loose => "loose",
        }
    }
}

/// Picks the layout from the paths present and says why.
pub fn detect_layout<'a>(paths: impl IntoIterator<Item = &'a str> + Clone) -> (Layout, String) {
    let has = |p: &str| paths.clone().into_iter().any(|x| x == p);
    let has_prefix = |p: &str| paths.clone().into_iter().any(|x| x.starts_with(p));
    if has("bundle-doctor.yaml") {
        return (
            Layout::Collector,
            "`bundle-doctor.yaml` manifest at the root".into(),
        );
    }
    if has("version.yaml") && has_prefix("cluster-resources/") {
        return (
            Layout::Troubleshoot,
            "`version.yaml` and `cluster-resources/` at the root".into(),
        );
    }
    if has_prefix("cluster-resources/") || has("cluster-info/cluster_version.json") {
        return (
            Layout::Troubleshoot,
            "`cluster-resources/` at the root (no `version.yaml`: an older troubleshoot bundle)"
                .into(),
        );
    }
    // must-gather nests its tree under one folder per gather image.
    let must_gather = paths.clone().into_iter().any(|p| {
        let parts: Vec<&str> = p.split('/').collect();
        parts.contains(&"cluster-scoped-resources")
            || parts
                .windows(3)
                .any(|w| w[0] == "namespaces" && (w[2] == "pods" || w[2] == "core"))
    });
    if must_gather {
        return (
            Layout::MustGather,
            "`cluster-scoped-resources/` or `namespaces/<ns>/pods/` folders (must-gather)".into(),
        );
    }
    let dump = has("nodes.json")
        && paths
            .clone()
            .into_iter()
            .any(|p| p.ends_with("/pods.json") || p.ends_with("/events.json"));
    if dump {
        return (
            Layout::ClusterInfoDump,
            "`nodes.json` at the root and `<namespace>/pods.json` (kubectl cluster-info dump)"
                .into(),
        );
    }
    (
        Layout::Loose,
        "no known tool's marker files; every file is classified by its content".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_layout() {
        let ts = ["version.yaml", "cluster-resources/pods/kube-system.json"];
        assert_eq!(detect_layout(ts.iter().copied()).0, Layout::Troubleshoot);
        let old = ["cluster-resources/nodes.json", "analysis.json"];
        assert_eq!(detect_layout(old.iter().copied()).0, Layout::Troubleshoot);
        let dump = ["nodes.json", "kube-system/pods.json"];
        assert_eq!(
            detect_layout(dump.iter().copied()).0,
            Layout::ClusterInfoDump
        );
        let mg = ["timestamp", "cluster-scoped-resources/core/nodes/n1.yaml"];
        assert_eq!(detect_layout(mg.iter().copied()).0, Layout::MustGather);
        let own = ["bundle-doctor.yaml", "cluster/apiservices.yaml"];
        assert_eq!(detect_layout(own.iter().copied()).0, Layout::Collector);
        let loose = ["apiservice.yaml", "pods.txt"];
        assert_eq!(detect_layout(loose.iter().copied()).0, Layout::Loose);
    }
}
