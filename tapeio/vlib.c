/* tapeio/vlib.c - a virtual tape library in a directory (tapeio/vlib.h).
 *
 * Every operation opens DIR/lock and flock()s it for its own duration, so
 * one struct vlib may be used from several threads and several processes
 * at once without any lock of its own: the flock is per open file
 * description, and each call has its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tapeio/vlib.h"

#define STATE_MAGIC "tapefs-vlib-state"
#define VLIB_MAX_ELEMS 100000

struct vlib {
	char *dir;
	double move_seconds; /* library.conf, read at open */
	double time_scale;
	int barcode_reader; /* 0: the inventory shows no volume tags */
};

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Record the reason of a failure in err and return ret. */
static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vlib_barcode_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= 'a' && s[n] <= 'z') &&
		    !(s[n] >= '0' && s[n] <= '9') && s[n] != '_' && s[n] != '-')
			return 0;
	return n >= 1 && n <= 32;
}

/* ---- the state file ------------------------------------------------- */

static int inv_alloc(struct changer_inv *inv, int ndrives, int nslots, int nie)
{
	size_t n = (size_t)ndrives + (size_t)nslots;

	memset(inv, 0, sizeof(*inv));
	inv->elems = calloc(n ? n : 1, sizeof(*inv->elems));
	if (!inv->elems)
		return -ENOMEM;
	inv->ndrives = ndrives;
	inv->nslots = nslots;
	inv->nie = nie;
	inv->nelems = n;
	for (int i = 0; i < ndrives; i++) {
		inv->elems[i].type = CHANGER_DRIVE;
		inv->elems[i].index = i;
	}
	for (int s = 1; s <= nslots; s++) {
		struct changer_elem *e = &inv->elems[ndrives + s - 1];

		e->type = s > nslots - nie ? CHANGER_IE : CHANGER_SLOT;
		e->index = s;
	}
	return 0;
}

static int geometry_valid(int ndrives, int nslots, int nie)
{
	return ndrives >= 1 && nslots >= 0 && nie >= 0 && nie <= nslots &&
	       ndrives + nslots <= VLIB_MAX_ELEMS;
}

/* Parse one element line ("drive I BARCODE SRC", "drive I -",
 * "slot I BARCODE", "slot I -") into inv. */
static int state_parse_elem(struct changer_inv *inv, const char *line)
{
	char kind[8], bc[64];
	int idx, src = 0, n;
	struct changer_elem *e;

	n = sscanf(line, "%7s %d %63s %d", kind, &idx, bc, &src);
	if (n < 3)
		return -EIO;
	if (strcmp(kind, "drive") == 0 && idx >= 0 && idx < inv->ndrives)
		e = &inv->elems[idx];
	else if (strcmp(kind, "slot") == 0 && idx >= 1 && idx <= inv->nslots)
		e = &inv->elems[inv->ndrives + idx - 1];
	else
		return -EIO;
	if (strcmp(bc, "-") == 0) {
		e->full = 0;
		return 0;
	}
	if (!vlib_barcode_valid(bc) || src < 0 || src > inv->nslots)
		return -EIO;
	e->full = 1;
	memcpy(e->barcode, bc, strlen(bc) + 1); /* valid: at most 32 */
	if (e->type == CHANGER_DRIVE)
		e->source = src;
	return 0;
}

static int state_read(const struct vlib *v, struct changer_inv *inv,
		      char *err, size_t errlen)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	int ret = -EIO, version = 0, nd = -1, ns = -1, ni = -1, lineno = 0;
	FILE *f;

	memset(inv, 0, sizeof(*inv));
	if (path_join(path, sizeof(path), v->dir, "state"))
		return fail(err, errlen, -ENAMETOOLONG, "path too long");
	f = fopen(path, "re");
	if (!f)
		return fail(err, errlen, errno == ENOENT ? -ENOENT : -EIO,
			    "'%s': %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (lineno == 1) {
			if (sscanf(line, STATE_MAGIC " %d", &version) != 1 ||
			    version != VLIB_STATE_VERSION)
				goto out_bad;
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		if (!inv->elems) {
			if (sscanf(line, "drives %d", &nd) == 1 ||
			    sscanf(line, "slots %d", &ns) == 1 ||
			    sscanf(line, "ie %d", &ni) == 1)
				continue;
			if (!geometry_valid(nd, ns, ni))
				goto out_bad;
			ret = inv_alloc(inv, nd, ns, ni);
			if (ret)
				goto out_close;
		}
		if (state_parse_elem(inv, line))
			goto out_bad;
	}
	if (!inv->elems) {
		if (!geometry_valid(nd, ns, ni))
			goto out_bad;
		ret = inv_alloc(inv, nd, ns, ni);
		if (ret)
			goto out_close;
	}
	ret = 0;
	goto out_close;
