/* kgrid-gen: the event generator. Makes a known number of three distinct,
 * cheap syscalls and prints that ground truth (docs/design.md, "Probe and
 * generator output"):
 *
 *   kgrid-gen: pid=<pid>
 *   kgrid-gen: syscall nr=<nr> name=<name> n=<count>
 *   kgrid-gen: done
 *
 * The calls go through syscall(2), not libc wrappers, so nothing is cached or
 * skipped, and nothing else in this program (static glibc start-up, stdio,
 * exit) makes any of the three. A call that fails is reported and the exit
 * status is 1: seccomp, for one, can refuse a syscall before the tracepoint
 * that a probe watches, and then the truth printed here would be a lie.
 *
 * --bench N [--rounds R] is the cost microbenchmark (docs/test-specs.md,
 * "[cost]"): N/10 untimed warm-up getppid calls, then R rounds of N timed
 * ones, and no ground truth:
 *
 *   kgrid-gen: pid=<pid>
 *   kgrid-gen: bench syscall=getppid nr=<nr> ops=<N> ns=<round ns> ns_per_op=<ns/N>
 *              running_ns=<ns> ref_ns=<ns> chunks=<n> preempted=<k>   (one line per round)
 *   kgrid-gen: done
 *
 * A round is timed (CLOCK_MONOTONIC) in chunks of 50 calls. A chunk that
 * took more than 4 times the round's median chunk was preempted: the guest
 * ran another task (a driver's consumer, sharing the one vCPU), or the host
 * descheduled the emulator while the guest's clock ran on. running_ns counts
 * such a chunk as the median chunk: it is the time the calls themselves
 * took, kernel side included. ns is the raw total, everything included.
 * After each chunk a fixed piece of user-space work is timed the same way
 * (ref_ns, preempted chunks set aside too): running_ns / ref_ns does not move
 * when the host gives the emulator more or less of a CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct gen_call {
	const char *flag;
	const char *name;
	long nr;
	long arg0;
	unsigned long count;
};

static struct gen_call calls[] = {
	{"--getppid", "getppid", SYS_getppid, 0, 5000},
	{"--getpgid", "getpgid", SYS_getpgid, 0, 3000}, /* getpgid(0): our own group */
	{"--sched-yield", "sched_yield", SYS_sched_yield, 0, 2000},
};
enum { NCALLS = sizeof(calls) / sizeof(calls[0]) };

static int usage(FILE *f)
{
	fprintf(f, "usage: kgrid-gen [--getppid N] [--getpgid N] [--sched-yield N]\n"
		   "       kgrid-gen --bench N [--rounds R]\n"
		   "Makes each syscall N times (defaults 5000, 3000, 2000) and prints the counts.\n"
		   "--bench: after N/10 untimed getppid calls, times R rounds (default 1) of N\n"
		   "calls and prints each round's ns per call.\n");
	return f == stdout ? 0 : 2;
}

static int parse_count(const char *s, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > 1000000000UL)
		return -1;
	*out = v;
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

enum {
	BENCH_CHUNK = 50,     /* calls per timed chunk */
	BENCH_REF_ITERS = 1000, /* reference loop iterations per chunk */
	BENCH_MAX_OPS = 1000000,
	BENCH_MAX_ROUNDS = 100,
	BENCH_SLOW = 4,       /* a chunk slower than 4x the median was preempted */
};

