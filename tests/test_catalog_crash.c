/* tests/test_catalog_crash.c - a writer killed with SIGKILL at a random
 * moment, 30 times: the catalog opens, passes catalog_check, and holds
 * exactly the dumps whose commit returned (plus, at most, the one whose
 * commit was running when it died: committed or not, never half).
 *
 * The child reports through a pipe: "O" once its catalog is open,
 * "I<dump>" before catalog_commit_begin, "C<dump>" after
 * catalog_commit_end returned 0. The kill comes after its first commit.
 * Runs on PostgreSQL too (make check-pg): a killed client's transaction
 * is the server's to roll back.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tests/check.h"

#define ITERATIONS 30
#define MEMBERS 400
#define MAXACK 4096

static const char *db = "crash.db";

static void say(int fd, char kind, int64_t id)
{
	char msg[16];

	memset(msg, 0, sizeof(msg));
	msg[0] = kind;
	memcpy(msg + 8, &id, sizeof(id));
	if (write(fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(3);
}

static int next_file(struct catalog *cat, const char *barcode, int64_t *f)
{
	struct catalog_tape t;
	int ret = catalog_tape_get(cat, barcode, &t);

	if (ret == 0)
		*f = t.last_file + 1;
	return ret;
}

/* The child: commit dumps until killed. */
static void writer(int fd)
{
	struct catalog *cat;
	struct catalog_member m;
	char path[64];

	if (catalog_testing_open(&cat, db) < 0)
		_exit(2);
	say(fd, 'O', 0);
	for (;;) {
		struct catalog_archive_in ai = { .bytes = 4096,
						 .block_size = 512 };
		struct catalog_copy_in cp[2] = { { "CA", 0, 0, 4096 },
						 { "CB", 0, 0, 4096 } };
		struct catalog_commit *c;
		int64_t dump, arch;

		if (catalog_dump_create(cat, NULL, 0, &dump) < 0 ||
		    next_file(cat, "CA", &cp[0].fileno) < 0 ||
		    next_file(cat, "CB", &cp[1].fileno) < 0)
			_exit(4);
		say(fd, 'I', dump);
		if (catalog_commit_begin(cat, dump, &ai, cp, 2, &c) < 0)
			_exit(4);
		for (int j = 0; j < MEMBERS; j++) {
			memset(&m, 0, sizeof(m));
			snprintf(path, sizeof(path), "d%lld/s%d/f%d",
				 (long long)dump, j % 7, j);
			m.path = path;
			m.type = CATALOG_FILE;
			m.size = (uint64_t)j;
			m.mode = S_IFREG | 0644;
			m.header_offset = (uint64_t)j * 1024;
			m.data_offset = m.header_offset + 512;
			if (catalog_commit_member(c, &m) < 0)
				_exit(5);
		}
		if (catalog_commit_end(c, &arch) < 0)
			_exit(6);
		say(fd, 'C', dump);
	}
}

struct seen {
	int64_t committed[MAXACK];
	int n;
};

static int collect(void *ctx, const struct catalog_copy *cp)
{
	struct seen *s = ctx;

	if (s->n < MAXACK)
		s->committed[s->n++] = cp->archive;
	return 0;
}