out_bad:
	ret = fail(err, errlen, -EIO, "'%s' line %d: malformed vlib state",
		   path, lineno);
	changer_inv_free(inv);
out_close:
	free(line);
	fclose(f);
	return ret;
}

static int state_write(const struct vlib *v, const struct changer_inv *inv,
		       char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	int ret = -EIO;
	FILE *f;

	if (path_join(path, sizeof(path), v->dir, "state"))
		return fail(err, errlen, -ENAMETOOLONG, "path too long");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return fail(err, errlen, -errno, "'%s': %s", tmp,
			    strerror(errno));
	fprintf(f, STATE_MAGIC " %d\ndrives %d\nslots %d\nie %d\n",
		VLIB_STATE_VERSION, inv->ndrives, inv->nslots, inv->nie);
	for (size_t i = 0; i < inv->nelems; i++) {
		const struct changer_elem *e = &inv->elems[i];
		const char *kind = e->type == CHANGER_DRIVE ? "drive" : "slot";

		if (!e->full)
			fprintf(f, "%s %d -\n", kind, e->index);
		else if (e->type == CHANGER_DRIVE)
			fprintf(f, "%s %d %s %d\n", kind, e->index, e->barcode,
				e->source);
		else
			fprintf(f, "%s %d %s\n", kind, e->index, e->barcode);
	}
	if (fflush(f) || fsync(fileno(f)) || ferror(f)) {
		ret = fail(err, errlen, -EIO, "'%s': %s", tmp, strerror(errno));
		fclose(f);
		goto out_unlink;
	}
	if (fclose(f)) {
		ret = fail(err, errlen, -EIO, "'%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (rename(tmp, path)) {
		ret = fail(err, errlen, -errno, "'%s': %s", path,
			   strerror(errno));
		goto out_unlink;
	}
	return 0;
out_unlink:
	unlink(tmp);
	return ret;
}

/* Make every DIR/driveN symlink agree with the state. */
static int links_sync(const struct vlib *v, const struct changer_inv *inv,
		      char *err, size_t errlen)
{
	char link[4096], tmp[4200], want[64], cur[256];
	ssize_t n;

	for (int i = 0; i < inv->ndrives; i++) {
		const struct changer_elem *e = &inv->elems[i];

		if (vlib_drive_path(v, i, link, sizeof(link)))
			return fail(err, errlen, -ENAMETOOLONG,
				    "path too long");
		n = readlink(link, cur, sizeof(cur) - 1);
		cur[n < 0 ? 0 : n] = 0;
		if (n < 0 && errno != ENOENT && errno != EINVAL)
			return fail(err, errlen, -errno, "'%s': %s", link,
				    strerror(errno));
		if (!e->full) {
			if ((n >= 0 || errno == EINVAL) && unlink(link) &&
			    errno != ENOENT)
				return fail(err, errlen, -errno, "'%s': %s",
					    link, strerror(errno));
			continue;
		}
		snprintf(want, sizeof(want), "tapes/%s.vtape", e->barcode);
		if (n >= 0 && strcmp(cur, want) == 0)
			continue;
		snprintf(tmp, sizeof(tmp), "%s/.drive%d.tmp.%ld", v->dir, i,
			 (long)getpid());
		unlink(tmp);
		if (symlink(want, tmp) || rename(tmp, link)) {
			int ret = -errno;

			unlink(tmp);
			return fail(err, errlen, ret, "'%s': %s", link,
				    strerror(-ret));
		}
	}
	return 0;
}

/* Open and flock DIR/lock; returns the fd to close, or -errno. */
static int lock_take(const struct vlib *v, int op, char *err, size_t errlen)
{
	char path[4096];
	int fd;

	if (path_join(path, sizeof(path), v->dir, "lock"))
		return fail(err, errlen, -ENAMETOOLONG, "path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, errno == ENOENT ? -ENOENT : -errno,
			    "'%s': %s", path, strerror(errno));
	while (flock(fd, op)) {
		if (errno != EINTR) {
			int ret = -errno;

			close(fd);
			return fail(err, errlen, ret, "'%s': %s", path,
				    strerror(-ret));
		}
	}
	return fd;
}

/* ---- creation and opening ------------------------------------------ */

static void conf_read(struct vlib *v);

/* Write DIR/library.conf from v's settings. */
static int conf_write(const struct vlib *v)
{
	char path[4096];
	FILE *f;

	if (path_join(path, sizeof(path), v->dir, "library.conf"))
		return -ENAMETOOLONG;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"# tapefs virtual library: robot settings (see docs/library.md)\n"
		"move_seconds = %g\ntime_scale = %g\nbarcode_reader = %d\n",
		v->move_seconds, v->time_scale, v->barcode_reader);
	if (fclose(f))
		return -EIO;
	return 0;
}

