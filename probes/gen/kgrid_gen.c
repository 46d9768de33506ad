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
 * ones (CLOCK_MONOTONIC around each round's loop), and no ground truth:
 *
 *   kgrid-gen: pid=<pid>
 *   kgrid-gen: bench syscall=getppid nr=<nr> ops=<N> ns=<loop ns> ns_per_op=<ns/N>   (R lines)
 *   kgrid-gen: done
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

/* The cost microbenchmark: the same cheap syscall in a tight loop. The
 * lines are printed (and flushed) only after the last round, so that no
 * write to a pipe lands inside a timed loop. */
static int bench(unsigned long ops, unsigned long rounds)
{
	unsigned long warmup = ops / 10;
	long long ns[100];

	printf("kgrid-gen: pid=%ld\n", (long)getpid());
	fflush(stdout);
	for (unsigned long j = 0; j < warmup; j++)
		if (syscall(SYS_getppid) < 0)
			goto failed;
	for (unsigned long r = 0; r < rounds; r++) {
		long long start = now_ns();

		for (unsigned long j = 0; j < ops; j++)
			if (syscall(SYS_getppid) < 0)
				goto failed;
		ns[r] = now_ns() - start;
	}
	for (unsigned long r = 0; r < rounds; r++)
		printf("kgrid-gen: bench syscall=getppid nr=%ld ops=%lu ns=%lld ns_per_op=%.2f\n",
		       (long)SYS_getppid, ops, ns[r], (double)ns[r] / (double)ops);
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
		    parse_count(argv[2], &ops) != 0 || ops == 0 ||
		    (argc == 5 && (parse_count(argv[4], &rounds) != 0 || rounds == 0 || rounds > 100))) {
			fprintf(stderr, "kgrid-gen: error usage: --bench N [--rounds R]: N > 0, R 1-100\n");
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
