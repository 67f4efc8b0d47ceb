/* tests/test_robot_lock.c - one robot for several hosts: two processes
 * moving cartridges of one virtual library at once, without the robot's
 * lock, overlap, and the library says so (the second move fails with
 * EBUSY, a line in DIR/overlaps); with the catalog's robot lock
 * (catalog_robot_lock(), through the changer's guard as the daemon sets
 * it) they never do, and every move succeeds. A host killed (kill -9)
 * while it holds the lock wedges no other: the kernel (sqlite's file
 * lock) or the server (PostgreSQL's session lock, with TAPEFS_TEST_PG:
 * tests/t_catalog_pg.sh) gives it back. The lock never holds up a
 * catalog write, and a lock that cannot be had fails the move with
 * ENOLCK, moving nothing. */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "tapeio/changer.h"
#include "tapeio/vlib.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static char libdir[512], catpath[4096];

/* catpath: the catalog fx_tmp()/name, or its schema on the server of
 * TAPEFS_TEST_PG. 0 or -errno. */
static int where(const char *name)
{
	char file[600];

	snprintf(file, sizeof(file), "%s/%s", fx_tmp(), name);
	return catalog_testing_where(file, catpath, sizeof(catpath));
}

static int on_pg(void)
{
	return catalog_kind_of(catpath) == CATALOG_KIND_POSTGRESQL;
}

/* Lines of DIR/overlaps (0 when it does not exist). */
static int overlaps(void)
{
	char path[600], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/overlaps", libdir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static int guard_lock(void *arg)
{
	return catalog_robot_lock(arg);
}

static void guard_unlock(void *arg)
{
	catalog_robot_unlock(arg);
}

/* Child c: rounds load/unload trips of slot c+1 through drive c, with
 * the catalog's lock when locked (its own catalog handle, as another host
 * has). Exits with the number of moves that failed with EBUSY, 100 on a
 * set-up failure or another error. */
static void child(int c, int locked, int rounds)
{
	struct changer_guard g = {guard_lock, guard_unlock, NULL};
	struct catalog *cat = NULL;
	struct changer *ch = fx_changer(libdir);
	int busy = 0;

	if (!ch)
		_exit(100);
	if (locked) {
		if (catalog_open(&cat, catpath))
			_exit(100);
		g.arg = cat;
		changer_set_guard(ch, &g);
	}
	for (int i = 0; i < rounds; i++) {
		int r = changer_load(ch, c + 1, c);

		if (r == -EBUSY) {
			busy++;
			continue;
		}
		if (r)
			_exit(100);
		do
			r = changer_unload(ch, c, 0);
		while (r == -EBUSY && ++busy); /* still in the drive: again */
		if (r)
			_exit(100);
	}
	changer_close(ch);
	catalog_close(cat);
	_exit(busy > 99 ? 99 : busy);
}

/* Two processes, rounds trips each; returns the EBUSY count (-1 on a
 * child's failure). */
static int race(int locked, int rounds)
{
	int total = 0, status;

	for (int c = 0; c < 2; c++)
		if (fork() == 0)
			child(c, locked, rounds);
	for (int c = 0; c < 2; c++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 100)
			return -1;
		total += WEXITSTATUS(status);
	}
	return total;
}

/* Where the cartridges are after a race: both back in their slots. */
static void check_home(void)
{
	struct vlib *v = NULL;
	struct changer_inv inv;

	CHECK_INT(vlib_open(&v, libdir, NULL, 0), 0);
	if (!v)
		return;
	CHECK_INT(vlib_inventory(v, &inv, NULL, 0), 0);
	CHECK(!inv.elems[0].full && !inv.elems[1].full);
	CHECK_STR(inv.elems[2].barcode, "T00");
	CHECK_STR(inv.elems[3].barcode, "T01");
	changer_inv_free(&inv);
	vlib_close(v);
}

static void test_overlap_detected(void)
{
	struct fx_lib o = {.drives = 2,
			   .slots = 2,
			   .tapes = 2,
			   .capacity = 1 << 20,
			   .barcode = "T%02d"};
	int busy;

	snprintf(libdir, sizeof(libdir), "%s/lib", fx_tmp());
	CHECK_INT(fx_lib_setup(libdir, &o), 0);
	/* each move takes 20 ms of robot time: two movers meet */
	CHECK_INT(vlib_set_robot(libdir, 0.02, 1), 0);
	busy = race(0, 15);
	CHECK(busy > 0);
	CHECK_INT(overlaps(), busy);
	check_home();
}

