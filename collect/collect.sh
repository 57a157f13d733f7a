#!/bin/sh
# bundle-doctor collector: gathers what bundle-doctor's metrics-server rules need
# (APIServices, kube-system and metrics-server namespace objects, nodes, HPAs,
# metrics-server logs, curl probes, kube-proxy presence) into a redacted tarball
# in the layout documented in collect/LAYOUT.md (collectorVersion 1).
#
# Read-only: it only runs `kubectl version|get|logs|top`, `curl` GETs and `ps`.
# It never reads Secrets. Every step has a timeout; a failing step is recorded
# in bundle-doctor.yaml and the script goes on.
set -u
umask 077

COLLECTOR_VERSION=1
PROG=collect.sh
KUBECTL=${KUBECTL:-kubectl}
CURL=${CURL:-curl}
PS_BIN=${BUNDLE_DOCTOR_PS:-ps}
KUBECTL_REQUEST_TIMEOUT=20s
KUBECTL_STEP_TIMEOUT=${BUNDLE_DOCTOR_STEP_TIMEOUT:-40}
LOGS_STEP_TIMEOUT=${BUNDLE_DOCTOR_STEP_TIMEOUT:-60}
CURL_STEP_TIMEOUT=${BUNDLE_DOCTOR_STEP_TIMEOUT:-20}
LOG_TAIL=2000
APISERVICE=v1beta1.metrics.k8s.io

OUT_PARENT=.
OPT_NS=
SINCE=

usage() {
    cat <<EOF
Usage: $PROG [-o DIR] [-n NAMESPACE] [--since DURATION] [-h]

Collect a bundle-doctor support bundle for metrics-server / $APISERVICE
problems. Run it on a control-plane node; it needs kubectl (with a kubeconfig
allowed to get/list in kube-system and the metrics-server namespace) and curl.
Nothing in the cluster is modified and Secrets are never read.

  -o DIR            parent directory for the tarball (default: .)
  -n NAMESPACE      namespace where metrics-server runs (default: the
                    APIService's spec.service.namespace, else kube-system);
                    kube-system is always collected too
  --since DURATION  only return logs newer than DURATION (kubectl logs
                    --since, e.g. 30m, 2h); default: last $LOG_TAIL lines
  -h, --help        show this help

Environment: KUBECTL and CURL override the binaries; KUBECONFIG is honoured.
Output: DIR/bundle-doctor-<host>-<YYYYmmddTHHMMSSZ>.tar.gz
Exit codes: 0 bundle written (individual steps may have failed: see
bundle-doctor.yaml), 1 the tarball could not be written, 2 usage error,
130/143 interrupted.
EOF
}

die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        -o)
            [ $# -ge 2 ] || die "-o needs a directory (see -h)"
            OUT_PARENT=$2
            shift 2
            ;;
        -o?*) OUT_PARENT=${1#-o}; shift ;;
        -n)
            [ $# -ge 2 ] || die "-n needs a namespace (see -h)"
            OPT_NS=$2
            shift 2
            ;;
        -n?*) OPT_NS=${1#-n}; shift ;;
        --since)
            [ $# -ge 2 ] || die "--since needs a duration such as 1h (see -h)"
            SINCE=$2
            shift 2
            ;;
        --since=*) SINCE=${1#--since=}; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        *) die "unknown option: $1 (see -h)" ;;
    esac
done
[ $# -eq 0 ] || die "unexpected argument: $1 (see -h)"

# Kubernetes names only: this also keeps them safe as path components.
valid_name() {
    case $1 in
        '' | *[!a-z0-9.-]* | .* | -*) return 1 ;;
    esac
    [ "${#1}" -le 253 ]
}

if [ -n "$OPT_NS" ] && ! valid_name "$OPT_NS"; then
    die "invalid namespace: $OPT_NS"
fi
if [ -n "$SINCE" ]; then
    case $SINCE in
        *[!0-9hms]* | [!0-9]*) die "invalid --since duration: $SINCE (use e.g. 30m, 2h, 1h30m)" ;;
    esac
fi
command -v "$KUBECTL" >/dev/null 2>&1 || die "kubectl not found (set KUBECTL=/path/to/kubectl)"
HAVE_CURL=1
command -v "$CURL" >/dev/null 2>&1 || HAVE_CURL=0

