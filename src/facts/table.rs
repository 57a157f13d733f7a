//! Parser for `kubectl get` / `kubectl top` tables.
//!
//! A header line is a column-0 line of ALL-CAPS column names (words joined by a
//! single space form one name, e.g. `NOMINATED NODE`; names are separated by two
//! or more spaces) that contains at least one well-known column (`NAME`,
//! `NAMESPACE`, `LAST SEEN`, `TYPE`, `STATUS`, `READY`, `AGE`, `KIND`,
//! `REFERENCE`). Rows are split into "segments" (runs separated by 2+ spaces);
//! each segment is assigned to the last column whose start offset (in chars)
//! is at or before the segment start, which keeps single-space cells such as
//! `7 (2m ago)` or `False (FailedDiscoveryCheck)` intact, leaves skipped
//! columns empty and joins double-spaced text inside the last column. When a
//! segment overflows past the next column start, the following segments are
//! assigned sequentially. Tab-separated tables are split sequentially.
//!
//! A table ends at a blank line, a command line, a new header, or a line that
//! does not fit (indented, a single cell in a multi-column table, or
//! `error:`/`Warning:`/klog lines). `No resources found...` yields a table with
//! no columns and no rows for the preceding command.

use regex::Regex;
use std::sync::LazyLock;

/// One `kubectl get`-style table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Table {
    /// The command line (prompt stripped) that produced the table, if present.
    pub command: Option<String>,
    /// 1-based line of the command.
    pub command_line: Option<u32>,
    /// 1-based line of the header (or of the `No resources found` message).
    pub header_line: u32,
    /// Column names as printed (`NOMINATED NODE`, `CPU(cores)`).
    pub columns: Vec<String>,
    /// Data rows.
    pub rows: Vec<Row>,
}

/// One table row; `cells` has exactly one entry per column (empty when blank).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    /// 1-based line number.
    pub line: u32,
    /// Cell texts, trimmed.
    pub cells: Vec<String>,
}

impl Table {
    /// A cell by column name (case-insensitive); `None` when the column does not exist or the cell is empty.
    pub fn cell<'a>(&self, row: &'a Row, column: &str) -> Option<&'a str> {
        let idx = self
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(column))?;
        row.cells
            .get(idx)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

fn re(pattern: &str) -> Regex {
    // Compile-time constant patterns; exercised by the unit tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad static regex {pattern}: {e}"))
}

static PROMPT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s*(?:\[[^\]]*\]\s?[#$]|[\w.\-]+@[\w.\-]+(?::[^\s#$]*)?\s?[#$]|[#$>%])\s*(.*)$")
});
static KUBE_CMD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:sudo\s+(?:-\S+\s+)*)?(?:\S*/)?(?:kubectl|oc|k|k3s kubectl|microk8s kubectl|microk8s\.kubectl|minikube kubectl --)(?:\s|$)",
    )
});
static HEADER_WORD: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[A-Z][A-Z0-9_%./\-]*(?:\([A-Za-z0-9%/]*\))?[A-Z0-9%]*$"));
static NOT_ROW: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:error:|Error |Error:|Warning:|W\d{4} |E\d{4} |I\d{4} |F\d{4} |Unable to connect|The connection to the server|Flag --)",
    )
});

/// Headers with more columns than this are not kubectl tables.
const MAX_COLUMNS: usize = 64;

const KEY_COLUMNS: &[&str] = &[
    "NAME",
    "NAMESPACE",
    "LAST SEEN",
    "TYPE",
    "STATUS",
    "READY",
    "AGE",
    "KIND",
    "REFERENCE",
];

fn line_no(i: usize) -> u32 {
    u32::try_from(i.saturating_add(1)).unwrap_or(u32::MAX)
}

/// A run of non-separator text: char start/end offsets and byte range.
#[derive(Debug, Clone, Copy)]
struct Seg {
    start: usize,
    end: usize,
    b0: usize,
    b1: usize,
}

