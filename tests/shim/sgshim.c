/* tests/shim/sgshim.c - LD_PRELOAD shim: a virtual library (tapeio/vlib.h)
 * seen as a SCSI medium changer on a fake /dev/sgN, so that unmodified
 * programs (the Debian mtx binary) drive it through SG_IO; and the SCSI
 * generic node of a tape drive whose cartridges are vtape images, so that
 * the st backend reads a cartridge's medium auxiliary memory.
 *
 *   TAPEFS_SGSHIM="/dev/sg9=/path/to/vlib[,/dev/sg8=/other/vlib]"
 *   TAPEFS_SGSHIM="...,/dev/sg1=tape:/path/to/vlib/drive0"
 *
 * A value "tape[+OPTION...]:PATH" is a tape drive; PATH is its vtape image
 * or a vlib drive symlink (no image there: no cartridge). Options:
 *   nomam  READ ATTRIBUTE is not supported (ILLEGAL REQUEST, invalid
 *          command operation code 20/00), as a drive without MAM answers;
 *   ua     the first command after each open fails with UNIT ATTENTION,
 *          not ready to ready change 28/00, as the first command after a
 *          load does.
 * The st shim (stshim.c) links /dev/nstN to the sg node whose PATH is the
 * same as its own (sysfs's device/generic link).
 *
 * open() of a listed path opens the library (ENOENT when it is not one)
 * and returns a descriptor on /dev/null that stands for the device; ioctl()
 * on it answers SG_GET_VERSION_NUM, SG_SET_TIMEOUT, SG_GET_TIMEOUT,
 * SCSI_IOCTL_GET_IDLUN and SG_IO; everything else goes to the real libc.
 *
 * SG_IO commands of a changer (SPC/SMC), with the sense data real
 * libraries return:
 *   INQUIRY (device type 8, medium changer), TEST UNIT READY, REQUEST
 *   SENSE, MODE SENSE(6/10) page 0x1D (element address assignment),
 *   READ ELEMENT STATUS (element type, start, count, VolTag: primary
 *   volume tags padded with blanks to 32 bytes), MOVE MEDIUM (through
 *   vlib_move(), so DIR/state and the drive symlinks change),
 *   INITIALIZE ELEMENT STATUS (with or without range), POSITION TO
 *   ELEMENT, PREVENT ALLOW MEDIUM REMOVAL. Others: ILLEGAL REQUEST,
 *   invalid command operation code (20/00).
 *   Errors of MOVE MEDIUM: invalid element address 21/01, medium source
 *   element empty 3B/0E, medium destination element full 3B/0D, medium
 *   removal prevented 53/02 (the cartridge is open in its drive).
 *
 * SG_IO commands of a tape drive (SPC/SSC): INQUIRY (device type 1,
 * sequential access), TEST UNIT READY, REQUEST SENSE and READ ATTRIBUTE
 * (service action 00h ATTRIBUTE VALUES, volume and partition 0) with the
 * attributes 0000h REMAINING CAPACITY IN PARTITION and 0001h MAXIMUM
 * CAPACITY IN PARTITION (MiB, rounded down: the image's capacity and what
 * is left after its end of data), 0002h TAPEALERT FLAGS (none), 0400h
 * MEDIUM MANUFACTURER and 0401h MEDIUM SERIAL NUMBER (the image's
 * barcode). No cartridge: NOT READY, medium not present 3A/00. A first
 * attribute above those: ILLEGAL REQUEST, invalid field in CDB 24/00.
 * Others: ILLEGAL REQUEST 20/00.
 *
 * Element addresses, as many libraries number them: transport 1,
 * import/export 0x10..., drives 0x100..., storage slots 0x1000...
 *
 * Fault injection for tests: when DIR/sgshim.notready holds a number N > 0,
 * the next N READ ELEMENT STATUS or MOVE MEDIUM commands fail with NOT
 * READY, 04/01 "becoming ready" (a library scanning its inventory), and
 * the number goes down by one each time. DIR/sgshim.tags, lines "NAME
 * TAG", makes the cartridge NAME of the library report the volume tag TAG
 * (a barcode label that is not one: "..", "a/b").
 */