int vlib_set_robot(const char *dir, double move_seconds, double time_scale)
{
	struct vlib v = { .dir = (char *)dir };

	if (move_seconds < 0 || time_scale < 0)
		return -EINVAL;
	conf_read(&v);
	v.move_seconds = move_seconds;
	v.time_scale = time_scale;
	return conf_write(&v);
}

int vlib_set_barcode_reader(const char *dir, int on)
{
	struct vlib v = { .dir = (char *)dir };

	conf_read(&v);
	v.barcode_reader = on != 0;
	return conf_write(&v);
}

int vlib_create(const char *dir, int ndrives, int nslots, int nie)
{
	struct vlib v = { .dir = (char *)dir };
	struct changer_inv inv;
	char path[4096];
	int fd, ret;

	if (!geometry_valid(ndrives, nslots, nie))
		return -EINVAL;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (path_join(path, sizeof(path), dir, "state"))
		return -ENAMETOOLONG;
	if (access(path, F_OK) == 0)
		return -EEXIST;
	if (path_join(path, sizeof(path), dir, "tapes"))
		return -ENAMETOOLONG;
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (path_join(path, sizeof(path), dir, "lock"))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	ret = vlib_set_robot(dir, 0, 1);
	if (ret)
		return ret;
	fd = lock_take(&v, LOCK_EX, NULL, 0);
	if (fd < 0)
		return fd;
	ret = inv_alloc(&inv, ndrives, nslots, nie);
	if (ret)
		goto out_unlock;
	ret = state_write(&v, &inv, NULL, 0);
	if (!ret)
		ret = links_sync(&v, &inv, NULL, 0);
	changer_inv_free(&inv);
out_unlock:
	close(fd);
	return ret;
}

static void conf_read(struct vlib *v)
{
	char path[4096], line[256], key[64];
	double val;
	FILE *f;

	v->move_seconds = 0;
	v->time_scale = 1;
	v->barcode_reader = 1;
	if (path_join(path, sizeof(path), v->dir, "library.conf"))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %63[a-z_] = %lf", key, &val) != 2 || val < 0)
			continue;
		if (strcmp(key, "move_seconds") == 0)
			v->move_seconds = val;
		else if (strcmp(key, "time_scale") == 0)
			v->time_scale = val;
		else if (strcmp(key, "barcode_reader") == 0)
			v->barcode_reader = val != 0;
	}
	fclose(f);
}

