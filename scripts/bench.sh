#!/usr/bin/env bash
# Benchmark of `bundle-doctor analyze` against the decompression floor (`pigz -dc`) and the
# manual baseline (`tar xzf` + `grep -rE` with the rules' log patterns), on generated bundles.
#
#   scripts/bench.sh                 # 1 MB, 100 MiB, 1 GiB, 2 GiB; median of 3 runs each
#   scripts/bench.sh --no-2g         # without the 2 GiB bundle (its first generation takes a while)
#   scripts/bench.sh --runs 5 --cache DIR --no-build --keep --sizes "1MB 100MiB"
#
# Bundles come from `cargo run --release --example gen_bundle` (deterministic, seed 1, 20
# metrics-server failure lines) and are cached in $BENCH_CACHE (default ~/.cache/bundle-doctor-bench),
# keyed by a hash of the generator source. Every command of one size runs on the same file, in
# the same run, interleaved (a b c a b c ...), under `/usr/bin/time -v`; the table shows medians.
# See scripts/README.md for what each column means.
set -euo pipefail

RUNS=3
SIZES_ARG=""
WITH_2G=1
BUILD=1
KEEP=0
CACHE="${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bundle-doctor-bench}"
while [ $# -gt 0 ]; do
  case "$1" in
    --2g|--with-2g) WITH_2G=1 ;;
    --no-2g) WITH_2G=0 ;;
    --runs) RUNS="$2"; shift ;;
    --cache) CACHE="$2"; shift ;;
    --sizes) SIZES_ARG="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

cd "$(dirname "$0")/.."
ROOT="$PWD"

die() { echo "bench.sh: $*" >&2; exit 3; }
# On a fresh Debian/Ubuntu machine, install the measuring tools when run as root (else say what to install).
pkgs=""
command -v pigz >/dev/null 2>&1 || pkgs="$pkgs pigz"
[ -x /usr/bin/time ] || pkgs="$pkgs time"
command -v taskset >/dev/null 2>&1 || pkgs="$pkgs util-linux"
if [ -n "$pkgs" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing:$pkgs" >&2
  # shellcheck disable=SC2086
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null) \
    || echo "bench.sh: could not install:$pkgs" >&2
