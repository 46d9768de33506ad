/* kgrid_bpf_helpers.h - the few declarations the legacy BPF driver needs.
 *
 * Written for kgrid instead of taking libbpf's bpf_helpers.h, because this
 * program is compiled against one kernel's own headers: the helper ids come
 * from that kernel's uapi/linux/bpf.h, and the host's /usr/include must stay
 * out of the include path. The map macros produce the BTF-defined map
 * layout libbpf understands (a pointer-to-array type encodes a number).
 */
#ifndef KGRID_BPF_HELPERS_H
#define KGRID_BPF_HELPERS_H

#define SEC(name) __attribute__((section(name), used))

#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)BPF_FUNC_get_current_pid_tgid;
static __u64 (*bpf_get_current_task)(void) = (void *)BPF_FUNC_get_current_task;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) =
	(void *)BPF_FUNC_probe_read_kernel;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) =
	(void *)BPF_FUNC_ringbuf_reserve;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)BPF_FUNC_ringbuf_submit;
static void (*bpf_ringbuf_discard)(void *data, __u64 flags) = (void *)BPF_FUNC_ringbuf_discard;

#endif /* KGRID_BPF_HELPERS_H */
