//! The failure-signature catalogue as a test.
//!
//! `tests/catalogue/metrics-server.yaml` is a copy of `../shared/signatures/metrics-server.yaml`
//! (a second test checks that the two agree). For every evidence item of every signature, the
//! evidence text is placed in a realistic bundle at the place its `where` tag names, the real
//! pipeline (bundle reader → facts → rules) runs on that bundle, and:
//! - an identifying item must make the rule whose id is the signature id fire (not necessarily
//!   first) and cite the file holding the evidence, so a pass never comes from the placement
//!   around it (e.g. the not-Ready pod of the troubleshoot PodList);
//! - a `role: symptom` item (a generic line many causes produce) must not make it fire on its own.
//!
//! Items quoted from an issue title, a user's sentence or upstream source code (`issue-title`,
//! `free-text`, `source-template`) are not bundle content; they are skipped and counted.
//! A new evidence string in the catalogue is a new case at once. Every failing case is reported
//! (signature, item index, where, the generated files, what fired, and the rule's `explain`
//! trace) before the single assertion at the end. `CATALOGUE_DUMP=<dir>` also writes every
//! generated bundle there, for review or for `bundle-doctor analyze`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use bundle_doctor::bundle::Limits;
use bundle_doctor::facts::{self, FactStore};
use bundle_doctor::rules::{self, RuleSet, RuleSource};
use regex::Regex;
use serde_json::json;
use serde_yaml::Value;

/// `where` tags that do not describe bundle content.
const NOT_BUNDLE_CONTENT: [&str; 3] = ["issue-title", "free-text", "source-template"];

/// The metrics-server pod of the generated bundles.
const POD: &str = "metrics-server-6d94bc8694-abcde";
/// Its namespace.
const NS: &str = "kube-system";
/// Top-level folder of the troubleshoot-layout bundles (stripped by the reader, as in real tarballs).
const TROUBLESHOOT_ROOT: &str = "support-bundle-2024-03-11T08_20_00";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn catalogue_copy() -> PathBuf {
    manifest_dir().join("tests/catalogue/metrics-server.yaml")
}

fn shared_catalogue() -> PathBuf {
    manifest_dir().join("../shared/signatures/metrics-server.yaml")
}

// ---------------------------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------------------------

/// One evidence item of one signature.
struct Item {
    /// Signature id (= rule id).
    id: String,
    /// 0-based index in the signature's `evidence` list.
    index: usize,
    /// The `where` tag.
    place: String,
    /// The evidence text, verbatim.
    text: String,
    /// `role: symptom`.
    symptom: bool,
    /// Where the text was found.
    source: String,
}

fn load_items(yaml: &str) -> Vec<Item> {
    let doc: Value = serde_yaml::from_str(yaml).expect("the catalogue is valid YAML");
    let signatures = doc
        .get("signatures")
        .and_then(Value::as_sequence)
        .expect("the catalogue has a `signatures` list");
    let str_of = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let mut items = Vec::new();
    for sig in signatures {
        let id = str_of(sig, "id").expect("every signature has an id");
        let evidence = sig
            .get("evidence")
            .and_then(Value::as_sequence)
            .unwrap_or_else(|| panic!("signature {id} has no evidence list"));
        for (index, ev) in evidence.iter().enumerate() {
            items.push(Item {
                id: id.clone(),
                index,
                place: str_of(ev, "where")
                    .unwrap_or_else(|| panic!("{id} evidence[{index}] has no `where`")),
                text: str_of(ev, "text")
                    .unwrap_or_else(|| panic!("{id} evidence[{index}] has no `text`")),
                symptom: str_of(ev, "role").as_deref() == Some("symptom"),
                source: str_of(ev, "source").unwrap_or_default(),
            });
        }
    }
    items
}

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

static CELL_SEP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" {2,}|\t+").expect("static regex"));

/// A shell prompt plus a kubectl/curl command (the text already says how it was produced).
static PROMPTED_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:\[[^\]]*\][#$]\s*|[\w.@~:/-]+[#$]\s+|[$#>]\s*)(?:sudo\s+)?(?:kubectl|oc|k|k3s kubectl|microk8s kubectl|curl)\s",
    )
    .expect("static regex")
});

/// `/apis/<group>/<version>` of an aggregated API named in a message.
static API_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/apis/((?:[a-z0-9-]+\.)*k8s\.io)/(v\d+(?:(?:alpha|beta)\d+)?)\b")
        .expect("static regex")
});

/// A condition field line as pasted from `-o yaml` or `describe` output.
static CONDITION_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(message|Message|reason|Reason|status|Status|type|Type|lastTransitionTime|Last Transition Time):(?:\s+(.*))?$")
        .expect("static regex")
});

