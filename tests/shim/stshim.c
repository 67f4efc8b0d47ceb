/* tests/shim/stshim.c - LD_PRELOAD shim: device paths named in
 * TAPEFS_STSHIM ("/dev/nst0=/path/image-or-drive-symlink,/dev/nst1=...")
 * behave as the Linux st driver's non-rewinding devices, served from a
 * vtape image through the vtape backend (linked into this .so).
 *
 * What unmodified programs (mt-st, GNU tar, the st backend) call is
 * intercepted: open/open64/openat/openat64/creat/creat64 and the fortify
 * variants __open_2/__open64_2/__openat_2/__openat64_2, close, read,
 * __read_chk, write, ioctl (MTIOCTOP, MTIOCGET, MTIOCPOS), and the stat
 * family so that the fd and the path look like a character device (major 9
 * as st, minor 128 + N: the non-rewinding one). Each open tape holds a
 * real fd on /dev/null, so fd numbers never collide with real files and
 * lseek() answers 0 as st's noop_llseek does.
 *
 * As st: one open at a time (EBUSY), O_NONBLOCK opens an empty drive
 * (MTIOCGET then says DR_OPEN), close after a write writes a filemark, and
 * the tape stays where it was between close and the next open (the head
 * position is kept in the image, vtape_head_set(), with a token naming the
 * load: a drive symlink made anew by a changer is a new load, at BOT).
 * After MTOFFL the drive stays empty until the tape is loaded again.
 *
 * access() and faccessat() of a listed path succeed, as for the device
 * node of a real drive.
 *
 * The drive's SCSI generic node: readlink() of sysfs's
 * /sys/dev/char/9:(128+N)/device/generic (what the st backend asks)
 * answers scsi_generic/sgM when TAPEFS_SGSHIM (the SG shim, sgshim.c)
 * lists /dev/sgM as a tape drive ("tape...:PATH") whose PATH is the image
 * or drive symlink of /dev/nstN; otherwise ENOENT (no sg node, as without
 * the sg module). Preload both shims for the st backend's tape_space().
 */
#undef _FILE_OFFSET_BITS /* define fstat and fstat64, open and open64 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tapeio/tape.h"
#include "tapeio/vtape.h"

#define SHIM_FD_MAX 65536

