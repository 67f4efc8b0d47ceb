/* tests/test_vlib_moves.c - the virtual library: state, moves, errors,
 * drive symlinks, locking between processes, a damaged state file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/vlib.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

static char dir[PATH_MAX];
static char err[256];

/* A library in dir with nd drives, ns slots (nie of them I/E) and tapes
 * T00001..T0000n in slots 1..n (the images are empty files: the library
 * never reads them), opened. */
static struct vlib *lib_make(const char *name, int nd, int ns, int nie, int n)
{
	struct fx_lib o = {.drives = nd,
			   .slots = ns - nie,
			   .ie = nie,
			   .tapes = n,
			   .barcode = "T%05d",
			   .first = 1};
	struct vlib *v = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", fx_tmp(), name);
	if (fx_lib_setup(dir, &o) == 0)
		CHECK_INT(vlib_open(&v, dir, err, sizeof(err)), 0);
	return v;
}

/* vlib_move() of the cartridge in element (st, s) to (dt, d); its
 * message in err. */
static int move(struct vlib *v, enum changer_elem_type st, int s,
		enum changer_elem_type dt, int d)
{
	return vlib_move(v, st, s, dt, d, err, sizeof(err));
}

static const struct changer_elem *slot_of(const struct changer_inv *inv, int s)
{
	return &inv->elems[inv->ndrives + s - 1];
}

static void link_is(int drive, const char *want)
{
	char p[PATH_MAX + 32], got[256];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/drive%d", dir, drive);
	n = readlink(p, got, sizeof(got) - 1);
	if (!want) {
		CHECK(n < 0 && errno == ENOENT);
		return;
	}
	CHECK(n > 0);
	got[n < 0 ? 0 : n] = 0;
	CHECK_STR(got, want);
}

static void test_create_and_inventory(void)
{
	struct vlib *v = lib_make("inv", 2, 6, 1, 4), *v2 = NULL;
	struct changer_inv inv;

	CHECK_INT(vlib_inventory(v, &inv, err, sizeof(err)), 0);
	CHECK_INT(inv.ndrives, 2);
	CHECK_INT(inv.nslots, 6);
	CHECK_INT(inv.nie, 1);
	CHECK_INT(inv.nelems, 8);
	CHECK_INT(inv.elems[0].type, CHANGER_DRIVE);
	CHECK_INT(inv.elems[1].index, 1);
	CHECK(!inv.elems[0].full && !inv.elems[1].full);
	CHECK_INT(slot_of(&inv, 1)->type, CHANGER_SLOT);
	CHECK_INT(slot_of(&inv, 1)->index, 1);
	CHECK_STR(slot_of(&inv, 1)->barcode, "T00001");
	CHECK_STR(slot_of(&inv, 4)->barcode, "T00004");
	CHECK(!slot_of(&inv, 5)->full);
	CHECK_INT(slot_of(&inv, 6)->type, CHANGER_IE);
	CHECK(changer_inv_find(&inv, "T00003") == slot_of(&inv, 3));
	CHECK(changer_inv_find(&inv, "NOPE") == NULL);
	changer_inv_free(&inv);
	link_is(0, NULL);

	/* A second library over the same directory is refused. */
	CHECK_INT(vlib_create(dir, 1, 1, 0), -EEXIST);
	/* Bad geometry. */
	CHECK_INT(vlib_create("nolib-geom", 0, 4, 0), -EINVAL);
	CHECK_INT(vlib_create("nolib-geom", 1, 4, 5), -EINVAL);
	/* Not a library. */
	CHECK_INT(vlib_open(&v2, "/nonexistent-dir", err, sizeof(err)),
		  -ENOENT);
	CHECK(strstr(err, "not a tapefs library") != NULL);
	vlib_close(v);
}