#undef _FILE_OFFSET_BITS /* define open and open64 separately */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <scsi/sg.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tapeio/changer.h"
#include "tapeio/vlib.h"
#include "tapeio/vtape.h"

#ifndef SCSI_IOCTL_GET_IDLUN
#define SCSI_IOCTL_GET_IDLUN 0x5382
#endif

#define ADDR_MT 0x0001
#define ADDR_IE 0x0010
#define ADDR_DT 0x0100
#define ADDR_ST 0x1000

#define SHIM_MAX_FDS 16

/* SMC element type codes */
enum { ET_ALL = 0, ET_MT = 1, ET_ST = 2, ET_IE = 3, ET_DT = 4 };

struct sense {
	uint8_t key, asc, ascq;
};

struct shim_dev {
	int fd;            /* -1: free */
	struct vlib *v;    /* a changer; NULL: a tape drive */
	char dir[1024];    /* the library, or the drive's image path */
	int nomam;         /* tape: no READ ATTRIBUTE */
	int ua;            /* tape: UNIT ATTENTION due */
	struct sense last; /* for REQUEST SENSE */
};

static pthread_mutex_t shim_mu = PTHREAD_MUTEX_INITIALIZER; /* guards devs */
static struct shim_dev devs[SHIM_MAX_FDS];
static int devs_init;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);

static void shim_init(void)
{
	if (devs_init)
		return;
	real_open = dlsym(RTLD_NEXT, "open");
	real_open64 = dlsym(RTLD_NEXT, "open64");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_close = dlsym(RTLD_NEXT, "close");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	for (int i = 0; i < SHIM_MAX_FDS; i++)
		devs[i].fd = -1;
	devs_init = 1;
}

/* The library directory mapped to path in TAPEFS_SGSHIM, into dir. */
static int shim_lookup(const char *path, char *dir, size_t len)
{
	const char *env = getenv("TAPEFS_SGSHIM"), *p, *eq, *end;
	size_t plen = strlen(path);

	if (!env || !path)
		return 0;
	for (p = env; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (!eq || (size_t)(eq - p) != plen || memcmp(p, path, plen))
			continue;
		if ((size_t)(end - eq - 1) >= len)
			return 0;
		memcpy(dir, eq + 1, (size_t)(end - eq - 1));
		dir[end - eq - 1] = 0;
		return 1;
	}
	return 0;
}

static struct shim_dev *dev_of(int fd)
{
	for (int i = 0; i < SHIM_MAX_FDS; i++)
		if (devs[i].fd == fd && fd >= 0)
			return &devs[i];
	return NULL;
}

/* A tape drive's value "tape[+nomam][+ua]:PATH": 1 with the options set
 * and PATH moved to the front of val, 0 for a library. */
static int tape_value(char *val, int *nomam, int *ua)
{
	char *colon = strchr(val, ':');

	if (strncmp(val, "tape", 4) || !colon ||
	    (val[4] != ':' && val[4] != '+'))
		return 0;
	*colon = 0;
	*nomam = strstr(val, "+nomam") != NULL;
	*ua = strstr(val, "+ua") != NULL;
	memmove(val, colon + 1, strlen(colon + 1) + 1);
	return 1;
}

/* Open the fake device: returns the fd, or -1 with errno set. */
static int shim_open_dev(char *dir)
{
	struct shim_dev *d = NULL;
	struct vlib *v = NULL;
	int fd, tape, nomam = 0, ua = 0;

	tape = tape_value(dir, &nomam, &ua);
	if (!tape && vlib_open(&v, dir, NULL, 0)) {
		errno = ENOENT;
		return -1;
	}
	fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		vlib_close(v);
		return -1;
	}
	pthread_mutex_lock(&shim_mu);
	for (int i = 0; i < SHIM_MAX_FDS && !d; i++)
		if (devs[i].fd < 0)
			d = &devs[i];
	if (d) {
		memset(d, 0, sizeof(*d));
		d->fd = fd;
		d->v = v;
		d->nomam = nomam;
		d->ua = ua;
		snprintf(d->dir, sizeof(d->dir), "%s", dir);
	}
	pthread_mutex_unlock(&shim_mu);
	if (!d) {
		real_close(fd);
		vlib_close(v);
		errno = EMFILE;
		return -1;
	}
	return fd;
}

