//! Deterministic generator of realistic troubleshoot-layout support bundles, for benchmarks.
//!
//! ```sh
//! cargo run --release --example gen_bundle -- --size 1GiB --out /tmp/b.tgz --seed 1 --failures 20
//! ```
//!
//! Writes a `.tar.gz` (streamed: one file is held in memory at a time) with the layout of a
//! Replicated `support-bundle`: `version.yaml`, `cluster-info/cluster_version.json`,
//! `cluster-resources/{namespaces,nodes}.json`, `cluster-resources/<kind>/<ns>.json` Lists for
//! pods, events, services, endpoints and deployments, and mostly container logs
//! `cluster-resources/pods/logs/<ns>/<pod>/<container>.log` (klog, JSON, ingress-nginx, CoreDNS,
//! Envoy access lines, timestamps increasing). `--failures N` places N real failure lines, taken
//! verbatim from the `metrics-server-log` evidence of the failure catalogue (`tests/catalogue/metrics-server.yaml`),
//! spread through the metrics-server pod's log; `--failures 0` gives a healthy bundle.
//!
//! The output depends only on the arguments (PRNG seeded with `--seed`, fixed mtimes, gzip
//! header without time), so the same command always writes the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

const ROOT: &str = "support-bundle-2024-05-17T10_24_03";
/// 2024-05-17T04:00:00Z: the logs start here (klog has no year).
const EPOCH_US: u64 = 1_715_918_400 * 1_000_000;
const MTIME: u64 = 1_715_941_443;
/// Largest log file generated (the generator holds one file in memory).
const MAX_LOG: u64 = 48 << 20;

const USAGE: &str = "usage: gen_bundle --size SIZE --out PATH [--seed N] [--failures N] \
[--failure-ids id,id] [--signatures FILE] [--level 0-9] [--cluster-size SIZE]
  SIZE: bytes of file content, e.g. 1MB, 100MiB, 1GiB, 2GiB (KB/MB/GB decimal, KiB/MiB/GiB binary)
  --cluster-size   the cluster (namespaces, nodes, pods, objects) of a bundle of this size; the rest
                   of --size is logs. Default: --size (bigger bundles come from bigger clusters)
  --failures N     metrics-server failure lines (verbatim evidence) in the metrics-server log; default 20
  --failure-ids    only evidence of these signature ids (comma-separated)
  --signatures     signature catalogue; default tests/catalogue/metrics-server.yaml (the
                   repository's copy of the failure catalogue)
  --level          gzip level, default 6 (the level of Go's gzip, which troubleshoot uses)";

fn main() {
    if let Err(e) = run() {
        eprintln!("gen_bundle: {e}");
        std::process::exit(2);
    }
}

struct Args {
    size: u64,
    cluster_size: Option<u64>,
    out: PathBuf,
    seed: u64,
    failures: usize,
    failure_ids: Option<Vec<String>>,
    signatures: PathBuf,
    level: u32,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("bad size {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => return Err(format!("bad size unit {other:?} in {s:?}")),
    };
    Ok((n * mult as f64) as u64)
}

fn parse_args() -> Result<Args, String> {
    let mut size = None;
    let mut cluster_size = None;
    let mut out = None;
    let mut seed = 1u64;
    let mut failures = 20usize;
    let mut failure_ids = None;
    let mut signatures = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/catalogue/metrics-server.yaml"
    ));
    let mut level = 6u32;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        if key == "-h" || key == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let mut val = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{key} needs a value\n{USAGE}"))
        };
        match key.as_str() {
            "--size" => size = Some(parse_size(&val()?)?),
            "--cluster-size" => cluster_size = Some(parse_size(&val()?)?),
            "--out" | "-o" => out = Some(PathBuf::from(val()?)),
            "--seed" => seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--failures" => failures = val()?.parse().map_err(|e| format!("--failures: {e}"))?,
            "--failure-ids" => {
                failure_ids = Some(val()?.split(',').map(|s| s.trim().to_string()).collect())
            }
            "--signatures" => signatures = PathBuf::from(val()?),
            "--level" => level = val()?.parse().map_err(|e| format!("--level: {e}"))?,
            _ => return Err(format!("unknown argument {a:?}\n{USAGE}")),
        }
    }
    Ok(Args {
        size: size.ok_or_else(|| format!("--size is required\n{USAGE}"))?,
        cluster_size,
        out: out.ok_or_else(|| format!("--out is required\n{USAGE}"))?,
        seed,
        failures,
        failure_ids,
        signatures,
        level: level.min(9),
    })
}

// ---------------------------------------------------------------- PRNG

/// SplitMix64: tiny, fast, good enough, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    fn pick<'a, T>(&mut self, s: &'a [T]) -> &'a T {
        &s[self.below(s.len() as u64) as usize]
    }
    /// Kubernetes-style random suffix (`k8s.io/apimachinery/pkg/util/rand` alphabet).
    fn suffix(&mut self, n: usize) -> String {
        const A: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n).map(|_| *self.pick(A) as char).collect()
    }
    fn hex(&mut self, n: usize) -> String {
        const H: &[u8] = b"0123456789abcdef";
        (0..n).map(|_| *self.pick(H) as char).collect()
    }
    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12)
        )
    }
}

// ---------------------------------------------------------------- time

/// (year, month, day) from days since 1970-01-01, as the log parser computes it.
fn civil(days: i64) -> (i64, u32, u32) {
    bundle_doctor::facts::logline::civil_from_days(days)
}

#[derive(Clone, Copy)]
struct Tm {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    micros: u32,
}

fn tm(us: u64) -> Tm {
    let secs = us / 1_000_000;
    let (year, month, day) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    Tm {
        year,
        month,
        day,
        hour: (s / 3600) as u32,
        min: (s / 60 % 60) as u32,
        sec: (s % 60) as u32,
        micros: (us % 1_000_000) as u32,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn rfc3339(us: u64) -> String {
    let t = tm(us);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.min, t.sec
    )
}

// ---------------------------------------------------------------- cluster model

const WORDS: &[&str] = &[
    "orders",
    "payments",
    "checkout",
    "catalog",
    "inventory",
    "search",
    "auth",
    "gateway",
    "notifications",
    "billing",
    "cart",
    "users",
    "reports",
    "ingest",
    "analytics",
    "recommendations",
    "shipping",
    "pricing",
    "media",
    "ledger",
    "fraud",
    "loyalty",
    "reviews",
    "accounts",
    "onboarding",
    "identity",
    "geo",
    "quotes",
    "claims",
    "tickets",
];
const ENVS: &[&str] = &["prod", "staging", "dev", "qa", "perf"];
const ROLES: &[&str] = &[
    "api",
    "web",
    "worker",
    "consumer",
    "frontend",
    "backend",
    "cron-runner",
    "grpc",
];
const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicaSet",
    "Service",
    "EndpointSlice",
    "ConfigMap",
    "Secret",
    "Node",
];

#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// klog of a Kubernetes component or operator.
    Klog,
    /// metrics-server's own klog.
    MetricsServer,
    /// zap/logrus-style JSON lines.
    Json,
    /// etcd's JSON.
    Etcd,
    /// ingress-nginx access log.
    Nginx,
    /// CoreDNS query log.
    CoreDns,
    /// Envoy (istio-proxy) access log.
    Envoy,
    /// logfmt (Prometheus, Grafana, Go kit).
    Logfmt,
    /// calico-node's own text format.
    Calico,
}

struct Container {
    name: String,
    image: String,
    style: Style,
    port: u16,
}

struct Pod {
    ns: String,
    name: String,
    owner: Option<(String, String)>, // (kind, name)
    app: String,
    node: usize,
    ip: String,
    uid: String,
    containers: Vec<Container>,
    restarts: u32,
    log_weight: f64,
}

struct Workload {
    ns: String,
    name: String,
    kind: &'static str,
    replicas: u32,
    template: Vec<(String, String, Style, u16)>,
    hash: String,
}

struct Node {
    name: String,
    ip: String,
    control_plane: bool,
}

struct Cluster {
    namespaces: Vec<String>,
    nodes: Vec<Node>,
    workloads: Vec<Workload>,
    pods: Vec<Pod>,
    /// Index in `pods` of the metrics-server pod.
    metrics_server: usize,
}

fn pod_ip(rng: &mut Rng, node: usize) -> String {
    format!("10.244.{}.{}", node % 250, rng.range(2, 254))
}

