#!/bin/sh
# Runs collect/collect.sh against stub kubectl/curl/ps (collect/test/stubs)
# that replay a recorded broken cluster (collect/test/replay), then checks the
# tarball it wrote into OUTDIR. The tarball is left in OUTDIR for callers
# (the Rust integration test analyzes it).
#
#   sh collect/test/run.sh OUTDIR
#
# Exit 0 when every check passes, 1 with a FAIL line per failed check.
set -u
OUT=${1:?usage: run.sh OUTDIR}
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
collect="$here/../collect.sh"
stubs="$here/stubs"
LIMIT_S=60

failures=0
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    failures=$((failures + 1))
}
ok() { printf 'ok: %s\n' "$*"; }

mkdir -p -- "$OUT" || { echo "FAIL: cannot create $OUT" >&2; exit 1; }
OUT=$(CDPATH='' cd -- "$OUT" && pwd)
if ls -- "$OUT"/bundle-doctor-*.tar.gz >/dev/null 2>&1; then
    echo "FAIL: $OUT already holds a bundle-doctor tarball; give an empty directory" >&2
    exit 1
fi

# The collector runs with HOME, TMPDIR and its working directory pointed at
# empty directories of this sandbox: anything it writes outside OUTDIR lands
# there and is caught below.
sandbox=$(mktemp -d "${TMPDIR:-/tmp}/bundle-doctor-collect-test.XXXXXX") || exit 1
trap 'rm -rf -- "$sandbox"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$sandbox/home" "$sandbox/tmp" "$sandbox/cwd" "$sandbox/log" "$sandbox/x"
calls="$sandbox/log/calls"
ls -A -- "$OUT" >"$sandbox/log/out-before"

run_collect() { # run_collect OUTDIR [collect.sh options...]
    rc_out=$1
    shift
    if command -v timeout >/dev/null 2>&1; then
        set -- timeout 300 sh "$collect" -o "$rc_out" "$@"
    else
        set -- sh "$collect" -o "$rc_out" "$@"
    fi
    (cd "$sandbox/cwd" && env HOME="$sandbox/home" TMPDIR="$sandbox/tmp" \
        PATH="$stubs:$PATH" KUBECTL="$stubs/kubectl" CURL="$stubs/curl" \
        BUNDLE_DOCTOR_PS="$stubs/ps" BUNDLE_DOCTOR_HOST=master1 STUB_LOG="$calls" \
        "$@" >"$sandbox/log/stdout" 2>"$sandbox/log/stderr")
}

# step_field ID FIELD < manifest: value of FIELD in the step with id ID
step_field() {
    awk -v id="$1" -v f="$2" '
        /^  - id: / { cur = $3; gsub(/"/, "", cur) }
        /^[^ ]/ && !/^steps:/ { cur = "" }
        cur == id && $1 == f ":" { v = $0; sub(/^ *[^:]*: /, "", v); gsub(/^"|"$/, "", v); print v; exit }
    '
}

# ------------------------------------------------------------ scenario 1
start=$(date +%s)
run_collect "$OUT"
rc=$?
elapsed=$(($(date +%s) - start))
[ "$rc" = 0 ] || fail "collect.sh exited $rc: $(tail -n 3 "$sandbox/log/stderr")"
[ "$elapsed" -le "$LIMIT_S" ] || fail "collect.sh took ${elapsed}s (limit ${LIMIT_S}s)"

ls -A -- "$OUT" >"$sandbox/log/out-after"
new=$(comm -13 "$sandbox/log/out-before" "$sandbox/log/out-after")
case $new in
    bundle-doctor-master1-*T*Z.tar.gz) ok "tarball $new" ;;
    *) fail "expected exactly one new bundle-doctor-master1-<date>.tar.gz in OUTDIR, got: $(printf '%s' "$new" | tr '\n' ' ')" ;;
esac
tarball="$OUT/$new"
[ "$(cat "$sandbox/log/stdout")" = "$tarball" ] || fail "stdout should be the tarball path, got: $(cat "$sandbox/log/stdout")"

for d in home tmp cwd; do
    leaked=$(find "$sandbox/$d" -mindepth 1 | tr '\n' ' ')
    if [ -n "$leaked" ]; then
        fail "collect.sh wrote outside OUTDIR (into \$$d): $leaked"
    fi
