// SPDX-License-Identifier: GPL-2.0
/* kgrid_kmod.c - the "kmod" reference driver: a kernel module.
 *
 * Finds the sys_enter tracepoint with for_each_kernel_tracepoint() (the
 * TRACE_EVENT symbols are not exported to modules), registers a probe on it,
 * and queues one {tgid, nr} record per syscall entry in a ring of
 * KGRID_RING_RECORDS records. Userspace reads them from /dev/kgrid_kmod (see
 * kgrid_kmod.h). A record that finds the ring full is counted in `drops`,
 * never silently lost.
 *
 * Parameters (given to finit_module by kgrid-probe):
 *   self_tgid  the consumer's tgid; its own syscalls are not recorded (it
 *              would otherwise wake itself for every read, forever)
 *   fault      1: queue nothing; 2: oops in init (to test kgrid's verdicts)
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "kgrid_kmod.h"

#define KGRID_RING_RECORDS (1u << 19) /* 4 MiB of 8-byte records; a power of two */
#define KGRID_RING_MASK (KGRID_RING_RECORDS - 1)

static unsigned int self_tgid;
module_param(self_tgid, uint, 0444);
MODULE_PARM_DESC(self_tgid, "tgid whose syscalls are not recorded (the consumer)");

static int fault;
module_param(fault, int, 0444);
MODULE_PARM_DESC(fault, "deliberate fault: 0 none, 1 capture nothing, 2 oops in init");

static struct tracepoint *sys_enter_tp;

/* The ring. head and tail count records since load; the writer advances
 * head, the single reader advances tail, both under ring_lock. The reader
 * copies records out without the lock: the writer never reuses a slot
 * before tail has moved past it. */
static struct kgrid_kmod_event *ring;
static u64 ring_head, ring_tail, ring_events, ring_drops;
static DEFINE_SPINLOCK(ring_lock);
static DECLARE_WAIT_QUEUE_HEAD(ring_wait);
static unsigned long open_flag; /* bit 0: the device is open (one reader) */

/* Never NULL as far as the compiler can tell, so the oops really happens. */
static int *kgrid_fault_target;

static void kgrid_sys_enter(void *data, struct pt_regs *regs, long id)
{
	u32 tgid = current->tgid;
	unsigned long flags;

	if (tgid == self_tgid || fault == KGRID_KMOD_FAULT_NOCAPTURE)
		return;

	spin_lock_irqsave(&ring_lock, flags);
	if (ring_head - ring_tail >= KGRID_RING_RECORDS) {
		ring_drops++;
		spin_unlock_irqrestore(&ring_lock, flags);
		return;
	}
	ring[ring_head & KGRID_RING_MASK].tgid = tgid;
	ring[ring_head & KGRID_RING_MASK].nr = (s32)id;
	ring_head++;
	ring_events++;
	spin_unlock_irqrestore(&ring_lock, flags);

	if (wq_has_sleeper(&ring_wait))
		wake_up_interruptible(&ring_wait);
}

/* Records pending: head - tail, read under the lock. */
static u64 ring_pending(u64 *tail)
{
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&ring_lock, flags);
	n = ring_head - ring_tail;
	if (tail)
		*tail = ring_tail;
	spin_unlock_irqrestore(&ring_lock, flags);
	return n;
}

static int kgrid_open(struct inode *inode, struct file *file)
{
	if (test_and_set_bit(0, &open_flag))
		return -EBUSY;
	return 0;
}

static int kgrid_release(struct inode *inode, struct file *file)
{
	clear_bit(0, &open_flag);
	return 0;
}

static ssize_t kgrid_read(struct file *file, char __user *buf, size_t len, loff_t *off)
{
	const size_t size = sizeof(struct kgrid_kmod_event);
	u64 tail, n;
	size_t first;
	unsigned long flags;

	if (len < size)
		return -EINVAL;
	while ((n = ring_pending(&tail)) == 0) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(ring_wait, ring_pending(NULL) != 0))
			return -ERESTARTSYS;
	}
	n = min_t(u64, n, len / size);
	first = min_t(u64, n, KGRID_RING_RECORDS - (tail & KGRID_RING_MASK));
	if (copy_to_user(buf, &ring[tail & KGRID_RING_MASK], first * size))
		return -EFAULT;
	if (n > first && copy_to_user(buf + first * size, &ring[0], (n - first) * size))
		return -EFAULT;

	spin_lock_irqsave(&ring_lock, flags);
	ring_tail = tail + n;
	spin_unlock_irqrestore(&ring_lock, flags);
	return n * size;
}

static __poll_t kgrid_poll(struct file *file, poll_table *wait)
{
	poll_wait(file, &ring_wait, wait);
	return ring_pending(NULL) ? EPOLLIN | EPOLLRDNORM : 0;
}

static long kgrid_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kgrid_kmod_stats stats;
	unsigned long flags;

	if (cmd != KGRID_KMOD_IOC_STATS)
		return -ENOTTY;
	spin_lock_irqsave(&ring_lock, flags);
	stats.events = ring_events;
	stats.drops = ring_drops;
	spin_unlock_irqrestore(&ring_lock, flags);
	if (copy_to_user((void __user *)arg, &stats, sizeof(stats)))
		return -EFAULT;
	return 0;
}

static const struct file_operations kgrid_fops = {
	.owner = THIS_MODULE,
	.open = kgrid_open,
	.release = kgrid_release,
	.read = kgrid_read,
	.poll = kgrid_poll,
	.unlocked_ioctl = kgrid_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kgrid_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KGRID_KMOD_NAME,
	.fops = &kgrid_fops,
	.mode = 0600,
};

static void find_sys_enter(struct tracepoint *tp, void *priv)
{
	if (strcmp(tp->name, "sys_enter") == 0)
		*(struct tracepoint **)priv = tp;
}

static int __init kgrid_init(void)
{
	int err;

	if (fault == KGRID_KMOD_FAULT_OOPS)
		*kgrid_fault_target = 1;

	for_each_kernel_tracepoint(find_sys_enter, &sys_enter_tp);
	if (!sys_enter_tp) {
		pr_err("kgrid_kmod: no sys_enter tracepoint in this kernel\n");
		return -ENOENT;
	}
	ring = vmalloc(KGRID_RING_RECORDS * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	err = misc_register(&kgrid_misc);
	if (err) {
		pr_err("kgrid_kmod: misc_register: %d\n", err);
		goto free_ring;
	}
	err = tracepoint_probe_register(sys_enter_tp, (void *)kgrid_sys_enter, NULL);
	if (err) {
		pr_err("kgrid_kmod: tracepoint_probe_register(sys_enter): %d\n", err);
		goto deregister;
	}
	pr_info("kgrid_kmod: attached to sys_enter, ring of %u records\n", KGRID_RING_RECORDS);
	return 0;

deregister:
	misc_deregister(&kgrid_misc);
free_ring:
	vfree(ring);
	return err;
}

static void __exit kgrid_exit(void)
{
	tracepoint_probe_unregister(sys_enter_tp, (void *)kgrid_sys_enter, NULL);
	/* No probe may still be running when the ring goes away. */
	tracepoint_synchronize_unregister();
	misc_deregister(&kgrid_misc);
	vfree(ring);
	pr_info("kgrid_kmod: unloaded, %llu events, %llu drops\n", ring_events, ring_drops);
}

module_init(kgrid_init);
module_exit(kgrid_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kgrid reference driver: sys_enter events over /dev/kgrid_kmod");