struct shim_fd {
	pthread_mutex_t lock; /* guards t: one tape operation at a time */
	struct tape *t;	      /* NULL: opened O_NONBLOCK with no medium */
	int minor;	      /* device index N of /dev/nstN */
	int wrote;	  /* last operation was a write: close adds a mark */
	int ejected;	  /* MTOFFL done: the drive is empty */
	uint64_t token;	  /* names this load of the tape, see shim_token */
	char image[4096]; /* the image or drive symlink behind the device */
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER; /* guards fds */
static struct shim_fd *fds[SHIM_FD_MAX];

#define REAL(name, ret, ...)                                                   \
	static ret (*real_##name)(__VA_ARGS__);                                \
	if (!real_##name)                                                      \
	real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

/* The image behind path, when TAPEFS_STSHIM maps it; *minor its index. */
static int shim_lookup(const char *path, char *image, size_t len, int *minor)
{
	const char *map = getenv("TAPEFS_STSHIM");
	size_t plen;
	int n = 0;

	if (!path || !map)
		return 0;
	plen = strlen(path);
	while (*map) {
		const char *end = strchr(map, ',');
		const char *eq = strchr(map, '=');
		size_t elen = end ? (size_t)(end - map) : strlen(map);

		if (eq && eq < map + elen && (size_t)(eq - map) == plen &&
		    memcmp(map, path, plen) == 0) {
			size_t ilen = elen - plen - 1;

			if (ilen >= len)
				return 0;
			memcpy(image, eq + 1, ilen);
			image[ilen] = 0;
			*minor = n;
			return 1;
		}
		n++;
		map += elen;
		if (*map == ',')
			map++;
	}
	return 0;
}

static struct shim_fd *shim_get(int fd)
{
	struct shim_fd *s;

	if (fd < 0 || fd >= SHIM_FD_MAX)
		return NULL;
	pthread_mutex_lock(&table_lock);
	s = fds[fd];
	pthread_mutex_unlock(&table_lock);
	return s;
}

/* A load of the tape: the identity of the drive symlink (a changer makes
 * it anew on every load), or 1 for an image named directly (always in). */
static uint64_t shim_token(const char *image)
{
	struct stat64 sb;

	if (lstat64(image, &sb) < 0 || !S_ISLNK(sb.st_mode))
		return 1;
	return ((uint64_t)sb.st_ino << 32) ^ (uint64_t)sb.st_ctim.tv_sec ^
	       ((uint64_t)sb.st_ctim.tv_nsec << 8) ^ 2;
}

/* Put the tape where the drive left it when this load was last closed. */
static int shim_restore(struct tape *t, const char *image, uint64_t token)
{
	uint64_t lblock, tok;

	if (vtape_head_get(image, &lblock, &tok) < 0 || tok != token)
		return 0;
	if (lblock == VTAPE_HEAD_EJECTED)
		return -ENOMEDIUM;
	if (lblock > 0)
		tape_locate(t, lblock);
	return 0;
}

static void shim_save(struct shim_fd *s)
{
	uint64_t l = 0;

	if (s->ejected) {
		vtape_head_set(s->image, VTAPE_HEAD_EJECTED, s->token);
		return;
	}
	if (!s->t || tape_tell(s->t, &l) < 0)
		return;
	vtape_head_set(s->image, l + (s->wrote ? 1 : 0), s->token);
}

static int shim_open(const char *image, int minor, int flags)
{
	REAL(open, int, const char *, int, ...);
	int mode = (flags & O_ACCMODE) == O_RDONLY ? TAPE_RDONLY : TAPE_RDWR;
	uint64_t token = shim_token(image);
	struct shim_fd *s;
	struct tape *t = NULL;
	int ret, fd;

	ret = tape_open(&t, tape_backend("vtape"), image, mode);
	if (ret == 0) {
		ret = shim_restore(t, image, token);
		if (ret < 0) {
			tape_close(t);
			t = NULL;
		}
	}
	if (ret == -ENOMEDIUM && (flags & O_NONBLOCK))
		ret = 0, t = NULL; /* st: O_NONBLOCK opens a drive not ready */
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	fd = real_open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
	s = calloc(1, sizeof(*s));
	if (fd < 0 || fd >= SHIM_FD_MAX || !s) {
		if (fd >= 0)
			close(fd);
		free(s);
		tape_close(t);
		errno = EMFILE;
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->t = t;
	s->minor = minor;
	s->token = token;
	snprintf(s->image, sizeof(s->image), "%s", image);
	pthread_mutex_lock(&table_lock);
	fds[fd] = s;
	pthread_mutex_unlock(&table_lock);
	return fd;
}

#define OPEN_BODY(path, flags, realcall)                                       \
	char image[4096];                                                      \
	int minor;                                                             \
	if (shim_lookup(path, image, sizeof(image), &minor))                   \
		return shim_open(image, minor, flags);                         \
	return realcall

static mode_t va_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | __O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	REAL(open, int, const char *, int, ...);
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = va_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(path, flags, real_open(path, flags, m));
}

int open64(const char *path, int flags, ...)
{
	REAL(open64, int, const char *, int, ...);
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = va_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(path, flags, real_open64(path, flags, m));
}

int openat(int dirfd, const char *path, int flags, ...)
{
	REAL(openat, int, int, const char *, int, ...);
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = va_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(path, flags, real_openat(dirfd, path, flags, m));
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	REAL(openat64, int, int, const char *, int, ...);
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = va_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(path, flags, real_openat64(dirfd, path, flags, m));
}

int creat(const char *path, mode_t m)
{
	REAL(creat, int, const char *, mode_t);
	OPEN_BODY(path, O_WRONLY | O_CREAT | O_TRUNC, real_creat(path, m));
}

int creat64(const char *path, mode_t m)
{
	REAL(creat64, int, const char *, mode_t);
	OPEN_BODY(path, O_WRONLY | O_CREAT | O_TRUNC, real_creat64(path, m));
}

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __open_2(const char *path, int flags)
{
	REAL(__open_2, int, const char *, int);
	OPEN_BODY(path, flags, real___open_2(path, flags));
}

int __open64_2(const char *path, int flags)
{
	REAL(__open64_2, int, const char *, int);
	OPEN_BODY(path, flags, real___open64_2(path, flags));
}

int __openat_2(int dirfd, const char *path, int flags)
{
	REAL(__openat_2, int, int, const char *, int);
	OPEN_BODY(path, flags, real___openat_2(dirfd, path, flags));
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	REAL(__openat64_2, int, int, const char *, int);
	OPEN_BODY(path, flags, real___openat64_2(dirfd, path, flags));
}

int close(int fd)
{
	REAL(close, int, int);
	struct shim_fd *s = NULL;
	int ret = 0;

	if (fd >= 0 && fd < SHIM_FD_MAX) {
		pthread_mutex_lock(&table_lock);
		s = fds[fd];
		fds[fd] = NULL;
		pthread_mutex_unlock(&table_lock);
	}
	if (s) {
		struct tape *t;

		pthread_mutex_lock(&s->lock);
		t = s->t;
		if (t)
			shim_save(s);
		ret = tape_close(t); /* the filemark after a write */
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_destroy(&s->lock);
		free(s);
		real_close(fd);
		if (ret < 0) {
			errno = -ret;
			return -1;
		}
		return 0;
	}
	return real_close(fd);
}

ssize_t read(int fd, void *buf, size_t len)
{
	REAL(read, ssize_t, int, void *, size_t);
	struct shim_fd *s = shim_get(fd);
	ssize_t ret;

	if (!s)
		return real_read(fd, buf, len);
	pthread_mutex_lock(&s->lock);
	ret = s->t ? tape_read(s->t, buf, len) : -ENOMEDIUM;
	if (s->t)
		s->wrote = 0;
	pthread_mutex_unlock(&s->lock);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		abort();
	return read(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(write, ssize_t, int, const void *, size_t);
	struct shim_fd *s = shim_get(fd);
	ssize_t ret;

	if (!s)
		return real_write(fd, buf, len);
	pthread_mutex_lock(&s->lock);
	ret = s->t ? tape_write(s->t, buf, len) : -ENOMEDIUM;
	if (len > 0 && (ret >= 0 || ret == -ENOSPC || ret == -EIO))
		s->wrote = 1; /* as vtape: a filemark at close */
	pthread_mutex_unlock(&s->lock);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static int shim_mtop(struct tape *t, const struct mtop *op)
{
	unsigned n = op->mt_count < 0 ? 0 : (unsigned)op->mt_count;

	if (!t)
		return op->mt_op == MTNOP ? 0 : -ENOMEDIUM;
	switch (op->mt_op) {
	case MTNOP:
		return 0;
	case MTWEOF:
#ifdef MTWEOFI
	case MTWEOFI:
#endif
		return tape_weof(t, n);
	case MTFSF:
		return tape_fsf(t, n);
	case MTBSF:
		return tape_bsf(t, n);
	case MTFSR:
		return tape_fsr(t, n);
	case MTBSR:
		return tape_bsr(t, n);
	case MTREW:
	case MTRETEN:
		return tape_rewind(t);
	case MTOFFL:
	case MTUNLOAD:
		return tape_offline(t);
	case MTEOM:
		return tape_eom(t);
	case MTSEEK:
		return tape_locate(t, n);
	case MTSETBLK:
		return op->mt_count == 0 ? 0 : -EINVAL; /* variable only */
	default:
		return -EINVAL;
	}
}

static int shim_mtget(struct shim_fd *s, struct mtget *g)
{
	struct tape_status st;
	int ret;

	memset(g, 0, sizeof(*g));
	g->mt_type = MT_ISSCSI2;
	g->mt_fileno = -1;
	g->mt_blkno = -1;
	if (!s->t) {
		g->mt_gstat = GMT_DR_OPEN(~0);
		return 0;
	}
	ret = tape_status(s->t, &st);
	if (ret < 0)
		return ret;
	g->mt_gstat = GMT_IM_REP_EN(~0);
	if (!st.online) {
		g->mt_gstat |= GMT_DR_OPEN(~0);
		return 0;
	}
	g->mt_gstat |= GMT_ONLINE(~0);
	if (st.bot)
		g->mt_gstat |= GMT_BOT(~0);
	if (st.eof)
		g->mt_gstat |= GMT_EOF(~0);
	if (st.eod)
		g->mt_gstat |= GMT_EOD(~0);
	if (st.eot)
		g->mt_gstat |= GMT_EOT(~0);
	if (st.write_protected)
		g->mt_gstat |= GMT_WR_PROT(~0);
	g->mt_fileno = (__kernel_daddr_t)st.file;
	g->mt_blkno = (__kernel_daddr_t)st.block;
	return 0;
}

int ioctl(int fd, unsigned long req, ...);
int ioctl(int fd, unsigned long req, ...)
{
	REAL(ioctl, int, int, unsigned long, ...);
	struct shim_fd *s = shim_get(fd);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!s)
		return real_ioctl(fd, req, arg);
	pthread_mutex_lock(&s->lock);
	if (req == MTIOCTOP) {
		const struct mtop *op = arg;

		ret = shim_mtop(s->t, op);
		if (op->mt_op != MTNOP && op->mt_op != MTSETBLK)
			s->wrote = 0;
		if (ret == 0 && (op->mt_op == MTOFFL || op->mt_op == MTUNLOAD))
			s->ejected = 1;
	} else if (req == MTIOCGET) {
		ret = shim_mtget(s, arg);
	} else if (req == MTIOCPOS) {
		uint64_t l = 0;

		ret = s->t ? tape_tell(s->t, &l) : -ENOMEDIUM;
		((struct mtpos *)arg)->mt_blkno = (long)l;
	} else {
		ret = -ENOTTY;
	}
	pthread_mutex_unlock(&s->lock);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* ---- access: the device node exists ---------------------------------- */

int access(const char *path, int mode)
{
	REAL(access, int, const char *, int);
	char image[4096];
	int minor;

	if (shim_lookup(path, image, sizeof(image), &minor))
		return 0;
	return real_access(path, mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	REAL(faccessat, int, int, const char *, int, int);
	char image[4096];
	int minor;

	if (path[0] == '/' && shim_lookup(path, image, sizeof(image), &minor))
		return 0;
	return real_faccessat(dirfd, path, mode, flags);
}

/* ---- sysfs: the st device's SCSI generic node ----------------------- */

/* The image of the Nth entry of TAPEFS_STSHIM, into image. */
static int shim_nth(int n, char *image, size_t len)
{
	const char *map = getenv("TAPEFS_STSHIM");

	for (int i = 0; map && *map; i++) {
		const char *end = strchr(map, ',');
		const char *eq = strchr(map, '=');
		size_t elen = end ? (size_t)(end - map) : strlen(map);

		if (i == n && eq && eq < map + elen) {
			size_t ilen = elen - (size_t)(eq + 1 - map);

			if (ilen >= len)
				return 0;
			memcpy(image, eq + 1, ilen);
			image[ilen] = 0;
			return 1;
		}
		map += elen;
		if (*map == ',')
			map++;
	}
	return 0;
}

/* The sg node TAPEFS_SGSHIM names for image ("/dev/sgM=tape...:image"):
 * its basename into sg. */
static int shim_sg_of(const char *image, char *sg, size_t len)
{
	const char *map = getenv("TAPEFS_SGSHIM");
	size_t ilen = strlen(image);

	while (map && *map) {
		const char *end = strchr(map, ',');
		size_t elen = end ? (size_t)(end - map) : strlen(map);
		const char *eq = memchr(map, '=', elen);
		const char *colon = NULL, *base = map;

		if (eq)
			colon = memchr(eq, ':', elen - (size_t)(eq - map));
		for (const char *c = map; eq && c < eq; c++)
			if (*c == '/')
				base = c + 1; /* the node's name: "sgM" */
		if (eq && colon && !strncmp(eq + 1, "tape", 4) &&
		    (size_t)(map + elen - colon - 1) == ilen &&
		    !memcmp(colon + 1, image, ilen) &&
		    (size_t)(eq - base) < len) {
			memcpy(sg, base, (size_t)(eq - base));
			sg[eq - base] = 0;
			return 1;
		}
		map += elen;
		if (*map == ',')
			map++;
	}
	return 0;
}

ssize_t readlink(const char *path, char *buf, size_t len)
{
	REAL(readlink, ssize_t, const char *, char *, size_t);
	char image[4096], sg[64], to[128];
	unsigned mj, mn;
	int end = 0;
	size_t n;

	if (sscanf(path, "/sys/dev/char/%u:%u/device/generic%n", &mj, &mn,
		   &end) != 2 ||
	    path[end] || mj != 9 || mn < 128 ||
	    !shim_nth((int)mn - 128, image, sizeof(image)))
		return real_readlink(path, buf, len);
	if (!shim_sg_of(image, sg, sizeof(sg))) {
		errno = ENOENT;
		return -1;
	}
	snprintf(to, sizeof(to), "scsi_generic/%s", sg);
	n = strlen(to) < len ? strlen(to) : len;
	memcpy(buf, to, n);
	return (ssize_t)n;
}

/* ---- the stat family: a character device, major 9, minor 128 + N ---- */

static void shim_fake_stat(struct stat64 *sb, int minor)
{
	sb->st_mode = S_IFCHR | 0660;
	sb->st_rdev = makedev(9, 128 + minor);
	sb->st_ino = 0x7a9e0000u + (unsigned)minor;
	sb->st_size = 0;
	sb->st_blocks = 0;
	sb->st_blksize = 4096;
}

/* fd or path: returns 1 (and fills sb) when it is one of ours. */
static int shim_stat_fd(int fd, struct stat64 *sb)
{
	struct shim_fd *s = shim_get(fd);

	if (!s)
		return 0;
	memset(sb, 0, sizeof(*sb));
	shim_fake_stat(sb, s->minor);
	return 1;
}

static int shim_stat_path(const char *path, struct stat64 *sb)
{
	char image[4096];
	int minor;

	if (!shim_lookup(path, image, sizeof(image), &minor))
		return 0;
	memset(sb, 0, sizeof(*sb));
	shim_fake_stat(sb, minor);
	return 1;
}

int fstat(int fd, struct stat *sb)
{
	REAL(fstat, int, int, struct stat *);
	if (shim_stat_fd(fd, (struct stat64 *)sb))
		return 0;
	return real_fstat(fd, sb);
}

int fstat64(int fd, struct stat64 *sb)
{
	REAL(fstat64, int, int, struct stat64 *);
	if (shim_stat_fd(fd, sb))
		return 0;
	return real_fstat64(fd, sb);
}

int stat(const char *path, struct stat *sb)
{
	REAL(stat, int, const char *, struct stat *);
	if (shim_stat_path(path, (struct stat64 *)sb))
		return 0;
	return real_stat(path, sb);
}

int stat64(const char *path, struct stat64 *sb)
{
	REAL(stat64, int, const char *, struct stat64 *);
	if (shim_stat_path(path, sb))
		return 0;
	return real_stat64(path, sb);
}

int lstat(const char *path, struct stat *sb)
{
	REAL(lstat, int, const char *, struct stat *);
	if (shim_stat_path(path, (struct stat64 *)sb))
		return 0;
	return real_lstat(path, sb);
}

int lstat64(const char *path, struct stat64 *sb)
{
	REAL(lstat64, int, const char *, struct stat64 *);
	if (shim_stat_path(path, sb))
		return 0;
	return real_lstat64(path, sb);
}

static int shim_statat(int dirfd, const char *path, int flags,
		       struct stat64 *sb)
{
	if ((flags & AT_EMPTY_PATH) && path && !*path)
		return shim_stat_fd(dirfd, sb);
	if (path && path[0] == '/')
		return shim_stat_path(path, sb);
	return 0;
}

int fstatat(int dirfd, const char *path, struct stat *sb, int flags)
{
	REAL(fstatat, int, int, const char *, struct stat *, int);
	if (shim_statat(dirfd, path, flags, (struct stat64 *)sb))
		return 0;
	return real_fstatat(dirfd, path, sb, flags);
}

int fstatat64(int dirfd, const char *path, struct stat64 *sb, int flags)
{
	REAL(fstatat64, int, int, const char *, struct stat64 *, int);
	if (shim_statat(dirfd, path, flags, sb))
		return 0;
	return real_fstatat64(dirfd, path, sb, flags);
}

int statx(int dirfd, const char *path, int flags, unsigned int mask,
	  struct statx *sx)
{
	REAL(statx, int, int, const char *, int, unsigned int, struct statx *);
	struct stat64 sb;

	if (!shim_statat(dirfd, path, flags, &sb))
		return real_statx(dirfd, path, flags, mask, sx);
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_TYPE | STATX_MODE | STATX_INO;
	sx->stx_mode = (unsigned short)sb.st_mode;
	sx->stx_ino = sb.st_ino;
	sx->stx_blksize = 4096;
	sx->stx_rdev_major = 9;
	sx->stx_rdev_minor = minor(sb.st_rdev);
	return 0;
}