# `timeout --foreground` keeps the child in our process group so Ctrl-C
# reaches it; fall back to plain `timeout`, then to no timeout at all
# (kubectl --request-timeout and curl --max-time still bound each call).
TIMEOUT_MODE=none
if command -v timeout >/dev/null 2>&1; then
    if timeout --foreground -k 5 5 true >/dev/null 2>&1; then
        TIMEOUT_MODE=foreground
    elif timeout 5 true >/dev/null 2>&1; then
        TIMEOUT_MODE=plain
    fi
fi

with_timeout() {
    wt_secs=$1
    shift
    case $TIMEOUT_MODE in
        foreground) timeout --foreground -k 5 "$wt_secs" "$@" ;;
        plain) timeout "$wt_secs" "$@" ;;
        *) "$@" ;;
    esac
}

now_ms() {
    nm=$(date +%s%N 2>/dev/null)
    case $nm in
        '' | *[!0-9]*)
            nm=$(date +%s 2>/dev/null)
            case $nm in '' | *[!0-9]*) nm=0 ;; esac
            printf '%s000\n' "$nm"
            ;;
        *) printf '%s\n' "${nm%??????}" ;;
    esac
}

# YAML double-quoted scalar: printable ASCII only (anything else becomes '?'),
# backslash and double quote escaped. Callers pass one line.
q() {
    printf '"%s"' "$(printf '%s' "$1" | LC_ALL=C tr -c ' -~' '?' | sed 's/[\\"]/\\&/g')"
}

shquote() {
    case $1 in
        '') printf "''" ;;
        *[!A-Za-z0-9_./:=@%+,-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
        *) printf '%s' "$1" ;;
    esac
}

display_cmd() {
    dc_out=$1
    shift
    for dc_arg in "$@"; do
        dc_out="$dc_out $(shquote "$dc_arg")"
    done
    printf '%s' "$dc_out"
}

# ---------------------------------------------------------------- output dirs
HOST=${BUNDLE_DOCTOR_HOST:-$(uname -n 2>/dev/null || echo unknown)}
HOST_SAFE=$(printf '%s' "$HOST" | LC_ALL=C tr -c 'A-Za-z0-9._-' '_')
[ -n "$HOST_SAFE" ] || HOST_SAFE=unknown
COLLECTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
STAMP=$(printf '%s' "$COLLECTED_AT" | tr -d ':-')
NAME="bundle-doctor-$HOST_SAFE-$STAMP"

mkdir -p -- "$OUT_PARENT" || die "cannot create output directory: $OUT_PARENT"
[ -e "$OUT_PARENT/$NAME" ] && die "already exists: $OUT_PARENT/$NAME"
[ -e "$OUT_PARENT/$NAME.tar.gz" ] && die "already exists: $OUT_PARENT/$NAME.tar.gz"
BUNDLE="$OUT_PARENT/$NAME"
mkdir -- "$BUNDLE" || die "cannot create $BUNDLE"
# Unredacted command output lives only here, inside the bundle folder, and is
# removed before the tarball is made.
WORK="$BUNDLE/.work"
mkdir -- "$WORK" || die "cannot create $WORK"
MANIFEST="$BUNDLE/bundle-doctor.yaml"
HEADER_WRITTEN=0
FINISHED=0

# kubectl's discovery/http cache would otherwise be written under $HOME.
if [ -z "${KUBECACHEDIR:-}" ]; then
    KUBECACHEDIR="$WORK/kube-cache"
    export KUBECACHEDIR
fi

cleanup_work() {
    [ -n "${WORK:-}" ] && [ -d "$WORK" ] && rm -rf -- "$WORK"
}

