//! The same failure in each of the five bundle layouts gives the same finding,
//! citing the right file of each layout, read as a directory and as a tar.gz.

use std::path::Path;

use bundle_doctor::Options;
use bundle_doctor::rules::{self, RuleSource, testing};

const POD: &str = "metrics-server-5d8b4c7b9f-8tq2m";
const LINES: &[&str] = &[
    "I0517 10:19:51.003110       1 serving.go:374] Generated self-signed cert (/tmp/apiserver.crt, /tmp/apiserver.key)",
    "I0517 10:19:51.612033       1 secure_serving.go:213] Serving securely on [::]:10250",
    r#"E0517 10:20:06.019182       1 scraper.go:149] "Failed to scrape node" err="Get \"https://192.168.1.12:10250/metrics/resource\": tls: failed to verify certificate: x509: cannot validate certificate for 192.168.1.12 because it doesn't contain any IP SANs" node="node2""#,
    r#"E0517 10:20:21.022310       1 scraper.go:149] "Failed to scrape node" err="Get \"https://192.168.1.11:10250/metrics/resource\": tls: failed to verify certificate: x509: cannot validate certificate for 192.168.1.11 because it doesn't contain any IP SANs" node="node1""#,
];

fn pod_json() -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{POD}","namespace":"kube-system","labels":{{"k8s-app":"metrics-server"}}}},"spec":{{"nodeName":"node2","containers":[{{"name":"metrics-server","image":"registry.k8s.io/metrics-server/metrics-server:v0.7.1","args":["--secure-port=10250","--kubelet-preferred-address-types=InternalIP"]}}]}},"status":{{"phase":"Running","conditions":[{{"type":"Ready","status":"False"}}],"containerStatuses":[{{"name":"metrics-server","ready":false,"restartCount":0,"state":{{"running":{{"startedAt":"2024-05-17T10:19:50Z"}}}}}}]}}}}"#
    )
}

fn log(prefix_timestamps: bool) -> String {
    LINES
        .iter()
        .map(|l| {
            if prefix_timestamps {
                format!("2024-05-17T10:20:06.019182000Z {l}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Writes the failure in `layout`; returns the log path the finding must cite.
fn make(layout: &str, root: &Path) -> String {
    let list = format!(
        r#"{{"apiVersion":"v1","kind":"PodList","items":[{}]}}"#,
        pod_json()
    );
    match layout {
        "troubleshoot" => {
            write(
                root,
                "version.yaml",
                "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.123.14\n",
            );
            write(root, "cluster-resources/pods/kube-system.json", &list);
            let p = format!("cluster-resources/pods/logs/kube-system/{POD}/metrics-server.log");
            write(root, &p, &log(false));
            p
        }
        "cluster-info-dump" => {
            write(
                root,
                "nodes.json",
                r#"{"kind":"NodeList","apiVersion":"v1","items":[]}"#,
            );
            write(root, "kube-system/pods.json", &list);
            let p = format!("kube-system/{POD}/logs.txt");
            write(
                root,
                &p,
                &format!(
                    "==== START logs for container metrics-server of pod kube-system/{POD} ====\n{}==== END logs for container metrics-server of pod kube-system/{POD} ====\n",
                    log(false)
                ),
            );
            p
        }
        "must-gather" => {
            let image = "quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-1b2c";
            write(
                root,
                "timestamp",
                "2024-05-17 10:21:00.1 +0000 UTC m=+0.05\n",
            );
            write(
                root,
                &format!("{image}/namespaces/kube-system/pods/{POD}/{POD}.yaml"),
                &pod_json(),
            );
            let p = format!(
                "{image}/namespaces/kube-system/pods/{POD}/metrics-server/metrics-server/logs/current.log"
            );
            write(root, &p, &log(true));
            p
        }
        "collector" => {
            write(
                root,
                "bundle-doctor.yaml",
                "apiVersion: bundle-doctor.dev/v1\nkind: CollectorManifest\ncollectorVersion: 1\nsteps:\n  - id: pods-kube-system\n    kind: pods\n    command: \"kubectl get pods -n kube-system -o yaml\"\n    file: namespaces/kube-system/pods.yaml\n    exitCode: 0\n",
            );
            write(root, "namespaces/kube-system/pods.yaml", &list);
            let p = format!("logs/kube-system/{POD}/metrics-server.log");
            write(root, &p, &log(true));
            p
        }
        _ => {
            write(root, "pods.json", &list);
            write(root, "metrics-server.log", &log(false));
            "metrics-server.log".into()
        }
    }
}

#[test]
fn troubleshoot() {
    same_failure_same_finding("troubleshoot");
}

#[test]
fn cluster_info_dump() {
    same_failure_same_finding("cluster-info-dump");
}

#[test]
fn must_gather() {
    same_failure_same_finding("must-gather");
}

#[test]
fn collector() {
    same_failure_same_finding("collector");
}

#[test]
fn loose_files() {
    same_failure_same_finding("loose");
}

fn same_failure_same_finding(layout: &str) {
    let rules = rules::load(&RuleSource::Embedded).expect("rules load");
    let options = Options::default();
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let cited = make(layout, dir.path());
        let direct = bundle_doctor::analyze_path(dir.path(), &rules, &options).expect("reads");
        let packed = {
            let bytes = testing::pack_tar_gz(dir.path()).expect("packs");
            let facts = bundle_doctor::facts::collect_archive(
                "b.tgz",
                bytes.as_slice(),
                &options.limits,
                &rules.patterns,
            )
            .expect("reads archive");
            let eval = rules::evaluate(&rules, &facts, "en");
            bundle_doctor::report::Report::new("b.tgz", &facts, eval, rules.info(), "en", true)
        };
        for (how, report) in [("directory", &direct), ("tar.gz", &packed)] {
            assert_eq!(report.bundle.layout, layout, "{how}: layout of {layout}");
            let finding = report
                .findings
                .iter()
                .find(|f| f.id == "kubelet-x509-no-ip-sans")
                .unwrap_or_else(|| {
                    panic!(
                        "{layout} ({how}): no kubelet-x509-no-ip-sans in {:?}",
                        report.findings.iter().map(|f| &f.id).collect::<Vec<_>>()
                    )
                });
            assert_eq!(
                report.findings[0].id, "kubelet-x509-no-ip-sans",
                "{layout} ({how}): not the root cause"
            );
            let line_offset = u32::from(layout == "cluster-info-dump");
            assert!(
                finding
                    .evidence
                    .iter()
                    .any(|e| e.source == cited && e.line == 3 + line_offset),
                "{layout} ({how}): evidence {:?} does not cite {cited}:{}",
                finding
                    .evidence
                    .iter()
                    .map(|e| format!("{}:{}", e.source, e.line))
                    .collect::<Vec<_>>(),
                3 + line_offset
            );
            assert_eq!(
                finding.captures.get("ip").and_then(|v| v.as_str()),
                Some("192.168.1.12"),
                "{layout}"
            );
            assert!(
                report.parse_errors.is_empty(),
                "{layout} ({how}): {:?}",
                report.parse_errors
            );
            assert!(
                matches!(
                    report.inventory.collection.get("pods"),
                    Some(bundle_doctor::facts::Collection::Collected { .. })
                ),
                "{layout} ({how}): pods not collected"
            );
        }
    }
}