int open(const char *path, int flags, ...)
{
	char dir[1024];
	mode_t mode = 0;
	va_list ap;

	shim_init();
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (shim_lookup(path, dir, sizeof(dir)))
		return shim_open_dev(dir);
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	char dir[1024];
	mode_t mode = 0;
	va_list ap;

	shim_init();
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (shim_lookup(path, dir, sizeof(dir)))
		return shim_open_dev(dir);
	return real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	char dir[1024];
	mode_t mode = 0;
	va_list ap;

	shim_init();
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (path[0] == '/' && shim_lookup(path, dir, sizeof(dir)))
		return shim_open_dev(dir);
	return real_openat(dirfd, path, flags, mode);
}

int close(int fd)
{
	struct shim_dev *d;
	struct vlib *v = NULL;

	shim_init();
	pthread_mutex_lock(&shim_mu);
	d = dev_of(fd);
	if (d) {
		v = d->v;
		d->fd = -1;
		d->v = NULL;
	}
	pthread_mutex_unlock(&shim_mu);
	vlib_close(v);
	return real_close(fd);
}

/* ---- SCSI ----------------------------------------------------------- */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* One SCSI command's outcome. */
struct reply {
	uint8_t *data; /* malloc'd data-in, or NULL */
	size_t len;
	struct sense sense; /* key 0: GOOD */
};

static void reply_sense(struct reply *r, uint8_t key, uint8_t asc,
			uint8_t ascq)
{
	r->sense.key = key;
	r->sense.asc = asc;
	r->sense.ascq = ascq;
}

static int reply_alloc(struct reply *r, size_t len)
{
	r->data = calloc(1, len ? len : 1);
	r->len = len;
	if (!r->data) {
		reply_sense(r, 0x04, 0x44, 0x00); /* internal target failure */
		return -1;
	}
	return 0;
}

static void cmd_inquiry(const uint8_t *cdb, struct reply *r)
{
	if (cdb[1] & 1) { /* vital product data: not kept */
		reply_sense(r, 0x05, 0x24, 0x00);
		return;
	}
	if (reply_alloc(r, 36))
		return;
	r->data[0] = 0x08; /* medium changer */
	r->data[1] = 0x80; /* removable */
	r->data[2] = 0x05; /* SPC-3 */
	r->data[3] = 0x02;
	r->data[4] = 36 - 5;
	memcpy(r->data + 8, "TAPEFS  ", 8);
	memcpy(r->data + 16, "VIRTUAL LIBRARY ", 16);
	memcpy(r->data + 32, "0001", 4);
}

static int geometry(struct shim_dev *d, struct changer_inv *inv,
		    struct reply *r)
{
	if (vlib_inventory(d->v, inv, NULL, 0)) {
		reply_sense(r, 0x04, 0x44, 0x00);
		return -1;
	}
	return 0;
}

/* Page 0x1D, element address assignment, 20 bytes at p. */
static void page_1d(uint8_t *p, const struct changer_inv *inv)
{
	p[0] = 0x1D;
	p[1] = 0x12;
	put16(p + 2, ADDR_MT);
	put16(p + 4, 1);
	put16(p + 6, ADDR_ST);
	put16(p + 8, (unsigned)(inv->nslots - inv->nie));
	put16(p + 10, ADDR_IE);
	put16(p + 12, (unsigned)inv->nie);
	put16(p + 14, ADDR_DT);
	put16(p + 16, (unsigned)inv->ndrives);
}

static void cmd_mode_sense(struct shim_dev *d, const uint8_t *cdb, int ten,
			   struct reply *r)
{
	struct changer_inv inv;
	unsigned page = cdb[2] & 0x3F, hdr = ten ? 8 : 4;

	if (page != 0x1D && page != 0x3F) {
		reply_sense(r, 0x05, 0x24, 0x00); /* invalid field in CDB */
		return;
	}
	if (geometry(d, &inv, r))
		return;
	if (!reply_alloc(r, hdr + 20)) {
		if (ten)
			put16(r->data, hdr + 20 - 2);
		else
			r->data[0] = (uint8_t)(hdr + 20 - 1);
		page_1d(r->data + hdr, &inv);
	}
	changer_inv_free(&inv);
}