/// Split a line into runs separated by 2+ spaces or a tab (offsets in chars).
fn segments(line: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut cur: Option<Seg> = None;
    let mut spaces = 0usize;
    for (ci, (bi, ch)) in line.char_indices().enumerate() {
        if ch == ' ' || ch == '\t' {
            spaces += if ch == '\t' { 2 } else { 1 };
            if spaces >= 2
                && let Some(s) = cur.take()
            {
                out.push(s);
            }
            continue;
        }
        let len = ch.len_utf8();
        match cur.as_mut() {
            Some(s) => {
                s.end = ci + 1;
                s.b1 = bi + len;
            }
            None => {
                cur = Some(Seg {
                    start: ci,
                    end: ci + 1,
                    b0: bi,
                    b1: bi + len,
                })
            }
        }
        spaces = 0;
    }
    if let Some(s) = cur {
        out.push(s);
    }
    out
}

/// Parse a header line into (column names, column char starts, tab separated).
fn parse_header(line: &str) -> Option<(Vec<String>, Vec<usize>, bool)> {
    if line.starts_with(' ') || line.trim().is_empty() {
        return None;
    }
    let segs = segments(line);
    if segs.len() > MAX_COLUMNS {
        return None;
    }
    let mut names = Vec::with_capacity(segs.len());
    let mut starts = Vec::with_capacity(segs.len());
    for s in &segs {
        let text = line.get(s.b0..s.b1)?;
        if !text.split(' ').all(|w| HEADER_WORD.is_match(w)) {
            return None;
        }
        names.push(text.to_string());
        starts.push(s.start);
    }
    let known = names.iter().any(|n| KEY_COLUMNS.contains(&n.as_str()));
    if !known || (names.len() < 2 && names.first().is_none_or(|n| n != "NAME")) {
        return None;
    }
    Some((names, starts, line.contains('\t')))
}

