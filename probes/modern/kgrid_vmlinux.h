/* kgrid_vmlinux.h - the few kernel types kgrid_probe.bpf.c needs.
 *
 * Hand-written on purpose instead of a vmlinux.h dumped from the build host's
 * /sys/kernel/btf/vmlinux: the object must build anywhere and relocate on the
 * target kernel. Kernel structs carry preserve_access_index, so clang emits a
 * CO-RE relocation for every field access and libbpf patches the offsets
 * against the running kernel's BTF at load time. Only the fields we read are
 * declared; their order and offsets here need not match any real kernel.
 *
 * UAPI values (map types) are ABI-stable and are written out as-is.
 */
#ifndef KGRID_VMLINUX_H
#define KGRID_VMLINUX_H

/* The integer types libbpf's bpf_helper_defs.h and this probe use. */
typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

typedef _Bool bool;
enum { false = 0, true = 1 };

/* include/uapi/linux/bpf.h */
enum bpf_map_type {
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_RINGBUF = 27,
};

/* The record of the raw_syscalls/sys_enter tracepoint, i.e. the ctx of a
 * SEC("tp/raw_syscalls/sys_enter") program. Real kernels have
 * `struct trace_entry ent;` first, so `id` sits at offset 8. Here it is the
 * only field, at offset 0, on purpose: a build without working CO-RE would
 * read the tracepoint's common header as the syscall number and every count
 * would be wrong. probes_test checks that the relocation is in the object. */
struct trace_event_raw_sys_enter {
	long id;
} __attribute__((preserve_access_index));

#endif /* KGRID_VMLINUX_H */