# ---------------------------------------------------------------- redaction
cat >"$WORK/redact.sed" <<'EOF'
s#(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----).*(-----END [A-Z0-9 ]*PRIVATE KEY-----)#\1***REDACTED***\2#g
s#(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)((\\n)?[A-Za-z0-9+/=]+)+#\1***REDACTED***#g
s#^([<>*]?[[:space:]]*(Proxy-)?([Aa]uthorization|AUTHORIZATION|[Cc]ookie|[Ss]et-[Cc]ookie|X-Auth-Token|X-Api-Key):)[[:space:]]*[^[:space:]].*$#\1 ***REDACTED***#
s#([Aa]uthorization"?[[:space:]]*[:=][[:space:]]*"?)(Bearer|Basic|Digest|Negotiate|bearer|basic)[[:space:]]+[^[:space:]"',]+#\1\2 ***REDACTED***#g
s#([Bb]earer)[[:space:]]+[A-Za-z0-9._~+/=-]{16,}#\1 ***REDACTED***#g
/[A-Za-z]([Tt]oken|TOKEN|[Ss]ecret|SECRET)"?:[[:space:]]+(true|false)[[:space:]]*$/b
s#([A-Za-z0-9_.-]*([Tt]oken|TOKEN|[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Ss]ecret|SECRET|[Pp]rivate[-_]?[Kk]ey|PRIVATE_KEY|client-key-data|client-certificate-data|certificate-authority-data))(\\?"?[[:space:]]*[:=][[:space:]]*)"[^"]*"#\1\3"***REDACTED***"#g
s#([A-Za-z0-9_.-]*([Tt]oken|TOKEN|[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Ss]ecret|SECRET|[Pp]rivate[-_]?[Kk]ey|PRIVATE_KEY|client-key-data|client-certificate-data|certificate-authority-data))(\\?"?[[:space:]]*[:=][[:space:]]*)\\"[^"\\]*\\"#\1\3\\"***REDACTED***\\"#g
s#([A-Za-z0-9_.-]*([Tt]oken|TOKEN|[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Ss]ecret|SECRET|[Pp]rivate[-_]?[Kk]ey|PRIVATE_KEY|client-key-data|client-certificate-data|certificate-authority-data))(\\?"?[[:space:]]*[:=][[:space:]]*)'[^']*'#\1\3'***REDACTED***'#g
s#^([[:space:]]*(- )?)([A-Za-z0-9_.-]*([Tt]oken|TOKEN|[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Ss]ecret|SECRET|[Pp]rivate[-_]?[Kk]ey|PRIVATE_KEY|client-key-data|client-certificate-data|certificate-authority-data))(:[[:space:]]+)[^"'[:space:]|>&*!].*$#\1\3\5***REDACTED***#
s#([A-Za-z0-9_.-]*([Tt]oken|TOKEN|[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Ss]ecret|SECRET|[Pp]rivate[-_]?[Kk]ey|PRIVATE_KEY|client-key-data|client-certificate-data|certificate-authority-data))([:=][[:space:]]*)[^"'[:space:]\\*][^"'[:space:],;&}\\]*#\1\3***REDACTED***#g
s#eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}#***REDACTED***#g
s#(://)[^/@[:space:]:]+:[^/@[:space:]]+@#\1***REDACTED***@#g
EOF
# YAML files: a plain scalar must not start with '*' (that is an alias), so a
# value that now starts with the marker is quoted. Only outside quoted and
# block scalars: inside them the marker is plain text and quotes would break
# them. Follows kubectl's YAML style (block mappings, 2-space indent).
cat >"$WORK/yamlfix.awk" <<'EOF'
function dq_end(s,    i, c) {
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\") { i++; continue }
        if (c == "\"") return i
    }
    return 0
}
function sq_end(s,    i) {
    for (i = 1; i <= length(s); i++) {
        if (substr(s, i, 1) == "'") {
            if (substr(s, i + 1, 1) == "'") { i++; continue }
            return i
        }
    }
    return 0
}
{
    line = $0
    if (state == 3) {
        match(line, /^ */)
        if (line ~ /^ *$/ || RLENGTH > bind) { print line; next }
        state = 0
    }
    if (state == 1) { if (dq_end(line)) state = 0; print line; next }
    if (state == 2) { if (sq_end(line)) state = 0; print line; next }
    match(line, /^ *(- )*/)
    bind = RLENGTH
    match(line, /^ *(- )*([A-Za-z0-9_.\/@~-]+: +)?/)
    pre = substr(line, 1, RLENGTH)
    val = substr(line, RLENGTH + 1)
    if (substr(val, 1, 14) == "***REDACTED***") {
        rest = substr(val, 15)
        if (rest ~ /["\\]/) val = "REDACTED" rest
        else val = "\"***REDACTED***" rest "\""
        line = pre val
    }
    if (substr(val, 1, 1) == "\"") {
        if (!dq_end(substr(val, 2))) state = 1
    } else if (substr(val, 1, 1) == "'") {
        if (!sq_end(substr(val, 2))) state = 2
    } else if (val ~ /^[|>][-+0-9]*( *#.*)?$/) {
        state = 3
    }
    print line
}
EOF
# Multi-line PEM private keys, and env vars named like secrets
# (`- name: API_TOKEN` followed by `value: ...`).
cat >"$WORK/redact.awk" <<'EOF'
{
    line = $0
    if (inpem) {
        if (line ~ /-----END [A-Z0-9 ]*PRIVATE KEY-----/) { inpem = 0; print line; next }
        sub(/[^ \t].*$/, "***REDACTED***", line)
        print line
        next
    }
    if (line ~ /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ && line !~ /-----END [A-Z0-9 ]*PRIVATE KEY-----/) {
        inpem = 1; print line; next
    }
    if (envsecret) {
        envsecret = 0
        if (line ~ /^[ \t]*value:[ \t]+[^ \t]/) sub(/value:[ \t]+.*$/, "value: ***REDACTED***", line)
    }
    if (line ~ /^[ \t]*- name:[ \t]*"?[A-Za-z0-9_.-]*(TOKEN|PASSWORD|PASSWD|SECRET|PRIVATE_KEY|ACCESS_KEY|[Tt]oken|[Pp]assword|[Ss]ecret)"?[ \t]*$/) envsecret = 1
    print line
}
EOF

# redact IN OUT [yaml]
redact() {
    if [ "${3:-}" = yaml ]; then
        sed -E -f "$WORK/redact.sed" <"$1" | awk -f "$WORK/redact.awk" | awk -f "$WORK/yamlfix.awk" >"$2"
    else
        sed -E -f "$WORK/redact.sed" <"$1" | awk -f "$WORK/redact.awk" >"$2"
    fi
}

# ---------------------------------------------------------------- manifest
PENDING="$WORK/pending-steps"
: >"$PENDING"

mf_append() {
    if [ "$HEADER_WRITTEN" = 1 ]; then
        cat >>"$MANIFEST"
    else
        cat >>"$PENDING"
    fi
}

write_header() {
    [ "$HEADER_WRITTEN" = 1 ] && return 0
    {
        printf '# bundle-doctor collector manifest; layout: collect/LAYOUT.md\n'
        printf 'apiVersion: bundle-doctor.dev/v1\n'
        printf 'kind: CollectorManifest\n'
        printf 'collectorVersion: %s\n' "$COLLECTOR_VERSION"
        printf 'host: %s\n' "$(q "$HOST")"
        printf 'collectedAt: %s\n' "$(q "$COLLECTED_AT")"
        printf 'metricsServerNamespace: %s\n' "$(q "${MS_NS:-kube-system}")"
        printf 'namespaces:\n'
        for wh_ns in ${NAMESPACES:-kube-system}; do
            printf '  - %s\n' "$(q "$wh_ns")"
        done
        if [ -n "$SINCE" ]; then printf 'logsSince: %s\n' "$(q "$SINCE")"; fi
        printf 'logsTail: %s\n' "$LOG_TAIL"
        printf 'steps:\n'
        cat "$PENDING"
    } >"$MANIFEST"
    HEADER_WRITTEN=1
}

finish_manifest() {
    [ "$FINISHED" = 1 ] && return 0
    FINISHED=1
    write_header
    {
        printf 'finishedAt: %s\n' "$(q "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
        printf 'complete: %s\n' "$1"
        if [ -n "${2:-}" ]; then printf 'interruptedBy: %s\n' "$(q "$2")"; fi
    } >>"$MANIFEST"
}

# shellcheck disable=SC2317 # invoked through trap
on_signal() {
    trap - INT TERM
    if [ -d "${BUNDLE:-}" ]; then
        finish_manifest false "SIG$1"
        cleanup_work
        printf '%s: interrupted (SIG%s); partial, redacted bundle left in %s\n' "$PROG" "$1" "$BUNDLE" >&2
    fi
    case $1 in INT) exit 130 ;; *) exit 143 ;; esac
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'cleanup_work' EXIT

# The error line for the manifest: the first stderr line that is not klog
# noise (client-go discovery lines such as memcache.go) or a Warning.
error_line() {
    el=$(awk 'NF && !/^[IWEF][0-9][0-9][0-9][0-9] / && !/^Warning:/ { print; exit }' "$1")
    [ -n "$el" ] || el=$(awk 'NF { print; exit }' "$1")
    printf '%s' "$el"
}

# Extra manifest lines for the next step (already formatted, 4-space indent).
STEP_EXTRA=

# step ID KIND FILE MODE TOOL [ARG...]
#   MODE plain:      stdout -> FILE, stderr -> FILE.stderr
#   MODE table:      "$ <command>" line, then stdout -> FILE; stderr -> FILE.stderr
#   MODE transcript: "$ <command>" line, stdout+stderr, "# exit code: N" -> FILE
#   TOOL kubectl (gets --request-timeout) or curl.
step() {
    s_id=$1 s_kind=$2 s_file=$3 s_mode=$4 s_tool=$5
    shift 5
    s_display=$(display_cmd "$s_tool" "$@")
    case $s_tool in
        kubectl)
            s_timeout=$KUBECTL_STEP_TIMEOUT
            [ "${1:-}" = logs ] && s_timeout=$LOGS_STEP_TIMEOUT
            set -- "$KUBECTL" "--request-timeout=$KUBECTL_REQUEST_TIMEOUT" "$@"
            ;;
        curl)
            s_timeout=$CURL_STEP_TIMEOUT
            set -- "$CURL" "$@"
            ;;
        *)
            s_timeout=$KUBECTL_STEP_TIMEOUT
            ;;
    esac
    s_dir=$(dirname -- "$s_file")
    mkdir -p -- "$BUNDLE/$s_dir"
    : >"$WORK/out"
    : >"$WORK/err"
    s_start=$(now_ms)
    if [ "$s_mode" = transcript ]; then
        with_timeout "$s_timeout" "$@" >"$WORK/out" 2>&1 </dev/null
        s_rc=$?
    else
        with_timeout "$s_timeout" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
        s_rc=$?
    fi
    s_end=$(now_ms)
    s_timed_out=false
    if [ "$TIMEOUT_MODE" != none ] && { [ "$s_rc" = 124 ] || [ "$s_rc" = 137 ]; }; then
        s_timed_out=true
    fi
    s_yaml=
    case $s_file in *.yaml) s_yaml=yaml ;; esac

    s_written=false
    s_stderr_file=
    case $s_mode in
        transcript)
            {
                printf '$ %s\n' "$s_display"
                cat "$WORK/out"
                if [ -s "$WORK/out" ] && [ "$(tail -c 1 "$WORK/out" | wc -l)" -eq 0 ]; then
                    printf '\n'
                fi
                if [ "$s_timed_out" = true ]; then
                    printf '# timed out after %ss\n' "$s_timeout"
                fi
                printf '# exit code: %s\n' "$s_rc"
            } >"$WORK/raw"
            redact "$WORK/raw" "$BUNDLE/$s_file"
            s_written=true
            # the error line of a transcript: curl's "curl: (N)" or kubectl's error
            cp "$WORK/out" "$WORK/err"
            ;;
        *)
            if [ "$s_rc" = 0 ] || [ -s "$WORK/out" ]; then
                if [ "$s_mode" = table ]; then
                    { printf '$ %s\n' "$s_display"; cat "$WORK/out"; } >"$WORK/raw"
                else
                    cp "$WORK/out" "$WORK/raw"
                fi
                redact "$WORK/raw" "$BUNDLE/$s_file" "$s_yaml"
                s_written=true
            fi
            if [ -s "$WORK/err" ]; then
                s_stderr_file="$s_file.stderr"
                redact "$WORK/err" "$BUNDLE/$s_stderr_file"
            fi
            ;;
    esac

    s_error=
    if [ "$s_rc" != 0 ]; then
        redact "$WORK/err" "$WORK/err.red"
        if [ "$s_mode" = transcript ]; then
            s_error=$(awk '/^curl: \([0-9]+\)/ || /^(error|Error)/ { print; exit }' "$WORK/err.red")
        fi
        [ -n "$s_error" ] || s_error=$(error_line "$WORK/err.red")
        if [ -z "$s_error" ] && [ "$s_timed_out" = true ]; then
            s_error="timed out after ${s_timeout}s"
        fi
        [ -n "$s_error" ] || s_error="exit code $s_rc"
    fi

    {
        printf '  - id: %s\n' "$(q "$s_id")"
        printf '    kind: %s\n' "$s_kind"
        printf '    command: %s\n' "$(q "$s_display")"
        printf '    file: %s\n' "$(q "$s_file")"
        printf '    written: %s\n' "$s_written"
        if [ -n "$s_stderr_file" ]; then printf '    stderrFile: %s\n' "$(q "$s_stderr_file")"; fi
        printf '    exitCode: %s\n' "$s_rc"
        printf '    durationMs: %s\n' "$((s_end - s_start))"
        if [ "$s_timed_out" = true ]; then printf '    timedOut: true\n'; fi
        if [ -n "$s_error" ]; then printf '    error: %s\n' "$(q "$s_error")"; fi
        if [ -n "$STEP_EXTRA" ]; then printf '%s\n' "$STEP_EXTRA"; fi
    } | mf_append
    STEP_EXTRA=
    return 0
}