fn build_cluster(rng: &mut Rng, size: u64) -> Cluster {
    let ns_count = (size / 10_000_000).clamp(3, 400) as usize;
    let node_count = (ns_count / 3).clamp(3, 60);
    let nodes: Vec<Node> = (0..node_count)
        .map(|i| {
            let cp = i < if node_count >= 9 { 3 } else { 1 };
            Node {
                name: if cp {
                    format!("cp-{}", i + 1)
                } else {
                    format!("ip-10-0-{}-{}.ec2.internal", 1 + i / 200, 10 + i % 200)
                },
                ip: format!("10.0.{}.{}", 1 + i / 200, 10 + i % 200),
                control_plane: cp,
            }
        })
        .collect();
    let mut namespaces: Vec<String> = [
        "kube-system",
        "default",
        "monitoring",
        "ingress-nginx",
        "cert-manager",
    ]
    .iter()
    .take(ns_count)
    .map(|s| s.to_string())
    .collect();
    let mut n = 0;
    while namespaces.len() < ns_count {
        let name = format!(
            "{}-{}",
            WORDS[n % WORDS.len()],
            ENVS[(n / WORDS.len()) % ENVS.len()]
        );
        let name = if n >= WORDS.len() * ENVS.len() {
            format!("{name}-{}", n / (WORDS.len() * ENVS.len()))
        } else {
            name
        };
        namespaces.push(name);
        n += 1;
    }

    let mut workloads = Vec::new();
    let mut wl = |ns: &str,
                  name: &str,
                  kind: &'static str,
                  replicas: u32,
                  tpl: Vec<(&str, &str, Style, u16)>,
                  rng: &mut Rng| {
        workloads.push(Workload {
            ns: ns.to_string(),
            name: name.to_string(),
            kind,
            replicas,
            template: tpl
                .into_iter()
                .map(|(a, b, s, p)| (a.to_string(), b.to_string(), s, p))
                .collect(),
            hash: rng.suffix(10),
        });
    };
    for ns in &namespaces {
        match ns.as_str() {
            "kube-system" => {
                wl(
                    ns,
                    "coredns",
                    "Deployment",
                    2,
                    vec![(
                        "coredns",
                        "registry.k8s.io/coredns/coredns:v1.11.1",
                        Style::CoreDns,
                        53,
                    )],
                    rng,
                );
                wl(
                    ns,
                    "metrics-server",
                    "Deployment",
                    1,
                    vec![(
                        "metrics-server",
                        "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
                        Style::MetricsServer,
                        10250,
                    )],
                    rng,
                );
                wl(
                    ns,
                    "kube-proxy",
                    "DaemonSet",
                    0,
                    vec![(
                        "kube-proxy",
                        "registry.k8s.io/kube-proxy:v1.29.4",
                        Style::Klog,
                        0,
                    )],
                    rng,
                );
                wl(
                    ns,
                    "calico-node",
                    "DaemonSet",
                    0,
                    vec![(
                        "calico-node",
                        "docker.io/calico/node:v3.27.3",
                        Style::Calico,
                        0,
                    )],
                    rng,
                );
                wl(
                    ns,
                    "ebs-csi-controller",
                    "Deployment",
                    2,
                    vec![
                        (
                            "ebs-plugin",
                            "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.30.0",
                            Style::Klog,
                            9808,
                        ),
                        (
                            "csi-provisioner",
                            "public.ecr.aws/eks-distro/kubernetes-csi/external-provisioner:v4.0.1",
                            Style::Klog,
                            0,
                        ),
                    ],
                    rng,
                );
            }
            "monitoring" => {
                wl(
                    ns,
                    "prometheus-k8s",
                    "StatefulSet",
                    2,
                    vec![
                        (
                            "prometheus",
                            "quay.io/prometheus/prometheus:v2.51.2",
                            Style::Logfmt,
                            9090,
                        ),
                        (
                            "config-reloader",
                            "quay.io/prometheus-operator/prometheus-config-reloader:v0.73.2",
                            Style::Logfmt,
                            8080,
                        ),
                    ],
                    rng,
                );
                wl(
                    ns,
                    "prometheus-operator",
                    "Deployment",
                    1,
                    vec![(
                        "prometheus-operator",
                        "quay.io/prometheus-operator/prometheus-operator:v0.73.2",
                        Style::Logfmt,
                        8080,
                    )],
                    rng,
                );
                wl(
                    ns,
                    "kube-state-metrics",
                    "Deployment",
                    1,
                    vec![(
                        "kube-state-metrics",
                        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.12.0",
                        Style::Klog,
                        8080,
                    )],
                    rng,
                );
                wl(
                    ns,
                    "grafana",
                    "Deployment",
                    1,
                    vec![(
                        "grafana",
                        "docker.io/grafana/grafana:10.4.2",
                        Style::Logfmt,
                        3000,
                    )],
                    rng,
                );
            }
            "ingress-nginx" => {
                wl(
                    ns,
                    "ingress-nginx-controller",
                    "Deployment",
                    2,
                    vec![(
                        "controller",
                        "registry.k8s.io/ingress-nginx/controller:v1.10.1",
                        Style::Nginx,
                        443,
                    )],
                    rng,
                );
            }
            "cert-manager" => {
                wl(
                    ns,
                    "cert-manager",
                    "Deployment",
                    1,
                    vec![(
                        "cert-manager-controller",
                        "quay.io/jetstack/cert-manager-controller:v1.14.5",
                        Style::Klog,
                        9402,
                    )],
                    rng,
                );
                wl(
                    ns,
                    "cert-manager-webhook",
                    "Deployment",
                    1,
                    vec![(
                        "cert-manager-webhook",
                        "quay.io/jetstack/cert-manager-webhook:v1.14.5",
                        Style::Klog,
                        10250,
                    )],
                    rng,
                );
            }
            _ => {
                let team = ns.split('-').next().unwrap_or("app").to_string();
                let apps = rng.range(2, 5);
                let mesh = rng.chance(0.4);
                for a in 0..apps {
                    let role = ROLES[(a as usize + ns.len()) % ROLES.len()];
                    let name = format!("{team}-{role}");
                    let style = *rng.pick(&[Style::Json, Style::Json, Style::Klog, Style::Nginx]);
                    let image = format!(
                        "registry.example.com/{team}/{role}:1.{}.{}",
                        rng.below(30),
                        rng.below(10)
                    );
                    let mut tpl = vec![(role, image.as_str(), style, 8080u16)];
                    if mesh {
                        tpl.push((
                            "istio-proxy",
                            "docker.io/istio/proxyv2:1.21.2",
                            Style::Envoy,
                            15090,
                        ));
                    }
                    let replicas = rng.range(1, 4) as u32;
                    wl(ns, &name, "Deployment", replicas, tpl, rng);
                }
                if rng.chance(0.3) {
                    wl(
                        ns,
                        &format!("{team}-redis"),
                        "StatefulSet",
                        1,
                        vec![("redis", "docker.io/library/redis:7.2.4", Style::Json, 6379)],
                        rng,
                    );
                }
            }
        }
    }

    // Pods: workloads, daemonsets on every node, static control-plane pods.
    let mut pods = Vec::new();
    let mut metrics_server = 0;
    let mk_containers = |tpl: &[(String, String, Style, u16)]| -> Vec<Container> {
        tpl.iter()
            .map(|(n, i, s, p)| Container {
                name: n.clone(),
                image: i.clone(),
                style: *s,
                port: *p,
            })
            .collect()
    };
    for w in &workloads {
        let names: Vec<(String, usize)> = match w.kind {
            "DaemonSet" => (0..nodes.len())
                .map(|i| (format!("{}-{}", w.name, rng.suffix(5)), i))
                .collect(),
            "StatefulSet" => (0..w.replicas)
                .map(|i| {
                    (
                        format!("{}-{i}", w.name),
                        rng.below(nodes.len() as u64) as usize,
                    )
                })
                .collect(),
            _ => (0..w.replicas)
                .map(|_| {
                    (
                        format!("{}-{}-{}", w.name, w.hash, rng.suffix(5)),
                        rng.below(nodes.len() as u64) as usize,
                    )
                })
                .collect(),
        };
        for (name, node) in names {
            let owner = match w.kind {
                "Deployment" => ("ReplicaSet".to_string(), format!("{}-{}", w.name, w.hash)),
                k => (k.to_string(), w.name.clone()),
            };
            // Log volume per container: heavy-tailed, a few chatty pods dominate.
            let u = rng.f64().max(1e-3);
            let mut weight = (1.0 / u.powf(0.8)).min(60.0);
            if matches!(w.template[0].2, Style::Nginx | Style::CoreDns) {
                weight *= 2.0;
            }
            if w.name == "metrics-server" {
                metrics_server = pods.len();
            }
            pods.push(Pod {
                ns: w.ns.clone(),
                name,
                owner: Some(owner),
                app: w.name.clone(),
                node,
                ip: if w.kind == "DaemonSet" {
                    nodes[node].ip.clone()
                } else {
                    pod_ip(rng, node)
                },
                uid: rng.uuid(),
                containers: mk_containers(&w.template),
                restarts: if w.name != "metrics-server" && rng.chance(0.08) {
                    rng.range(1, 12) as u32
                } else {
                    0
                },
                log_weight: weight,
            });
        }
    }
    for (i, node) in nodes.iter().enumerate().filter(|(_, n)| n.control_plane) {
        for (comp, image, style) in [
            (
                "kube-apiserver",
                "registry.k8s.io/kube-apiserver:v1.29.4",
                Style::Klog,
            ),
            (
                "kube-controller-manager",
                "registry.k8s.io/kube-controller-manager:v1.29.4",
                Style::Klog,
            ),
            (
                "kube-scheduler",
                "registry.k8s.io/kube-scheduler:v1.29.4",
                Style::Klog,
            ),
            ("etcd", "registry.k8s.io/etcd:3.5.12-0", Style::Etcd),
        ] {
            pods.push(Pod {
                ns: "kube-system".into(),
                name: format!("{comp}-{}", node.name),
                owner: Some(("Node".into(), node.name.clone())),
                app: comp.into(),
                node: i,
                ip: node.ip.clone(),
                uid: rng.uuid(),
                containers: vec![Container {
                    name: comp.into(),
                    image: image.into(),
                    style,
                    port: 0,
                }],
                restarts: 0,
                log_weight: if comp == "kube-apiserver" { 8.0 } else { 3.0 },
            });
        }
    }
    Cluster {
        namespaces,
        nodes,
        workloads,
        pods,
        metrics_server,
    }
}

