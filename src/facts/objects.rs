//! Kubernetes objects from parsed documents, `kubectl get` tables and
//! `kubectl describe` output. Receives trees ([`Node`]) and tables; hands back
//! [`Object`]s with origins. Lists (`kind: PodList`, `kind: List`, troubleshoot
//! Lists without `kind`), bare JSON arrays and YAML sequences are unwrapped;
//! a missing `kind` is taken from the layout's hint (the folder name).

use super::table::Table;
use super::tree::{Key, Node, Value};
use super::{Object, Origin};

/// Objects in one parsed document. `hint` is the kind the layout expects here.
pub fn from_tree(doc: Node, source: &str, hint: Option<&str>) -> Vec<Object> {
    let mut out = Vec::new();
    collect(doc, source, hint, &mut out, 0);
    out
}

fn collect(doc: Node, source: &str, hint: Option<&str>, out: &mut Vec<Object>, depth: u8) {
    if depth > 3 {
        return;
    }
    match doc.value {
        Value::Seq(items) => {
            for item in items {
                collect(item, source, hint, out, depth + 1);
            }
        }
        Value::Map(_) => {
            let kind = doc.get("kind").and_then(Node::as_str).map(str::to_string);
            let items_is_seq = doc.get("items").and_then(Node::as_seq).is_some();
            let is_list = items_is_seq
                && kind
                    .as_deref()
                    .is_none_or(|k| k.ends_with("List") || k.is_empty());
            if is_list {
                let item_hint = kind
                    .as_deref()
                    .and_then(|k| k.strip_suffix("List"))
                    .filter(|k| !k.is_empty())
                    .map(str::to_string);
                let hint = item_hint.as_deref().or(hint);
                if let Value::Map(entries) = doc.value {
                    for (key, value) in entries {
                        if key == "items" {
                            collect(value, source, hint, out, depth + 1);
                        }
                    }
                }
                return;
            }
            let kind = match kind.or_else(|| hint.map(str::to_string)) {
                Some(k) => k,
                None if doc.get("metadata").is_some() => "Unknown".to_string(),
                None => return,
            };
            let name = doc
                .select("metadata.name")
                .first()
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string();
            let namespace = doc
                .select("metadata.namespace")
                .first()
                .and_then(|n| n.as_str())
                .map(str::to_string);
            out.push(Object {
                kind,
                name,
                namespace,
                origin: Origin {
                    source: source.to_string(),
                    line: doc.line,
                },
                body: doc,
                partial: false,
            });
        }
        _ => {}
    }
}

/// The object kind a `kubectl get` table holds, from its command or its header.
pub fn table_kind(table: &Table) -> Option<&'static str> {
    if let Some(cmd) = &table.command
        && let Some(kind) = kind_from_command(cmd)
    {
        return Some(kind);
    }
    let has = |c: &str| table.columns.iter().any(|x| x.eq_ignore_ascii_case(c));
    if has("CPU(cores)") || has("MEMORY(bytes)") {
        Some("top")
    } else if has("SERVICE") && has("AVAILABLE") {
        Some("APIService")
    } else if has("READY") && has("STATUS") && has("RESTARTS") {
        Some("Pod")
    } else if has("CLUSTER-IP") {
        Some("Service")
    } else if has("ENDPOINTS") {
        Some("Endpoints")
    } else if has("REFERENCE") && has("TARGETS") {
        Some("HorizontalPodAutoscaler")
    } else if has("ROLES") && has("VERSION") {
        Some("Node")
    } else if has("LAST SEEN") && has("REASON") {
        Some("Event")
    } else if has("NODE SELECTOR") && has("DESIRED") {
        Some("DaemonSet")
    } else if has("UP-TO-DATE") && has("AVAILABLE") {
        Some("Deployment")
    } else {
        None
    }
}

/// The kind a `kubectl get|describe|top <resource>` command line names.
pub fn kind_from_command(cmd: &str) -> Option<&'static str> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let pos = words
        .iter()
        .position(|w| matches!(*w, "get" | "describe" | "top"))?;
    if words.get(pos).copied() == Some("top") {
        return Some("top");
    }
    let resource = words[pos + 1..]
        .iter()
        .find(|w| !w.starts_with('-'))?
        .split('/')
        .next()?
        .to_ascii_lowercase();
    let resource = resource.split('.').next().unwrap_or_default().to_string();
    Some(match resource.as_str() {
        "po" | "pod" | "pods" => "Pod",
        "svc" | "service" | "services" => "Service",
        "ep" | "endpoints" => "Endpoints",
        "endpointslice" | "endpointslices" => "EndpointSlice",
        "apiservice" | "apiservices" => "APIService",
        "no" | "node" | "nodes" => "Node",
        "hpa" | "horizontalpodautoscaler" | "horizontalpodautoscalers" => "HorizontalPodAutoscaler",
        "ev" | "event" | "events" => "Event",
        "deploy" | "deployment" | "deployments" => "Deployment",
        "ds" | "daemonset" | "daemonsets" => "DaemonSet",
        "rs" | "replicaset" | "replicasets" => "ReplicaSet",
        "cm" | "configmap" | "configmaps" => "ConfigMap",
        "ns" | "namespace" | "namespaces" => "Namespace",
        _ => return None,
    })
}

