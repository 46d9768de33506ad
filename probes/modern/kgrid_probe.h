/* kgrid_probe.h - the record shared by kgrid_probe.bpf.c and the consumer. */
#ifndef KGRID_PROBE_H
#define KGRID_PROBE_H

/* One ring buffer record per syscall entry. Fixed-width types only: the BPF
 * side sees the kernel's __u32, the consumer sees uint32_t. */
struct kgrid_event {
	unsigned int tgid;
	int nr; /* syscall number as seen by raw_syscalls/sys_enter; -1 is possible */
};

#endif /* KGRID_PROBE_H */
