//! Derived facts: what no single file states but the bundle as a whole shows.
//! One `NodeSummary` object per node seen anywhere (Node objects, pods'
//! `spec.nodeName`, the host of a shell prompt in a `curl` transcript), saying
//! whether it is a control-plane node and whether kube-proxy, a CNI agent and
//! metrics-server run on it. Rules use these like any other object, e.g. "a
//! control-plane node without kube-proxy while kube-proxy runs elsewhere".

use std::collections::BTreeMap;

use super::tree::{Node, Value};
use super::{FactStore, Object, Origin};

/// CNI agents recognised by pod name prefix.
const CNI: &[&str] = &[
    "calico-node",
    "kube-flannel",
    "flannel",
    "cilium",
    "weave-net",
    "kube-router",
    "canal",
    "antrea-agent",
    "kube-ovn-cni",
    "aws-node",
];

#[derive(Default)]
struct Seen {
    control_plane: bool,
    why: Vec<&'static str>,
    kube_proxy: bool,
    cni: bool,
    metrics_server: bool,
    pods: u64,
    internal_ip: Option<String>,
    origin: Option<Origin>,
    probe_host: bool,
}

fn node_name_looks_control_plane(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("master") || lower.contains("control-plane") || lower.contains("controlplane")
}

/// One `NodeSummary` object per node the bundle mentions.
pub fn node_summaries(store: &FactStore) -> Vec<Object> {
    let mut nodes: BTreeMap<String, Seen> = BTreeMap::new();
    for node in store.objects_of("Node") {
        let seen = nodes.entry(node.name.clone()).or_default();
        seen.origin.get_or_insert_with(|| node.origin.clone());
        let labelled = node
            .body
            .select("metadata.labels")
            .first()
            .and_then(|l| l.as_map())
            .is_some_and(|labels| {
                labels.iter().any(|(k, _)| {
                    k == "node-role.kubernetes.io/control-plane"
                        || k == "node-role.kubernetes.io/master"
                })
            });
        if labelled {
            seen.control_plane = true;
            seen.why.push("node-role label");
        }
        seen.internal_ip = node
            .body
            .select("status.addresses[type=InternalIP].address")
            .first()
            .and_then(|n| n.as_str())
            .map(str::to_string);
    }
    let mut kube_proxy_anywhere = false;
    for pod in store.objects_of("Pod") {
        let Some(node_name) = pod
            .body
            .select("spec.nodeName")
            .first()
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        if node_name.is_empty() || node_name == "<none>" {
            continue;
        }
        let seen = nodes.entry(node_name.to_string()).or_default();
        seen.origin.get_or_insert_with(|| pod.origin.clone());
        seen.pods += 1;
        let name = pod.name.as_str();
        if name.starts_with("kube-proxy") {
            seen.kube_proxy = true;
            kube_proxy_anywhere = true;
        }
        if CNI.iter().any(|c| name.starts_with(c)) {
            seen.cni = true;
        }
        if name.starts_with("metrics-server") {
            seen.metrics_server = true;
        }
        if [
            "kube-apiserver",
            "etcd-",
            "kube-controller-manager",
            "kube-scheduler",
        ]
        .iter()
        .any(|c| name.starts_with(c))
        {
            seen.control_plane = true;
            seen.why.push("control-plane static pods");
        }
    }
    for probe in &store.probes {
        if let Some(host) = &probe.host {
            let seen = nodes.entry(host.clone()).or_default();
            seen.origin.get_or_insert_with(|| probe.origin.clone());
            seen.probe_host = true;
        }
    }
    nodes
        .into_iter()
        .map(|(name, mut seen)| {
            if !seen.control_plane && node_name_looks_control_plane(&name) {
                seen.control_plane = true;
                seen.why.push("node name");
            }
            let origin = seen.origin.clone().unwrap_or(Origin {
                source: String::new(),
                line: 0,
            });
            let line = origin.line;
            let s = |t: &str| Node {
                line,
                value: Value::String(t.to_string()),
            };
            let b = |v: bool| Node {
                line,
                value: Value::Bool(v),
            };
            let mut fields = vec![
                ("kind".into(), s("NodeSummary")),
                (
                    "metadata".into(),
                    Node {
                        line,
                        value: Value::Map(vec![("name".into(), s(&name))]),
                    },
                ),
                ("controlPlane".into(), b(seen.control_plane)),
                ("controlPlaneBecause".into(), s(&seen.why.join(", "))),
                ("kubeProxy".into(), b(seen.kube_proxy)),
                (
                    "kubeProxyElsewhere".into(),
                    b(kube_proxy_anywhere && !seen.kube_proxy),
                ),
                ("cni".into(), b(seen.cni)),
                ("metricsServer".into(), b(seen.metrics_server)),
                ("probeHost".into(), b(seen.probe_host)),
                (
                    "pods".into(),
                    Node {
                        line,
                        value: Value::Number(seen.pods.to_string()),
                    },
                ),
            ];
            if let Some(ip) = &seen.internal_ip {
                fields.push(("internalIP".into(), s(ip)));
            }
            Object {
                kind: "NodeSummary".into(),
                name: name.clone(),
                namespace: None,
                body: Node {
                    line,
                    value: Value::Map(fields),
                },
                origin,
                partial: true,
            }
        })
        .collect()
}