// ---------------------------------------------------------------- objects

fn ts(rng: &mut Rng) -> String {
    rfc3339(EPOCH_US - rng.range(3_600, 90 * 86_400) * 1_000_000)
}

fn list(kind: &str, api: &str, items: Vec<Value>) -> Value {
    json!({"kind": kind, "apiVersion": api, "metadata": {"resourceVersion": "48213376"}, "items": items})
}

fn pod_json(rng: &mut Rng, c: &Cluster, p: &Pod) -> Value {
    let node = &c.nodes[p.node];
    let created = ts(rng);
    let containers: Vec<Value> = p.containers.iter().map(|k| {
        let mut v = json!({
            "name": k.name, "image": k.image, "imagePullPolicy": "IfNotPresent",
            "resources": {"requests": {"cpu": format!("{}m", 50 * rng.range(1, 10)), "memory": format!("{}Mi", 64 * rng.range(1, 16))},
                          "limits": {"memory": format!("{}Mi", 256 * rng.range(1, 8))}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"name": format!("kube-api-access-{}", rng.suffix(5)), "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
        });
        if k.style == Style::MetricsServer {
            v["args"] = json!(["--cert-dir=/tmp", "--secure-port=10250", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname", "--kubelet-use-node-status-port", "--metric-resolution=15s"]);
            v["readinessProbe"] = json!({"httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"}, "initialDelaySeconds": 20, "periodSeconds": 10, "failureThreshold": 3});
            v["livenessProbe"] = json!({"httpGet": {"path": "/livez", "port": "https", "scheme": "HTTPS"}, "periodSeconds": 10, "failureThreshold": 3});
        }
        if k.port != 0 {
            v["ports"] = json!([{"name": if k.style == Style::MetricsServer { "https" } else { "http" }, "containerPort": k.port, "protocol": "TCP"}]);
        }
        v
    }).collect();
    let statuses: Vec<Value> = p.containers.iter().map(|k| {
        let mut s = json!({
            "name": k.name, "ready": true, "restartCount": p.restarts, "image": k.image,
            "imageID": format!("{}@sha256:{}", k.image.split(':').next().unwrap_or(""), rng.hex(64)),
            "containerID": format!("containerd://{}", rng.hex(64)), "started": true,
            "state": {"running": {"startedAt": created}}
        });
        if p.restarts > 0 {
            s["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": created, "finishedAt": created, "containerID": format!("containerd://{}", rng.hex(64))}});
        }
        s
    }).collect();
    let mut meta = json!({
        "name": p.name, "namespace": p.ns, "uid": p.uid, "resourceVersion": rng.range(1_000, 48_000_000).to_string(),
        "creationTimestamp": created,
        "labels": {"app.kubernetes.io/name": p.app, "pod-template-hash": rng.suffix(10)},
        "annotations": {"kubectl.kubernetes.io/restartedAt": created}
    });
    if let Some((kind, name)) = &p.owner {
        meta["ownerReferences"] = json!([{"apiVersion": if kind == "Node" { "v1" } else { "apps/v1" }, "kind": kind, "name": name, "uid": rng.uuid(), "controller": true, "blockOwnerDeletion": true}]);
    }
    let conditions: Vec<Value> = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
        .iter()
        .map(|t| json!({"type": t, "status": "True", "lastProbeTime": null, "lastTransitionTime": created}))
        .collect();
    json!({
        "kind": "Pod", "apiVersion": "v1", "metadata": meta,
        "spec": {
            "containers": containers, "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst", "serviceAccountName": p.app, "nodeName": node.name,
            "securityContext": {}, "schedulerName": "default-scheduler", "priority": 0,
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        },
        "status": {
            "phase": "Running",
            "conditions": conditions,
            "hostIP": node.ip, "hostIPs": [{"ip": node.ip}], "podIP": p.ip, "podIPs": [{"ip": p.ip}],
            "startTime": created, "containerStatuses": statuses, "qosClass": "Burstable"
        }
    })
}