/// Splits a table row into at most `n` cells at runs of two or more spaces or tabs; the last
/// cell keeps the rest of the line (messages contain double spaces too).
fn split_cells(line: &str, n: usize) -> Vec<String> {
    let line = line.trim();
    let mut cells = Vec::new();
    let mut start = 0;
    for m in CELL_SEP.find_iter(line) {
        if cells.len() + 1 == n {
            break;
        }
        cells.push(line[start..m.start()].to_string());
        start = m.end();
    }
    cells.push(line[start..].to_string());
    cells
}

/// Renders a table the way kubectl's tabwriter does: every column but the last padded to its
/// widest cell plus `gap` spaces.
fn render_table(indent: &str, gap: usize, rows: &[Vec<String>]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = indent.to_string();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    let pad = widths[i] + gap - cell.chars().count();
                    line.push_str(&" ".repeat(pad));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

fn cells(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

fn has_own_command(text: &str) -> bool {
    lines(text)
        .first()
        .is_some_and(|l| PROMPTED_COMMAND.is_match(l))
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    if let Some(inner) = v.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'').unwrap_or(inner);
        return inner.replace("''", "'");
    }
    if let Some(inner) = v.strip_prefix('"') {
        let inner = inner.strip_suffix('"').unwrap_or(inner);
        return inner.replace("\\\"", "\"").replace("\\\\", "\\");
    }
    v.to_string()
}

/// The fields of a pasted condition (`message: '...'` folded over lines, then `reason:` ...):
/// key prefixes and surrounding quotes stripped, continuation lines joined with one space.
/// Text without any key is all message.
fn condition_fields(text: &str) -> BTreeMap<String, String> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(c) = CONDITION_KEY.captures(line) {
            let key = c[1].to_ascii_lowercase().replace(' ', "");
            let value = c.get(2).map_or("", |m| m.as_str()).trim().to_string();
            fields.push((key, value));
        } else if let Some(last) = fields.last_mut() {
            let more = line.trim();
            if !more.is_empty() {
                if !last.1.is_empty() {
                    last.1.push(' ');
                }
                last.1.push_str(more);
            }
        } else {
            fields.push(("message".into(), line.trim().to_string()));
        }
    }
    fields.into_iter().map(|(k, v)| (k, unquote(&v))).collect()
}

/// YAML scalar for any string (a JSON string is a valid YAML double-quoted scalar).
fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

// ---------------------------------------------------------------------------------------------
// Placement: one or more bundles per evidence item
// ---------------------------------------------------------------------------------------------

/// A generated bundle: (path inside the bundle, content).
struct Variant {
    label: &'static str,
    files: Vec<(String, String)>,
    /// The file holding the evidence text, as the reader names it (top-level folder stripped):
    /// a firing rule must cite it, so a pass cannot come from the surrounding placement.
    evidence_file: String,
}

fn single(label: &'static str, path: &str, content: String) -> Vec<Variant> {
    vec![Variant {
        label,
        files: vec![(path.to_string(), ensure_newline(content))],
        evidence_file: path.to_string(),
    }]
}

fn ensure_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn place(item: &Item) -> Result<Vec<Variant>, String> {
    let text = item.text.as_str();
    Ok(match item.place.as_str() {
        "apiservice-status" => apiservice_variants(text),
        "metrics-server-log" => metrics_server_log_variants(text),
        "kube-apiserver-log" => single("loose", "kube-apiserver.log", text.to_string()),
        "kube-controller-manager-log" => {
            single("loose", "kube-controller-manager.log", text.to_string())
        }
        "konnectivity-server-log" => single("loose", "konnectivity-server.log", text.to_string()),
        "kubelet-log" => single("loose", "kubelet.log", text.to_string()),
        "k3s-journal" => single("loose", "k3s.log", text.to_string()),
        "kubectl-top" => single("loose", "kubectl-top.txt", kubectl_top(text)),
        "kubectl-other" | "kubectl-api-resources" | "kubectl-verbose" => {
            let (file, content) = kubectl_output(&item.place, text);
            single("loose", file, content)
        }
        "kubectl-get-apiservice" => single("loose", "apiservices.txt", get_apiservice(text)),
        "hpa-condition" | "hpa-event" | "hpa-get" => {
            single("loose", "describe-hpa.txt", describe_hpa(&item.place, text))
        }
        "pod-status" => pod_status(text),
        "pod-event" => single("loose", "describe-pod.txt", describe_pod(text, &[])),
        "namespace-status" => single("loose", "namespace.yaml", namespace_yaml(text)),
        "curl" => single("loose", "curl.txt", text.to_string()),
        "installer-output" => single("loose", "install.txt", text.to_string()),
        "client-app-log" => single("loose", "dashboard-metrics-scraper.log", text.to_string()),
        "container-runtime" => single("loose", "docker.txt", text.to_string()),
        "node-netstat" => single("loose", "netstat.txt", text.to_string()),
        "node-oom-tracker" => single("loose", "oom-tracker.txt", text.to_string()),
        "kubelet-summary" => single("loose", "stats-summary.txt", text.to_string()),
        other => {
            return Err(format!(
                "unknown `where` tag {other:?}: add its placement to tests/catalogue.rs"
            ));
        }
    })
}