/* Element (type code, index in inv->elems) of an address; -1 if none. */
static int addr_elem(const struct changer_inv *inv, unsigned a, int *et)
{
	int nst = inv->nslots - inv->nie;

	if (a == ADDR_MT) {
		*et = ET_MT;
		return -1;
	}
	*et = 0;
	if (a >= ADDR_IE && a < ADDR_IE + (unsigned)inv->nie) {
		*et = ET_IE;
		return inv->ndrives + nst + (int)(a - ADDR_IE);
	}
	if (a >= ADDR_DT && a < ADDR_DT + (unsigned)inv->ndrives) {
		*et = ET_DT;
		return (int)(a - ADDR_DT);
	}
	if (a >= ADDR_ST && a < ADDR_ST + (unsigned)nst) {
		*et = ET_ST;
		return inv->ndrives + (int)(a - ADDR_ST);
	}
	return -1;
}

/* The address of slot s (1-based, storage or import/export). */
static unsigned slot_addr(const struct changer_inv *inv, int s)
{
	int nst = inv->nslots - inv->nie;

	return s > nst ? ADDR_IE + (unsigned)(s - nst - 1)
		       : ADDR_ST + (unsigned)(s - 1);
}

/* Every element in address order: (address, type, elems index). */
struct elem_ref {
	unsigned addr;
	int type, idx;
};

static size_t elems_ordered(const struct changer_inv *inv,
			    struct elem_ref *out)
{
	int nst = inv->nslots - inv->nie;
	size_t n = 0;

	out[n++] = (struct elem_ref){ ADDR_MT, ET_MT, -1 };
	for (int i = 0; i < inv->nie; i++)
		out[n++] = (struct elem_ref){ ADDR_IE + (unsigned)i, ET_IE,
					      inv->ndrives + nst + i };
	for (int i = 0; i < inv->ndrives; i++)
		out[n++] = (struct elem_ref){ ADDR_DT + (unsigned)i, ET_DT, i };
	for (int i = 0; i < nst; i++)
		out[n++] = (struct elem_ref){ ADDR_ST + (unsigned)i, ET_ST,
					      inv->ndrives + i };
	return n;
}

/* The volume tag DIR/sgshim.tags gives cartridge name, into tag (33
 * bytes); 0 when it gives none. */
static int tag_override(const char *dir, const char *name, char *tag)
{
	char path[1100], n[64];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sgshim.tags", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fscanf(f, "%63s %32s", n, tag) == 2)
		found = !strcmp(n, name);
	fclose(f);
	return found;
}

static void descriptor(uint8_t *p, const struct changer_inv *inv,
		       const struct elem_ref *e, int voltag, const char *dir)
{
	char tag[33];

	const struct changer_elem *ce = e->idx >= 0 ? &inv->elems[e->idx]
						    : NULL;

	put16(p, e->addr);
	if (ce && ce->full)
		p[2] |= 0x01;
	if (e->type != ET_MT)
		p[2] |= 0x08; /* access */
	if (e->type == ET_IE)
		p[2] |= 0x30; /* import and export enabled */
	if (ce && ce->type == CHANGER_DRIVE && ce->full && ce->source) {
		p[9] = 0x80; /* SValid */
		put16(p + 10, slot_addr(inv, ce->source));
	}
	if (voltag && ce && ce->full && ce->barcode[0]) {
		if (!tag_override(dir, ce->barcode, tag))
			snprintf(tag, sizeof(tag), "%.32s", ce->barcode);
		memset(p + 12, ' ', 32);
		memcpy(p + 12, tag, strnlen(tag, 32));
	}
}

static void cmd_read_element_status(struct shim_dev *d, const uint8_t *cdb,
				    struct reply *r)
{
	int voltag = !!(cdb[1] & 0x10), want = cdb[1] & 0x0F;
	unsigned start = get16(cdb + 2), count = get16(cdb + 4);
	unsigned dlen = voltag ? 48 : 12, nrep = 0, first = 0;
	struct changer_inv inv;
	struct elem_ref *all;
	size_t n, pos = 8, page = 0;
	int cur = -1;

