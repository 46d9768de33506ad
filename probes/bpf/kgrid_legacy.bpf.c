// SPDX-License-Identifier: GPL-2.0
/* kgrid_legacy.bpf.c - the "bpf" reference driver: legacy (non-CO-RE) eBPF.
 *
 * Compiled per kernel, against that kernel's own headers, with the classic
 * pipeline (clang -emit-llvm for the host target, then llc -march=bpf); see
 * host/build_bpf.cc. Nothing is relocated at load time, so the struct
 * offsets baked in here must be this kernel's.
 *
 * One ring buffer record {tgid, syscall nr} per tracepoint/raw_syscalls/
 * sys_enter, whose context is the trace event record: 8 bytes of common
 * fields, then the syscall number and arguments. (Not
 * raw_tracepoint/sys_enter: on 7.x the syscall tracepoints may fault, so a
 * raw tracepoint program runs preemptible, and its per-CPU recursion guard
 * silently skips every syscall on a CPU while a preempted run is active;
 * kgrid measured 35-50% of the generator's events missing that way.) The tgid is
 * read from task_struct at offsetof(struct task_struct, tgid), on purpose:
 * that offset differs between kernels (0x8bc on 5.10, 0xafc on 7.2), so an
 * object built against the wrong headers reports wrong tgids, and kgrid's
 * ground-truth check fails it. Records that cannot be reserved are counted
 * in the per-CPU `drops` map.
 *
 * kgrid_fault_verifier is not autoloaded; kgrid-probe --fault verifier
 * loads it to show that a verifier rejection is reported as such.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/sched.h>
#include <uapi/linux/bpf.h>

#include "kgrid_bpf_helpers.h"
#include "kgrid_legacy.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Written by the consumer after load, before attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kgrid_legacy_config);
} config SEC(".maps");

/* The raw_syscalls:sys_enter record, as its tracefs format file describes
 * it on every kernel since 2.6.32: common_type, common_flags,
 * common_preempt_count, common_pid, then id at offset 8 and args. */
struct kgrid_sys_enter_args {
	__u64 common;
	long id;
	unsigned long args[6];
};

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int kgrid_sys_enter(struct kgrid_sys_enter_args *ctx)
{
	__u32 zero = 0;
	struct kgrid_legacy_config *cfg = bpf_map_lookup_elem(&config, &zero);
	char *task = (char *)bpf_get_current_task();
	struct kgrid_legacy_event *e;
	pid_t tgid = 0;

	if (!cfg)
		return 0;
	if (bpf_probe_read_kernel(&tgid, sizeof(tgid), task + offsetof(struct task_struct, tgid))) {
		count_drop();
		return 0;
	}
	/* Recording the consumer would wake it for its own epoll_wait, forever. */
	if ((__u32)tgid == cfg->self_tgid)
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	e->tgid = (__u32)tgid;
	e->nr = (__s32)ctx->id;
	if (cfg->nocapture) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* "?" = not autoloaded. Deliberately broken: indexes the one-slot `drops`
 * value up to 255 slots past its end, which the verifier rejects. */
SEC("?tracepoint/raw_syscalls/sys_enter")
int kgrid_fault_verifier(struct kgrid_sys_enter_args *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n)
		n[ctx->id & 0xff] += 1;
	return 0;
}