fn node_json(rng: &mut Rng, n: &Node) -> Value {
    let mut labels = json!({"kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "m6i.2xlarge", "topology.kubernetes.io/zone": "us-east-1a"});
    if n.control_plane {
        labels["node-role.kubernetes.io/control-plane"] = json!("");
    }
    let t = ts(rng);
    json!({
        "kind": "Node", "apiVersion": "v1",
        "metadata": {"name": n.name, "uid": rng.uuid(), "resourceVersion": rng.range(1_000, 48_000_000).to_string(), "creationTimestamp": t, "labels": labels,
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": "10.244.0.0/24", "providerID": format!("aws:///us-east-1a/i-{}", rng.hex(17))},
        "status": {
            "capacity": {"cpu": "8", "memory": "32386892Ki", "pods": "110", "ephemeral-storage": "104845292Ki"},
            "allocatable": {"cpu": "7910m", "memory": "31369036Ki", "pods": "110", "ephemeral-storage": "95551679124"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": t, "lastTransitionTime": t, "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
                {"type": "DiskPressure", "status": "False", "lastHeartbeatTime": t, "lastTransitionTime": t, "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure"},
                {"type": "PIDPressure", "status": "False", "lastHeartbeatTime": t, "lastTransitionTime": t, "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available"},
                {"type": "Ready", "status": "True", "lastHeartbeatTime": t, "lastTransitionTime": t, "reason": "KubeletReady", "message": "kubelet is posting ready status"}
            ],
            "addresses": [{"type": "InternalIP", "address": n.ip}, {"type": "Hostname", "address": n.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": rng.hex(32), "systemUUID": rng.uuid(), "bootID": rng.uuid(), "kernelVersion": "6.1.84-99.169.amzn2023.x86_64",
                         "osImage": "Amazon Linux 2023", "containerRuntimeVersion": "containerd://1.7.11", "kubeletVersion": "v1.29.4",
                         "kubeProxyVersion": "v1.29.4", "operatingSystem": "linux", "architecture": "amd64"}
        }
    })
}

fn event_json(
    rng: &mut Rng,
    p: &Pod,
    c: &Container,
    reason: &str,
    etype: &str,
    msg: String,
    count: u32,
) -> Value {
    let t = ts(rng);
    json!({
        "kind": "Event", "apiVersion": "v1",
        "metadata": {"name": format!("{}.{}", p.name, rng.hex(16)), "namespace": p.ns, "uid": rng.uuid(), "resourceVersion": rng.range(1_000, 48_000_000).to_string(), "creationTimestamp": t},
        "involvedObject": {"kind": "Pod", "namespace": p.ns, "name": p.name, "uid": p.uid, "apiVersion": "v1", "fieldPath": format!("spec.containers{{{}}}", c.name)},
        "reason": reason, "message": msg, "source": {"component": "kubelet", "host": "node"},
        "firstTimestamp": t, "lastTimestamp": t, "count": count, "type": etype, "eventTime": null,
        "reportingComponent": "kubelet", "reportingInstance": ""
    })
}

fn events_for(rng: &mut Rng, p: &Pod) -> Vec<Value> {
    let mut out = Vec::new();
    for c in &p.containers {
        if rng.chance(0.5) {
            out.push(event_json(
                rng,
                p,
                c,
                "Pulled",
                "Normal",
                format!("Container image \"{}\" already present on machine", c.image),
                1,
            ));
            out.push(event_json(
                rng,
                p,
                c,
                "Created",
                "Normal",
                format!("Created container {}", c.name),
                1,
            ));
            out.push(event_json(
                rng,
                p,
                c,
                "Started",
                "Normal",
                format!("Started container {}", c.name),
                1,
            ));
        }
        if p.restarts > 0 {
            out.push(event_json(
                rng,
                p,
                c,
                "BackOff",
                "Warning",
                format!(
                    "Back-off restarting failed container {} in pod {}_{}({})",
                    c.name, p.name, p.ns, p.uid
                ),
                p.restarts,
            ));
            let n = rng.range(1, 40) as u32;
            out.push(event_json(
                rng,
                p,
                c,
                "Unhealthy",
                "Warning",
                "Readiness probe failed: HTTP probe failed with statuscode: 503".into(),
                n,
            ));
        }
    }
    out
}

fn service_json(rng: &mut Rng, w: &Workload) -> Value {
    let port = w.template[0].3;
    let (sport, tport) = if w.name == "metrics-server" {
        (443, json!("https"))
    } else {
        (if port == 53 { 53 } else { 80 }, json!(port))
    };
    json!({
        "kind": "Service", "apiVersion": "v1",
        "metadata": {"name": w.name, "namespace": w.ns, "uid": rng.uuid(), "resourceVersion": rng.range(1_000, 48_000_000).to_string(), "creationTimestamp": ts(rng),
                     "labels": {"app.kubernetes.io/name": w.name}},
        "spec": {"ports": [{"name": if w.name == "metrics-server" { "https" } else { "http" }, "protocol": "TCP", "port": sport, "targetPort": tport}],
                 "selector": {"app.kubernetes.io/name": w.name}, "clusterIP": format!("10.96.{}.{}", rng.below(255), rng.range(1, 254)),
                 "type": "ClusterIP", "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"},
        "status": {"loadBalancer": {}}
    })
}

fn endpoints_json(rng: &mut Rng, c: &Cluster, w: &Workload) -> Value {
    let addrs: Vec<Value> = c.pods.iter().filter(|p| p.app == w.name && p.ns == w.ns)
        .map(|p| json!({"ip": p.ip, "nodeName": c.nodes[p.node].name, "targetRef": {"kind": "Pod", "namespace": p.ns, "name": p.name, "uid": p.uid}}))
        .collect();
    json!({
        "kind": "Endpoints", "apiVersion": "v1",
        "metadata": {"name": w.name, "namespace": w.ns, "uid": rng.uuid(), "resourceVersion": rng.range(1_000, 48_000_000).to_string(), "creationTimestamp": ts(rng),
                     "labels": {"app.kubernetes.io/name": w.name}},
        "subsets": [{"addresses": addrs, "ports": [{"name": if w.name == "metrics-server" { "https" } else { "http" }, "port": w.template[0].3, "protocol": "TCP"}]}]
    })
}

fn deployment_json(rng: &mut Rng, w: &Workload) -> Value {
    let containers: Vec<Value> = w.template.iter().map(|(n, i, _, p)| json!({"name": n, "image": i, "ports": [{"containerPort": p, "protocol": "TCP"}], "resources": {}})).collect();
    let t = ts(rng);
    json!({
        "kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"name": w.name, "namespace": w.ns, "uid": rng.uuid(), "resourceVersion": rng.range(1_000, 48_000_000).to_string(), "generation": rng.range(1, 40), "creationTimestamp": t,
                     "labels": {"app.kubernetes.io/name": w.name}, "annotations": {"deployment.kubernetes.io/revision": rng.range(1, 30).to_string()}},
        "spec": {"replicas": w.replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": w.name}},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": w.name}}, "spec": {"containers": containers, "restartPolicy": "Always", "serviceAccountName": w.name}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
        "status": {"observedGeneration": 1, "replicas": w.replicas, "updatedReplicas": w.replicas, "readyReplicas": w.replicas, "availableReplicas": w.replicas,
                   "conditions": [
                       {"type": "Available", "status": "True", "lastUpdateTime": t, "lastTransitionTime": t, "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                       {"type": "Progressing", "status": "True", "lastUpdateTime": t, "lastTransitionTime": t, "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{}-{}\" has successfully progressed.", w.name, w.hash)}]}
    })
}

// ---------------------------------------------------------------- logs

/// Line generator of one container log: its own PRNG stream and clock.
struct LogGen<'a> {
    rng: Rng,
    c: &'a Cluster,
    t_us: u64,
    step_us: u64,
}