done

if grep -q '^UNMATCHED' "$calls" 2>/dev/null; then
    fail "calls without a recording: $(grep '^UNMATCHED' "$calls" | tr '\n' ';')"
fi
# read-only: every kubectl verb is one of get/logs/top/version
bad_verbs=$(awk '$1 == "kubectl" && $2 != "get" && $2 != "logs" && $2 != "top" && $2 != "version"' "$calls")
[ -z "$bad_verbs" ] || fail "non-read-only kubectl calls: $bad_verbs"
if grep -Eq '^kubectl get (secret|secrets)( |$)' "$calls"; then fail "Secrets were read"; fi
grep -q -- '--request-timeout' "$calls" && fail "stub log should not contain the stripped --request-timeout" 

if [ -f "$tarball" ] && tar -xzf "$tarball" -C "$sandbox/x"; then
    top=$(ls -A "$sandbox/x")
    [ "$top.tar.gz" = "$new" ] || fail "tarball top-level folder is '$top', expected ${new%.tar.gz}"
    B="$sandbox/x/$top"
    M="$B/bundle-doctor.yaml"

    for f in bundle-doctor.yaml cluster/version.yaml cluster/apiservices.yaml \
        cluster/apiservice-v1beta1.metrics.k8s.io.yaml cluster/nodes.yaml cluster/hpas.yaml \
        cluster/pods-wide.txt \
        namespaces/kube-system/pods.yaml namespaces/kube-system/services.yaml \
        namespaces/kube-system/endpoints.yaml namespaces/kube-system/endpointslices.yaml \
        namespaces/kube-system/deployments.yaml namespaces/kube-system/daemonsets.yaml \
        namespaces/kube-system/events.yaml namespaces/kube-system/daemonset-kube-proxy.yaml \
        namespaces/kube-system/metrics-server-deployment.yaml \
        logs/kube-system/metrics-server-6d94bc8694-x7k2p/metrics-server.log \
        probes/curl-metrics-service.txt probes/curl-kubelet.txt probes/kubectl-top-nodes.txt \
        probes/kubectl-get-raw-metrics.txt probes/kube-proxy-local.txt; do
        [ -s "$B/$f" ] || fail "missing or empty in bundle: $f"
    done
    [ -e "$B/logs/kube-system/metrics-server-6d94bc8694-x7k2p/metrics-server-previous.log" ] &&
        fail "failed --previous log should not leave an output file"
    [ -e "$B/.work" ] && fail "work directory was packed into the tarball"

    # manifest header
    for kv in 'apiVersion: bundle-doctor.dev/v1' 'kind: CollectorManifest' 'collectorVersion: 1' \
        'host: "master1"' 'metricsServerNamespace: "kube-system"' 'complete: true' 'steps:'; do
        grep -qx "$kv" "$M" || fail "manifest lacks line: $kv"
    done
    grep -Eq '^collectedAt: "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"$' "$M" ||
        fail "manifest collectedAt missing or malformed"

    # every step, with its expected exit code
    while read -r id want; do
        got=$(step_field "$id" exitCode <"$M")
        if [ -z "$got" ]; then
            fail "manifest has no step $id"
        elif [ "$got" != "$want" ]; then
            fail "step $id: exitCode $got, expected $want"
        fi
    done <<EOF