/// Split a row into cells according to the header column starts.
fn split_row(line: &str, starts: &[usize], sequential: bool) -> Vec<String> {
    let n = starts.len();
    let mut spans: Vec<Option<(usize, usize)>> = vec![None; n];
    let segs = segments(line);
    let mut min_col = 0usize;
    let mut forced = sequential;
    for s in &segs {
        let by_pos = starts.partition_point(|&c| c <= s.start).saturating_sub(1);
        let mut col = if forced { min_col } else { by_pos.max(min_col) };
        if col >= n {
            col = n.saturating_sub(1);
        }
        if let Some(slot) = spans.get_mut(col) {
            *slot = Some(match *slot {
                Some((b0, _)) => (b0, s.b1),
                None => (s.b0, s.b1),
            });
        }
        // Overflow: the segment reaches past the next column start.
        if let Some(&next_start) = starts.get(col + 1)
            && s.end > next_start
        {
            forced = true;
        }
        min_col = if forced { col + 1 } else { col };
    }
    spans
        .into_iter()
        .map(|sp| {
            sp.and_then(|(a, b)| line.get(a..b))
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .collect()
}

/// Command text (prompt stripped) when the line is a kubectl/oc command line.
fn command_of(line: &str) -> Option<&str> {
    let rest = match PROMPT.captures(line).and_then(|c| c.get(1)) {
        Some(m) => m.as_str().trim(),
        None => line.trim(),
    };
    KUBE_CMD.is_match(rest).then_some(rest)
}

/// Every table in the text. A file may hold several commands, each optionally preceded by its command line (`$ kubectl get pods -A -o wide`, `# kubectl ...`, `root@m1:~# kubectl ...`); a header line is ALL-CAPS column names (NAME, NAMESPACE, READY, STATUS, RESTARTS, AGE, IP, NODE, NOMINATED NODE, READINESS GATES, SERVICE, AVAILABLE, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), ENDPOINTS, ROLES, VERSION, INTERNAL-IP, OS-IMAGE, KERNEL-VERSION, CONTAINER-RUNTIME, REFERENCE, TARGETS, MINPODS, MAXPODS, REPLICAS, CPU(cores), CPU%, MEMORY(bytes), MEMORY%, LAST SEEN, REASON, OBJECT, MESSAGE, UP-TO-DATE, DESIRED, CURRENT, NODE SELECTOR ...).
pub fn parse_tables(text: &str) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    let mut pending: Option<(String, u32)> = None;
    let mut cur: Option<(Table, Vec<usize>, bool)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let ln = line_no(i);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(cmd) = command_of(line) {
            if let Some((t, _, _)) = cur.take() {
                out.push(t);
            }
            pending = Some((cmd.to_string(), ln));
            continue;
        }
        if let Some((names, starts, tabs)) = parse_header(line) {
            if let Some((t, _, _)) = cur.take() {
                out.push(t);
            }
            let (command, command_line) = pending.take().unzip();
            let table = Table {
                command,
                command_line,
                header_line: ln,
                columns: names,
                rows: Vec::new(),
            };
            cur = Some((table, starts, tabs));
            continue;
        }
        let trimmed = line.trim();
        if trimmed.starts_with("No resources found") {
            if let Some((t, _, _)) = cur.take() {
                out.push(t);
            }
            let (command, command_line) = pending.take().unzip();
            out.push(Table {
                command,
                command_line,
                header_line: ln,
                columns: Vec::new(),
                rows: Vec::new(),
            });
            continue;
        }
        let Some((table, starts, tabs)) = cur.as_mut() else {
            continue;
        };
        let fits = !trimmed.is_empty()
            && !line.starts_with(' ')
            && !line.starts_with('\t')
            && !NOT_ROW.is_match(line);
        let cells = if fits {
            split_row(line, starts, *tabs)
        } else {
            Vec::new()
        };
        let filled = cells.iter().filter(|c| !c.is_empty()).count();
        if !fits || filled < starts.len().min(2) {
            if let Some((t, _, _)) = cur.take() {
                out.push(t);
            }
            continue;
        }
        table.rows.push(Row { line: ln, cells });
    }
    if let Some((t, _, _)) = cur.take() {
        out.push(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PODS: &str = "$ kubectl get pods -A -o wide
NAMESPACE     NAME                               READY   STATUS             RESTARTS      AGE   IP            NODE      NOMINATED NODE   READINESS GATES
kube-system   coredns-5dd5756b68-7xkqz           1/1     Running            0             15h   10.244.0.2    master1   <none>           <none>
kube-system   metrics-server-6d94bc8694-2xk7q    0/1     Running            0             5m    10.244.1.5    node1     <none>           <none>
kube-system   metrics-server-7f8b9c5d4-abcde     0/1     CrashLoopBackOff   7 (2m ago)    15m   10.244.2.7    node2     <none>           <none>
kube-system   kube-proxy-x7k2p                   1/1     Running            1 (15h ago)   15h   10.0.1.218    node1     <none>           <none>
";

    const APISVC: &str = "# kubectl get apiservice
NAME                                   SERVICE                      AVAILABLE                      AGE
v1.                                    Local                        True                           15h
v1.apps                                Local                        True                           15h
v1beta1.metrics.k8s.io                 kube-system/metrics-server   False (FailedDiscoveryCheck)   15h
v2.autoscaling                         Local                        True                           15h
";

    const SVC_EP: &str = "root@m1:~# kubectl get svc -n kube-system
NAME             TYPE        CLUSTER-IP      EXTERNAL-IP   PORT(S)                  AGE
kube-dns         ClusterIP   10.96.0.10      <none>        53/UDP,53/TCP,9153/TCP   15h
metrics-server   ClusterIP   10.96.106.114   <none>        443/TCP                  5m
root@m1:~# kubectl get endpoints -n kube-system
NAME             ENDPOINTS                                               AGE
kube-dns         10.244.0.2:53,10.244.0.3:53,10.244.0.2:53 + 3 more...   15h
metrics-server   <none>                                                  5m
root@m1:~# kubectl get pods -n monitoring
No resources found in monitoring namespace.
root@m1:~# kubectl top nodes
error: Metrics API not available
";

    const NODES_TOP_HPA: &str = "$ kubectl get nodes -o wide
NAME      STATUS   ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION      CONTAINER-RUNTIME
master1   Ready    control-plane   15h   v1.29.4   10.0.1.10     <none>        Ubuntu 22.04.4 LTS   5.15.0-107-generic   containerd://1.7.16
node1     Ready    <none>          15h   v1.29.4   10.0.1.218    <none>        Ubuntu 22.04.4 LTS   5.15.0-107-generic   containerd://1.7.16

$ kubectl top nodes
NAME      CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%
master1   245m         12%    1812Mi          47%
node1     <unknown>    <unknown>   <unknown>       <unknown>

$ kubectl get hpa
NAME         REFERENCE               TARGETS         MINPODS   MAXPODS   REPLICAS   AGE
php-apache   Deployment/php-apache   <unknown>/50%   1         10        1          100m
";

    const EVENTS: &str = "LAST SEEN   TYPE      REASON                         OBJECT                                          MESSAGE
2m12s       Warning   FailedGetResourceMetric        horizontalpodautoscaler/php-apache              failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)
5m          Warning   Unhealthy                      pod/metrics-server-6d94bc8694-2xk7q             Readiness probe failed: HTTP probe failed with statuscode: 500
15m         Normal    Pulled                         pod/metrics-server-6d94bc8694-2xk7q             Container image \"registry.k8s.io/metrics-server/metrics-server:v0.7.1\" already present on machine
";

    #[test]
    fn pods_wide() {
        let t = parse_tables(PODS);
        assert_eq!(t.len(), 1);
        let t = &t[0];
        assert_eq!(t.command.as_deref(), Some("kubectl get pods -A -o wide"));
        assert_eq!(t.command_line, Some(1));
        assert_eq!(t.header_line, 2);
        assert_eq!(
            t.columns,
            vec![
                "NAMESPACE",
                "NAME",
                "READY",
                "STATUS",
                "RESTARTS",
                "AGE",
                "IP",
                "NODE",
                "NOMINATED NODE",
                "READINESS GATES"
            ]
        );
        assert_eq!(t.rows.len(), 4);
        let ms = &t.rows[1];
        assert_eq!(ms.line, 4);
        assert_eq!(t.cell(ms, "name"), Some("metrics-server-6d94bc8694-2xk7q"));
        assert_eq!(t.cell(ms, "READY"), Some("0/1"));
        assert_eq!(t.cell(ms, "NODE"), Some("node1"));
        assert_eq!(t.cell(ms, "nominated node"), Some("<none>"));
        let crash = &t.rows[2];
        assert_eq!(t.cell(crash, "STATUS"), Some("CrashLoopBackOff"));
        assert_eq!(t.cell(crash, "RESTARTS"), Some("7 (2m ago)"));
        assert_eq!(t.cell(crash, "AGE"), Some("15m"));
        assert_eq!(t.cell(crash, "nope"), None);
        assert!(t.rows.iter().all(|r| r.cells.len() == 10));
    }

    #[test]
    fn apiservice_with_spaced_cell() {
        let t = parse_tables(APISVC);
        assert_eq!(t.len(), 1);
        let t = &t[0];
        assert_eq!(t.command.as_deref(), Some("kubectl get apiservice"));
        let row = t
            .rows
            .iter()
            .find(|r| t.cell(r, "NAME") == Some("v1beta1.metrics.k8s.io"));
        let row = row.cloned().unwrap_or(Row {
            line: 0,
            cells: vec![],
        });
        assert_eq!(t.cell(&row, "SERVICE"), Some("kube-system/metrics-server"));
        assert_eq!(
            t.cell(&row, "AVAILABLE"),
            Some("False (FailedDiscoveryCheck)")
        );
        assert_eq!(t.cell(&row, "AGE"), Some("15h"));
    }

    #[test]
    fn svc_endpoints_and_empty_results() {
        let t = parse_tables(SVC_EP);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].columns[4], "PORT(S)");
        assert_eq!(t[0].cell(&t[0].rows[1], "PORT(S)"), Some("443/TCP"));
        assert_eq!(
            t[0].cell(&t[0].rows[1], "CLUSTER-IP"),
            Some("10.96.106.114")
        );
        assert_eq!(
            t[1].command.as_deref(),
            Some("kubectl get endpoints -n kube-system")
        );
        assert_eq!(t[1].cell(&t[1].rows[1], "ENDPOINTS"), Some("<none>"));
        assert_eq!(
            t[1].cell(&t[1].rows[0], "ENDPOINTS"),
            Some("10.244.0.2:53,10.244.0.3:53,10.244.0.2:53 + 3 more...")
        );
        assert_eq!(
            t[2].command.as_deref(),
            Some("kubectl get pods -n monitoring")
        );
        assert_eq!(t[2].command_line, Some(9));
        assert_eq!(t[2].header_line, 10);
        assert!(t[2].columns.is_empty() && t[2].rows.is_empty());
    }

    #[test]
    fn nodes_top_hpa() {
        let t = parse_tables(NODES_TOP_HPA);
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[0].cell(&t[0].rows[1], "OS-IMAGE"),
            Some("Ubuntu 22.04.4 LTS")
        );
        assert_eq!(t[0].cell(&t[0].rows[1], "ROLES"), Some("<none>"));
        assert_eq!(
            t[0].cell(&t[0].rows[0], "CONTAINER-RUNTIME"),
            Some("containerd://1.7.16")
        );
        assert_eq!(t[1].command.as_deref(), Some("kubectl top nodes"));
        assert_eq!(
            t[1].columns,
            vec!["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]
        );
        assert_eq!(t[1].cell(&t[1].rows[0], "cpu(cores)"), Some("245m"));
        assert_eq!(t[1].cell(&t[1].rows[0], "MEMORY%"), Some("47%"));
        // overflowing row: cells shift sequentially
        assert_eq!(t[1].cell(&t[1].rows[1], "MEMORY%"), Some("<unknown>"));
        assert_eq!(t[2].cell(&t[2].rows[0], "TARGETS"), Some("<unknown>/50%"));
        assert_eq!(t[2].cell(&t[2].rows[0], "MAXPODS"), Some("10"));
    }

    #[test]
    fn events_long_messages() {
        let t = parse_tables(EVENTS);
        assert_eq!(t.len(), 1);
        let t = &t[0];
        assert_eq!(t.command, None);
        assert_eq!(
            t.columns,
            vec!["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        );
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.cell(&t.rows[0], "LAST SEEN"), Some("2m12s"));
        assert_eq!(
            t.cell(&t.rows[0], "REASON"),
            Some("FailedGetResourceMetric")
        );
        assert!(
            t.cell(&t.rows[0], "MESSAGE")
                .is_some_and(|m| m.ends_with("(get pods.metrics.k8s.io)"))
        );
        assert_eq!(
            t.cell(&t.rows[1], "MESSAGE"),
            Some("Readiness probe failed: HTTP probe failed with statuscode: 500")
        );
    }

    #[test]
    fn no_tables_in_prose() {
        assert!(parse_tables("hello world\nThis is NOT A TABLE\n").is_empty());
        assert!(parse_tables("").is_empty());
        let t = parse_tables("No resources found\n");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].command, None);
    }

    #[test]
    fn tab_separated() {
        let t = parse_tables("NAME\tREADY\tSTATUS\nfoo\t1/1\tRunning\n");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].rows[0].cells, vec!["foo", "1/1", "Running"]);
    }

    #[test]
    fn table_ends_on_error_line() {
        let t =
            parse_tables("NAME   READY\nfoo    1/1\nerror: something bad happened\nbar    0/1\n");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].rows.len(), 1);
    }

    #[test]
    fn pathological_inputs_are_bounded() {
        let header: String = (0..1000).map(|i| format!("NAME{i}   ")).collect();
        let rows = "x  ".repeat(50_000);
        assert!(parse_tables(&format!("{header}\n{rows}\n")).is_empty());
        let many: String = (0..50_000)
            .map(|i| format!("pod-{i}   1/1     Running\n"))
            .collect();
        let t = parse_tables(&format!("NAME      READY   STATUS\n{many}"));
        assert_eq!(t[0].rows.len(), 50_000);
    }

    #[test]
    fn truncations_never_panic() {
        let utf = "NAME    MESSAGE\nnœud    ünïcödé  ✓ text\nα       β\n";
        for s in [PODS, APISVC, SVC_EP, NODES_TOP_HPA, EVENTS, utf] {
            for (i, _) in s.char_indices() {
                let _ = parse_tables(&s[..i]);
                let _ = parse_tables(&s[i..]);
            }
        }
        let t = parse_tables(utf);
        assert_eq!(t[0].cell(&t[0].rows[0], "MESSAGE"), Some("ünïcödé  ✓ text"));
    }
}