int vlib_open(struct vlib **out, const char *dir, char *err, size_t errlen)
{
	struct changer_inv inv;
	struct vlib *v;
	int fd, ret;

	if (!dir || !dir[0])
		return fail(err, errlen, -EINVAL, "no library directory given");
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->dir = strdup(dir);
	if (!v->dir) {
		ret = -ENOMEM;
		goto out_free;
	}
	conf_read(v);
	fd = lock_take(v, LOCK_EX, err, errlen);
	if (fd < 0) {
		ret = fail(err, errlen, fd, "'%s' is not a tapefs library",
			   dir);
		goto out_free;
	}
	ret = state_read(v, &inv, err, errlen);
	if (ret == -ENOENT)
		fail(err, errlen, ret, "'%s' is not a tapefs library", dir);
	if (ret)
		goto out_unlock;
	/* Repair the drive symlinks after a crash between state and links. */
	ret = links_sync(v, &inv, err, errlen);
	changer_inv_free(&inv);
	if (ret)
		goto out_unlock;
	close(fd);
	*out = v;
	return 0;
out_unlock:
	close(fd);
out_free:
	free(v->dir);
	free(v);
	return ret;
}

void vlib_close(struct vlib *v)
{
	if (!v)
		return;
	free(v->dir);
	free(v);
}