# skip ID KIND FILE REASON: a step that could not run, with why.
skip() {
    {
        printf '  - id: %s\n' "$(q "$1")"
        printf '    kind: %s\n' "$2"
        printf '    file: %s\n' "$(q "$3")"
        printf '    written: false\n'
        printf '    skipped: %s\n' "$(q "$4")"
        if [ -n "$STEP_EXTRA" ]; then printf '%s\n' "$STEP_EXTRA"; fi
    } | mf_append
    STEP_EXTRA=
}

# lookup ID ARG...: a small kubectl query whose answer steers later steps.
# Output (redacted) in $WORK/lookup; recorded in the manifest as kind lookup
# with its output lines (at most 50), no file.
lookup() {
    l_id=$1
    shift
    l_display=$(display_cmd kubectl "$@")
    l_start=$(now_ms)
    with_timeout "$KUBECTL_STEP_TIMEOUT" "$KUBECTL" "--request-timeout=$KUBECTL_REQUEST_TIMEOUT" "$@" \
        >"$WORK/lookup.raw" 2>"$WORK/lookup.err" </dev/null
    l_rc=$?
    l_end=$(now_ms)
    redact "$WORK/lookup.raw" "$WORK/lookup"
    redact "$WORK/lookup.err" "$WORK/lookup.err.red"
    {
        printf '  - id: %s\n' "$(q "$l_id")"
        printf '    kind: lookup\n'
        printf '    command: %s\n' "$(q "$l_display")"
        printf '    exitCode: %s\n' "$l_rc"
        printf '    durationMs: %s\n' "$((l_end - l_start))"
        if [ "$l_rc" != 0 ]; then
            l_err=$(error_line "$WORK/lookup.err.red")
            [ -n "$l_err" ] || l_err="exit code $l_rc"
            printf '    error: %s\n' "$(q "$l_err")"
        fi
        if [ -s "$WORK/lookup" ]; then
            printf '    output:\n'
            l_n=0
            while IFS= read -r l_line || [ -n "$l_line" ]; do
                l_n=$((l_n + 1))
                [ "$l_n" -le 50 ] || break
                printf '      - %s\n' "$(q "$l_line")"
            done <"$WORK/lookup"
        else
            printf '    output: []\n'
        fi
    } | mf_append
    return "$l_rc"
}

