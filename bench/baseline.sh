#!/usr/bin/env bash
# The kind of kernel-matrix script many projects use, kept deliberately
# typical (it is the baseline bench/bash-baseline measures; do not "fix" it):
# GNU parallel boots every kernel with `qemu -nographic -m 1G -smp 8`, waits
# for QEMU to exit and greps the console for a pass marker.
#
# Its known weaknesses are the point of comparison: no deadline (a kernel
# that panics or hangs keeps the whole script waiting forever: there is no
# panic= and no -no-reboot), a grep instead of a protocol, and default
# QEMU devices and sizes.
#
#   bench/baseline.sh OUTDIR KERNEL INITRD [KERNEL INITRD ...]
# Environment: JOBS (default: nproc), EXTRA_APPEND, QEMU_ACCEL (e.g.
# "-enable-kvm -cpu host").
out=$1
shift
mkdir -p "$out"
kernels=() initrds=()
while [ $# -ge 2 ]; do kernels+=("$1"); initrds+=("$2"); shift 2; done

boot() {
  local kernel=$1 initrd=$2 log
  log=$out/$(basename "$(dirname "$kernel")")-$(basename "$kernel").log
  qemu-system-x86_64 -nographic -m 1G -smp 8 $QEMU_ACCEL \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 rdinit=/init kgrid.nonce=0123456789abcdef $EXTRA_APPEND" </dev/null >"$log" 2>&1
  if grep -q 'verdict=PASS' "$log"; then echo "PASS $kernel"; else echo "FAIL $kernel"; fi
}
export -f boot
export out QEMU_ACCEL EXTRA_APPEND

parallel --will-cite -j "${JOBS:-$(nproc)}" --link boot ::: "${kernels[@]}" ::: "${initrds[@]}"