/* Moves a library refuses (after slot 3 went to drive 1), what it says. */
static const struct refusal {
	enum changer_elem_type st;
	int s;
	enum changer_elem_type dt;
	int d, ret;
	const char *err;
} refused[] = {
    {CHANGER_SLOT, 5, CHANGER_DRIVE, 0, -ENOMEDIUM, "slot 5 is empty"},
    {CHANGER_SLOT, 1, CHANGER_DRIVE, 1, -EBUSY, "drive 1 is full (T00003)"},
    {CHANGER_DRIVE, 0, CHANGER_SLOT, 0, -ENOMEDIUM, "drive 0 is empty"},
    {CHANGER_DRIVE, 1, CHANGER_SLOT, 2, -EBUSY, "slot 2 is full (T00002)"},
    {CHANGER_SLOT, 1, CHANGER_DRIVE, 2, -EINVAL,
     "no drive 2 (the library has 2)"},
    {CHANGER_SLOT, 7, CHANGER_DRIVE, 0, -EINVAL,
     "no slot 7 (the library has 6)"},
    {CHANGER_SLOT, 0, CHANGER_DRIVE, 0, -EINVAL, NULL},
    {CHANGER_SLOT, -1, CHANGER_DRIVE, 0, -EINVAL, NULL},
};

static void test_moves(void)
{
	struct vlib *v = lib_make("moves", 2, 6, 1, 4);
	struct changer_inv inv;

	/* load slot 3 -> drive 1: the drive symlink appears */
	CHECK_INT(move(v, CHANGER_SLOT, 3, CHANGER_DRIVE, 1), 0);
	link_is(1, "tapes/T00003.vtape");
	link_is(0, NULL);
	CHECK_INT(vlib_inventory(v, &inv, err, sizeof(err)), 0);
	CHECK(inv.elems[1].full);
	CHECK_STR(inv.elems[1].barcode, "T00003");
	CHECK_INT(inv.elems[1].source, 3);
	CHECK(!slot_of(&inv, 3)->full);
	changer_inv_free(&inv);

	/* errors exactly like a library, nothing changes */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const struct refusal *r = &refused[i];

		CHECK_INT(move(v, r->st, r->s, r->dt, r->d), r->ret);
		if (r->err)
			CHECK_STR(err, r->err);
	}
	link_is(1, "tapes/T00003.vtape");

	/* transfer slot 1 -> the I/E slot 6, then unload to slot 0 = home */
	CHECK_INT(move(v, CHANGER_SLOT, 1, CHANGER_IE, 6), 0);
	CHECK_INT(move(v, CHANGER_DRIVE, 1, CHANGER_SLOT, 0), 0);
	link_is(1, NULL);
	CHECK_INT(vlib_inventory(v, &inv, err, sizeof(err)), 0);
	CHECK_STR(slot_of(&inv, 3)->barcode, "T00003");
	CHECK_STR(slot_of(&inv, 6)->barcode, "T00001");
	CHECK(!slot_of(&inv, 1)->full);
	CHECK(!inv.elems[1].full);
	changer_inv_free(&inv);

	/* home slot taken meanwhile: unload to 0 fails, to another works */
	CHECK_INT(move(v, CHANGER_SLOT, 2, CHANGER_DRIVE, 0), 0);
	CHECK_INT(move(v, CHANGER_SLOT, 4, CHANGER_SLOT, 2), 0);
	CHECK_INT(move(v, CHANGER_DRIVE, 0, CHANGER_SLOT, 0), -EBUSY);
	CHECK_STR(err, "slot 2 is full (T00004)");
	/* drive to drive keeps the home slot */
	CHECK_INT(move(v, CHANGER_DRIVE, 0, CHANGER_DRIVE, 1), 0);
	link_is(0, NULL);
	link_is(1, "tapes/T00002.vtape");
	CHECK_INT(vlib_inventory(v, &inv, err, sizeof(err)), 0);
	CHECK_INT(inv.elems[1].source, 2);
	changer_inv_free(&inv);
	CHECK_INT(move(v, CHANGER_DRIVE, 1, CHANGER_SLOT, 4), 0);
	vlib_close(v);
}