extra() {
    STEP_EXTRA="${STEP_EXTRA:+$STEP_EXTRA
}    $1"
}

printf '%s: collecting into %s\n' "$PROG" "$BUNDLE" >&2

# ---------------------------------------------------------------- 1. where metrics-server is
APISVC_NS=
APISVC_NAME=
APISVC_PORT=
if lookup lookup-apiservice-service get apiservice "$APISERVICE" \
    -o 'jsonpath={.spec.service.namespace} {.spec.service.name} {.spec.service.port}'; then
    read -r APISVC_NS APISVC_NAME APISVC_PORT <"$WORK/lookup" || true
fi
valid_name "${APISVC_NS:-}" || APISVC_NS=
valid_name "${APISVC_NAME:-}" || APISVC_NAME=
case ${APISVC_PORT:-} in '' | *[!0-9]*) APISVC_PORT= ;; esac

if [ -n "$OPT_NS" ]; then
    MS_NS=$OPT_NS
elif [ -n "$APISVC_NS" ]; then
    MS_NS=$APISVC_NS
else
    MS_NS=kube-system
fi
NAMESPACES=kube-system
for cand in "$MS_NS" "$APISVC_NS"; do
    [ -n "$cand" ] || continue
    case " $NAMESPACES " in *" $cand "*) ;; *) NAMESPACES="$NAMESPACES $cand" ;; esac