impl LogGen<'_> {
    fn tick(&mut self) {
        self.t_us += self.rng.below(2 * self.step_us + 1);
    }
    /// The body of a kube-apiserver `httplog.go` line: a GET of `uri` by `ua` taking `lat` µs.
    fn httplog_line(&mut self, out: &mut Vec<u8>, uri: &str, ua: &str, lat: u64) {
        let _ = writeln!(
            out,
            "\"HTTP\" verb=\"GET\" URI=\"{uri}\" latency=\"{}.{:03}ms\" userAgent=\"{ua}\" audit-ID=\"{}\" srcIP=\"{}:{}\" resp=200",
            lat / 1000,
            lat % 1000,
            self.rng.uuid(),
            self.c.nodes[0].ip,
            self.rng.range(30_000, 60_000)
        );
    }

    fn klog_prefix(&mut self, out: &mut Vec<u8>, sev: char, file: &str, line: u64) {
        let t = tm(self.t_us);
        let _ = write!(
            out,
            "{sev}{:02}{:02} {:02}:{:02}:{:02}.{:06}       1 {file}:{line}] ",
            t.month, t.day, t.hour, t.min, t.sec, t.micros
        );
    }
    fn any_ns(&mut self) -> &str {
        let i = self.rng.below(self.c.namespaces.len() as u64) as usize;
        &self.c.namespaces[i]
    }
    fn any_pod(&mut self) -> &Pod {
        let i = self.rng.below(self.c.pods.len() as u64) as usize;
        &self.c.pods[i]
    }

    fn line(&mut self, out: &mut Vec<u8>, style: Style) {
        self.tick();
        match style {
            Style::Klog => self.klog(out),
            Style::MetricsServer => self.metrics_server(out),
            Style::Json => self.json(out),
            Style::Etcd => self.etcd(out),
            Style::Nginx => self.nginx(out),
            Style::CoreDns => self.coredns(out),
            Style::Envoy => self.envoy(out),
            Style::Logfmt => self.logfmt(out),
            Style::Calico => self.calico(out),
        }
    }

    fn klog(&mut self, out: &mut Vec<u8>) {
        let r = self.rng.below(100);
        let p = self.any_pod();
        let (pns, pname, puid, pip) = (p.ns.clone(), p.name.clone(), p.uid.clone(), p.ip.clone());
        let app = p.app.clone();
        let kind = *self.rng.pick(KINDS);
        match r {
            0..=17 => {
                self.klog_prefix(out, 'I', "httplog.go", 132);
                let lat = self.rng.range(200, 90_000);
                self.httplog_line(
                    out,
                    &format!("/apis/apps/v1/namespaces/{pns}/deployments/{app}"),
                    "kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/system:serviceaccount:kube-system:deployment-controller",
                    lat,
                );
            }
            18..=33 => {
                self.klog_prefix(out, 'I', "controller.go", 115);
                let _ = writeln!(
                    out,
                    "\"Reconciling\" controller=\"{}\" controllerGroup=\"apps\" controllerKind=\"{kind}\" {kind}=\"{pns}/{app}\" namespace=\"{pns}\" name=\"{app}\" reconcileID=\"{}\"",
                    kind.to_ascii_lowercase(),
                    self.rng.uuid()
                );
            }
            34..=45 => {
                self.klog_prefix(out, 'I', "controller.go", 327);
                let _ = writeln!(
                    out,
                    "\"Reconcile successful\" controller=\"{}\" namespace=\"{pns}\" name=\"{app}\" reconcileID=\"{}\" duration=\"{}.{}ms\"",
                    kind.to_ascii_lowercase(),
                    self.rng.uuid(),
                    self.rng.below(40),
                    self.rng.below(1000)
                );
            }
            46..=55 => {
                self.klog_prefix(out, 'I', "event.go", 376);
                let _ = writeln!(
                    out,
                    "\"Event occurred\" object=\"{pns}/{app}\" fieldPath=\"\" kind=\"Deployment\" apiVersion=\"apps/v1\" type=\"Normal\" reason=\"ScalingReplicaSet\" message=\"Scaled up replica set {app}-{} to {}\"",
                    self.rng.suffix(10),
                    self.rng.range(1, 6)
                );
            }
            56..=63 => {
                self.klog_prefix(out, 'I', "reflector.go", 351);
                let _ = writeln!(
                    out,
                    "Caches populated for *v1.{kind} from k8s.io/client-go/informers/factory.go:159"
                );
            }
            64..=70 => {
                self.klog_prefix(out, 'I', "round_trippers.go", 553);
                let _ = writeln!(
                    out,
                    "GET https://10.96.0.1:443/api/v1/namespaces/{pns}/pods?labelSelector=app.kubernetes.io%2Fname%3D{app}&limit=500 200 OK in {} milliseconds",
                    self.rng.range(1, 40)
                );
            }
            71..=77 => {
                self.klog_prefix(out, 'I', "trace.go", 236);
                let ms = self.rng.range(500, 4000);
                let _ = writeln!(
                    out,
                    "Trace[{}]: \"Update\" accept:application/vnd.kubernetes.protobuf, */*,audit-id:{},client:{pip},api-group:apps,api-version:v1,name:{app},subresource:status,namespace:{pns},protocol:HTTP/2.0,resource:deployments,scope:resource,url:/apis/apps/v1/namespaces/{pns}/deployments/{app}/status,verb:PUT (total time: {ms}ms):",
                    self.rng.below(2_000_000_000),
                    self.rng.uuid()
                );
            }
            78..=83 => {
                self.klog_prefix(out, 'I', "proxier.go", 796);
                let _ = writeln!(
                    out,
                    "\"SyncProxyRules complete\" elapsed=\"{}.{:03}ms\"",
                    self.rng.range(20, 400),
                    self.rng.below(1000)
                );
            }
            84..=87 => {
                self.klog_prefix(out, 'I', "shared_informer.go", 320);
                let ctrl = *self.rng.pick(&[
                    "endpoint",
                    "endpoint_slice",
                    "replicaset",
                    "deployment",
                    "garbage collector",
                    "resource quota",
                    "namespace",
                    "daemon sets",
                ]);
                let _ = writeln!(out, "Caches are synced for {ctrl}");
            }
            88..=91 => {
                self.klog_prefix(out, 'W', "warnings.go", 70);
                let _ = writeln!(
                    out,
                    "spec.template.spec.containers[0].env[{}]: hides previous definition of \"POD_IP\", which may be dropped when using apply",
                    self.rng.below(8)
                );
            }
            92..=94 => {
                self.klog_prefix(out, 'E', "pod_workers.go", 1298);
                let c = "app";
                let _ = writeln!(
                    out,
                    "\"Error syncing pod, skipping\" err=\"failed to \\\"StartContainer\\\" for \\\"{c}\\\" with CrashLoopBackOff: \\\"back-off 5m0s restarting failed container={c} pod={pname}_{pns}({puid})\\\"\" pod=\"{pns}/{pname}\" podUID=\"{puid}\""
                );
            }
            95..=97 => {
                self.klog_prefix(out, 'I', "leaderelection.go", 260);
                let _ = writeln!(out, "successfully renewed lease {pns}/{app}-leader");
            }
            _ => {
                self.klog_prefix(out, 'E', "controller.go", 329);
                let v = self.rng.range(1000, 48_000_000);
                let _ = writeln!(
                    out,
                    "\"Reconciler error\" err=\"Operation cannot be fulfilled on {}s.apps \\\"{app}\\\": the object has been modified; please apply your changes to the latest version and try again\" controller=\"{}\" namespace=\"{pns}\" name=\"{app}\" resourceVersion=\"{v}\"",
                    kind.to_ascii_lowercase(),
                    kind.to_ascii_lowercase()
                );
            }
        }
    }

    fn metrics_server(&mut self, out: &mut Vec<u8>) {
        let r = self.rng.below(100);
        match r {
            0..=24 => {
                self.klog_prefix(out, 'I', "scraper.go", 121);
                let _ = writeln!(
                    out,
                    "\"Scraping metrics from nodes\" nodes=[{}] nodeCount={} nodeSelector=\"\"",
                    self.c
                        .nodes
                        .iter()
                        .take(8)
                        .map(|n| format!("\"{}\"", n.name))
                        .collect::<Vec<_>>()
                        .join(","),
                    self.c.nodes.len()
                );
            }
            25..=44 => {
                let n = self.rng.below(self.c.nodes.len() as u64) as usize;
                self.klog_prefix(out, 'I', "scraper.go", 173);
                let _ = writeln!(out, "\"Scraping node\" node=\"{}\"", self.c.nodes[n].name);
            }
            45..=64 => {
                self.klog_prefix(out, 'I', "scraper.go", 143);
                let _ = writeln!(
                    out,
                    "\"Scrape finished\" duration=\"{}.{:06}ms\" nodeCount={} podCount={}",
                    self.rng.range(20, 900),
                    self.rng.below(1_000_000),
                    self.c.nodes.len(),
                    self.c.pods.len()
                );
            }
            65..=74 => {
                self.klog_prefix(out, 'I', "server.go", 136);
                let _ = writeln!(out, "\"Storing metrics\"");
            }
            75..=79 => {
                self.klog_prefix(out, 'I', "server.go", 141);
                let _ = writeln!(out, "\"Cleaning up old metrics\"");
            }
            _ => {
                self.klog_prefix(out, 'I', "httplog.go", 132);
                let (uri, ua) = *self.rng.pick(&[
                    ("/readyz", "kube-probe/1.29"),
                    ("/livez", "kube-probe/1.29"),
                    ("/apis/metrics.k8s.io/v1beta1/nodes", "kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8"),
                    ("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", "kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/system:serviceaccount:kube-system:horizontal-pod-autoscaler"),
                ]);
                let lat = self.rng.range(300, 20_000);
                self.httplog_line(out, uri, ua, lat);
            }
        }
    }

    fn json(&mut self, out: &mut Vec<u8>) {
        let t = tm(self.t_us);
        let ms = t.micros / 1000;
        let r = self.rng.below(100);
        let id = self.rng.uuid();
        let (level, caller, msg, extra) = match r {
            0..=54 => {
                let path = *self.rng.pick(&[
                    "/api/v1/orders",
                    "/api/v1/items",
                    "/api/v1/users/me",
                    "/healthz",
                    "/api/v2/search",
                    "/metrics",
                ]);
                let method = *self.rng.pick(&["GET", "GET", "GET", "POST", "PUT"]);
                let status = *self.rng.pick(&[200, 200, 200, 200, 201, 204, 304, 404]);
                (
                    "info",
                    "http/middleware.go:88",
                    "request completed",
                    format!(
                        ",\"method\":\"{method}\",\"path\":\"{path}/{}\",\"status\":{status},\"duration_ms\":{}.{},\"bytes\":{},\"remote_addr\":\"10.244.{}.{}:{}\"",
                        self.rng.below(100_000),
                        self.rng.below(300),
                        self.rng.below(10),
                        self.rng.below(50_000),
                        self.rng.below(250),
                        self.rng.range(2, 254),
                        self.rng.range(30_000, 60_000)
                    ),
                )
            }
            55..=69 => (
                "debug",
                "cache/redis.go:142",
                "cache lookup",
                format!(
                    ",\"key\":\"sku:{}\",\"hit\":{}",
                    self.rng.below(1_000_000),
                    self.rng.chance(0.8)
                ),
            ),
            70..=79 => (
                "info",
                "store/postgres.go:211",
                "query executed",
                format!(
                    ",\"table\":\"{}\",\"rows\":{},\"duration_ms\":{}",
                    *self
                        .rng
                        .pick(&["orders", "line_items", "customers", "invoices"]),
                    self.rng.below(500),
                    self.rng.below(80)
                ),
            ),
            80..=86 => (
                "info",
                "queue/consumer.go:97",
                "message processed",
                format!(
                    ",\"topic\":\"{}\",\"partition\":{},\"offset\":{}",
                    *self
                        .rng
                        .pick(&["orders.created", "payments.settled", "inventory.reserved"]),
                    self.rng.below(12),
                    self.rng.below(90_000_000)
                ),
            ),
            87..=93 => (
                "warn",
                "store/postgres.go:230",
                "slow query",
                format!(
                    ",\"table\":\"orders\",\"duration_ms\":{},\"threshold_ms\":500",
                    self.rng.range(500, 4000)
                ),
            ),
            94..=97 => (
                "error",
                "http/handler.go:154",
                "request failed",
                format!(
                    ",\"error\":\"pq: duplicate key value violates unique constraint \\\"orders_pkey\\\"\",\"status\":409,\"order_id\":{}",
                    self.rng.below(10_000_000)
                ),
            ),
            _ => (
                "info",
                "runtime/gc.go:61",
                "gc stats",
                format!(
                    ",\"heap_alloc_mb\":{},\"num_gc\":{}",
                    self.rng.range(20, 900),
                    self.rng.below(100_000)
                ),
            ),
        };
        let _ = writeln!(
            out,
            "{{\"level\":\"{level}\",\"ts\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{ms:03}Z\",\"caller\":\"{caller}\",\"msg\":\"{msg}\",\"request_id\":\"{id}\"{extra}}}",
            t.year, t.month, t.day, t.hour, t.min, t.sec
        );
    }

    fn etcd(&mut self, out: &mut Vec<u8>) {
        let t = tm(self.t_us);
        let rev = 40_000_000 + (self.t_us - EPOCH_US) / 100_000;
        let body = match self.rng.below(10) {
            0..=3 => format!(
                "\"caller\":\"mvcc/index.go:214\",\"msg\":\"compact tree index\",\"revision\":{rev}"
            ),
            4..=6 => format!(
                "\"caller\":\"mvcc/kvstore_compaction.go:66\",\"msg\":\"finished scheduled compaction\",\"compact-revision\":{rev},\"took\":\"{}.{}ms\",\"hash\":{}",
                self.rng.range(20, 200),
                self.rng.below(1000),
                self.rng.below(4_000_000_000)
            ),
            7..=8 => format!(
                "\"caller\":\"mvcc/hash.go:137\",\"msg\":\"storing new hash\",\"hash\":{},\"revision\":{rev},\"compact-revision\":{}",
                self.rng.below(4_000_000_000),
                rev - 5000
            ),
            _ => format!(
                "\"caller\":\"etcdserver/util.go:170\",\"msg\":\"apply request took too long\",\"took\":\"{}.{}ms\",\"expected-duration\":\"100ms\",\"prefix\":\"read-only range \",\"request\":\"key:\\\"/registry/pods/{}/\\\" range_end:\\\"/registry/pods/{}0\\\" \",\"response\":\"range_response_count:{} size:{}\"",
                self.rng.range(100, 900),
                self.rng.below(1000),
                self.c.namespaces[0],
                self.c.namespaces[0],
                self.rng.below(200),
                self.rng.below(900_000)
            ),
        };
        let level = if body.contains("too long") {
            "warn"
        } else {
            "info"
        };
        let _ = writeln!(
            out,
            "{{\"level\":\"{level}\",\"ts\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z\",{body}}}",
            t.year, t.month, t.day, t.hour, t.min, t.sec, t.micros
        );
    }

    fn nginx(&mut self, out: &mut Vec<u8>) {
        let t = tm(self.t_us);
        let ns = self.any_ns().to_string();
        let path = *self.rng.pick(&[
            "/",
            "/api/v1/orders",
            "/api/v1/cart",
            "/static/js/main.9f2c1.js",
            "/static/css/app.css",
            "/login",
            "/api/v1/search?q=shoes",
            "/favicon.ico",
        ]);
        let status = *self
            .rng
            .pick(&[200, 200, 200, 200, 200, 301, 304, 404, 499, 502]);
        let ua = *self.rng.pick(&[
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "curl/8.5.0", "okhttp/4.12.0",
        ]);
        let bytes = self.rng.below(60_000);
        let rt = self.rng.below(900);
        let _ = writeln!(
            out,
            "{}.{}.{}.{} - - [{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" {status} {bytes} \"-\" \"{ua}\" {} 0.{rt:03} [{ns}-web-80] [] 10.244.{}.{}:8080 {bytes} 0.{rt:03} {status} {}",
            self.rng.range(1, 223),
            self.rng.below(256),
            self.rng.below(256),
            self.rng.range(1, 254),
            t.day,
            MONTHS[(t.month - 1) as usize],
            t.year,
            t.hour,
            t.min,
            t.sec,
            self.rng.range(300, 1200),
            self.rng.below(250),
            self.rng.range(2, 254),
            self.rng.hex(32)
        );
    }

    fn coredns(&mut self, out: &mut Vec<u8>) {
        let ns = self.any_ns().to_string();
        let p = self.any_pod();
        let (app, ip) = (p.app.clone(), p.ip.clone());
        let (qt, rc) = *self.rng.pick(&[
            ("A", "NOERROR"),
            ("A", "NOERROR"),
            ("AAAA", "NOERROR"),
            ("A", "NXDOMAIN"),
        ]);
        let _ = writeln!(
            out,
            "[INFO] {ip}:{} - {} \"{qt} IN {app}.{ns}.svc.cluster.local. udp {} false 512\" {rc} qr,aa,rd {} 0.000{}s",
            self.rng.range(30_000, 60_000),
            self.rng.below(65_536),
            self.rng.range(40, 90),
            self.rng.range(90, 200),
            self.rng.range(100_000, 999_999)
        );
    }

    fn logfmt(&mut self, out: &mut Vec<u8>) {
        let t = tm(self.t_us);
        let stamp = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year,
            t.month,
            t.day,
            t.hour,
            t.min,
            t.sec,
            t.micros / 1000
        );
        let body = match self.rng.below(10) {
            0..=3 => format!(
                "caller=compact.go:576 level=info component=tsdb msg=\"write block\" mint={} maxt={} ulid=01HY{} duration={}.{}ms",
                self.t_us / 1000 - 7_200_000,
                self.t_us / 1000,
                self.rng.suffix(22).to_ascii_uppercase(),
                self.rng.range(100, 900),
                self.rng.below(1000)
            ),
            4..=5 => format!(
                "caller=head.go:1296 level=info component=tsdb msg=\"Head GC completed\" caller=truncateMemory duration={}.{}ms",
                self.rng.range(2, 90),
                self.rng.below(1000)
            ),
            6..=7 => format!(
                "logger=context userId=0 orgId=0 uname= level=info msg=\"Request Completed\" method=GET path=/api/health status=200 remote_addr=10.244.{}.{} time_ms={} duration={}.{}ms size={} referer= handler=/api/health status_source=server",
                self.rng.below(250),
                self.rng.range(2, 254),
                self.rng.below(20),
                self.rng.below(20),
                self.rng.below(1000),
                self.rng.range(50, 90)
            ),
            8 => format!(
                "caller=checkpoint.go:100 level=info component=tsdb msg=\"Creating checkpoint\" from_segment={} to_segment={} mint={}",
                self.rng.range(100, 900),
                self.rng.range(900, 1000),
                self.t_us / 1000
            ),
            _ => format!(
                "caller=klog.go:108 level=warn component=k8s_client_runtime func=Warningf msg=\"watch of *v1.Endpoints ended with: an error on the server (\\\"unable to decode an event from the watch stream: http2: client connection lost\\\") has prevented the request from succeeding\" sd={}",
                self.rng.below(8)
            ),
        };
        let _ = writeln!(out, "ts={stamp} {body}");
    }

    fn calico(&mut self, out: &mut Vec<u8>) {
        let t = tm(self.t_us);
        let pid = 50 + self.rng.below(30);
        let body = match self.rng.below(6) {
            0..=2 => format!(
                "felix/summary.go 100: Summarising {} dataplane reconciliation loops over 1m{}.{}s: avg={}ms longest={}ms (resync-nat-v4)",
                self.rng.range(5, 20),
                self.rng.below(10),
                self.rng.below(10),
                self.rng.range(2, 20),
                self.rng.range(10, 90)
            ),
            3..=4 => format!(
                "felix/int_dataplane.go 1954: Received *proto.WorkloadEndpointUpdate update from calculation graph msg=id:<orchestrator_id:\"k8s\" workload_id:\"{}/{}\" endpoint_id:\"eth0\" >",
                self.c.namespaces[0],
                self.rng.suffix(8)
            ),
            _ => format!(
                "felix/ipsets.go 314: Finished IPSets resync family=\"inet\" numInconsistenciesFound=0 resyncDuration={}.{}ms",
                self.rng.range(1, 30),
                self.rng.below(1000)
            ),
        };
        let _ = writeln!(
            out,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} [INFO][{pid}] {body}",
            t.year,
            t.month,
            t.day,
            t.hour,
            t.min,
            t.sec,
            t.micros / 1000
        );
    }

    fn envoy(&mut self, out: &mut Vec<u8>) {
        let t = tm(self.t_us);
        let p = self.any_pod();
        let (app, ns, ip) = (p.app.clone(), p.ns.clone(), p.ip.clone());
        let _ = writeln!(
            out,
            "[{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z] \"GET /api/v1/items/{} HTTP/1.1\" 200 - via_upstream - \"-\" 0 {} {} {} \"-\" \"Go-http-client/1.1\" \"{}\" \"{app}.{ns}.svc.cluster.local:80\" \"{ip}:8080\" outbound|80||{app}.{ns}.svc.cluster.local 10.244.{}.{}:{} 10.96.{}.{}:80 10.244.{}.{}:{} - default",
            t.year,
            t.month,
            t.day,
            t.hour,
            t.min,
            t.sec,
            t.micros / 1000,
            self.rng.below(100_000),
            self.rng.below(40_000),
            self.rng.below(90),
            self.rng.below(90),
            self.rng.uuid(),
            self.rng.below(250),
            self.rng.range(2, 254),
            self.rng.range(30_000, 60_000),
            self.rng.below(250),
            self.rng.range(2, 254),
            self.rng.below(250),
            self.rng.range(2, 254),
            self.rng.range(30_000, 60_000)
        );
    }
}