struct bench_round {
	long long ns, running_ns, ref_ns;
	unsigned long chunks, preempted;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Fixed user-space work (no syscalls): it runs at the speed the emulator
 * gives the guest right now, which the syscall chunks are measured against. */
static unsigned char ref_buf[4096];
static volatile unsigned long ref_sink;

static void ref_work(void)
{
	unsigned long x = ref_sink | 1;

	for (int i = 0; i < BENCH_REF_ITERS; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		ref_buf[(x >> 52) & 4095] += (unsigned char)x;
	}
	ref_sink = x;
}

/* The total of n chunks (ns[k] for units[k] units of work) with every chunk
 * slower per unit than BENCH_SLOW times the median counted as the median. */
static long long running_total(const long long *ns, const unsigned long *units, unsigned long n, double *scratch,
			       unsigned long *preempted)
{
	long long total = 0;

	for (unsigned long k = 0; k < n; k++)
		scratch[k] = (double)ns[k] / (double)units[k];
	qsort(scratch, n, sizeof(*scratch), cmp_double);
	double median = n % 2 ? scratch[n / 2] : (scratch[n / 2 - 1] + scratch[n / 2]) / 2;
	for (unsigned long k = 0; k < n; k++) {
		if ((double)ns[k] / (double)units[k] > BENCH_SLOW * median) {
			++*preempted;
			total += (long long)(median * (double)units[k]);
		} else {
			total += ns[k];
		}
	}
	return total;
}

struct bench_buffers {
	long long *call_ns, *ref_ns;
	unsigned long *calls, *refs;
	double *scratch;
};

/* One round: ops calls in chunks, each chunk followed by the reference work. */
static int bench_round(unsigned long ops, const struct bench_buffers *b, struct bench_round *out)
{
	unsigned long n = 0, ignored = 0;

	out->ns = 0;
	for (unsigned long done = 0; done < ops; n++) {
		unsigned long c = ops - done < BENCH_CHUNK ? ops - done : BENCH_CHUNK;
		long long start = now_ns();

		for (unsigned long j = 0; j < c; j++)
			if (syscall(SYS_getppid) < 0)
				return -1;
		long long mid = now_ns();
		ref_work();
		b->call_ns[n] = mid - start;
		b->ref_ns[n] = now_ns() - mid;
		b->calls[n] = c;
		b->refs[n] = 1;
		out->ns += b->call_ns[n];
		done += c;
	}
	out->chunks = n;
	out->preempted = 0;
	out->running_ns = running_total(b->call_ns, b->calls, n, b->scratch, &out->preempted);
	out->ref_ns = running_total(b->ref_ns, b->refs, n, b->scratch, &ignored);
	return 0;
}

/* The cost microbenchmark: the same cheap syscall in a tight loop. The
 * lines are printed (and flushed) only after the last round, so that no
 * write to a pipe lands inside a timed loop. */
static int bench(unsigned long ops, unsigned long rounds)
{
	unsigned long warmup = ops / 10, max_chunks = ops / BENCH_CHUNK + 1;
	struct bench_round result[BENCH_MAX_ROUNDS];
	struct bench_buffers b = {
		malloc(max_chunks * sizeof(long long)), malloc(max_chunks * sizeof(long long)),
		malloc(max_chunks * sizeof(unsigned long)), malloc(max_chunks * sizeof(unsigned long)),
		malloc(max_chunks * sizeof(double)),
	};

	if (!b.call_ns || !b.ref_ns || !b.calls || !b.refs || !b.scratch) {
		fprintf(stderr, "kgrid-gen: error bench: out of memory\n");
		return 1;
	}
	printf("kgrid-gen: pid=%ld\n", (long)getpid());
	fflush(stdout);
	for (unsigned long j = 0; j < warmup; j++)
		if (syscall(SYS_getppid) < 0)
			goto failed;
	for (unsigned long r = 0; r < rounds; r++)
		if (bench_round(ops, &b, &result[r]) != 0)
			goto failed;
	for (unsigned long r = 0; r < rounds; r++)
		printf("kgrid-gen: bench syscall=getppid nr=%ld ops=%lu ns=%lld ns_per_op=%.2f running_ns=%lld "
		       "ref_ns=%lld chunks=%lu preempted=%lu\n",
		       (long)SYS_getppid, ops, result[r].ns, (double)result[r].ns / (double)ops, result[r].running_ns,
		       result[r].ref_ns, result[r].chunks, result[r].preempted);
	printf("kgrid-gen: done\n");
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
failed:
	fprintf(stderr, "kgrid-gen: error getppid: %s\n", strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--bench")) {
		unsigned long ops, rounds = 1;

		if (!(argc == 3 || (argc == 5 && !strcmp(argv[3], "--rounds"))) ||
		    parse_count(argv[2], &ops) != 0 || ops == 0 || ops > BENCH_MAX_OPS ||
		    (argc == 5 && (parse_count(argv[4], &rounds) != 0 || rounds == 0 || rounds > BENCH_MAX_ROUNDS))) {
			fprintf(stderr, "kgrid-gen: error usage: --bench N [--rounds R]: N 1-1000000, R 1-100\n");
			return usage(stderr);
		}
		return bench(ops, rounds);
	}
	for (int i = 1; i < argc; i++) {
		struct gen_call *c = NULL;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage(stdout);
		for (int k = 0; k < NCALLS; k++)
			if (!strcmp(argv[i], calls[k].flag))
				c = &calls[k];
		if (!c || parse_count(argv[i + 1], &c->count) != 0) {
			fprintf(stderr, "kgrid-gen: error usage: bad argument '%s'\n", argv[i]);
			return usage(stderr);
		}
		i++;
	}

	printf("kgrid-gen: pid=%ld\n", (long)getpid());
	fflush(stdout);

	for (int k = 0; k < NCALLS; k++) {
		for (unsigned long j = 0; j < calls[k].count; j++) {
			if (syscall(calls[k].nr, calls[k].arg0) < 0) {
				fprintf(stderr, "kgrid-gen: error %s: %s (after %lu calls)\n",
					calls[k].name, strerror(errno), j);
				return 1;
			}
		}
	}

	for (int k = 0; k < NCALLS; k++)
		printf("kgrid-gen: syscall nr=%ld name=%s n=%lu\n", calls[k].nr, calls[k].name,
		       calls[k].count);
	printf("kgrid-gen: done\n");
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