/// Name, group, version and backing Service of the APIService a message is about.
struct ApiServiceId {
    name: String,
    group: String,
    version: String,
    svc_ns: &'static str,
    svc_name: &'static str,
    label: &'static str,
}

fn apiservice_id(message: &str) -> ApiServiceId {
    let (group, version) = API_PATH
        .captures(message)
        .map_or(("metrics.k8s.io".to_string(), "v1beta1".to_string()), |c| {
            (c[1].to_string(), c[2].to_string())
        });
    let (svc_ns, svc_name, label) = if group == "metrics.k8s.io" {
        (NS, "metrics-server", "k8s-app: metrics-server")
    } else {
        (
            "custom-metrics",
            "custom-metrics-apiserver",
            "app: custom-metrics-apiserver",
        )
    };
    ApiServiceId {
        name: format!("{version}.{group}"),
        group,
        version,
        svc_ns,
        svc_name,
        label,
    }
}

/// `apiservice.yaml` with the extracted condition, and `kubectl describe apiservice` with the
/// pasted lines.
fn apiservice_variants(text: &str) -> Vec<Variant> {
    let fields = condition_fields(text);
    let message = fields.get("message").cloned().unwrap_or_default();
    let reason = fields
        .get("reason")
        .cloned()
        .unwrap_or_else(|| "FailedDiscoveryCheck".into());
    let id = apiservice_id(&message);
    let ApiServiceId {
        name,
        group,
        version,
        svc_ns,
        svc_name,
        label,
    } = &id;
    let yaml = format!(
        r#"apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  creationTimestamp: "2024-03-11T08:15:02Z"
  labels:
    {label}
  name: {name}
  resourceVersion: "48213"
  uid: 5f0c2a0e-6c1b-4f57-9a43-2f1d3c9b7e21
spec:
  group: {group}
  groupPriorityMinimum: 100
  insecureSkipTLSVerify: true
  service:
    name: {svc_name}
    namespace: {svc_ns}
    port: 443
  version: {version}
  versionPriority: 100
status:
  conditions:
  - lastTransitionTime: "2024-03-11T08:16:40Z"
    message: {message}
    reason: {reason}
    status: "False"
    type: Available
"#,
        message = yaml_str(&message),
    );

    // describe: describe-shaped pastes (`Message:  ...` / `Reason:  ...`) go in verbatim;
    // `-o yaml`-shaped or bare pastes contribute the extracted message, as describe prints it.
    let pasted = lines(text);
    let describe_shaped = pasted
        .first()
        .is_some_and(|l| l.trim_start().starts_with("Message:"));
    let mut condition: Vec<String> = vec!["    Last Transition Time:  2024-03-11T08:16:40Z".into()];
    let has = |key: &str| describe_shaped && pasted.iter().any(|l| l.trim_start().starts_with(key));
    let (has_reason, has_status, has_type) = (has("Reason:"), has("Status:"), has("Type:"));
    if describe_shaped {
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            if CONDITION_KEY.is_match(l) {
                condition.push(format!("    {}", l.trim_start()));
            } else {
                condition.push(l.to_string());
            }
        }
    } else {
        condition.push(format!("    Message:               {message}"));
    }
    if !has_reason {
        condition.push(format!("    Reason:                {reason}"));
    }
    if !has_status {
        condition.push("    Status:                False".into());
    }
    if !has_type {
        condition.push("    Type:                  Available".into());
    }
    let labels = label.replace(": ", "=");
    let describe = format!(
        "$ kubectl describe apiservice {name}
Name:         {name}
Namespace:    
Labels:       {labels}
Annotations:  <none>
API Version:  apiregistration.k8s.io/v1
Kind:         APIService
Metadata:
  Creation Timestamp:  2024-03-11T08:15:02Z
  Resource Version:    48213
  UID:                 5f0c2a0e-6c1b-4f57-9a43-2f1d3c9b7e21
Spec:
  Group:                     {group}
  Group Priority Minimum:    100
  Insecure Skip TLS Verify:  true
  Service:
    Name:            {svc_name}
    Namespace:       {svc_ns}
    Port:            443
  Version:           {version}
  Version Priority:  100
Status:
  Conditions:
{condition}
Events:                    <none>
",
        condition = condition.join("\n"),
    );
    vec![
        Variant {
            label: "apiservice.yaml",
            files: vec![("apiservice.yaml".into(), yaml)],
            evidence_file: "apiservice.yaml".into(),
        },
        Variant {
            label: "describe-apiservice",
            files: vec![("describe-apiservice.txt".into(), describe)],
            evidence_file: "describe-apiservice.txt".into(),
        },
    ]
}

/// Does the log say the process exited (so the pod is crash-looping)?
fn log_says_crash(text: &str) -> bool {
    static CRASH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^(?:\S+\s+\S+\s+)?(?:panic:|Error:|F\d{4} )").expect("static regex")
    });
    CRASH.is_match(text)
}