fi
need() { command -v "$1" >/dev/null 2>&1 || die "required tool '$1' not found: $2"; }
need pigz "install it (Debian/Ubuntu: apt-get install -y pigz)"
need perl "needed to translate the rules' regexes to grep -E syntax"
need awk "POSIX awk"
need tar "GNU tar"
need grep "GNU grep"
need cargo "the Rust toolchain (https://rustup.rs)"
need taskset "util-linux (Debian/Ubuntu: apt-get install -y util-linux); it pins the one-core baseline"
[ -n "${EPOCHREALTIME:-}" ] || die "bash >= 5 needed (EPOCHREALTIME)"
[ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1 \
  || die "GNU time not found at /usr/bin/time (Debian/Ubuntu: apt-get install -y time)"
grep --version 2>/dev/null | grep -q 'GNU grep' || die "grep is not GNU grep (needed for -r, \\w, \\s, \\b in -E)"

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps 2>/dev/null | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
TARGET_DIR="${TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/bundle-doctor"
GEN="$TARGET_DIR/release/examples/gen_bundle"
if [ "$BUILD" = 1 ]; then
  echo "building (release)..." >&2
  cargo build --release --quiet
  cargo build --release --quiet --example gen_bundle
fi
[ -x "$BIN" ] || die "$BIN not built (run without --no-build)"
[ -x "$GEN" ] || die "$GEN not built (run without --no-build)"

mkdir -p "$CACHE"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bd-bench.XXXXXX")"
cleanup() { [ "$KEEP" = 1 ] && echo "kept $WORK" >&2 || rm -rf "$WORK"; }
trap cleanup EXIT

# --- the rules' log patterns -------------------------------------------------------------
# Every `regex:` under a `log:` selector of rules/*.yaml (all single-quoted YAML scalars).
awk '
  FNR == 1 { logind = -1 }
  /^[ \t]*(#.*)?$/ { next }
  {
    match($0, /^[ -]*/); ind = RLENGTH
    if (logind >= 0 && ind <= logind) logind = -1
    key = substr($0, ind + 1)
    if (key ~ /^log:[ \t]*$/) { logind = ind; next }
    if (logind >= 0 && key ~ /^regex:[ \t]*\047/) {
      v = key; sub(/^regex:[ \t]*\047/, "", v); sub(/\047[ \t]*$/, "", v); gsub(/\047\047/, "\047", v)
      print v
    }
  }' rules/*.yaml | sort -u > "$WORK/patterns.rust"
[ -s "$WORK/patterns.rust" ] || die "no log patterns found in rules/*.yaml"
# The patterns are Rust regex syntax ((?P<n>..), (?:..), lazy .*?, \d, \w/\s in classes, (?i:..)).
# `grep -P` accepts them but backtracks: 47 s for 100 MiB with the 71 patterns joined, so it is not
# a fair baseline. They are translated to GNU ERE (same lines matched: checked on every fixture)
# and given to `grep -rE -f`, which runs them through one DFA.
perl -e '
while (my $s = <STDIN>) {
  chomp $s; my $o = ""; my $i = 0; my $n = length $s; my $q = 0;
  while ($i < $n) {
    my $rest = substr($s, $i); my $c = substr($s, $i, 1);
    if ($rest =~ /^\(\?P<\w+>/ || $rest =~ /^\(\?:/) { $o .= "("; $i += length($&); $q = 0; next }
    if ($rest =~ /^\(\?i:([A-Za-z]+)\)/) { $o .= "(" . join("", map { "[" . uc($_) . lc($_) . "]" } split //, $1) . ")"; $i += length($&); $q = 0; next }
    if ($c eq "\\") { my $d = substr($s, $i + 1, 1); $o .= $d eq "d" ? "[0-9]" : "\\$d"; $i += 2; $q = 0; next }
    if ($c eq "?" && $q) { $i++; $q = 0; next }
    if ($c =~ /[*+?]/) { $o .= $c; $i++; $q = 1; next }
    if ($c eq "{" && $rest =~ /^\{\d+(,\d*)?\}/) { $o .= $&; $i += length($&); $q = 1; next }
    if ($c eq "[") {
      $i++; my $neg = ""; if (substr($s, $i, 1) eq "^") { $neg = "^"; $i++ }
      my ($body, $rb, $dash) = ("", "", "");
      while ($i < $n) {
        my $e = substr($s, $i, 1);
        if ($e eq "]") { $i++; last }
        if ($e eq "\\") {
          my $d = substr($s, $i + 1, 1); $i += 2;
          if ($d eq "d") { $body .= "0-9" } elsif ($d eq "w") { $body .= "[:alnum:]_" }
          elsif ($d eq "s") { $body .= "[:space:]" } elsif ($d =~ /[nrt]/) { }
          elsif ($d eq "]") { $rb = "]" } elsif ($d eq "-") { $dash = "-" } else { $body .= $d }
          next;
        }
        $body .= $e; $i++;
      }
      if ($body eq "" && $rb eq "" && $dash eq "") { $o .= $neg ? "." : "[x]" } else { $o .= "[$neg$rb$body$dash]" }
      $q = 0; next;
    }
    $o .= $c; $i++; $q = 0;
  }
  print "$o\n";
}' < "$WORK/patterns.rust" > "$WORK/patterns.ere"
# A pattern that matches any ordinary log line (e.g. `\S`, used by a rule to test that a pod logged
# at all) is a liveness check, not a signature: a person grepping for failures would not use it.
PROBE='I0517 10:24:03.143248       1 controller.go:115] "Reconciling" controller="deployment" name="web"'
paste -d'\t' "$WORK/patterns.rust" "$WORK/patterns.ere" | while IFS=$'\t' read -r rust ere; do
  if printf '%s\n' "$PROBE" | grep -qE -- "$ere"; then echo "$rust" >> "$WORK/patterns.dropped"; else echo "$ere"; fi
done > "$WORK/patterns.ere.kept"
mv "$WORK/patterns.ere.kept" "$WORK/patterns.ere"
echo "x" | grep -E -f "$WORK/patterns.ere" >/dev/null 2>"$WORK/ere.err" || [ ! -s "$WORK/ere.err" ] \
  || die "translated patterns rejected by grep -E: $(cat "$WORK/ere.err")"
NPAT=$(wc -l < "$WORK/patterns.rust")
NGREP=$(wc -l < "$WORK/patterns.ere")
DROPPED="$(paste -sd' ' "$WORK/patterns.dropped" 2>/dev/null || true)"

# --- bundles ------------------------------------------------------------------------------
GEN_KEY="$(cat examples/gen_bundle.rs tests/catalogue/metrics-server.yaml | cksum | cut -d' ' -f1)"
bundle() { # size seed [cluster-size] -> path (generated once, cached)
  local f="$CACHE/bundle-$1${3:+-c$3}-s$2-f20-$GEN_KEY.tgz"
  if [ ! -s "$f" ]; then
    echo "generating $1${3:+ (cluster of $3)} (seed $2)..." >&2
    "$GEN" --size "$1" ${3:+--cluster-size "$3"} --seed "$2" --failures 20 --out "$f" >&2
  fi
  echo "$f"
}
SIZES=(1MB 100MiB 1GiB)
[ "$WITH_2G" = 1 ] && SIZES+=(2GiB)
[ -n "$SIZES_ARG" ] && read -r -a SIZES <<< "$SIZES_ARG"
declare -A B
for s in "${SIZES[@]}"; do B[$s]="$(bundle "$s" 1)"; done
# Logs only: the largest size, but the cluster (objects) of the 100 MiB bundle, so that only the
# volume of logs differs: peak RSS must not grow with it.
BIG="${SIZES[${#SIZES[@]}-1]}"
LOGS_ONLY=""
if [ "$BIG" != 100MiB ] && [ "$BIG" != 1MB ]; then LOGS_ONLY="$(bundle "$BIG" 1 100MiB)"; fi
MULTI=()
for seed in 1 2 3 4 5 6 7 8; do MULTI+=("$(bundle 100MiB "$seed")"); done
mkdir -p "$WORK/emptyrules"

# --- measurement --------------------------------------------------------------------------
# run NAME CMD...: one timed run; appends "wall_seconds max_rss_kib" to $WORK/NAME.
run() {
  local name="$1"; shift
  local tf="$WORK/time.txt" rc=0 t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -v -o "$tf" "$@" >/dev/null 2>"$WORK/stderr.txt" || rc=$?
  t1=$EPOCHREALTIME
  # analyze exits 1 when --fail-on is reached (not used here); grep exits 1 on no match.
  if [ "$rc" -gt 1 ]; then
    echo "bench.sh: '$name' failed (exit $rc): $*" >&2; tail -5 "$WORK/stderr.txt" >&2; exit 4
  fi
  # Wall time from bash's microsecond clock around /usr/bin/time (whose own "Elapsed" has 10 ms
  # resolution); peak RSS from /usr/bin/time -v (the largest of the process tree's processes).
  awk -F': ' -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" '
    /Maximum resident set size/ { r = $2 }
    /User time \(seconds\)/ { u = $2 }
    /System time \(seconds\)/ { k = $2 }
    END { printf "%s %d %.2f\n", w, r, u + k }' "$tf" >> "$WORK/$name"
}
median() { # NAME FIELD(1=wall s, 2=peak RSS KiB, 3=CPU s user+sys) -> median
  awk -v f="$2" '{ print $f }' "$WORK/$1" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

analyze_all() { "$BIN" analyze "$1" --out "$WORK/out" -f json -f md -f html; }
analyze_norules() { "$BIN" analyze "$1" --rules "$WORK/emptyrules" -f json; }
floor() { pigz -dc "$1"; }
extract_grep() {
  local d="$WORK/x"; rm -rf "$d"; mkdir -p "$d"
  tar xzf "$1" -C "$d"
  # Output to a file, not /dev/null: GNU grep stops at the first match when writing to /dev/null.
  grep -rEn -f "$WORK/patterns.ere" "$d" > "$WORK/grep.out" || [ $? = 1 ]
}
export -f analyze_all analyze_norules floor extract_grep
export BIN WORK

LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "measuring: ${SIZES[*]}, $RUNS runs each, plus 8 x 100 MiB in one invocation..." >&2
for s in "${SIZES[@]}"; do
  f="${B[$s]}"
  for ((r = 1; r <= RUNS; r++)); do
    echo "  $s run $r/$RUNS" >&2
    run "analyze-$s" bash -c 'analyze_all "$0"' "$f"
    run "pigz-$s" bash -c 'floor "$0"' "$f"
    run "xgrep-$s" bash -c 'extract_grep "$0"' "$f"
    rm -rf "$WORK/x"
    run "norules-$s" bash -c 'analyze_norules "$0"' "$f"
  done
  grep -c '' "$WORK/grep.out" > "$WORK/grepcount-$s" || true
  cp "$WORK/out/report.json" "$WORK/report-$s.json"
done
if [ -n "$LOGS_ONLY" ]; then
  for ((r = 1; r <= RUNS; r++)); do
    echo "  $BIG of logs, 100 MiB cluster, run $r/$RUNS" >&2
    run analyze-logs bash -c 'analyze_all "$0"' "$LOGS_ONLY"
    run pigz-logs bash -c 'floor "$0"' "$LOGS_ONLY"
  done
fi
for ((r = 1; r <= RUNS; r++)); do
  echo "  8 bundles run $r/$RUNS" >&2
  # One core: the whole process (reader, scanner and analysis threads) pinned to CPU 0.
  run multi-1 taskset -c 0 "$BIN" analyze "${MULTI[@]}" --format json --jobs 1
  run multi-n "$BIN" analyze "${MULTI[@]}" --format json
done

# --- report -------------------------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
cpu="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)"
echo
echo "bundle-doctor benchmark: $(nproc) cores ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
echo "load average before: $LOAD0; after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine inflate wall times)"
echo "$("$BIN" --version 2>/dev/null || echo bundle-doctor), $(pigz --version 2>&1), $(grep --version | head -1), median of $RUNS runs"
echo "rules: $(ls rules/*.yaml | wc -l) files, $NPAT distinct log patterns; tar+grep uses $NGREP of them (grep -rEn -f, translated from Rust syntax)${DROPPED:+; left out, match any line: $DROPPED}"
echo
printf '%-7s %9s %9s %9s %9s %9s | %10s %12s | %9s %9s %9s\n' \
  size "bytes" analyze "no-rules" "pigz -dc" "tar+grep" "analyze/" "(tar+grep)/" "RSS MiB" "RSS MiB" "RSS MiB"
printf '%-7s %9s %9s %9s %9s %9s | %10s %12s | %9s %9s %9s\n' \
  "" "(tgz)" "s" "s" "s" "s" "pigz" "analyze" analyze pigz "tar+grep"
for s in "${SIZES[@]}"; do
  a=$(median "analyze-$s" 1); p=$(median "pigz-$s" 1); x=$(median "xgrep-$s" 1); n=$(median "norules-$s" 1)
  printf '%-7s %9s %9s %9s %9s %9s | %10s %12s | %9s %9s %9s\n' "$s" "$(stat -c %s "${B[$s]}")" "$a" "$n" "$p" "$x" \
    "$(ratio "$a" "$p")" "$(ratio "$x" "$a")" \
    "$(mib "$(median "analyze-$s" 2)")" "$(mib "$(median "pigz-$s" 2)")" "$(mib "$(median "xgrep-$s" 2)")"
done
echo
echo "CPU seconds (user+sys, medians; less sensitive than wall time to other load on the machine):"
printf '%-7s %9s %9s %9s %9s | %10s %12s\n' size analyze no-rules "pigz -dc" "tar+grep" "analyze/" "(tar+grep)/"
for s in "${SIZES[@]}"; do
  a=$(median "analyze-$s" 3); p=$(median "pigz-$s" 3); x=$(median "xgrep-$s" 3); n=$(median "norules-$s" 3)
  printf '%-7s %9s %9s %9s %9s | %10s %12s\n' "$s" "$a" "$n" "$p" "$x" "$(ratio "$a" "$p")" "$(ratio "$x" "$a")"
done
if [ -n "$LOGS_ONLY" ]; then
  echo
  echo "$BIG bundle whose cluster (namespaces, pods, objects) is that of the 100 MiB bundle, the rest logs:" \
    "analyze $(median analyze-logs 1) s, pigz -dc $(median pigz-logs 1) s ($(ratio "$(median analyze-logs 1)" "$(median pigz-logs 1)")x);" \
    "peak RSS $(mib "$(median analyze-logs 2)") MiB (100 MiB bundle: $(mib "$(median analyze-100MiB 2)") MiB)"
fi
m1=$(median multi-1 1); mn=$(median multi-n 1)
echo
echo "8 x 100 MiB bundles in one invocation (--format json): one core (taskset -c 0, --jobs 1) ${m1} s, all $(nproc) cores ${mn} s;" \
  "throughput $(nproc) cores / 1 core = $(ratio "$m1" "$mn")x; CPU s $(median multi-1 3) / $(median multi-n 3); peak RSS $(mib "$(median multi-1 2)") / $(mib "$(median multi-n 2)") MiB"
echo
echo "sanity: findings per bundle (20 failure lines each), grep -E matching lines:"
for s in "${SIZES[@]}"; do
  printf '  %-7s findings=%s  grep_lines=%s\n' "$s" \
    "$(grep -o '"severity": *"[a-z]*"' "$WORK/report-$s.json" | wc -l)" "$(cat "$WORK/grepcount-$s")"
done

# --- targets -------------------------------------------------------------------------------
echo
echo "targets:"
status=0
check() { # description value op limit
  if awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !((op == "<=") ? v <= l : v >= l) }'; then
    echo "  PASS  $1: $2 $3 $4"
  else
    echo "  MISS  $1: $2 (target $3 $4)"; status=1
  fi
}
big=1GiB
if [ -s "$WORK/analyze-$big" ]; then
  check "1 GiB analyze / pigz -dc" "$(ratio "$(median "analyze-$big" 1)" "$(median "pigz-$big" 1)")" "<=" 1.0
  check "1 GiB (tar xzf + grep -rE) / analyze" "$(ratio "$(median "xgrep-$big" 1)" "$(median "analyze-$big" 1)")" ">=" 3
fi
for s in "${SIZES[@]}"; do
  [ "$s" = 1MB ] && continue
  check "$s peak RSS MiB" "$(mib "$(median "analyze-$s" 2)")" "<=" 150
done
if [ -n "$LOGS_ONLY" ] && [ -s "$WORK/analyze-100MiB" ]; then
  # Flat: the logs of a bundle 20 times bigger cost at most 10% more memory.
  check "peak RSS, $BIG of logs / 100 MiB (same cluster)" \
    "$(ratio "$(median analyze-logs 2)" "$(median analyze-100MiB 2)")" "<=" 1.1
fi
[ -s "$WORK/analyze-1MB" ] && check "1 MB end to end, s" "$(median analyze-1MB 1)" "<=" 0.15
check "8 bundles, $(nproc) cores vs 1 core throughput" "$(ratio "$m1" "$mn")" ">=" 1.8
exit $status
