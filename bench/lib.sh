# Shared by the bench scripts (sourced, not run): where things are, the
# kernels of a grid, timing, medians, results.json fields and tables.
# Plain bash + coreutils + awk; no timing is ever asserted, only printed.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
BUILD=${KGRID_BUILD_DIR:-$ROOT/build}
KGRID=$BUILD/bin/kgrid
GRID=${GRID:-$ROOT/kernels/default.toml}
CORES=$(nproc)
ROUNDS=${ROUNDS:-3}
WORK=${BENCH_WORK:-}

die() { echo "bench: $*" >&2; exit 2; }
note() { echo "bench: $*" >&2; }

bench_setup() {
  [[ -x $KGRID ]] || die "$KGRID is missing: build first (bash scripts/build), or set KGRID_BUILD_DIR"
  command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"
  if [[ -z $WORK ]]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/kgrid-bench-XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
  fi
  mkdir -p "$WORK"
  ACCEL=tcg
  if [[ -z ${KGRID_NO_KVM:-} ]] && [[ -r /dev/kvm && -w /dev/kvm ]]; then ACCEL=kvm; fi
  note "$(uname -m), $CORES cores, $ACCEL, load average $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds, work dir $WORK"
}

# The kernel sources named by a grid file: debian:<suite>/<package> selectors
# and paths (relative to the grid file).
grid_sources() {
  local grid=$1 dir
  dir=$(dirname "$grid")
  awk -F'"' -v dir="$dir" '
    /^[[:space:]]*debian[[:space:]]*=/ { print "debian:" $2 }
    /^[[:space:]]*(path|dir)[[:space:]]*=/ { p = $2; if (p !~ /^\//) p = dir "/" p; print p }' "$grid"
}

# Fetches the grid's Debian kernels into kgrid's cache (once; later calls
# only check the cache), then sets KGRID_OFFLINE=1 so that no timed run
# waits for the network. Fills KIMAGES with the image paths.
fetch_kernels() {
  local sources=() s out
  mapfile -t sources < <(grid_sources "$GRID")
  KIMAGES=()
  for s in "${sources[@]}"; do
    if [[ $s == debian:* ]]; then
      out=$("$KGRID" kernels fetch "$s") || die "cannot fetch $s"
      KIMAGES+=("$(awk '$1 == "image:" { print $2; exit }' <<<"$out")")
    else
      KIMAGES+=("$s")
    fi
  done
  export KGRID_OFFLINE=1
  note "${#KIMAGES[@]} kernel(s) from $GRID"
}

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

# median of the numbers given ("-" entries are ignored; "-" if none).
median() {
  printf '%s\n' "$@" | awk '$1 != "-" && $1 != ""' | sort -g |
    awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) printf "%.2f\n", a[(NR + 1) / 2];
                              else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# ratio A B -> A/B with two decimals ("-" if either is missing).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }
# overhead A B -> (A/B - 1) in percent.
overhead() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%+.1f%%\n", (a / b - 1) * 100 }'; }

# Kernel-level fields of results.json, one line per kernel, in order.
# (kgrid writes it with two-space indentation: kernel keys sit at six spaces.)
results_field() {
  awk -v key="\"$2\":" '$1 == key && match($0, /^      "/) { v = $0; sub(/^[^:]*: */, "", v); sub(/,$/, "", v); gsub(/"/, "", v); print v }' "$1/results.json"
}

# run_vm CMD TIMEOUT: runs a QEMU command line, reading its console; prints
# "<to BEGIN> <to END> <total> <status>" in seconds from the start (a "-"
# for a record never seen; status is ok, or timeout when `timeout` killed it).
run_vm() {
  local cmd=$1 to=${2:-300} start t_init=- t_end=- line rc=ok
  start=$EPOCHREALTIME
  while IFS= read -r line; do
    if [[ $line == *"KGRID-BENCH-RC 124" || $line == *"KGRID-BENCH-RC 137" ]]; then rc=timeout; fi
    if [[ $t_init == - && $line == *KGRID1\|*\|BEGIN\|* ]]; then t_init=$(since "$start"); fi
    if [[ $t_end == - && $line == *KGRID1\|*\|END\|* ]]; then t_end=$(since "$start"); fi
  done < <(r=0; timeout -k 5 "$to" bash -c "$cmd" </dev/null 2>&1 || r=$?; echo; echo "KGRID-BENCH-RC $r")
  local total
  total=$(since "$start")
  echo "$t_init $t_end $total $rc"
}

# A table: rows of whitespace-separated cells, the first row a header.
table() { awk '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } if (NF > n) n = NF }
               END { for (r = 1; r <= NR; r++) { s = ""; for (i = 1; i <= n; i++) s = s sprintf(i == 1 ? "%-*s" : "  %*s", w[i], c[r, i]); print s } }'; }