fn metrics_server_pod_list(crashing: bool) -> String {
    let (ready, state, last_state, restarts) = if crashing {
        (
            "False",
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 5m0s restarting failed container=metrics-server pod={POD}_{NS}(0b4f2d6e-1c7a-4d38-9a51-6e2f0c8b7d13)")}}),
            json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2024-03-11T08:14:31Z", "finishedAt": "2024-03-11T08:14:33Z"}}),
            7,
        )
    } else {
        (
            "False",
            json!({"running": {"startedAt": "2024-03-11T08:01:12Z"}}),
            json!({}),
            0,
        )
    };
    let pod = json!({
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": POD,
            "generateName": "metrics-server-6d94bc8694-",
            "namespace": NS,
            "uid": "0b4f2d6e-1c7a-4d38-9a51-6e2f0c8b7d13",
            "creationTimestamp": "2024-03-11T08:01:05Z",
            "labels": {"k8s-app": "metrics-server", "pod-template-hash": "6d94bc8694"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "metrics-server-6d94bc8694",
                                  "uid": "7c1d9e2a-5b3f-4e60-8a27-3f9b1d0c6e54", "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {
            "containers": [{
                "name": "metrics-server",
                "image": "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
                "args": ["--cert-dir=/tmp", "--secure-port=10250", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                         "--kubelet-use-node-status-port", "--metric-resolution=15s"],
                "ports": [{"name": "https", "containerPort": 10250, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}}
            }],
            "serviceAccountName": "metrics-server",
            "nodeName": "worker-1",
            "priorityClassName": "system-cluster-critical"
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": "2024-03-11T08:01:05Z"},
                {"type": "Ready", "status": ready, "lastTransitionTime": "2024-03-11T08:01:05Z", "reason": "ContainersNotReady",
                 "message": "containers with unready status: [metrics-server]"},
                {"type": "ContainersReady", "status": ready, "lastTransitionTime": "2024-03-11T08:01:05Z", "reason": "ContainersNotReady",
                 "message": "containers with unready status: [metrics-server]"},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-03-11T08:01:05Z"}
            ],
            "hostIP": "10.0.0.21",
            "podIP": "10.244.1.7",
            "startTime": "2024-03-11T08:01:05Z",
            "containerStatuses": [{
                "name": "metrics-server",
                "state": state,
                "lastState": last_state,
                "ready": false,
                "restartCount": restarts,
                "image": "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
                "imageID": "registry.k8s.io/metrics-server/metrics-server@sha256:db3800085a0957083930c3932b17580eec652cfb6156a05c0f79c7543e80d17a",
                "containerID": "containerd://4f1c2b7d9e0a3c5f8b6d1e2a7c9f0b3d5e8a1c4f7b2d9e6a0c3f5b8d1e4a7c2f",
                "started": !crashing
            }]
        }
    });
    let list = json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "48311"}, "items": [pod]});
    serde_json::to_string_pretty(&list).expect("json serializes")
}

/// A loose `metrics-server.log`, and a troubleshoot bundle with the pod's log and PodList.
fn metrics_server_log_variants(text: &str) -> Vec<Variant> {
    let log = ensure_newline(text.to_string());
    let root = TROUBLESHOOT_ROOT;
    let log_path = format!("cluster-resources/pods/logs/{NS}/{POD}/metrics-server.log");
    vec![
        Variant {
            label: "loose",
            files: vec![("metrics-server.log".into(), log.clone())],
            evidence_file: "metrics-server.log".into(),
        },
        Variant {
            label: "troubleshoot",
            files: vec![
                (
                    format!("{root}/version.yaml"),
                    "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.123.14\n"
                        .into(),
                ),
                (
                    format!("{root}/cluster-resources/pods/{NS}.json"),
                    metrics_server_pod_list(log_says_crash(text)),
                ),
                (format!("{root}/{log_path}"), log),
            ],
            evidence_file: log_path,
        },
    ]
}