done
write_header

# ---------------------------------------------------------------- 2. cluster-scoped
step version version cluster/version.yaml plain kubectl version -o yaml
step apiservices apiservices cluster/apiservices.yaml plain kubectl get apiservices -o yaml
step apiservice-metrics apiservices "cluster/apiservice-$APISERVICE.yaml" plain kubectl get apiservice "$APISERVICE" -o yaml
step nodes nodes cluster/nodes.yaml plain kubectl get nodes -o yaml
step hpas hpas cluster/hpas.yaml plain kubectl get hpa -A -o yaml
step pods-wide pods cluster/pods-wide.txt table kubectl get pods -A -o wide

# ---------------------------------------------------------------- 3. namespaces
for ns in $NAMESPACES; do
    for res in pods services endpoints endpointslices deployments daemonsets events; do
        extra "namespace: $(q "$ns")"
        step "ns-$ns-$res" "$res" "namespaces/$ns/$res.yaml" plain kubectl get "$res" -n "$ns" -o yaml
    done
done
extra "namespace: \"kube-system\""
step kube-proxy-daemonset daemonsets namespaces/kube-system/daemonset-kube-proxy.yaml plain \
    kubectl get daemonset kube-proxy -n kube-system -o yaml

# ---------------------------------------------------------------- 4. metrics-server pods, deployment, logs
POD_JSONPATH='jsonpath={range .items[*]}{.metadata.name} {.spec.containers[*].name}{"\n"}{end}'
for ns in $NAMESPACES; do
    found_sel=
    : >"$WORK/ms-pods"
    for sel in k8s-app=metrics-server app.kubernetes.io/name=metrics-server; do
        case $sel in k8s-app=*) sel_id=k8s-app ;; *) sel_id=app-name ;; esac
        if lookup "lookup-metrics-server-pods-$ns-$sel_id" get pods -n "$ns" -l "$sel" -o "$POD_JSONPATH" &&
            [ -s "$WORK/lookup" ]; then
            cp "$WORK/lookup" "$WORK/ms-pods"
            found_sel=$sel
            break
        fi
    done
    if [ -z "$found_sel" ]; then
        if lookup "lookup-metrics-server-pods-$ns-by-name" get pods -n "$ns" -o "$POD_JSONPATH"; then
            awk '$1 ~ /^metrics-server/' "$WORK/lookup" >"$WORK/ms-pods"
        fi
    fi
    [ -s "$WORK/ms-pods" ] || continue

    extra "namespace: $(q "$ns")"
    if [ -n "$found_sel" ]; then
        step "metrics-server-deployment-$ns" deployments "namespaces/$ns/metrics-server-deployment.yaml" plain \
            kubectl get deployments -n "$ns" -l "$found_sel" -o yaml
    else
        step "metrics-server-deployment-$ns" deployments "namespaces/$ns/metrics-server-deployment.yaml" plain \
            kubectl get deployment metrics-server -n "$ns" -o yaml
    fi

    cp "$WORK/ms-pods" "$WORK/ms-pods-$ns"
    while read -r pod containers; do
        if ! valid_name "$pod"; then
            extra "namespace: $(q "$ns")"
            skip "logs-$ns-invalid-pod-name" logs "logs/$ns/" "unexpected pod name from lookup: $pod"
            continue
        fi
        for c in $containers; do
            valid_name "$c" || continue
            for prev in false true; do
                suffix=
                set -- logs "$pod" -n "$ns" -c "$c" "--tail=$LOG_TAIL" --timestamps
                if [ -n "$SINCE" ]; then set -- "$@" "--since=$SINCE"; fi
                if [ "$prev" = true ]; then
                    suffix=-previous
                    set -- "$@" --previous
                fi
                extra "namespace: $(q "$ns")"
                extra "pod: $(q "$pod")"
                extra "container: $(q "$c")"
                extra "previous: $prev"
                step "logs-$ns-$pod-$c$suffix" logs "logs/$ns/$pod/$c$suffix.log" plain kubectl "$@"
            done
        done
    done <"$WORK/ms-pods-$ns"