	if (want > ET_DT) {
		reply_sense(r, 0x05, 0x24, 0x00);
		return;
	}
	if (geometry(d, &inv, r))
		return;
	all = calloc(inv.nelems + 1, sizeof(*all));
	if (!all || reply_alloc(r, 8 + (inv.nelems + 1) * (8 + 48))) {
		reply_sense(r, 0x04, 0x44, 0x00);
		goto out;
	}
	n = elems_ordered(&inv, all);
	if (start > all[n - 1].addr) {
		reply_sense(r, 0x05, 0x21, 0x01); /* invalid element address */
		goto out;
	}
	for (size_t i = 0; i < n && nrep < count; i++) {
		if (all[i].addr < start || (want && all[i].type != want))
			continue;
		if (all[i].type != cur) { /* a new element status page */
			cur = all[i].type;
			page = pos;
			r->data[page] = (uint8_t)cur;
			r->data[page + 1] = voltag ? 0x80 : 0;
			put16(r->data + page + 2, dlen);
			pos += 8;
		}
		if (!nrep)
			first = all[i].addr;
		descriptor(r->data + pos, &inv, &all[i], voltag, d->dir);
		pos += dlen;
		put24(r->data + page + 5, (unsigned)(pos - page - 8));
		nrep++;
	}
	put16(r->data, first);
	put16(r->data + 2, nrep);
	put24(r->data + 5, (unsigned)(pos - 8));
	r->len = pos;
out:
	free(all);
	changer_inv_free(&inv);
}

/* When DIR/sgshim.notready says so, answer NOT READY (see the top). */
static int not_ready(struct shim_dev *d, struct reply *r)
{
	char path[1100];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/sgshim.notready", d->dir);
	f = fopen(path, "r+");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &n) == 1 && n > 0) {
		rewind(f);
		fprintf(f, "%d\n", n - 1);
		reply_sense(r, 0x02, 0x04, 0x01);
	}
	fclose(f);
	return n > 0;
}

static void cmd_move_medium(struct shim_dev *d, const uint8_t *cdb,
			    struct reply *r)
{
	unsigned src = get16(cdb + 4), dst = get16(cdb + 6);
	enum changer_elem_type st, dt;
	struct changer_inv inv;
	int si, di, set, det, ret;
	char err[256] = "";

	if (geometry(d, &inv, r))
		return;
	si = addr_elem(&inv, src, &set);
	di = addr_elem(&inv, dst, &det);
	if (si < 0 || di < 0) {
		changer_inv_free(&inv);
		reply_sense(r, 0x05, 0x21, 0x01);
		return;
	}
	st = set == ET_DT ? CHANGER_DRIVE : CHANGER_SLOT;
	dt = det == ET_DT ? CHANGER_DRIVE : CHANGER_SLOT;
	si = inv.elems[si].index;
	di = inv.elems[di].index;
	changer_inv_free(&inv);
	ret = vlib_move(d->v, st, si, dt, di, err, sizeof(err));
	if (ret == -ENOMEDIUM)
		reply_sense(r, 0x05, 0x3B, 0x0E);
	else if (ret == -EBUSY && strstr(err, "in use"))
		reply_sense(r, 0x05, 0x53, 0x02);
	else if (ret == -EBUSY)
		reply_sense(r, 0x05, 0x3B, 0x0D);
	else if (ret == -EINVAL)
		reply_sense(r, 0x05, 0x21, 0x01);
	else if (ret)
		reply_sense(r, 0x04, 0x15, 0x01); /* mechanical positioning */
}

static void cmd_position(struct shim_dev *d, const uint8_t *cdb,
			 struct reply *r)
{
	struct changer_inv inv;
	int et;

	if (geometry(d, &inv, r))
		return;
	if (addr_elem(&inv, get16(cdb + 4), &et) < 0)
		reply_sense(r, 0x05, 0x21, 0x01);
	changer_inv_free(&inv);
}

