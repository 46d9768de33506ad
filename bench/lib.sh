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
  # The accelerator kgrid itself would use (probed, cached per host boot;
  # honours --accel's KGRID_ACCEL and KGRID_NO_KVM): the baselines use the same.
  ACCEL=$("$KGRID" doctor --which-accel 2>"$WORK/accel.txt") || die "kgrid doctor: $(cat "$WORK/accel.txt")"
  note "accelerator: $(cat "$WORK/accel.txt")"
  note "$(uname -m), $CORES cores, $ACCEL, load average $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds, work dir $WORK"
}

# The kernel sources named by a grid file: debian:<suite>/<package> entries,
# select = { ... } tables as catalog queries (debian:<suites>?key=value&...),
# and paths (relative to the grid file).
grid_sources() {
  local grid=$1 dir
  dir=$(dirname "$grid")
  awk -F'"' -v dir="$dir" '
    /^[[:space:]]*debian[[:space:]]*=/ { print "debian:" $2 }
    /^[[:space:]]*(path|dir)[[:space:]]*=/ { p = $2; if (p !~ /^\//) p = dir "/" p; print p }
    /^[[:space:]]*select[[:space:]]*=/ {
      t = $0; sub(/^[^{]*\{/, "", t); sub(/\}.*$/, "", t); gsub(/[[:space:]"]/, "", t)
      suite = "*"; q = ""
      while (match(t, /^[a-z_]+=(\[[^]]*\]|[^,]*)/)) {
        kv = substr(t, 1, RLENGTH); t = substr(t, RLENGTH + 1); sub(/^,/, "", t)
        k = kv; sub(/=.*/, "", k); v = kv; sub(/^[^=]*=/, "", v); gsub(/[][]/, "", v)
        if (k == "suite") suite = v; else q = q (q == "" ? "" : "&") k "=" v
      }
      print "debian:" suite (q == "" ? "" : "?" q)
    }' "$grid"
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
      mapfile -t -O "${#KIMAGES[@]}" KIMAGES < <(awk '$1 == "image:" { print $2 }' <<<"$out")  # a query: several
    else
      KIMAGES+=("$s")
    fi
  done
  mapfile -t KIMAGES < <(printf '%s\n' "${KIMAGES[@]}" | awk 'NF && !seen[$0]++')  # picked twice: once
  export KGRID_OFFLINE=1
  note "${#KIMAGES[@]} kernel(s) from $GRID"
}

# bare_one DIR: boots OUT/kernels/<id>/ (DIR) the way kgrid did, bare: the
# exact command line of DIR/qemu.cmd (with DIR/initrd.img), console to
# DIR/bare-console.log, nothing parsed while it runs. Prints "<id> <wall s>
# <ok|no-END>" (no-END: the console never showed init's END record).
# Exported, so that `xargs -P J bash -c 'bare_one "$1"' _ DIR` can run it.
bare_one() {
  local dir=$1 start status=ok
  start=$EPOCHREALTIME
  timeout -k 5 900 bash -c "$(cat "$dir/qemu.cmd")" </dev/null >"$dir/bare-console.log" 2>&1 || true
  local t
  t=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  grep -q '|END|' "$dir/bare-console.log" || status=no-END
  echo "$(basename "$dir") $t $status"
}
export -f bare_one

# bare_loop J DIR...: bare_one over the DIRs, J at a time (like kgrid -j J:
# the next VM starts when one ends); prints bare_one's lines as they end.
bare_loop() {
  local j=$1; shift
  printf '%s\n' "$@" | xargs -P "$j" -I{} bash -c 'bare_one "$1"' _ {}
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

# sum of the numbers given ("-" if any is missing).
sum() { printf '%s\n' "$@" | awk '$1 == "-" { bad = 1 } { s += $1 } END { if (bad || NR == 0) print "-"; else printf "%.2f\n", s }'; }

# ---- Debian packages that are not kernels (bench/virtme-ng) ----------------
# kgrid's cache, as kernels::cache_dir() finds it; the bench keeps what it
# downloads in bench/ there.
KGRID_CACHE=${KGRID_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kgrid}
BENCH_CACHE=$KGRID_CACHE/bench

# The Debian mirror, as kgrid finds it (kernels/debian/apt_sources.cc): $KGRID_MIRROR,
# else the first http(s)/file URI of an enabled "deb" source in
# /etc/apt/sources.list, sources.list.d/*.list and *.sources whose suites are
# all Debian suites, preferring one that serves "main".
debian_mirror() {
  if [[ -n ${KGRID_MIRROR:-} ]]; then echo "${KGRID_MIRROR%/}"; return; fi
  local apt=${APT_DIR:-/etc/apt} f files=()
  [[ -f $apt/sources.list ]] && files+=("$apt/sources.list")
  for f in "$apt"/sources.list.d/*; do [[ $f == *.list || $f == *.sources ]] && files+=("$f"); done
  ((${#files[@]})) || return 1
  awk '
    function debian(s,  n, i, a, x) {
      n = split(s, a, " "); if (n == 0) return 0
      for (i = 1; i <= n; i++) {
        x = a[i]; sub(/-(updates|backports|proposed-updates|backports-sloppy)$/, "", x)
        if (x !~ /^(buzz|rex|bo|hamm|slink|potato|woody|sarge|etch|lenny|squeeze|wheezy|jessie|stretch|buster|bullseye|bookworm|trixie|forky|duke|sid|stable|testing|unstable|oldstable|oldoldstable|experimental)$/) return 0
      }
      return 1
    }
    function consider(types, uris, suites, comps, enabled,  n, i, u) {
      if (!enabled || (" " types " ") !~ / deb / || !debian(suites)) return
      n = split(uris, u, " ")
      for (i = 1; i <= n; i++) {
        if (u[i] !~ /^(https?|file):\/\//) continue
        sub(/\/+$/, "", u[i])
        if ((" " comps " ") ~ / main /) { print u[i]; found = 1; exit }
        if (fallback == "") fallback = u[i]
      }
    }
    function flush() { if (st != "") consider(st, su, ss, sc, se); st = su = ss = sc = ""; se = 1 }
    FNR == 1 { flush(); deb822 = FILENAME ~ /\.sources$/ }
    { sub(/\r$/, "") }
    /^[[:space:]]*#/ { next }
    !deb822 {
      sub(/#.*/, ""); if ($1 != "deb") next
      line = $0; sub(/^[[:space:]]*deb[[:space:]]+/, "", line)
      if (line ~ /^\[/) { if (!sub(/^\[[^]]*\][[:space:]]*/, "", line)) next }
      n = split(line, w, " "); if (n < 2) next
      c = ""; for (i = 3; i <= n; i++) c = c " " w[i]
      consider("deb", w[1], w[2], c, 1); next
    }
    /^[[:space:]]*$/ { flush(); next }
    {
      k = tolower($1); v = $0; sub(/^[^:]*:[[:space:]]*/, "", v)
      if (k == "types:") st = v; else if (k == "uris:") su = v; else if (k == "suites:") ss = v
      else if (k == "components:") sc = v; else if (k == "enabled:") se = (tolower(v) !~ /^no/)
    }
    END { if (!found) { flush(); if (fallback != "") print fallback } }' "${files[@]}" | head -1
}

# verified_index SUITE: the path of main/binary-amd64/Packages.xz of SUITE in
# kgrid's cache. kgrid fetches and checks it (`kgrid kernels list`: the
# InRelease signature against the Debian archive keyring, the index's SHA-256
# against the signed list); this checks both again before the bench trusts it.
verified_index() {
  local suite=$1 dir keyring want got
  dir=$KGRID_CACHE/debian/$suite-amd64
  keyring=${KGRID_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
  "$KGRID" kernels list --suite "$suite" --arch amd64 >/dev/null ||
    die "kgrid kernels list --suite $suite could not get the index of $suite"
  [[ -f $dir/InRelease && -f $dir/Packages.xz ]] || die "no index of $suite in $dir"
  gpgv --keyring "$keyring" "$dir/InRelease" 2>/dev/null ||
    die "$dir/InRelease: no good signature by a key of $keyring"
  want=$(gpgv --keyring "$keyring" --output - "$dir/InRelease" 2>/dev/null |
         awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == "main/binary-amd64/Packages.xz" { print $1; exit }')
  got=$(sha256sum "$dir/Packages.xz" | cut -d' ' -f1)
  [[ -n $want && $want == "$got" ]] || die "$dir/Packages.xz: SHA-256 $got, the signed InRelease lists ${want:-none}"
  echo "$dir/Packages.xz"
}

# index_stanza SUITE PACKAGE: "<version> <filename> <size> <sha256>" of the
# package in the verified index of SUITE (nothing if it is not there).
index_stanza() {
  xz -dc "$(verified_index "$1")" |
    awk -v want="$2" -v RS= -F'\n' '{
      p = v = f = z = h = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Package: /) p = substr($i, 10); else if ($i ~ /^Version: /) v = substr($i, 10)
        else if ($i ~ /^Filename: /) f = substr($i, 11); else if ($i ~ /^Size: /) z = substr($i, 7)
        else if ($i ~ /^SHA256: /) h = substr($i, 9)
      }
      if (p == want && !found++) print v, f, z, h  # no exit: xz would die of SIGPIPE
    }'
}

# fetch_deb FILENAME SIZE SHA256: downloads pool/.../x.deb from the mirror
# into $BENCH_CACHE/debs/ once, checks its SHA-256 (the index's), and prints
# its path. A file that does not match is never kept.
fetch_deb() {
  local filename=$1 size=$2 sha=$3 dest mirror tmp
  dest=$BENCH_CACHE/debs/$(basename "$filename")
  mkdir -p "$(dirname "$dest")"
  if [[ -f $dest ]] && [[ $(sha256sum "$dest" | cut -d' ' -f1) == "$sha" ]]; then echo "$dest"; return; fi
  mirror=$(debian_mirror) || die "no Debian mirror: set KGRID_MIRROR or add a Debian source to /etc/apt/sources.list*"
  [[ -n $mirror ]] || die "no Debian mirror: set KGRID_MIRROR or add a Debian source to /etc/apt/sources.list*"
  note "downloading $(basename "$filename") ($((size / 1000000)) MB)"
  tmp=$dest.part.$$
  curl -fsSL --retry 3 -o "$tmp" "$mirror/$filename" || { rm -f "$tmp"; die "cannot download $filename from the mirror"; }
  if [[ $(sha256sum "$tmp" | cut -d' ' -f1) != "$sha" ]]; then
    rm -f "$tmp"; die "$filename: SHA-256 does not match the signed index"
  fi
  mv "$tmp" "$dest"
  echo "$dest"
}