int vlib_drive_path(const struct vlib *v, int drive, char *buf, size_t len)
{
	int n;

	if (drive < 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s/drive%d", v->dir, drive);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vlib_tape_path(const struct vlib *v, const char *barcode, char *buf,
		   size_t len)
{
	int n;

	if (!vlib_barcode_valid(barcode))
		return -EINVAL;
	n = snprintf(buf, len, "%s/tapes/%s.vtape", v->dir, barcode);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vlib_inventory(struct vlib *v, struct changer_inv *inv, char *err,
		   size_t errlen)
{
	int fd = lock_take(v, LOCK_SH, err, errlen), ret;

	if (fd < 0)
		return fd;
	ret = state_read(v, inv, err, errlen);
	close(fd);
	return ret;
}

/* ---- moves ---------------------------------------------------------- */

static const char *elem_kind(enum changer_elem_type t)
{
	return t == CHANGER_DRIVE ? "drive" : "slot";
}

/* The element (type, index) of inv, or NULL with the reason in err. */
static struct changer_elem *elem_get(struct changer_inv *inv,
				     enum changer_elem_type t, int i,
				     char *err, size_t errlen)
{
	if (t == CHANGER_DRIVE) {
		if (i >= 0 && i < inv->ndrives)
			return &inv->elems[i];
		fail(err, errlen, -EINVAL, "no drive %d (the library has %d)",
		     i, inv->ndrives);
		return NULL;
	}
	if (i >= 1 && i <= inv->nslots)
		return &inv->elems[inv->ndrives + i - 1];
	fail(err, errlen, -EINVAL, "no slot %d (the library has %d)", i,
	     inv->nslots);
	return NULL;
}

/* 1 when the cartridge's image is open (flocked) by a drive's user. */
static int tape_in_use(const struct vlib *v, const char *barcode)
{
	char path[4096];
	int fd, busy = 0;

	if (vlib_tape_path(v, barcode, path, sizeof(path)))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB))
		busy = errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

static void robot_sleep(const struct vlib *v)
{
	double s = v->move_seconds * v->time_scale;
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Check and apply one move on inv (in memory). */
static int move_apply(const struct vlib *v, struct changer_inv *inv,
		      enum changer_elem_type st, int si,
		      enum changer_elem_type dt, int di, char *err,
		      size_t errlen)
{
	struct changer_elem *s, *d;

	s = elem_get(inv, st, si, err, errlen);
	if (!s)
		return -EINVAL;
	if (!s->full)
		return fail(err, errlen, -ENOMEDIUM, "%s %d is empty",
			    elem_kind(st), si);
	if (st == CHANGER_DRIVE && dt != CHANGER_DRIVE && di == 0) {
		if (!s->source)
			return fail(err, errlen, -EINVAL,
				    "drive %d: the slot %s came from is "
				    "unknown", si, s->barcode);
		di = s->source;
	}
	d = elem_get(inv, dt, di, err, errlen);
	if (!d)
		return -EINVAL;
	if (d->full)
		return fail(err, errlen, -EBUSY, "%s %d is full (%s)",
			    elem_kind(dt), di, d->barcode);
	if (st == CHANGER_DRIVE && tape_in_use(v, s->barcode))
		return fail(err, errlen, -EBUSY,
			    "drive %d: cartridge %s is in use", si,
			    s->barcode);
	d->full = 1;
	memcpy(d->barcode, s->barcode, sizeof(d->barcode));
	if (d->type == CHANGER_DRIVE)
		d->source = st == CHANGER_DRIVE ? s->source : si;
	s->full = 0;
	s->source = 0;
	s->barcode[0] = 0;
	return 0;
}

/* The robot's arm, DIR/robot, flocked for a whole move and never waited
 * for: a library has one arm, and a move asked while another is under way
 * means two hosts moved without the robot's lock between them. Such a
 * move fails (-EBUSY) and is recorded, one line in DIR/overlaps: the
 * mark tests look for. The descriptor, or -errno with err. */
static int arm_take(const struct vlib *v, enum changer_elem_type st, int si,
		    enum changer_elem_type dt, int di, char *err,
		    size_t errlen)
{
	char path[4096], line[200];
	int fd, ofd, n;

	if (path_join(path, sizeof(path), v->dir, "robot"))
		return fail(err, errlen, -ENAMETOOLONG, "path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(err, errlen, -errno, "'%s': %s", path,
			    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	close(fd);
	if (errno != EWOULDBLOCK)
		return fail(err, errlen, -errno, "'%s': %s", path,
			    strerror(errno));
	n = snprintf(line, sizeof(line),
		     "%lld pid %d: %s %d to %s %d while another move was "
		     "under way\n",
		     (long long)time(NULL), (int)getpid(), elem_kind(st), si,
		     elem_kind(dt), di);
	if (!path_join(path, sizeof(path), v->dir, "overlaps")) {
		ofd = open(path,
			   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
			       O_NOFOLLOW,
			   0600);
		if (ofd >= 0) {
			if (write(ofd, line, (size_t)n) != n) {
				/* the error below says it all the same */
			}
			close(ofd);
		}
	}
	return fail(err, errlen, -EBUSY,
		    "robot busy: %s %d to %s %d overlaps another move (two "
		    "hosts moving without the robot's lock; recorded in "
		    "%s/overlaps)",
		    elem_kind(st), si, elem_kind(dt), di, v->dir);
}

int vlib_move(struct vlib *v, enum changer_elem_type src_type, int src,
	      enum changer_elem_type dst_type, int dst, char *err,
	      size_t errlen)
{
	struct changer_inv inv;
	int fd, arm, ret;

	arm = arm_take(v, src_type, src, dst_type, dst, err, errlen);
	if (arm < 0)
		return arm;
	fd = lock_take(v, LOCK_EX, err, errlen);
	if (fd < 0) {
		close(arm);
		return fd;
	}
	ret = state_read(v, &inv, err, errlen);
	if (ret)
		goto out_unlock;
	ret = move_apply(v, &inv, src_type, src, dst_type, dst, err, errlen);
	if (ret)
		goto out_free;
	robot_sleep(v);
	ret = state_write(v, &inv, err, errlen);
	if (!ret)
		ret = links_sync(v, &inv, err, errlen);
out_free:
	changer_inv_free(&inv);
out_unlock:
	close(fd);
	close(arm);
	return ret;
}

int vlib_add(struct vlib *v, const char *barcode, int slot, char *err,
	     size_t errlen)
{
	struct changer_inv inv;
	struct changer_elem *e;
	char path[4096];
	int fd, ret;

	if (!vlib_barcode_valid(barcode))
		return fail(err, errlen, -EINVAL, "bad barcode '%s'",
			    barcode ? barcode : "");
	if (vlib_tape_path(v, barcode, path, sizeof(path)))
		return fail(err, errlen, -ENAMETOOLONG, "path too long");
	if (access(path, F_OK))
		return fail(err, errlen, -ENOENT, "no tape image '%s'", path);
	fd = lock_take(v, LOCK_EX, err, errlen);
	if (fd < 0)
		return fd;
	ret = state_read(v, &inv, err, errlen);
	if (ret)
		goto out_unlock;
	if (changer_inv_find(&inv, barcode)) {
		ret = fail(err, errlen, -EEXIST,
			   "'%s' is already in the library", barcode);
		goto out_free;
	}
	e = elem_get(&inv, CHANGER_SLOT, slot, err, errlen);
	if (!e) {
		ret = -EINVAL;
		goto out_free;
	}
	if (e->full) {
		ret = fail(err, errlen, -EBUSY, "slot %d is full (%s)", slot,
			   e->barcode);
		goto out_free;
	}
	e->full = 1;
	snprintf(e->barcode, sizeof(e->barcode), "%s", barcode);
	ret = state_write(v, &inv, err, errlen);
out_free:
	changer_inv_free(&inv);
out_unlock:
	close(fd);
	return ret;
}

int vlib_remove(struct vlib *v, int slot, char *err, size_t errlen)
{
	struct changer_inv inv;
	struct changer_elem *e;
	int fd, ret;

	fd = lock_take(v, LOCK_EX, err, errlen);
	if (fd < 0)
		return fd;
	ret = state_read(v, &inv, err, errlen);
	if (ret)
		goto out_unlock;
	e = elem_get(&inv, CHANGER_SLOT, slot, err, errlen);
	if (!e) {
		ret = -EINVAL;
		goto out_free;
	}
	if (!e->full) {
		ret = fail(err, errlen, -ENOMEDIUM, "slot %d is empty", slot);
		goto out_free;
	}
	e->full = 0;
	e->barcode[0] = 0;
	ret = state_write(v, &inv, err, errlen);
out_free:
	changer_inv_free(&inv);
out_unlock:
	close(fd);
	return ret;
}

/* ---- the changer backend -------------------------------------------- */

static int cv_open(struct changer *c, const char *spec)
{
	struct vlib *v;
	int ret = vlib_open(&v, spec, c->err, sizeof(c->err));

	if (!ret)
		c->priv = v;
	return ret;
}

static int cv_conf_spec(const struct changer_conf *cf, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", cf->path ? cf->path : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Any cartridge of the library is an image: read it where it is. */
static int cv_peek(struct changer *c, const char *barcode, char *buf,
		   size_t len)
{
	int ret = vlib_tape_path(c->priv, barcode, buf, len);

	if (ret)
		snprintf(c->err, sizeof(c->err), "no image for '%.40s'",
			 barcode);
	return ret;
}

static void cv_close(struct changer *c)
{
	vlib_close(c->priv);
	c->priv = NULL;
}

/* What the robot reports: without a barcode reader, full elements carry
 * no tag (mtx's "Full" without ":VolumeTag="). */
static int cv_inventory(struct changer *c, struct changer_inv *inv)
{
	const struct vlib *v = c->priv;
	int ret = vlib_inventory(c->priv, inv, c->err, sizeof(c->err));

	if (!ret && !v->barcode_reader)
		for (size_t i = 0; i < inv->nelems; i++)
			inv->elems[i].barcode[0] = 0;
	return ret;
}

static int cv_load(struct changer *c, int slot, int drive)
{
	return vlib_move(c->priv, CHANGER_SLOT, slot, CHANGER_DRIVE, drive,
			 c->err, sizeof(c->err));
}

static int cv_unload(struct changer *c, int drive, int slot)
{
	return vlib_move(c->priv, CHANGER_DRIVE, drive, CHANGER_SLOT, slot,
			 c->err, sizeof(c->err));
}

static int cv_transfer(struct changer *c, int from_slot, int to_slot)
{
	return vlib_move(c->priv, CHANGER_SLOT, from_slot, CHANGER_SLOT,
			 to_slot, c->err, sizeof(c->err));
}

static int cv_drive_device(struct changer *c, int drive, char *buf,
			   size_t len)
{
	struct changer_inv inv;
	int ret = vlib_inventory(c->priv, &inv, c->err, sizeof(c->err));

	if (ret)
		return ret;
	if (drive < 0 || drive >= inv.ndrives)
		ret = fail(c->err, sizeof(c->err), -EINVAL,
			   "no drive %d (the library has %d)", drive,
			   inv.ndrives);
	changer_inv_free(&inv);
	return ret ? ret : vlib_drive_path(c->priv, drive, buf, len);
}

const struct changer_ops changer_vlib_ops = {
	.name = "vlib",
	.open = cv_open,
	.conf_spec = cv_conf_spec,
	.close = cv_close,
	.inventory = cv_inventory,
	.load = cv_load,
	.unload = cv_unload,
	.transfer = cv_transfer,
	.drive_device = cv_drive_device,
	.peek = cv_peek,
};