lookup-apiservice-service 0
version 0
apiservices 0
apiservice-metrics 0
nodes 0
hpas 0
pods-wide 0
ns-kube-system-pods 0
ns-kube-system-services 0
ns-kube-system-endpoints 0
ns-kube-system-endpointslices 0
ns-kube-system-deployments 0
ns-kube-system-daemonsets 0
ns-kube-system-events 0
kube-proxy-daemonset 0
lookup-metrics-server-pods-kube-system-k8s-app 0
metrics-server-deployment-kube-system 0
logs-kube-system-metrics-server-6d94bc8694-x7k2p-metrics-server 0
logs-kube-system-metrics-server-6d94bc8694-x7k2p-metrics-server-previous 1
top-nodes 1
get-raw-metrics 1
lookup-metrics-service 0
curl-metrics-service 28
lookup-node-addresses 0
curl-kubelet 0
kube-proxy-local 1
EOF
    n_steps=$(grep -c '^  - id: ' "$M")
    [ "$n_steps" = 26 ] || fail "manifest lists $n_steps steps, expected 26"
    # every file the manifest says was written exists, and every file in the
    # bundle is accounted for by the manifest
    awk '/^    file: / { f = $2 } /^    written: true/ { gsub(/"/, "", f); print f }
         /^    stderrFile: / { s = $2; gsub(/"/, "", s); print s }' "$M" | sort >"$sandbox/log/listed"
    (cd "$B" && find . -type f ! -name bundle-doctor.yaml | sed 's|^\./||' | sort) >"$sandbox/log/present"
    if ! cmp -s "$sandbox/log/listed" "$sandbox/log/present"; then
        fail "manifest and bundle files differ: $(diff "$sandbox/log/listed" "$sandbox/log/present" | grep '^[<>]' | tr '\n' ' ')"
    fi
    [ "$(step_field top-nodes error <"$M")" = 'Error from server (ServiceUnavailable): the server is currently unable to handle the request (get nodes.metrics.k8s.io)' ] ||
        fail "top-nodes error line: $(step_field top-nodes error <"$M")"
    step_field curl-metrics-service error <"$M" | grep -q '^curl: (28) ' ||
        fail "curl-metrics-service error should be curl's (28) line"
    step_field logs-kube-system-metrics-server-6d94bc8694-x7k2p-metrics-server-previous error <"$M" |
        grep -q 'previous terminated container' || fail "--previous failure not recorded"
    if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
        if python3 - "$B" <<'PY'; then ok "manifest and every .yaml parse as YAML"; else fail "YAML does not parse (see above)"; fi
import os, sys, yaml
bad = 0
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".yaml"):
            p = os.path.join(root, f)
            try:
                list(yaml.safe_load_all(open(p)))
            except Exception as e:
                print("YAML error in", p, e, file=sys.stderr)
                bad = 1
m = yaml.safe_load(open(os.path.join(sys.argv[1], "bundle-doctor.yaml")))
assert m["collectorVersion"] == 1 and len(m["steps"]) == 26, "manifest shape"
sys.exit(bad)
PY
    fi

    # transcripts: command line first, exit code last
    C="$B/probes/curl-metrics-service.txt"
    head -n 1 "$C" | grep -q '^\$ curl -ik .*--max-time 10 .*https://10\.96\.106\.114:443/apis/metrics\.k8s\.io/v1beta1$' ||
        fail "curl-metrics-service.txt first line: $(head -n 1 "$C")"
    grep -q '^curl: (28) Connection timed out' "$C" || fail "curl-metrics-service.txt lacks curl's (28) line"
    [ "$(tail -n 1 "$C")" = '# exit code: 28' ] || fail "curl-metrics-service.txt last line: $(tail -n 1 "$C")"
    head -n 1 "$B/probes/curl-kubelet.txt" | grep -q '^\$ curl -ik .*https://192\.168\.10\.11:10250/healthz$' ||
        fail "curl-kubelet.txt first line"
    grep -q '^HTTP/2 401' "$B/probes/curl-kubelet.txt" || fail "curl-kubelet.txt lacks the 401 status"
    [ "$(tail -n 1 "$B/probes/curl-kubelet.txt")" = '# exit code: 0' ] || fail "curl-kubelet.txt exit code"
    [ "$(head -n 1 "$B/probes/kubectl-top-nodes.txt")" = '$ kubectl top nodes' ] || fail "kubectl-top-nodes.txt first line"
    grep -q '^Error from server (ServiceUnavailable)' "$B/probes/kubectl-top-nodes.txt" || fail "top transcript lacks stderr"
    [ "$(tail -n 1 "$B/probes/kubectl-top-nodes.txt")" = '# exit code: 1' ] || fail "kubectl-top-nodes.txt exit code"
    [ "$(head -n 1 "$B/cluster/pods-wide.txt")" = '$ kubectl get pods -A -o wide' ] || fail "pods-wide.txt first line"
    grep -q '^# kube-proxy process: not running$' "$B/probes/kube-proxy-local.txt" || fail "kube-proxy-local.txt verdict"
    grep -q 'FailedDiscoveryCheck' "$B/cluster/apiservice-v1beta1.metrics.k8s.io.yaml" || fail "APIService content lost"
    grep -q 'memcache.go' "$B/cluster/apiservices.yaml.stderr" || fail "kubectl stderr (discovery errors) not kept"

    # redaction: no planted secret survives anywhere
    for s in plantedKubeconfigToken plantedLogToken plantedEnvPassword plantedPrivateKeyLine \
        cGxhbnRlZENsaWVudEtleURhdGE UExBTlRFRC1DQS1EQVRB cGxhbnRlZFNpZ25hdHVyZVZhbHVl \
        eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6cGxhbnRlZCJ9; do
        if grep -rq -- "$s" "$B"; then fail "secret not redacted: $s in $(grep -rl -- "$s" "$B" | tr '\n' ' ')"; fi
    done
    grep -q 'Authorization: Bearer \*\*\*REDACTED\*\*\*' "$B/logs/kube-system/metrics-server-6d94bc8694-x7k2p/metrics-server.log" ||
        fail "bearer token line not redacted in place"
    grep -q 'token: \*\*\*REDACTED\*\*\*' "$B/logs/kube-system/metrics-server-6d94bc8694-x7k2p/metrics-server.log" ||
        fail "kubeconfig token line not redacted in place"
    grep -q -- '-----BEGIN RSA PRIVATE KEY-----' "$B/namespaces/kube-system/pods.yaml" ||
        fail "PEM markers should stay, only the key body is redacted"
else
    fail "cannot extract $tarball"
fi

# ------------------------------------------------------------ scenario 2
# A hanging `kubectl top` must be cut by the step timeout and recorded, the
# run must go on; options and an output path with spaces.
if command -v timeout >/dev/null 2>&1; then
    out2="$sandbox/out dir 2"
    : >"$calls"
    start=$(date +%s)
    STUB_HANG=top-nodes BUNDLE_DOCTOR_STEP_TIMEOUT=3 run_collect "$out2" -n kube-system --since 2h
    rc=$?
    elapsed=$(($(date +%s) - start))
    [ "$rc" = 0 ] || fail "scenario 2: collect.sh exited $rc"
    [ "$elapsed" -le 30 ] || fail "scenario 2: took ${elapsed}s despite the 3s step timeout"
    t2=$(ls "$out2"/bundle-doctor-*.tar.gz 2>/dev/null)
    if [ -n "$t2" ] && mkdir "$sandbox/x2" && tar -xzf "$t2" -C "$sandbox/x2"; then
        M2=$(ls "$sandbox/x2"/*/bundle-doctor.yaml)
        [ "$(step_field top-nodes exitCode <"$M2")" = 124 ] || fail "scenario 2: hung top-nodes exitCode $(step_field top-nodes exitCode <"$M2"), expected 124"
        [ "$(step_field top-nodes timedOut <"$M2")" = true ] || fail "scenario 2: top-nodes not marked timedOut"
        [ "$(step_field curl-kubelet exitCode <"$M2")" = 0 ] || fail "scenario 2: steps after the timeout did not run"
        grep -q -- '--since=2h' "$calls" || fail "scenario 2: --since not passed to kubectl logs"
        grep -qx 'logsSince: "2h"' "$M2" || fail "scenario 2: logsSince missing from manifest"
    else
        fail "scenario 2: no tarball in '$out2'"
    fi
else
    ok "scenario 2 skipped: no timeout(1)"
fi

# ------------------------------------------------------------ static checks
if command -v shellcheck >/dev/null 2>&1; then
    if shellcheck -s sh "$collect" "$here/run.sh" "$stubs/kubectl" "$stubs/curl" "$stubs/ps"; then
        ok "shellcheck -s sh"
    else
        fail "shellcheck -s sh reported problems"
    fi
else
    ok "shellcheck not installed: skipped"
fi

if [ "$failures" -gt 0 ]; then
    printf '%s check(s) failed; collector stderr:\n' "$failures" >&2
    sed 's/^/  | /' "$sandbox/log/stderr" >&2
    exit 1
fi
ok "all checks passed; tarball: $tarball"
exit 0