/// `$ kubectl top nodes|pods` followed by the text (a header is added above bare table rows).
fn kubectl_top(text: &str) -> String {
    if has_own_command(text) {
        return text.to_string();
    }
    let pods = text.contains("pods.metrics") || text.contains("for pod") || text.contains(" pods");
    let mut out = vec![if pods {
        "$ kubectl top pods".to_string()
    } else {
        "$ kubectl top nodes".to_string()
    }];
    let rows: Vec<Vec<String>> = lines(text).iter().map(|l| split_cells(l, 5)).collect();
    let is_table = !rows.is_empty()
        && rows.iter().all(|r| {
            r.len() >= 3 && !r[0].to_ascii_lowercase().starts_with("error") && !r[0].contains(':')
        });
    if is_table {
        let header = match rows[0].len() {
            5 => cells(&["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]),
            4 => cells(&["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]),
            _ => cells(&["NAME", "CPU(cores)", "MEMORY(bytes)"]),
        };
        let mut all = vec![header];
        all.extend(rows);
        out.extend(render_table("", 3, &all));
    } else {
        out.push(text.to_string());
    }
    out.join("\n")
}

/// Other kubectl output: a plausible command line, then the text.
fn kubectl_output(place: &str, text: &str) -> (&'static str, String) {
    let file = match place {
        "kubectl-api-resources" => "kubectl-api-resources.txt",
        "kubectl-verbose" => "kubectl-verbose.txt",
        _ => "kubectl-output.txt",
    };
    if has_own_command(text) {
        return (file, text.to_string());
    }
    let resource = if text.contains("pods.metrics") || text.contains("\"pods\"") {
        "pods"
    } else {
        "nodes"
    };
    let command = match place {
        "kubectl-api-resources" => "kubectl api-resources".to_string(),
        "kubectl-verbose" if text.contains(".metrics.k8s.io") => {
            format!("kubectl top {resource} -v=8")
        }
        "kubectl-verbose" => "kubectl api-resources -v=6".to_string(),
        _ if text.contains("apiservices.apiregistration.k8s.io") => {
            "kubectl get apiservice v1beta1.metrics.k8s.io".to_string()
        }
        _ if text.trim_start().starts_with("\"message\"") => {
            format!("kubectl get --raw /apis/metrics.k8s.io/v1beta1/{resource}")
        }
        _ if text.contains("couldn't get resource list") => "kubectl get nodes".to_string(),
        _ if text.contains(".metrics.k8s.io") => format!("kubectl top {resource}"),
        _ => "kubectl api-resources".to_string(),
    };
    let body = if place == "kubectl-other" && text.trim_start().starts_with("\"message\"") {
        // A line of the Status body `kubectl get --raw` prints on an error (`-v` output and
        // other placements keep the pasted line as it is).
        format!(
            "Error from server (Forbidden): {{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {{}},\n  \"status\": \"Failure\",\n  {}\n  \"reason\": \"Forbidden\",\n  \"details\": {{\n    \"group\": \"metrics.k8s.io\",\n    \"kind\": \"{resource}\"\n  }},\n  \"code\": 403\n}}",
            text.trim()
        )
    } else {
        text.to_string()
    };
    (file, format!("$ {command}\n{body}"))
}

fn get_apiservice(text: &str) -> String {
    let mut rows = vec![cells(&["NAME", "SERVICE", "AVAILABLE", "AGE"])];
    rows.extend(lines(text).iter().map(|l| split_cells(l, 4)));
    let mut out = vec!["$ kubectl get apiservice".to_string()];
    out.extend(render_table("", 3, &rows));
    out.join("\n")
}

/// `kubectl get pods` row (with header), or a `describe pod` when the text is a State block.
fn pod_status(text: &str) -> Vec<Variant> {
    if text.contains("State:") {
        return single("loose", "describe-pod.txt", describe_pod("", &lines(text)));
    }
    let mut rows = vec![cells(&["NAME", "READY", "STATUS", "RESTARTS", "AGE"])];
    rows.extend(lines(text).iter().map(|l| split_cells(l, 5)));
    let mut out = vec![format!("$ kubectl get pods -n {NS}")];
    out.extend(render_table("", 3, &rows));
    single("loose", "pods.txt", out.join("\n"))
}

fn event_rows(
    text: &str,
    from: &str,
    age: &str,
    reason_of: fn(&str) -> &'static str,
) -> Vec<String> {
    let mut rows = vec![
        cells(&["Type", "Reason", "Age", "From", "Message"]),
        cells(&["----", "------", "----", "----", "-------"]),
    ];
    let mut verbatim = Vec::new();
    for l in lines(text) {
        let t = l.trim();
        if t.starts_with("Warning") || t.starts_with("Normal") {
            let c = split_cells(t, 5);
            if c.len() == 5 {
                rows.push(c);
            } else {
                verbatim.push(format!("  {t}"));
            }
        } else if let Some(rest) = t.strip_prefix(from).filter(|r| r.starts_with("  ")) {
            let msg = rest.trim();
            rows.push(cells(&["Warning", reason_of(msg), age, from, msg]));
        } else {
            rows.push(cells(&["Warning", reason_of(t), age, from, t]));
        }
    }
    let mut out = render_table("  ", 2, &rows);
    out.extend(verbatim);
    out
}

fn hpa_event_reason(msg: &str) -> &'static str {
    if msg.contains("invalid metrics") {
        "FailedComputeMetricsReplicas"
    } else {
        "FailedGetResourceMetric"
    }
}

fn pod_event_reason(msg: &str) -> &'static str {
    let lower = msg.to_ascii_lowercase();
    if lower.contains("probe failed") {
        "Unhealthy"
    } else if lower.contains("back-off") {
        "BackOff"
    } else {
        "Failed"
    }
}

/// `kubectl describe hpa` with the text in its Conditions table, Events table or Metrics line.
fn describe_hpa(place: &str, text: &str) -> String {
    let resource = Regex::new(r"(?i)\b(cpu|memory)\b")
        .expect("static regex")
        .captures(text)
        .map_or("cpu".to_string(), |c| c[1].to_ascii_lowercase());
    let metrics_line = if place == "hpa-get" {
        format!("  {}", text.trim())
    } else {
        format!("  resource {resource} on pods  (as a percentage of request):  <unknown> / 80%")
    };
    let able = cells(&[
        "AbleToScale",
        "True",
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
    ]);
    let mut conditions = vec![
        cells(&["Type", "Status", "Reason", "Message"]),
        cells(&["----", "------", "------", "-------"]),
    ];
    let mut events = vec!["Events:           <none>".to_string()];
    if place == "hpa-condition" {
        let pasted = lines(text);
        if !pasted
            .iter()
            .any(|l| l.trim_start().starts_with("AbleToScale"))
        {
            conditions.push(able);
        }
        for l in pasted {
            let t = l.trim();
            if ["AbleToScale", "ScalingActive", "ScalingLimited"]
                .iter()
                .any(|k| t.starts_with(k))
            {
                conditions.push(split_cells(t, 4));
            } else {
                conditions.push(cells(&[
                    "ScalingActive",
                    "False",
                    "FailedGetResourceMetric",
                    t,
                ]));
            }
        }
    } else {
        conditions.push(able);
    }
    if place == "hpa-event" {
        events = vec!["Events:".to_string()];
        events.extend(event_rows(
            text,
            "horizontal-pod-autoscaler",
            "3m (x12 over 58m)",
            hpa_event_reason,
        ));
    }
    format!(
        "$ kubectl describe hpa php-apache -n default
Name:                                                  php-apache
Namespace:                                             default
Labels:                                                <none>
Annotations:                                           <none>
CreationTimestamp:                                     Mon, 11 Mar 2024 07:12:03 +0000
Reference:                                             Deployment/php-apache
Metrics:                                               ( current / target )
{metrics_line}
Min replicas:                                          1
Max replicas:                                          10
Deployment pods:                                       2 current / 2 desired
Conditions:
{conditions}
{events}
",
        conditions = render_table("  ", 2, &conditions).join("\n"),
        events = events.join("\n"),
    )
}

/// `kubectl describe pod` of the metrics-server pod with `events` in its Events table
/// (or `state` lines as its container state).
fn describe_pod(events: &str, state: &[&str]) -> String {
    static IMAGE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?:[Pp]ull(?:ing)? image|image) \\?"([^"\\\s]+)\\?""#).expect("static regex")
    });
    let pulling = IMAGE.captures(events);
    let image = pulling.as_ref().map_or(
        "registry.k8s.io/metrics-server/metrics-server:v0.7.1".to_string(),
        |c| c[1].to_string(),
    );
    let (status, state_block) = if !state.is_empty() {
        (
            "Running",
            state
                .iter()
                .map(|l| format!("    {}", l.trim_start()))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    } else if pulling.is_some() {
        (
            "Pending",
            "    State:          Waiting\n      Reason:       ImagePullBackOff\n    Ready:          False\n    Restart Count:  0"
                .to_string(),
        )
    } else {
        (
            "Running",
            "    State:          Running\n      Started:      Mon, 11 Mar 2024 08:01:12 +0000\n    Ready:          False\n    Restart Count:  0"
                .to_string(),
        )
    };
    let events = if events.trim().is_empty() {
        "Events:                      <none>".to_string()
    } else {
        let mut e = vec!["Events:".to_string()];
        e.extend(event_rows(
            events,
            "kubelet",
            "2m (x10 over 7m)",
            pod_event_reason,
        ));
        e.join("\n")
    };
    format!(
        "$ kubectl describe pod -n {NS} {POD}
Name:                 {POD}
Namespace:            {NS}
Priority:             2000000000
Priority Class Name:  system-cluster-critical
Service Account:      metrics-server
Node:                 worker-1/10.0.0.21
Start Time:           Mon, 11 Mar 2024 08:01:05 +0000
Labels:               k8s-app=metrics-server
                      pod-template-hash=6d94bc8694
Annotations:          <none>
Status:               {status}
IP:                   10.244.1.7
IPs:
  IP:           10.244.1.7
Controlled By:  ReplicaSet/metrics-server-6d94bc8694
Containers:
  metrics-server:
    Container ID:  containerd://4f1c2b7d9e0a3c5f8b6d1e2a7c9f0b3d5e8a1c4f7b2d9e6a0c3f5b8d1e4a7c2f
    Image:         {image}
    Port:          10250/TCP
    Host Port:     0/TCP
    Args:
      --cert-dir=/tmp
      --secure-port=10250
      --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname
      --kubelet-use-node-status-port
      --metric-resolution=15s
{state_block}
    Requests:
      cpu:        100m
      memory:     200Mi
    Liveness:     http-get https://:https/livez delay=0s timeout=1s period=10s #success=1 #failure=3
    Readiness:    http-get https://:https/readyz delay=20s timeout=1s period=10s #success=1 #failure=3
    Environment:  <none>
Conditions:
  Type              Status
  Initialized       True
  Ready             False
  ContainersReady   False
  PodScheduled      True
QoS Class:                   Burstable
Node-Selectors:              kubernetes.io/os=linux
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
{events}
"
    )
}