/* ---- a tape drive --------------------------------------------------- */

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void cmd_tape_inquiry(const uint8_t *cdb, struct reply *r)
{
	cmd_inquiry(cdb, r);
	if (r->data) {
		r->data[0] = 0x01; /* sequential-access device */
		memcpy(r->data + 16, "VIRTUAL DRIVE   ", 16);
	}
}

/* One attribute at p: identifier, read-only and format, length, value. */
static size_t attr_put(uint8_t *p, unsigned id, int ascii, const void *v,
		       unsigned len)
{
	put16(p, id);
	p[2] = (uint8_t)(0x80 | (ascii ? 1 : 0));
	put16(p + 3, len);
	memcpy(p + 5, v, len);
	return 5 + len;
}

/* Every attribute of the cartridge, from id first on, after the 4-byte
 * AVAILABLE DATA at buf (room for 256 bytes). The length, 0 when none. */
static size_t attrs_from(uint8_t *buf, const struct vtape_info *vi,
			 unsigned first)
{
	uint8_t rem[8], max[8], alerts[8] = {0}, serial[32];
	uint64_t left = vi->used < vi->capacity ? vi->capacity - vi->used : 0;
	size_t n = 4;

	put64(rem, left >> 20);
	put64(max, vi->capacity >> 20);
	memset(serial, ' ', sizeof(serial));
	memcpy(serial, vi->barcode, strnlen(vi->barcode, sizeof(serial)));
	if (first <= 0x0000)
		n += attr_put(buf + n, 0x0000, 0, rem, 8);
	if (first <= 0x0001)
		n += attr_put(buf + n, 0x0001, 0, max, 8);
	if (first <= 0x0002)
		n += attr_put(buf + n, 0x0002, 0, alerts, 8);
	if (first <= 0x0400)
		n += attr_put(buf + n, 0x0400, 1, "TAPEFS  ", 8);
	if (first <= 0x0401)
		n += attr_put(buf + n, 0x0401, 1, serial, 32);
	put24(buf + 1, (unsigned)(n - 4));
	return n > 4 ? n : 0;
}

static void cmd_read_attribute(struct shim_dev *d, const uint8_t *cdb,
			       struct reply *r)
{
	unsigned alloc = (unsigned)cdb[10] << 24 | (unsigned)cdb[11] << 16 |
			 (unsigned)cdb[12] << 8 | cdb[13];
	struct vtape_info vi;
	uint8_t buf[256] = {0};
	size_t n;

	if (d->nomam) {
		reply_sense(r, 0x05, 0x20, 0x00);
		return;
	}
	if ((cdb[1] & 0x1F) != 0 || cdb[5] || cdb[7]) {
		/* one volume, one partition */
		reply_sense(r, 0x05, 0x24, 0x00);
		return;
	}
	if (vtape_info(d->dir, &vi) < 0) {
		reply_sense(r, 0x02, 0x3A, 0x00); /* medium not present */
		return;
	}
	n = attrs_from(buf, &vi, get16(cdb + 8));
	if (!n) {
		reply_sense(r, 0x05, 0x24, 0x00);
		return;
	}
	if (!reply_alloc(r, n < alloc ? n : alloc))
		memcpy(r->data, buf, r->len);
}

static void tape_exec(struct shim_dev *d, const uint8_t *cdb, struct reply *r)
{
	struct vtape_info vi;

	if (d->ua && cdb[0] != 0x12 && cdb[0] != 0x03) {
		d->ua = 0;
		reply_sense(r, 0x06, 0x28, 0x00);
		return;
	}
	switch (cdb[0]) {
	case 0x00: /* TEST UNIT READY */
		if (vtape_info(d->dir, &vi) < 0)
			reply_sense(r, 0x02, 0x3A, 0x00);
		break;
	case 0x12:
		cmd_tape_inquiry(cdb, r);
		break;
	case 0x8C:
		cmd_read_attribute(d, cdb, r);
		break;
	default:
		reply_sense(r, 0x05, 0x20, 0x00); /* invalid opcode */
	}
}

/* ---- dispatch -------------------------------------------------------- */