static void test_add_remove(void)
{
	struct vlib *v = lib_make("addrm", 1, 3, 1, 1);
	char path[PATH_MAX + 64];

	CHECK_INT(vlib_add(v, "T00001", 2, err, sizeof(err)), -EEXIST);
	CHECK_INT(vlib_add(v, "X00009", 2, err, sizeof(err)), -ENOENT);
	CHECK_INT(vlib_add(v, "bad/code", 2, err, sizeof(err)), -EINVAL);
	CHECK_INT(vlib_add(v, "", 2, err, sizeof(err)), -EINVAL);
	CHECK(!vlib_barcode_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"));
	CHECK(vlib_barcode_valid("A00001L9"));
	CHECK_INT(vlib_tape_path(v, "X00009", path, sizeof(path)), 0);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	CHECK_INT(vlib_add(v, "X00009", 1, err, sizeof(err)), -EBUSY);
	CHECK_INT(vlib_add(v, "X00009", 3, err, sizeof(err)), 0);
	CHECK_INT(vlib_remove(v, 3, err, sizeof(err)), 0);
	CHECK_INT(vlib_remove(v, 3, err, sizeof(err)), -ENOMEDIUM);
	CHECK_INT(vlib_remove(v, 4, err, sizeof(err)), -EINVAL);
	vlib_close(v);
}

/* A cartridge whose image is open (flocked, as the vtape backend does)
 * cannot be taken out of its drive. */
static void test_in_use(void)
{
	struct vlib *v = lib_make("inuse", 1, 2, 0, 1);
	char path[PATH_MAX + 64];
	int fd;

	CHECK_INT(move(v, CHANGER_SLOT, 1, CHANGER_DRIVE, 0), 0);
	CHECK_INT(vlib_drive_path(v, 0, path, sizeof(path)), 0);
	fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK_INT(flock(fd, LOCK_EX | LOCK_NB), 0);
	CHECK_INT(move(v, CHANGER_DRIVE, 0, CHANGER_SLOT, 0), -EBUSY);
	CHECK_STR(err, "drive 0: cartridge T00001 is in use");
	close(fd);
	CHECK_INT(move(v, CHANGER_DRIVE, 0, CHANGER_SLOT, 0), 0);
	vlib_close(v);
}

/* A crash between the state and the symlinks is repaired on open; a
 * damaged state file is an error, never a guess. */
static void test_repair_and_damage(void)
{
	struct vlib *v = lib_make("repair", 2, 2, 0, 2);
	char path[PATH_MAX + 32];
	FILE *f;

	CHECK_INT(move(v, CHANGER_SLOT, 2, CHANGER_DRIVE, 1), 0);
	vlib_close(v);
	snprintf(path, sizeof(path), "%s/drive1", dir);
	CHECK_INT(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/drive0", dir);
	CHECK_INT(symlink("tapes/T00001.vtape", path), 0);
	CHECK_INT(vlib_open(&v, dir, err, sizeof(err)), 0);
	link_is(0, NULL);
	link_is(1, "tapes/T00002.vtape");
	vlib_close(v);

	snprintf(path, sizeof(path), "%s/state", dir);
	f = fopen(path, "a");
	fputs("drive 7 T00009 1\n", f);
	fclose(f);
	v = NULL;
	CHECK_INT(vlib_open(&v, dir, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "malformed vlib state") != NULL);
	f = fopen(path, "w");
	fputs("tapefs-vlib-state 99\n", f);
	fclose(f);
	CHECK_INT(vlib_open(&v, dir, err, sizeof(err)), -EIO);
	CHECK(v == NULL);
}

/* Several processes moving cartridges at once never lose or duplicate
 * one: every child does 40 load/unload round trips on its own drive. A
 * library has one arm: a move asked while another is under way fails
 * with EBUSY (the hosts did not share the robot's lock) and is recorded
 * in DIR/overlaps, one line each; the cartridge stays where it was. */
static void test_processes(void)
{
	struct vlib *v = lib_make("procs", 4, 8, 0, 8);
	struct changer_inv inv;
	int nchild = 4, bad = 0, status, seen = 0, busy = 0, lines = 0;
	char path[PATH_MAX + 16], line[512];
	FILE *f;

	vlib_close(v);
	for (int c = 0; c < nchild; c++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct vlib *w;
			char e[256];
			int fails = 0, overlaps = 0, r;

			if (vlib_open(&w, dir, e, sizeof(e)))
				_exit(255);
			for (int i = 0; i < 40; i++) {
				int s = 1 + (c * 2 + i % 2);

				r = vlib_move(w, CHANGER_SLOT, s, CHANGER_DRIVE,
					      c, e, sizeof(e));
				if (r == -EBUSY && strstr(e, "robot busy")) {
					overlaps++;
					continue;
				}
				fails += r != 0;
				while ((r = vlib_move(w, CHANGER_DRIVE, c,
						      CHANGER_SLOT, 0, e,
						      sizeof(e))) == -EBUSY &&
				       strstr(e, "robot busy"))
					overlaps++;
				fails += r != 0;
			}
			vlib_close(w);
			_exit(fails ? 255 : overlaps > 200 ? 200 : overlaps);
		}
	}
	for (int c = 0; c < nchild; c++) {
		wait(&status);
		bad += !WIFEXITED(status) || WEXITSTATUS(status) == 255;
		if (WIFEXITED(status) && WEXITSTATUS(status) != 255)
			busy += WEXITSTATUS(status);
	}
	CHECK_INT(bad, 0);
	snprintf(path, sizeof(path), "%s/overlaps", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		lines += strstr(line, "while another move was under way") != 0;
	if (f)
		fclose(f);
	CHECK_INT(lines, busy);
	CHECK_INT(vlib_open(&v, dir, err, sizeof(err)), 0);
	CHECK_INT(vlib_inventory(v, &inv, err, sizeof(err)), 0);
	for (int s = 1; s <= 8; s++) {
		char bc[16];

		snprintf(bc, sizeof(bc), "T%05d", s);
		seen += slot_of(&inv, s)->full &&
			strcmp(slot_of(&inv, s)->barcode, bc) == 0;
	}
	CHECK_INT(seen, 8);
	changer_inv_free(&inv);
	vlib_close(v);
}

/* A process killed in the middle of a move (during the robot time, lock
 * held): the library keeps its old state and the next move proceeds. */
static void test_killed_mover(void)
{
	struct vlib *v = lib_make("killed", 1, 2, 0, 1);
	struct changer_inv inv;
	char lock[PATH_MAX + 16];
	int fd, held = 0, status, ready[2];
	char c;
	pid_t pid;

	vlib_close(v);
	CHECK_INT(vlib_set_robot(dir, 60, 1), 0);
	CHECK_INT(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		struct vlib *w;
		char e[256];

		if (vlib_open(&w, dir, e, sizeof(e)))
			_exit(2);
		/* from here on, the lock is only ever held by the move */
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		vlib_move(w, CHANGER_SLOT, 1, CHANGER_DRIVE, 0, e, sizeof(e));
		_exit(0);
	}
	close(ready[1]);
	CHECK_INT(read(ready[0], &c, 1), 1);
	close(ready[0]);
	snprintf(lock, sizeof(lock), "%s/lock", dir);
	fd = open(lock, O_RDONLY);
	for (int i = 0; i < 5000 && !held; i++) { /* until the child holds it */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			flock(fd, LOCK_UN);
		else
			held = 1;
		if (!held)
			usleep(1000);
	}
	CHECK(held);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status));
	close(fd);
	CHECK_INT(vlib_set_robot(dir, 0, 1), 0);
	CHECK_INT(vlib_open(&v, dir, err, sizeof(err)), 0);
	CHECK_INT(vlib_inventory(v, &inv, err, sizeof(err)), 0);
	CHECK(!inv.elems[0].full);
	CHECK_STR(slot_of(&inv, 1)->barcode, "T00001");
	changer_inv_free(&inv);
	link_is(0, NULL);
	CHECK_INT(move(v, CHANGER_SLOT, 1, CHANGER_DRIVE, 0), 0);
	link_is(0, "tapes/T00001.vtape");
	vlib_close(v);
}

int main(void)
{
	RUN(test_create_and_inventory);
	RUN(test_moves);
	RUN(test_add_remove);
	RUN(test_in_use);
	RUN(test_repair_and_damage);
	RUN(test_processes);
	RUN(test_killed_mover);
	return check_done();
}