/// A Namespace stuck Terminating with the pasted condition.
fn namespace_yaml(text: &str) -> String {
    let fields = condition_fields(text);
    let get = |k: &str, default: &str| {
        fields
            .get(k)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata:
  creationTimestamp: "2024-02-01T10:00:00Z"
  deletionTimestamp: "2024-03-11T07:40:12Z"
  labels:
    kubernetes.io/metadata.name: monitoring
  name: monitoring
  resourceVersion: "47102"
  uid: 2d6e0b4f-7a1c-4d38-9a51-c8b7d136e2f0
spec:
  finalizers:
  - kubernetes
status:
  conditions:
  - lastTransitionTime: "2024-03-11T07:40:18Z"
    message: {message}
    reason: {reason}
    status: {status}
    type: {kind}
  phase: Terminating
"#,
        message = yaml_str(&get("message", "")),
        reason = get("reason", "DiscoveryFailed"),
        status = yaml_str(&get("status", "True")),
        kind = get("type", "NamespaceDeletionDiscoveryFailure"),
    )
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

fn load_rules() -> RuleSet {
    match rules::load(&RuleSource::Embedded) {
        Ok(r) => r,
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("embedded rules do not load:\n{}", text.join("\n"));
        }
    }
}

fn write_bundle(dir: &Path, files: &[(String, String)]) {
    for (path, content) in files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create bundle folder");
        }
        std::fs::write(&full, content).expect("write bundle file");
    }
}