static void scsi_exec(struct shim_dev *d, const uint8_t *cdb, struct reply *r)
{
	if (!d->v && cdb[0] != 0x03) {
		tape_exec(d, cdb, r);
		d->last = r->sense;
		return;
	}
	switch (cdb[0]) {
	case 0x00: /* TEST UNIT READY */
	case 0x07: /* INITIALIZE ELEMENT STATUS */
	case 0x37: /* INITIALIZE ELEMENT STATUS WITH RANGE */
	case 0x1E: /* PREVENT ALLOW MEDIUM REMOVAL */
		break;
	case 0x03: /* REQUEST SENSE: the last error, then no sense */
		if (!reply_alloc(r, 18)) {
			r->data[0] = 0x70;
			r->data[2] = d->last.key;
			r->data[7] = 10;
			r->data[12] = d->last.asc;
			r->data[13] = d->last.ascq;
		}
		memset(&d->last, 0, sizeof(d->last));
		return;
	case 0x12: cmd_inquiry(cdb, r); break;
	case 0x1A: cmd_mode_sense(d, cdb, 0, r); break;
	case 0x5A: cmd_mode_sense(d, cdb, 1, r); break;
	case 0xB8:
		if (!not_ready(d, r))
			cmd_read_element_status(d, cdb, r);
		break;
	case 0xA5:
		if (!not_ready(d, r))
			cmd_move_medium(d, cdb, r);
		break;
	case 0x2B: cmd_position(d, cdb, r); break;
	default:
		reply_sense(r, 0x05, 0x20, 0x00); /* invalid opcode */
	}
	d->last = r->sense;
}

static int shim_sg_io(struct shim_dev *d, sg_io_hdr_t *h)
{
	struct reply r = { 0 };
	size_t n = 0;

	if (h->interface_id != 'S' || !h->cmdp || h->cmd_len < 6) {
		errno = ENOSYS;
		return -1;
	}
	scsi_exec(d, h->cmdp, &r);
	if (r.data && h->dxfer_direction == SG_DXFER_FROM_DEV && h->dxferp) {
		n = r.len < h->dxfer_len ? r.len : h->dxfer_len;
		memcpy(h->dxferp, r.data, n);
	}
	free(r.data);
	h->resid = (int)(h->dxfer_len - n);
	h->host_status = 0;
	h->duration = 1;
	h->sb_len_wr = 0;
	h->status = h->masked_status = h->driver_status = 0;
	h->info = 0;
	if (r.sense.key) {
		uint8_t sb[18] = { 0x70, 0, r.sense.key, 0, 0, 0, 0, 10,
				   0, 0, 0, 0, r.sense.asc, r.sense.ascq };
		size_t sn = h->mx_sb_len < sizeof(sb) ? h->mx_sb_len
						      : sizeof(sb);

		if (h->sbp)
			memcpy(h->sbp, sb, sn);
		h->sb_len_wr = (unsigned char)sn;
		h->status = 0x02;        /* CHECK CONDITION */
		h->masked_status = 0x01; /* CHECK_CONDITION >> 1 */
		h->driver_status = 0x08; /* DRIVER_SENSE */
		h->info = SG_INFO_CHECK;
	}
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	struct shim_dev *d;
	void *arg;
	va_list ap;
	int ret;

	shim_init();
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* Not held while a command runs: vlib calls open() and close(),
	 * which take it. A device is used by one thread at a time, as sg
	 * commands on one descriptor are. */
	pthread_mutex_lock(&shim_mu);
	d = dev_of(fd);
	pthread_mutex_unlock(&shim_mu);
	if (!d)
		return real_ioctl(fd, req, arg);
	ret = 0;
	switch (req) {
	case SG_GET_VERSION_NUM:
		*(int *)arg = 30536;
		break;
	case SG_SET_TIMEOUT:
		break;
	case SG_GET_TIMEOUT:
		ret = 60 * 100;
		break;
	case SCSI_IOCTL_GET_IDLUN:
		memset(arg, 0, 2 * sizeof(int));
		break;
	case SG_IO:
		ret = shim_sg_io(d, arg);
		break;
	default:
		errno = ENOTTY;
		ret = -1;
	}
	return ret;
}