/// metrics-server startup lines (v0.7.x, verbatim shapes).
fn metrics_server_startup(g: &mut LogGen, out: &mut Vec<u8>) {
    let lines: [(&str, u32, &str); 9] = [
        (
            "serving.go",
            374,
            "Generated self-signed cert (/tmp/apiserver.crt, /tmp/apiserver.key)",
        ),
        (
            "handler.go",
            275,
            "Adding GroupVersion metrics.k8s.io v1beta1 to ResourceManager",
        ),
        (
            "requestheader_controller.go",
            169,
            "Starting RequestHeaderAuthRequestController",
        ),
        (
            "shared_informer.go",
            311,
            "Waiting for caches to sync for RequestHeaderAuthRequestController",
        ),
        (
            "configmap_cafile_content.go",
            202,
            "\"Starting controller\" name=\"client-ca::kube-system::extension-apiserver-authentication::client-ca-file\"",
        ),
        (
            "dynamic_serving_content.go",
            132,
            "\"Starting controller\" name=\"serving-cert::/tmp/apiserver.crt::/tmp/apiserver.key\"",
        ),
        ("secure_serving.go", 213, "Serving securely on [::]:10250"),
        (
            "tlsconfig.go",
            240,
            "\"Starting DynamicServingCertificateController\"",
        ),
        (
            "shared_informer.go",
            318,
            "Caches are synced for RequestHeaderAuthRequestController",
        ),
    ];
    for (file, line, msg) in lines {
        g.tick();
        g.klog_prefix(out, 'I', file, line as u64);
        out.extend_from_slice(msg.as_bytes());
        out.push(b'\n');
    }
}

