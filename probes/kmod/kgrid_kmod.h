/* kgrid_kmod.h - the interface between kgrid_kmod.ko and kgrid-probe.
 *
 * The module creates the misc device /dev/kgrid_kmod. read() returns whole
 * struct kgrid_kmod_event records (never a partial one), poll() says when
 * some are pending, and KGRID_KMOD_IOC_STATS reports the counters. Both
 * sides include this file, so it uses only fixed-width kernel/uapi types.
 */
#ifndef KGRID_KMOD_H
#define KGRID_KMOD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KGRID_KMOD_NAME "kgrid_kmod"
#define KGRID_KMOD_DEVICE "/dev/kgrid_kmod"

/* One record per syscall entry; same layout as the BPF drivers' record. */
struct kgrid_kmod_event {
	__u32 tgid;
	__s32 nr; /* syscall number as seen by sys_enter; -1 is possible */
};

struct kgrid_kmod_stats {
	__u64 events; /* records queued */
	__u64 drops;  /* records lost because the ring was full */
};

#define KGRID_KMOD_IOC_STATS _IOR('k', 1, struct kgrid_kmod_stats)

/* Values of the `fault` module parameter (deliberately broken modules). */
#define KGRID_KMOD_FAULT_NONE 0
#define KGRID_KMOD_FAULT_NOCAPTURE 1 /* loads, attaches, queues nothing */
#define KGRID_KMOD_FAULT_OOPS 2      /* NULL dereference in module init */

#endif /* KGRID_KMOD_H */