fn s(line: u32, text: &str) -> Node {
    Node {
        line,
        value: Value::String(text.to_string()),
    }
}

fn map(line: u32, entries: Vec<(&str, Node)>) -> Node {
    Node {
        line,
        value: Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Key::from(k), v))
                .collect(),
        ),
    }
}

fn seq(line: u32, items: Vec<Node>) -> Node {
    Node {
        line,
        value: Value::Seq(items),
    }
}

fn present(cell: Option<&str>) -> Option<&str> {
    cell.map(str::trim)
        .filter(|c| !c.is_empty() && *c != "<none>" && *c != "<unknown>")
}

/// Partial objects from the rows of a `kubectl get` table: the columns are kept
/// under `columns` (upper-case names, as printed) and the well-known ones are
/// also placed at their object paths (`spec.nodeName`, `status.podIP`, the
/// APIService `Available` condition...), so rules can use the same paths as for
/// full objects.
pub fn from_table(table: &Table, kind: &str, source: &str) -> Vec<Object> {
    let namespace_from_cmd = table.command.as_deref().and_then(namespace_flag);
    table
        .rows
        .iter()
        .map(|row| {
            let line = row.line;
            let cell = |c: &str| table.cell(row, c);
            let name = cell("NAME").unwrap_or_default().to_string();
            let namespace = present(cell("NAMESPACE"))
                .map(str::to_string)
                .or_else(|| namespace_from_cmd.clone());
            let mut metadata = vec![("name", s(line, &name))];
            if let Some(ns) = &namespace {
                metadata.push(("namespace", s(line, ns)));
            }
            let columns = map(
                line,
                table
                    .columns
                    .iter()
                    .zip(row.cells.iter())
                    .map(|(c, v)| (c.as_str(), s(line, v)))
                    .collect(),
            );
            let mut top = vec![
                ("kind", s(line, kind)),
                ("metadata", map(line, metadata)),
                ("columns", columns),
            ];
            match kind {
                "Pod" => {
                    let mut spec = Vec::new();
                    if let Some(n) = present(cell("NODE")) {
                        spec.push(("nodeName", s(line, n)));
                    }
                    let mut status = Vec::new();
                    if let Some(ip) = present(cell("IP")) {
                        status.push(("podIP", s(line, ip)));
                    }
                    if let Some(st) = present(cell("STATUS")) {
                        let phase = match st {
                            "Running" | "Pending" | "Succeeded" | "Failed" | "Unknown" => st,
                            "Completed" => "Succeeded",
                            _ => "Running",
                        };
                        status.push(("phase", s(line, phase)));
                        status.push(("reason", s(line, st)));
                    }
                    top.push(("spec", map(line, spec)));
                    top.push(("status", map(line, status)));
                }
                "APIService" => {
                    let mut spec = Vec::new();
                    if let Some(svc) = present(cell("SERVICE"))
                        && let Some((ns, n)) = svc.split_once('/')
                    {
                        spec.push((
                            "service",
                            map(line, vec![("namespace", s(line, ns)), ("name", s(line, n))]),
                        ));
                    }
                    let mut status = Vec::new();
                    if let Some(avail) = present(cell("AVAILABLE")) {
                        let (st, reason) = match avail.split_once(' ') {
                            Some((st, rest)) => (
                                st,
                                Some(rest.trim().trim_start_matches('(').trim_end_matches(')')),
                            ),
                            None => (avail, None),
                        };
                        let mut cond =
                            vec![("type", s(line, "Available")), ("status", s(line, st))];
                        if let Some(r) = reason {
                            cond.push(("reason", s(line, r)));
                        }
                        status.push(("conditions", seq(line, vec![map(line, cond)])));
                    }
                    top.push(("spec", map(line, spec)));
                    top.push(("status", map(line, status)));
                }
                "Service" => {
                    let mut spec = Vec::new();
                    if let Some(t) = present(cell("TYPE")) {
                        spec.push(("type", s(line, t)));
                    }
                    if let Some(ip) = present(cell("CLUSTER-IP")) {
                        spec.push(("clusterIP", s(line, ip)));
                    }
                    if let Some(ports) = present(cell("PORT(S)")) {
                        let items = ports
                            .split(',')
                            .filter_map(|p| {
                                let (port, proto) = p.split_once('/').unwrap_or((p, "TCP"));
                                let port = port.split(':').next()?;
                                Some(map(
                                    line,
                                    vec![
                                        (
                                            "port",
                                            Node {
                                                line,
                                                value: Value::Number(port.to_string()),
                                            },
                                        ),
                                        ("protocol", s(line, proto)),
                                    ],
                                ))
                            })
                            .collect();
                        spec.push(("ports", seq(line, items)));
                    }
                    top.push(("spec", map(line, spec)));
                }
                "Endpoints" => {
                    let addresses: Vec<Node> = present(cell("ENDPOINTS"))
                        .map(|eps| {
                            eps.split(',')
                                .filter(|e| !e.contains("more..."))
                                .map(|e| {
                                    let ip = e.rsplit_once(':').map_or(e, |(ip, _)| ip);
                                    map(line, vec![("ip", s(line, ip.trim()))])
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    if !addresses.is_empty() {
                        top.push((
                            "subsets",
                            seq(
                                line,
                                vec![map(line, vec![("addresses", seq(line, addresses))])],
                            ),
                        ));
                    }
                }
                "Node" => {
                    let mut status = Vec::new();
                    if let Some(ip) = present(cell("INTERNAL-IP")) {
                        status.push((
                            "addresses",
                            seq(
                                line,
                                vec![map(
                                    line,
                                    vec![("type", s(line, "InternalIP")), ("address", s(line, ip))],
                                )],
                            ),
                        ));
                    }
                    let mut labels = Vec::new();
                    if let Some(roles) = present(cell("ROLES")) {
                        for role in roles.split(',') {
                            labels.push((
                                Key::from(format!("node-role.kubernetes.io/{role}")),
                                s(line, ""),
                            ));
                        }
                    }
                    top.push(("status", map(line, status)));
                    if let Some((
                        _,
                        Node {
                            value: Value::Map(md),
                            ..
                        },
                    )) = top.iter_mut().find(|(k, _)| *k == "metadata")
                    {
                        md.push((
                            "labels".into(),
                            Node {
                                line,
                                value: Value::Map(labels),
                            },
                        ));
                    }
                }
                "Event" => {
                    if let Some(t) = present(cell("TYPE")) {
                        top.push(("type", s(line, t)));
                    }
                    if let Some(r) = present(cell("REASON")) {
                        top.push(("reason", s(line, r)));
                    }
                    if let Some(m) = present(cell("MESSAGE")) {
                        top.push(("message", s(line, m)));
                    }
                    if let Some(o) = present(cell("OBJECT")) {
                        let (k, n) = o.split_once('/').unwrap_or(("", o));
                        top.push((
                            "involvedObject",
                            map(line, vec![("kind", s(line, k)), ("name", s(line, n))]),
                        ));
                    }
                }
                _ => {}
            }
            Object {
                kind: kind.to_string(),
                name,
                namespace,
                body: map(line, top),
                origin: Origin {
                    source: source.to_string(),
                    line,
                },
                partial: true,
            }
        })
        .collect()
}

/// The `-n NS` / `--namespace=NS` of a command line.
pub fn namespace_flag(cmd: &str) -> Option<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if *w == "-n" || *w == "--namespace" {
            return words.get(i + 1).map(|s| (*s).to_string());
        }
        if let Some(v) = w
            .strip_prefix("--namespace=")
            .or_else(|| w.strip_prefix("-n="))
        {
            return Some(v.to_string());
        }
    }
    None
}

/// The kind a troubleshoot `cluster-resources/<dir>` folder (or `<dir>.json`) holds.
pub fn troubleshoot_kind(dir: &str) -> Option<&'static str> {
    Some(match dir {
        "pods" => "Pod",
        "services" => "Service",
        "deployments" => "Deployment",
        "replicasets" => "ReplicaSet",
        "statefulsets" => "StatefulSet",
        "daemonsets" => "DaemonSet",
        "jobs" => "Job",
        "cronjobs" => "CronJob",
        "events" => "Event",
        "endpoints" => "Endpoints",
        "endpointslices" => "EndpointSlice",
        "configmaps" => "ConfigMap",
        "pvcs" => "PersistentVolumeClaim",
        "leases" => "Lease",
        "serviceaccounts" => "ServiceAccount",
        "roles" => "Role",
        "rolebindings" => "RoleBinding",
        "ingress" => "Ingress",
        "network-policy" => "NetworkPolicy",
        "resource-quota" | "resource-quotas" => "ResourceQuota",
        "limitranges" => "LimitRange",
        "pod-disruption-budgets" => "PodDisruptionBudget",
        "namespaces" => "Namespace",
        "nodes" => "Node",
        "pvs" => "PersistentVolume",
        "storage-classes" => "StorageClass",
        "custom-resource-definitions" => "CustomResourceDefinition",
        "clusterroles" => "ClusterRole",
        "clusterrolebindings" | "clusterRoleBindings" => "ClusterRoleBinding",
        "priorityclasses" => "PriorityClass",
        "validating-webhook-configurations" => "ValidatingWebhookConfiguration",
        "mutating-webhook-configurations" => "MutatingWebhookConfiguration",
        "auth-cani-list" => "SelfSubjectRulesReview",
        "groups" => "APIGroup",
        "resources" => "APIResourceList",
        "apiservices" => "APIService",
        "horizontalpodautoscalers" | "hpas" | "horizontal-pod-autoscalers" => {
            "HorizontalPodAutoscaler"
        }
        "volumeattachments" => "VolumeAttachment",
        _ => return None,
    })
}