fn gen_log(seed: u64, c: &Cluster, cont: &Container, target: u64, failures: &[&str]) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let start = EPOCH_US + rng.below(3_600_000_000);
    // About 150 bytes a line over ~6 hours of log.
    let lines = (target / 150).max(1);
    let step_us = (6 * 3_600_000_000 / lines).max(1);
    let mut g = LogGen {
        rng,
        c,
        t_us: start,
        step_us,
    };
    let mut out = Vec::with_capacity(target as usize + 4096);
    if cont.style == Style::MetricsServer {
        metrics_server_startup(&mut g, &mut out);
    }
    let mut next_fail = 0usize;
    let every = if failures.is_empty() {
        u64::MAX
    } else {
        target / (failures.len() as u64 + 1)
    };
    while (out.len() as u64) < target {
        if next_fail < failures.len() && out.len() as u64 >= every * (next_fail as u64 + 1) {
            out.extend_from_slice(failures[next_fail].as_bytes());
            out.push(b'\n');
            next_fail += 1;
            continue;
        }
        g.line(&mut out, cont.style);
    }
    for f in &failures[next_fail..] {
        out.extend_from_slice(f.as_bytes());
        out.push(b'\n');
    }
    out
}

// ---------------------------------------------------------------- failure lines

const FALLBACK_FAILURES: &[&str] = &[
    "E0511 21:57:06.607078       1 scraper.go:140] \"Failed to scrape node\" err=\"Get \\\"https://192.168.203.181:10250/metrics/resource\\\": x509: cannot validate certificate for 192.168.203.181 because it doesn't contain any IP SANs\" node=\"lke60627-94194-627bc558aaae\"",
    "E0111 12:19:15.534824       1 scraper.go:140] \"Failed to scrape node\" err=\"Get \\\"https://10.101.3.75:10250/metrics/resource\\\": dial tcp 10.101.3.75:10250: connect: connection refused\" node=\"kubws-vt01\"",
    "I0826 00:50:32.239825       1 server.go:187] \"Failed probe\" probe=\"metric-storage-ready\" err=\"no metrics to serve\"",
];

/// (signature id, verbatim text) of every `metrics-server-log` evidence item.
fn load_failures(args: &Args) -> Vec<(String, String)> {
    let parsed = std::fs::read_to_string(&args.signatures)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_yaml::from_str::<serde_yaml::Value>(&s).map_err(|e| e.to_string()));
    let doc = match parsed {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "gen_bundle: warning: {}: {e}; using {} built-in failure lines",
                args.signatures.display(),
                FALLBACK_FAILURES.len()
            );
            return FALLBACK_FAILURES
                .iter()
                .map(|s| ("builtin".to_string(), s.to_string()))
                .collect();
        }
    };
    let mut out = Vec::new();
    for sig in doc["signatures"].as_sequence().into_iter().flatten() {
        let id = sig["id"].as_str().unwrap_or_default();
        if let Some(ids) = &args.failure_ids
            && !ids.iter().any(|i| i == id)
        {
            continue;
        }
        for ev in sig["evidence"].as_sequence().into_iter().flatten() {
            if ev["where"].as_str() == Some("metrics-server-log")
                && let Some(text) = ev["text"].as_str()
            {
                out.push((id.to_string(), text.to_string()));
            }
        }
    }
    out
}

// ---------------------------------------------------------------- output

struct Out {
    tar: tar::Builder<GzEncoder<BufWriter<File>>>,
    files: u64,
    bytes: u64,
    logs: u64,
    log_bytes: u64,
}