static void test_lock_serializes(void)
{
	struct fx_lib o = {.drives = 2,
			   .slots = 2,
			   .tapes = 2,
			   .capacity = 1 << 20,
			   .barcode = "T%02d"};
	struct catalog *cat = NULL;
	char lockfile[4200];
	struct stat st;

	snprintf(libdir, sizeof(libdir), "%s/lib2", fx_tmp());
	CHECK_INT(where("cat.db"), 0);
	CHECK_INT(fx_lib_setup(libdir, &o), 0);
	CHECK_INT(vlib_set_robot(libdir, 0.02, 1), 0);
	CHECK_INT(catalog_open(&cat, catpath), 0); /* the schema, once */
	catalog_close(cat);
	CHECK_INT(race(1, 15), 0);
	CHECK_INT(overlaps(), 0);
	check_home();
	if (on_pg())
		return;
	/* the lock of a sqlite catalog is a private file beside it */
	snprintf(lockfile, sizeof(lockfile), "%s-robot", catpath);
	CHECK_INT(stat(lockfile, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
}

/* The lock is taken and given back, again and again. */
static void test_lock_handles(void)
{
	struct catalog *a = NULL;

	CHECK_INT(where("cat3.db"), 0);
	CHECK_INT(catalog_open(&a, catpath), 0);
	if (!a)
		return;
	for (int i = 0; i < 3; i++) {
		CHECK_INT(catalog_robot_lock(a), 0);
		catalog_robot_unlock(a);
	}
	catalog_close(a);
}

/* The first column of the one row sql returns on the server of
 * TAPEFS_TEST_PG, as a number; -1 on an error. */
static int pg_int(const char *sql)
{
	PGconn *pg = PQconnectdb(getenv("TAPEFS_TEST_PG"));
	PGresult *r;
	int n = -1;

	if (PQstatus(pg) == CONNECTION_OK) {
		r = PQexec(pg, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			n = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(pg);
	return n;
}

/* what (an SQL aggregate) of the sessions holding (granted) or waiting
 * for catpath's robot lock; -1 on an error. */
static int pg_robot(const char *what, int granted)
{
	const char *sp = strstr(catpath, "search_path%3D");
	char sql[500];

	if (!sp)
		return -1;
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM pg_locks WHERE locktype = 'advisory' AND "
		 "classid = 1919902319 AND objsubid = 2 AND objid::bigint = "
		 "(hashtext('%.40s')::bigint & 4294967295) AND %sgranted",
		 what, sp + 14, granted ? "" : "NOT ");
	return pg_int(sql);
}

static int pg_robot_sessions(int granted)
{
	return pg_robot("count(*)", granted);
}

/* The server's process of the session holding the lock, 0 when none. */
static int pg_robot_pid(void)
{
	return pg_robot("coalesce(max(pid), 0)", 1);
}

/* The server ends session pid, and waits until it is gone. 0 or -1. */
static int pg_terminate(int pid)
{
	char sql[200];

	snprintf(sql, sizeof(sql),
		 "SELECT CAST(pg_terminate_backend(%d, 30000) AS int)", pid);
	return pg_int(sql) == 1 ? 0 : -1;
}

/* A child that opens catpath, takes the robot's lock, says 'L' on fd and
 * then holds it (forever: until killed) or, with hold 0, gives it back
 * and exits 0. Exits 100 on a failure. */
static pid_t locker(int fd, int hold)
{
	struct catalog *cat = NULL;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (catalog_open(&cat, catpath) || catalog_robot_lock(cat))
		_exit(100);
	if (write(fd, "L", 1) != 1)
		_exit(100);
	if (hold)
		for (;;)
			pause();
	catalog_robot_unlock(cat);
	catalog_close(cat);
	_exit(0);
}

/* 1 when fd has a byte within ms, 0 when not. */
static int said(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char ch;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(fd, &ch, 1) == 1 && ch == 'L';
}

/* kill -9 of a host holding the lock: another host waiting for it gets
 * it (the kernel closes the file, or the connection, and its lock goes
 * with it); meanwhile the catalog takes writes. */
static void test_kill_holder(void)
{
	struct catalog *cat = NULL;
	struct catalog_tape t =
	    fx_tape("K00", "A", CATALOG_TAPE_SCRATCH, 1 << 20);
	int hp[2], wp[2], st;
	pid_t holder, waiter;

	CHECK_INT(where("kill.db"), 0);
	CHECK_INT(catalog_open(&cat, catpath), 0);
	if (!cat)
		return;
	CHECK_INT(pipe(hp), 0);
	CHECK_INT(pipe(wp), 0);
	holder = locker(hp[1], 1);
	CHECK(said(hp[0], 60000));
	waiter = locker(wp[1], 0);
	/* the waiter waits: on a server, seen waiting on the lock */
	if (on_pg()) {
		int n = 0;

		for (int i = 0; i < 600 && (n = pg_robot_sessions(0)) != 1; i++)
			usleep(50000);
		CHECK_INT(n, 1);
		CHECK_INT(pg_robot_sessions(1), 1);
	}
	CHECK(!said(wp[0], 300));
	/* a move's lock is not the writer's: a write goes through */
	CHECK_INT(catalog_tape_add(cat, &t), 0);
	kill(holder, SIGKILL);
	CHECK_INT(waitpid(holder, &st, 0), holder);
	CHECK(WIFSIGNALED(st));
	/* given back by the kernel or the server, at once or nearly */
	CHECK(said(wp[0], 60000));
	CHECK_INT(waitpid(waiter, &st, 0), waiter);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (on_pg())
		CHECK_INT(pg_robot_sessions(1), 0);
	/* and this process takes it at once */
	CHECK_INT(catalog_robot_lock(cat), 0);
	catalog_robot_unlock(cat);
	close(hp[0]);
	close(hp[1]);
	close(wp[0]);
	close(wp[1]);
	catalog_close(cat);
}

/* A lock that cannot be had fails the move with ENOLCK and a reason, the
 * cartridge where it was; on a server, a lock session the server ended
 * is opened again at the next move. */
static void test_lock_fails(void)
{
	struct fx_lib o = {.drives = 1,
			   .slots = 1,
			   .tapes = 1,
			   .capacity = 1 << 20,
			   .barcode = "F%02d"};
	struct changer_guard g = {guard_lock, guard_unlock, NULL};
	struct catalog *cat = NULL;
	struct changer *ch;
	struct changer_inv inv;
	char path[4200];

	snprintf(libdir, sizeof(libdir), "%s/lib4", fx_tmp());
	CHECK_INT(fx_lib_setup(libdir, &o), 0);
	CHECK_INT(where("fail.db"), 0);
	CHECK_INT(catalog_open(&cat, catpath), 0);
	ch = fx_changer(libdir);
	if (!cat || !ch)
		return;
	g.arg = cat;
	changer_set_guard(ch, &g);
	if (on_pg()) {
		int pid, fd[2];

		/* the server ends the robot's idle session: the next move
		 * opens another */
		CHECK_INT(catalog_robot_lock(cat), 0);
		pid = pg_robot_pid();
		catalog_robot_unlock(cat);
		CHECK(pid > 0);
		CHECK_INT(pg_terminate(pid), 0);
		CHECK_INT(changer_load(ch, 1, 0), 0);
		CHECK_INT(changer_unload(ch, 0, 0), 0);
		/* ended while it holds the lock: the lock is gone with it,
		 * another host has it, and this one's unlock says nothing */
		CHECK_INT(catalog_robot_lock(cat), 0);
		pid = pg_robot_pid();
		CHECK_INT(pg_terminate(pid), 0);
		CHECK_INT(pipe(fd), 0);
		pid = locker(fd[1], 0);
		CHECK(said(fd[0], 60000));
		CHECK_INT(waitpid(pid, NULL, 0), pid);
		catalog_robot_unlock(cat);
		CHECK_INT(changer_load(ch, 1, 0), 0);
		CHECK_INT(changer_unload(ch, 0, 0), 0);
		close(fd[0]);
		close(fd[1]);
		changer_close(ch);
		catalog_close(cat);
		return;
	}
	/* the lock's file cannot be opened: a directory in its place */
	snprintf(path, sizeof(path), "%s-robot", catpath);
	CHECK_INT(mkdir(path, 0700), 0);
	CHECK_INT(changer_load(ch, 1, 0), -ENOLCK);
	CHECK(strstr(changer_error(ch), "robot lock: ") != NULL);
	CHECK(strstr(changer_error(ch), "nothing moved") != NULL);
	CHECK_INT(changer_inventory(ch, &inv), -ENOLCK);
	rmdir(path);
	changer_close(ch);
	catalog_close(cat);
	/* nothing moved: the cartridge is in its slot, the drive empty */
	{
		struct vlib *v = NULL;

		CHECK_INT(vlib_open(&v, libdir, NULL, 0), 0);
		if (!v)
			return;
		CHECK_INT(vlib_inventory(v, &inv, NULL, 0), 0);
		CHECK(!inv.elems[0].full);
		CHECK_STR(inv.elems[1].barcode, "F00");
		changer_inv_free(&inv);
		vlib_close(v);
	}
}

int main(void)
{
	RUN(test_overlap_detected);
	RUN(test_lock_serializes);
	RUN(test_lock_handles);
	RUN(test_kill_holder);
	RUN(test_lock_fails);
	return check_done();
}
