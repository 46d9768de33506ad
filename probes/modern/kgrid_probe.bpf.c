// SPDX-License-Identifier: GPL-2.0
/* kgrid_probe.bpf.c - the "modern_bpf" reference driver.
 *
 * One ring buffer record {tgid, syscall nr} per syscall entry, from the
 * raw_syscalls/sys_enter tracepoint. A record that cannot be reserved is
 * counted in the per-CPU `drops` map, so the consumer can tell "nothing
 * happened" from "we lost it".
 *
 * Two faults exist only to prove that kgrid notices a broken driver:
 *  - kgrid_fault_nocapture (rodata, set before load): every record is
 *    reserved and then discarded instead of submitted. The verifier prunes
 *    the submit path, so the consumer really receives nothing.
 *  - kgrid_fault_verifier: a second program, not loaded unless the consumer
 *    turns on its autoload. It indexes a map value out of bounds, which the
 *    verifier rejects, so the whole load fails with a real verifier log.
 */
#include "kgrid_vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "kgrid_probe.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the consumer through the skeleton's rodata before load. */
const volatile __u32 kgrid_self_tgid = 0; /* the consumer; its own syscalls are not recorded */
const volatile bool kgrid_fault_nocapture = false;

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

SEC("tp/raw_syscalls/sys_enter")
int kgrid_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct kgrid_event *e;

	/* Recording the consumer would wake it for its own epoll_wait, forever. */
	if (tgid == kgrid_self_tgid)
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);

		if (n)
			*n += 1;
		return 0;
	}
	e->tgid = tgid;
	e->nr = (int)ctx->id; /* CO-RE: offset of `id` relocated per kernel */

	if (kgrid_fault_nocapture) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* "?" = not autoloaded. Deliberately broken: `drops` holds one __u64 per
 * CPU, and this writes up to 255 slots past it. */
SEC("?tp/raw_syscalls/sys_enter")
int kgrid_fault_verifier(struct trace_event_raw_sys_enter *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n)
		n[ctx->id & 0xff] += 1;
	return 0;
}