impl Out {
    fn add(&mut self, path: &str, data: &[u8]) -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        self.tar
            .append_data(&mut h, format!("{ROOT}/{path}"), data)?;
        self.files += 1;
        self.bytes += data.len() as u64;
        if path.ends_with(".log") {
            self.logs += 1;
            self.log_bytes += data.len() as u64;
        }
        Ok(())
    }
    fn json(&mut self, path: &str, v: &Value) -> std::io::Result<()> {
        let mut buf = serde_json::to_vec_pretty(v).map_err(std::io::Error::other)?;
        buf.push(b'\n');
        self.add(path, &buf)
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let started = Instant::now();
    let mut rng = Rng::new(args.seed);
    let cluster = build_cluster(&mut rng, args.cluster_size.unwrap_or(args.size));

    let mut catalogue = load_failures(&args);
    if args.failures > 0 && catalogue.is_empty() {
        return Err("no metrics-server-log evidence matched --failure-ids".into());
    }
    // Deterministic shuffle, then cycle.
    for i in (1..catalogue.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        catalogue.swap(i, j);
    }
    let chosen: Vec<&(String, String)> = (0..args.failures)
        .map(|i| &catalogue[i % catalogue.len()])
        .collect();
    let failure_lines: Vec<&str> = chosen.iter().map(|(_, t)| t.as_str()).collect();

    let tmp = args.out.with_extension("partial");
    let file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let gz = flate2::GzBuilder::new().write(
        BufWriter::with_capacity(1 << 20, file),
        Compression::new(args.level),
    );
    let mut out = Out {
        tar: tar::Builder::new(gz),
        files: 0,
        bytes: 0,
        logs: 0,
        log_bytes: 0,
    };
    let io = |e: std::io::Error| e.to_string();

    // Metadata and cluster-scoped objects.
    out.add("version.yaml", b"apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nmetadata:\n  name: supportbundle\nspec:\n  versionNumber: 0.93.1\n").map_err(io)?;
    out.json("cluster-info/cluster_version.json", &json!({
        "info": {"major": "1", "minor": "29", "gitVersion": "v1.29.4", "gitCommit": "55019c83b0fd51ef4ced8c29eec2c4847f896e74",
                 "gitTreeState": "clean", "buildDate": "2024-04-16T15:03:04Z", "goVersion": "go1.21.9", "compiler": "gc", "platform": "linux/amd64"},
        "string": "v1.29.4"})).map_err(io)?;
    let ns_items: Vec<Value> = cluster.namespaces.iter().map(|n| json!({
        "kind": "Namespace", "apiVersion": "v1",
        "metadata": {"name": n, "uid": rng.uuid(), "resourceVersion": rng.range(100, 9_000_000).to_string(), "creationTimestamp": ts(&mut rng),
                     "labels": {"kubernetes.io/metadata.name": n}},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})).collect();
    out.json(
        "cluster-resources/namespaces.json",
        &list("NamespaceList", "v1", ns_items),
    )
    .map_err(io)?;
    let node_items: Vec<Value> = cluster
        .nodes
        .iter()
        .map(|n| node_json(&mut rng, n))
        .collect();
    out.json(
        "cluster-resources/nodes.json",
        &list("NodeList", "v1", node_items),
    )
    .map_err(io)?;

    // Namespaced Lists.
    for ns in &cluster.namespaces {
        let pods: Vec<&Pod> = cluster.pods.iter().filter(|p| &p.ns == ns).collect();
        let wls: Vec<&Workload> = cluster.workloads.iter().filter(|w| &w.ns == ns).collect();
        let items = pods
            .iter()
            .map(|p| pod_json(&mut rng, &cluster, p))
            .collect();
        out.json(
            &format!("cluster-resources/pods/{ns}.json"),
            &list("PodList", "v1", items),
        )
        .map_err(io)?;
        let items = pods.iter().flat_map(|p| events_for(&mut rng, p)).collect();
        out.json(
            &format!("cluster-resources/events/{ns}.json"),
            &list("EventList", "v1", items),
        )
        .map_err(io)?;
        let with_svc: Vec<&&Workload> = wls.iter().filter(|w| w.kind != "DaemonSet").collect();
        let items = with_svc.iter().map(|w| service_json(&mut rng, w)).collect();
        out.json(
            &format!("cluster-resources/services/{ns}.json"),
            &list("ServiceList", "v1", items),
        )
        .map_err(io)?;
        let items = with_svc
            .iter()
            .map(|w| endpoints_json(&mut rng, &cluster, w))
            .collect();
        out.json(
            &format!("cluster-resources/endpoints/{ns}.json"),
            &list("EndpointsList", "v1", items),
        )
        .map_err(io)?;
        let items = wls
            .iter()
            .filter(|w| w.kind == "Deployment")
            .map(|w| deployment_json(&mut rng, w))
            .collect();
        out.json(
            &format!("cluster-resources/deployments/{ns}.json"),
            &list("DeploymentList", "apps/v1", items),
        )
        .map_err(io)?;
    }
    let object_bytes = out.bytes;

    // Log budget: what is left, heavy-tailed over containers, each capped at MAX_LOG.
    let budget = args.size.saturating_sub(object_bytes);
    let mut logs: Vec<(usize, usize, bool, f64)> = Vec::new(); // pod, container, previous, weight
    for (pi, p) in cluster.pods.iter().enumerate() {
        for ci in 0..p.containers.len() {
            let w = p.log_weight * if ci > 0 { 0.5 } else { 1.0 };
            logs.push((pi, ci, false, w));
            if p.restarts > 0 && ci == 0 {
                logs.push((pi, ci, true, w * 0.05));
            }
        }
    }
    let mut targets = vec![0u64; logs.len()];
    {
        let mut capped = vec![false; logs.len()];
        let mut remaining = budget as f64;
        for _ in 0..8 {
            let sum: f64 = logs
                .iter()
                .zip(&capped)
                .filter(|(_, c)| !**c)
                .map(|(l, _)| l.3)
                .sum();
            if sum <= 0.0 {
                break;
            }
            let mut spill = 0.0;
            for (i, l) in logs.iter().enumerate() {
                if capped[i] {
                    continue;
                }
                let t = remaining * l.3 / sum;
                if t > MAX_LOG as f64 {
                    capped[i] = true;
                    targets[i] = MAX_LOG;
                    spill += MAX_LOG as f64;
                } else {
                    targets[i] = t as u64;
                }
            }
            if spill == 0.0 {
                break;
            }
            remaining -= spill;
        }
    }
    for (i, (pi, ci, prev, _)) in logs.iter().enumerate() {
        let pod = &cluster.pods[*pi];
        let cont = &pod.containers[*ci];
        let is_ms = *pi == cluster.metrics_server && !prev;
        let fails: &[&str] = if is_ms { &failure_lines } else { &[] };
        let target = if is_ms {
            targets[i].max(16_384 + 600 * fails.len() as u64)
        } else {
            targets[i].max(2_048)
        };
        let data = gen_log(
            args.seed.wrapping_mul(1_000_003).wrapping_add(i as u64),
            &cluster,
            cont,
            target,
            fails,
        );
        let name = if *prev {
            format!("{}-previous", cont.name)
        } else {
            cont.name.clone()
        };
        out.add(
            &format!(
                "cluster-resources/pods/logs/{}/{}/{name}.log",
                pod.ns, pod.name
            ),
            &data,
        )
        .map_err(io)?;
    }

    let gz = out.tar.into_inner().map_err(io)?;
    let mut w = gz.finish().map_err(io)?;
    w.flush().map_err(io)?;
    drop(w);
    std::fs::rename(&tmp, &args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let compressed = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    let secs = started.elapsed().as_secs_f64();
    let ms = &cluster.pods[cluster.metrics_server];
    println!(
        "wrote {}: {} files ({} logs), {} bytes uncompressed ({:.1} MiB; objects {} bytes, logs {} bytes), {} bytes compressed (ratio {:.1}), {} namespaces, {} nodes, {} pods, {:.2} s",
        args.out.display(),
        out.files,
        out.logs,
        out.bytes,
        out.bytes as f64 / 1048576.0,
        object_bytes,
        out.log_bytes,
        compressed,
        out.bytes as f64 / compressed.max(1) as f64,
        cluster.namespaces.len(),
        cluster.nodes.len(),
        cluster.pods.len(),
        secs
    );
    let mut ids: Vec<&str> = chosen.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    println!(
        "failure lines: {} in cluster-resources/pods/logs/{}/{}/metrics-server.log (signatures: {})",
        failure_lines.len(),
        ms.ns,
        ms.name,
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    );
    Ok(())
}