/// Writes the bundle to a temporary directory and reads it with the real bundle reader.
fn collect(files: &[(String, String)], rules: &RuleSet) -> FactStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_bundle(dir.path(), files);
    facts::collect(dir.path(), &Limits::default(), &rules.patterns).expect("bundle is readable")
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn describe_failure(
    item: &Item,
    variant: &Variant,
    problem: &str,
    rules: &RuleSet,
    facts: Option<&FactStore>,
    eval: Option<&rules::Evaluation>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "── {} evidence[{}] where={} variant={} ({})",
        item.id, item.index, item.place, variant.label, item.source
    );
    let _ = writeln!(out, "   problem: {problem}");
    let _ = writeln!(out, "   evidence text:\n{}", indent(&item.text, "     | "));
    let _ = writeln!(out, "   generated bundle:");
    for (path, content) in &variant.files {
        let shown: Vec<&str> = content.lines().collect();
        let _ = writeln!(out, "     --- {path} ({} lines)", shown.len());
        let limit = 60;
        for l in shown.iter().take(limit) {
            let _ = writeln!(out, "     {l}");
        }
        if shown.len() > limit {
            let _ = writeln!(out, "     ... ({} more lines)", shown.len() - limit);
        }
    }
    if let Some(eval) = eval {
        let fired: Vec<String> = eval
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{} ({}{})",
                    f.id,
                    f.severity.as_str(),
                    if f.symptom { ", symptom" } else { "" }
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "   fired: {}",
            if fired.is_empty() {
                "nothing".to_string()
            } else {
                fired.join(", ")
            }
        );
        if !eval.render_errors.is_empty() {
            let _ = writeln!(out, "   render errors: {}", eval.render_errors.join("; "));
        }
    }
    if let (Some(facts), Some(rule)) = (facts, rules.rules.iter().find(|r| r.spec.id == item.id)) {
        let _ = writeln!(
            out,
            "   files as classified: {}",
            facts
                .files
                .iter()
                .map(|f| format!("{} [{}]", f.path, f.class))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !facts.parse_errors.is_empty() {
            let _ = writeln!(
                out,
                "   parse errors: {}",
                facts
                    .parse_errors
                    .iter()
                    .map(|e| format!("{}:{} {}", e.source, e.line.unwrap_or(0), e.error))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        let _ = writeln!(
            out,
            "   explain:\n{}",
            indent(
                &rules::explain::explain(rule, facts, &rules.patterns),
                "     "
            )
        );
    }
    out
}

#[test]
fn every_catalogue_evidence_fires_its_rule() {
    let yaml =
        std::fs::read_to_string(catalogue_copy()).expect("tests/catalogue/metrics-server.yaml");
    let items = load_items(&yaml);
    assert!(
        items.len() > 100,
        "only {} evidence items read from the catalogue",
        items.len()
    );
    let rules = load_rules();

    let mut failures: Vec<String> = Vec::new();
    let mut failing_items: Vec<String> = Vec::new();
    let (mut checked, mut symptoms, mut skipped) = (0usize, 0usize, 0usize);
    let (mut items_passed, mut variants_run, mut variants_passed) = (0usize, 0usize, 0usize);
    let mut skipped_by: BTreeMap<&str, usize> = BTreeMap::new();

    for item in &items {
        if NOT_BUNDLE_CONTENT.contains(&item.place.as_str()) {
            skipped += 1;
            *skipped_by.entry(item.place.as_str()).or_default() += 1;
            continue;
        }
        checked += 1;
        if item.symptom {
            symptoms += 1;
        }
        let rule_exists = rules.rules.iter().any(|r| r.spec.id == item.id);
        let variants = match place(item) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "── {} evidence[{}] where={}: {e}\n",
                    item.id, item.index, item.place
                ));
                failing_items.push(format!(
                    "{} evidence[{}] {} (placement)",
                    item.id, item.index, item.place
                ));
                continue;
            }
        };
        let mut item_ok = true;
        let mut failed_variants = Vec::new();
        for variant in &variants {
            variants_run += 1;
            if let Some(dump) = std::env::var_os("CATALOGUE_DUMP") {
                let dir = Path::new(&dump).join(format!(
                    "{}-{}-{}-{}",
                    item.id, item.index, item.place, variant.label
                ));
                write_bundle(&dir, &variant.files);
            }
            let facts = collect(&variant.files, &rules);
            let eval = rules::evaluate(&rules, &facts, "en");
            let finding = eval.findings.iter().find(|f| f.id == item.id);
            let fired = finding.is_some();
            let cites_evidence = finding
                .is_some_and(|f| f.evidence.iter().any(|e| e.source == variant.evidence_file));
            let problem = if !rule_exists {
                Some(format!("no rule with id {} exists", item.id))
            } else if item.symptom && fired {
                Some(format!(
                    "`role: symptom` item, but rule {} fires on it alone (a symptom line never identifies a cause)",
                    item.id
                ))
            } else if !item.symptom && !fired {
                Some(format!("rule {} does not fire", item.id))
            } else if !item.symptom && !cites_evidence {
                Some(format!(
                    "rule {} fires, but not on the evidence: it cites only {}",
                    item.id,
                    finding
                        .map(|f| f
                            .evidence
                            .iter()
                            .map(|e| format!("{}:{}", e.source, e.line))
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                ))
            } else {
                None
            };
            match problem {
                None => variants_passed += 1,
                Some(problem) => {
                    item_ok = false;
                    failed_variants.push(variant.label);
                    failures.push(describe_failure(
                        item,
                        variant,
                        &problem,
                        &rules,
                        Some(&facts),
                        Some(&eval),
                    ));
                }
            }
        }
        let role = if item.symptom {
            "symptom"
        } else {
            "identifying"
        };
        if item_ok {
            items_passed += 1;
            println!(
                "ok    {} evidence[{}] {} ({role}, {} variant(s))",
                item.id,
                item.index,
                item.place,
                variants.len()
            );
        } else {
            println!(
                "FAIL  {} evidence[{}] {} ({role}; failing variant(s): {})",
                item.id,
                item.index,
                item.place,
                failed_variants.join(", ")
            );
            failing_items.push(format!(
                "{} evidence[{}] {} ({role}; {})",
                item.id,
                item.index,
                item.place,
                failed_variants.join(", ")
            ));
        }
    }

    println!(
        "catalogue: {checked} items checked, {symptoms} symptom items, {skipped} skipped ({})",
        skipped_by
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "catalogue: {items_passed}/{checked} items pass, {variants_passed}/{variants_run} bundles pass"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} catalogue items fail ({} bundles):\n  {}\n\n{}",
        failing_items.len(),
        failures.len(),
        failing_items.join("\n  "),
        failures.join("\n")
    );
}

/// Drift check: the vendored copy is the shared catalogue plus a leading comment block.
#[test]
fn catalogue_copy_matches_shared_catalogue() {
    let copy =
        std::fs::read_to_string(catalogue_copy()).expect("tests/catalogue/metrics-server.yaml");
    let shared = shared_catalogue();
    let Ok(original) = std::fs::read_to_string(&shared) else {
        println!("{} not present; drift check skipped", shared.display());
        return;
    };
    let header_len: usize = copy
        .split_inclusive('\n')
        .take_while(|l| l.starts_with('#'))
        .map(str::len)
        .sum();
    assert!(
        header_len > 0,
        "the copy lost its header comment saying where it comes from"
    );
    let body = &copy[header_len..];
    if body != original {
        let line = body
            .lines()
            .zip(original.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || body.lines().count().min(original.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "tests/catalogue/metrics-server.yaml drifted from {} (first difference at line {line} of the shared file); refresh it:\n  (sed '/^[^#]/,$d' tests/catalogue/metrics-server.yaml; cat ../shared/signatures/metrics-server.yaml) > /tmp/c.yaml && mv /tmp/c.yaml tests/catalogue/metrics-server.yaml",
            shared.display()
        );
    }
}