static int has(const int64_t *v, int n, int64_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static int64_t acked[MAXACK];
static int nacked;

/* One message of the writer: a dump in flight or one committed. Returns
 * its kind. */
static char take(const char *msg, int64_t *inflight)
{
	int64_t id;

	memcpy(&id, msg + 8, sizeof(id));
	if (msg[0] == 'I') {
		*inflight = id;
	} else if (msg[0] == 'C' && nacked < MAXACK) {
		acked[nacked++] = id;
		*inflight = 0;
	}
	return msg[0];
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One kill, at a random point of the writer's commits after its first
 * (within twice the time the first took: a commit's time depends on the
 * backend and the load); returns the dump in flight (0 = none). */
static int64_t one_run(void)
{
	int p[2];
	pid_t pid;
	char msg[16];
	int64_t inflight = 0, t0 = 0, took;
	int st;

	CHECK_INT(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		writer(p[1]);
	}
	close(p[1]);
	while (read(p[0], msg, sizeof(msg)) == sizeof(msg)) {
		if (msg[0] == 'O')
			t0 = now_us();
		else if (take(msg, &inflight) == 'C')
			break;
	}
	took = now_us() - t0;
	CHECK(t0 > 0);
	usleep((useconds_t)(rand() % (2 * took + 1)));
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	while (read(p[0], msg, sizeof(msg)) == sizeof(msg))
		take(msg, &inflight);
	close(p[0]);
	return inflight;
}

static void verify_state(int64_t inflight, int *extra)
{
	struct catalog *cat;
	struct seen s = { .n = 0 };
	struct catalog_dump d;
	struct catalog_archive a;
	int problems;

	CHECK_INT(catalog_testing_open(&cat, db), 0);
	problems = catalog_check(cat, 0, NULL, 0, NULL, NULL);
	CHECK_INT(problems, 0);
	/* every acknowledged dump is committed with all its members */
	for (int i = 0; i < nacked; i++) {
		CHECK_INT(catalog_dump_get(cat, acked[i], &d), 0);
		CHECK_INT(d.state, CATALOG_DUMP_COMMITTED);
		CHECK_INT(catalog_archive_get(cat, d.archive, &a), 0);
		CHECK_INT(a.members, MEMBERS);
	}
	/* the one in flight is all or nothing */
	if (inflight && catalog_dump_get(cat, inflight, &d) == 0 &&
	    d.state == CATALOG_DUMP_COMMITTED) {
		CHECK_INT(catalog_archive_get(cat, d.archive, &a), 0);
		CHECK_INT(a.members, MEMBERS);
		acked[nacked++] = inflight;
		(*extra)++;
	}
	/* and nothing else: copies on CA are exactly the acknowledged */
	CHECK_INT(catalog_tape_copies(cat, "CA", collect, &s), 0);
	CHECK_INT(s.n, nacked);
	for (int i = 0; i < nacked; i++) {
		CHECK_INT(catalog_dump_get(cat, acked[i], &d), 0);
		CHECK(has(s.committed, s.n, d.archive));
	}
	if (nacked) {
		struct catalog_member m;
		char path[64];

		snprintf(path, sizeof(path), "d%lld/s3/f10",
			 (long long)acked[nacked - 1]);
		CHECK_INT(catalog_ns_lookup(cat, path, &m), 0);
		CHECK_INT(m.size, 10);
		catalog_member_release(&m);
	}
	catalog_close(cat);
}

int main(void)
{
	struct catalog *cat;
	struct catalog_tape ta = { .barcode = "CA", .pool = "A" };
	struct catalog_tape tb = { .barcode = "CB", .pool = "B" };
	int extra = 0, mid = 0;

	CHECK_INT(catalog_testing_open(&cat, db), 0);
	CHECK_INT(catalog_tape_add(cat, &ta), 0);
	CHECK_INT(catalog_tape_add(cat, &tb), 0);
	catalog_close(cat);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	/* a commit takes longer on a server (a round trip a statement):
	 * fewer runs keep make check-pg short */
	int runs = getenv("TAPEFS_TEST_PG") ? ITERATIONS / 3 : ITERATIONS;

	for (int i = 0; i < runs; i++) {
		int before = nacked;
		int64_t inflight = one_run();

		if (inflight)
			mid++;
		verify_state(inflight, &extra);
		fprintf(stderr, "# run %d: %d commits acknowledged, %s\n", i,
			nacked - before,
			inflight ? "killed inside a commit" : "killed between");
	}
	fprintf(stderr, "# %d commits, %d kills inside a commit, %d of those "
			"had reached the disk\n",
		nacked, mid, extra);
	CHECK(nacked > 0);
	CHECK(mid > 0); /* the kills did land inside transactions */
	return check_done();
}