done

# ---------------------------------------------------------------- 5. probes through the API server
step top-nodes top probes/kubectl-top-nodes.txt transcript kubectl top nodes
step get-raw-metrics probes probes/kubectl-get-raw-metrics.txt transcript kubectl get --raw "/apis/metrics.k8s.io/v1beta1"

# ---------------------------------------------------------------- 6. curl probes from this node
bracket_ip() {
    case $1 in *:*) printf '[%s]' "$1" ;; *) printf '%s' "$1" ;; esac
}

SVC_IP=
if [ -n "$APISVC_NS" ] && [ -n "$APISVC_NAME" ]; then
    if lookup lookup-metrics-service get service "$APISVC_NAME" -n "$APISVC_NS" -o 'jsonpath={.spec.clusterIP}'; then
        read -r SVC_IP <"$WORK/lookup" || true
    fi
fi
case ${SVC_IP:-} in
    '' | None | *[!0-9a-fA-F.:]*) SVC_IP= ;;
esac
if [ "$HAVE_CURL" = 0 ]; then
    skip curl-metrics-service probes probes/curl-metrics-service.txt "curl not found: $CURL"
elif [ -z "$APISVC_NAME" ]; then
    skip curl-metrics-service probes probes/curl-metrics-service.txt "APIService $APISERVICE has no spec.service (missing, or not served by a Service)"
