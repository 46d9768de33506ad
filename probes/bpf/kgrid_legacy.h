/* kgrid_legacy.h - shared by kgrid_legacy.bpf.c and kgrid-probe's "bpf"
 * driver. Fixed-width types only: the BPF side sees the kernel's __u32, the
 * consumer sees its own libc's. */
#ifndef KGRID_LEGACY_H
#define KGRID_LEGACY_H

/* One ring buffer record per syscall entry (same layout as the other drivers). */
struct kgrid_legacy_event {
	__u32 tgid;
	__s32 nr;
};

/* The single value of the `config` array map. */
struct kgrid_legacy_config {
	__u32 self_tgid; /* the consumer: its own syscalls are not recorded */
	__u32 nocapture; /* fault: reserve and discard every record */
};

#endif /* KGRID_LEGACY_H */