elif [ -z "$SVC_IP" ]; then
    skip curl-metrics-service probes probes/curl-metrics-service.txt "no ClusterIP for service $APISVC_NS/$APISVC_NAME"
else
    step curl-metrics-service probes probes/curl-metrics-service.txt transcript curl -ik -sS --noproxy '*' \
        --max-time 10 --connect-timeout 5 \
        "https://$(bracket_ip "$SVC_IP"):${APISVC_PORT:-443}/apis/metrics.k8s.io/v1beta1"
fi

NODE_IP=
if lookup lookup-node-addresses get nodes \
    -o 'jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'; then
    NODE_IP=$(awk 'NF >= 2 { print $2; exit }' "$WORK/lookup")
fi
case ${NODE_IP:-} in '' | *[!0-9a-fA-F.:]*) NODE_IP= ;; esac
if [ "$HAVE_CURL" = 0 ]; then
    skip curl-kubelet probes probes/curl-kubelet.txt "curl not found: $CURL"
elif [ -z "$NODE_IP" ]; then
    skip curl-kubelet probes probes/curl-kubelet.txt "no node InternalIP found"
else
    step curl-kubelet probes probes/curl-kubelet.txt transcript curl -ik -sS --noproxy '*' \
        --max-time 10 --connect-timeout 5 "https://$(bracket_ip "$NODE_IP"):10250/healthz"
fi

# ---------------------------------------------------------------- 7. kube-proxy on this node
kube_proxy_local() {
    kp_file=probes/kube-proxy-local.txt
    kp_start=$(now_ms)
    with_timeout 10 "$PS_BIN" -e -o comm= >"$WORK/ps" 2>"$WORK/ps.err" </dev/null
    kp_ps_rc=$?
    if [ "$kp_ps_rc" = 0 ] && [ -s "$WORK/ps" ]; then
        kp_cmd='ps -e -o comm= | grep -x kube-proxy'
    else
        # no usable ps (busybox without -o): read /proc directly
        kp_cmd='cat /proc/[0-9]*/comm | grep -x kube-proxy'
        cat /proc/[0-9]*/comm >"$WORK/ps" 2>/dev/null
    fi
    grep -x kube-proxy "$WORK/ps" >"$WORK/kp" 2>/dev/null
    kp_rc=$?
    [ -s "$WORK/ps" ] || kp_rc=2
    kp_embedded=$(grep -x -e k3s-server -e k3s-agent -e k3s -e rke2 -e kubelite "$WORK/ps" 2>/dev/null | sort -u | tr '\n' ' ')
    kp_end=$(now_ms)
    case $kp_rc in
        0) kp_result=running ;;
        1) kp_result="not running" ;;
        *) kp_result="unknown (no process list)" ;;
    esac
    {
        printf '$ %s\n' "$kp_cmd"
        cat "$WORK/kp"
        printf '# host: %s\n' "$HOST"
        printf '# kube-proxy process: %s\n' "$kp_result"
        if [ -n "$kp_embedded" ]; then
            printf '# processes that embed kube-proxy: %s\n' "$kp_embedded"
        fi
        printf '# exit code: %s\n' "$kp_rc"
    } >"$WORK/raw"
    redact "$WORK/raw" "$BUNDLE/$kp_file"
    {
        printf '  - id: "kube-proxy-local"\n'
        printf '    kind: probes\n'
        printf '    command: %s\n' "$(q "$kp_cmd")"
        printf '    file: %s\n' "$(q "$kp_file")"
        printf '    written: true\n'
        printf '    exitCode: %s\n' "$kp_rc"
        printf '    durationMs: %s\n' "$((kp_end - kp_start))"
        if [ "$kp_rc" != 0 ]; then printf '    error: %s\n' "$(q "kube-proxy process: $kp_result")"; fi
    } | mf_append
}
mkdir -p -- "$BUNDLE/probes"
kube_proxy_local

# ---------------------------------------------------------------- 8. pack
finish_manifest true
cleanup_work
if (cd "$OUT_PARENT" && tar -cf "$NAME.tar" "$NAME") && gzip -f -- "$OUT_PARENT/$NAME.tar"; then
    rm -rf -- "$BUNDLE"
    printf '%s\n' "$OUT_PARENT/$NAME.tar.gz"
    exit 0
fi
rm -f -- "$OUT_PARENT/$NAME.tar" "$OUT_PARENT/$NAME.tar.gz"
printf '%s: could not write %s.tar.gz; the bundle folder is left in %s\n' "$PROG" "$OUT_PARENT/$NAME" "$BUNDLE" >&2
exit 1
