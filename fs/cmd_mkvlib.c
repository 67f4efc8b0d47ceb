/* fs/cmd_mkvlib.c - `tapefs mkvlib`: create a virtual tape library with
 * labelled scratch tapes (docs/library.md).
 *
 *   tapefs mkvlib DIR --drives N --slots M --capacity SIZE [--rate MB/s]
 *                 [--pools P] [--ie K] [--tapes T] [--block-size SIZE]
 *                 [--time-scale X] [--move-seconds S] [--no-barcodes]
 *
 * DIR gets M storage slots plus K import/export slots, N empty drives and
 * T (default M) blank tapes of SIZE bytes in slots 1..T, each labelled
 * (tape file 0) with its barcode and pool. Pools are letters A, B, ...:
 * tape i goes to pool i mod P, so the pools get the same number of tapes
 * (give or take one); barcodes are <letter><5 digits>L9 (A00001L9).
 *
 * --no-barcodes: a library without a barcode reader. Its T tapes are
 * blank (no label: they are labelled by hand through the mount's
 * `label SLOT BARCODE POOL`), their images are named cart-00001, ... and
 * the robot reports them without a tag.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/cmd.h"
#include "tapeio/label.h"
#include "tapeio/tape.h"
#include "tapeio/vlib.h"
#include "tapeio/vtape.h"

#define MKVLIB_MAX_POOLS 26

struct mkvlib_opts {
	const char *dir;
	long drives, slots, ie, tapes, pools;
	uint64_t capacity, block_size;
	double rate, time_scale, move_seconds;
	int no_barcodes;
};

static void mkvlib_usage(FILE *f)
{
	fprintf(f,
		"usage: tapefs mkvlib DIR --drives N --slots M --capacity SIZE\n"
		"                     [--rate MB/s] [--pools P] [--ie K] [--tapes T]\n"
		"                     [--block-size SIZE] [--time-scale X]\n"
		"                     [--move-seconds S] [--no-barcodes]\n"
		"SIZE takes a K, M, G or T suffix (powers of 1024).\n");
}

/* "256M" -> 268435456. Returns 0 or -EINVAL. */
static int size_parse(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (shift && (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0))
		end += strlen(end);
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int long_parse(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int double_parse(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Fill o from argv; returns 0 or -EINVAL after printing why. */
static int mkvlib_parse(int argc, char **argv, struct mkvlib_opts *o)
{
	static const struct option longopts[] = {
		{ "drives", required_argument, NULL, 'd' },
		{ "slots", required_argument, NULL, 's' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "pools", required_argument, NULL, 'p' },
		{ "ie", required_argument, NULL, 'i' },
		{ "tapes", required_argument, NULL, 't' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "time-scale", required_argument, NULL, 'x' },
		{ "move-seconds", required_argument, NULL, 'm' },
		{ "no-barcodes", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, bad = 0, li = -1;

	memset(o, 0, sizeof(*o));
	o->drives = o->slots = o->tapes = -1;
	o->pools = 1;
	o->block_size = 256 * 1024;
	o->time_scale = 1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", longopts, &li)) != -1 ||
	       optind < argc) {
		if (opt == -1) { /* a positional argument: DIR */
			if (o->dir) {
				fprintf(stderr, "tapefs mkvlib: unexpected "
					"argument '%s'\n", argv[optind]);
				return -EINVAL;
			}
			o->dir = argv[optind++];
			continue;
		}
		switch (opt) {
		case 'd': bad = long_parse(optarg, 1, 64, &o->drives); break;
		case 's': bad = long_parse(optarg, 1, 99999, &o->slots); break;
		case 'i': bad = long_parse(optarg, 0, 999, &o->ie); break;
		case 't': bad = long_parse(optarg, 0, 99999, &o->tapes); break;
		case 'p':
			bad = long_parse(optarg, 1, MKVLIB_MAX_POOLS, &o->pools);
			break;
		case 'c': bad = size_parse(optarg, &o->capacity); break;
		case 'b': bad = size_parse(optarg, &o->block_size); break;
		case 'r': bad = double_parse(optarg, &o->rate); break;
		case 'x': bad = double_parse(optarg, &o->time_scale); break;
		case 'm': bad = double_parse(optarg, &o->move_seconds); break;
		case 'n': o->no_barcodes = 1; break;
		case 'h': mkvlib_usage(stdout); exit(0);
		default:
			fprintf(stderr, "tapefs mkvlib: unknown or incomplete "
				"option '%s'\n", argv[optind - 1]);
			return -EINVAL;
		}
		if (bad) {
			fprintf(stderr, "tapefs mkvlib: bad value '%s' for "
				"--%s\n", optarg, longopts[li].name);
			return -EINVAL;
		}
	}
	if (!o->dir || o->drives < 0 || o->slots < 0 || !o->capacity) {
		fprintf(stderr, "tapefs mkvlib: DIR, --drives, --slots and "
			"--capacity are required\n");
		return -EINVAL;
	}
	if (o->tapes < 0)
		o->tapes = o->slots;
	if (o->tapes > o->slots) {
		fprintf(stderr, "tapefs mkvlib: %ld tapes do not fit in %ld "
			"slots\n", o->tapes, o->slots);
		return -EINVAL;
	}
	if (o->capacity < (1 << 20) || o->block_size < 512 ||
	    o->block_size > (16u << 20) || o->block_size % 512) {
		fprintf(stderr, "tapefs mkvlib: capacity must be at least 1M "
			"and block size a multiple of 512 up to 16M\n");
		return -EINVAL;
	}
	return 0;
}

/* An existing non-empty DIR is never touched. */
static int dir_is_unused(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int used = 0;

	if (!d)
		return errno == ENOENT;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			used = 1;
	closedir(d);
	return !used;
}

/* Create, model and label the tape number i (0-based) and put it in slot
 * i + 1. */
static int mkvlib_tape(struct vlib *v, const struct mkvlib_opts *o, long i)
{
	char bc[32], pool[2], path[4096], err[256];
	struct vtape_model m = { .rate_mbps = o->rate,
				 .time_scale = o->time_scale };
	struct tape_label l;
	struct tape *t;
	int ret;

	pool[0] = (char)('A' + i % o->pools);
	pool[1] = 0;
	if (o->no_barcodes)
		snprintf(bc, sizeof(bc), "cart-%05ld", i + 1);
	else
		snprintf(bc, sizeof(bc), "%s%05ldL9", pool, i / o->pools + 1);
	ret = vlib_tape_path(v, bc, path, sizeof(path));
	if (!ret)
		ret = vtape_create(path, bc, o->capacity, 0);
	if (!ret)
		ret = vtape_set_model(path, &m);
	if (ret) {
		fprintf(stderr, "tapefs mkvlib: '%s': %s\n", path,
			strerror(-ret));
		return ret;
	}
	if (o->no_barcodes)
		goto out_add; /* blank: labelled by hand */
	ret = tape_open(&t, tape_backend("vtape"), path, TAPE_RDWR);
	if (ret) {
		fprintf(stderr, "tapefs mkvlib: open '%s': %s\n", path,
			strerror(-ret));
		return ret;
	}
	label_init(&l, bc, pool, (uint32_t)o->block_size);
	ret = label_write(t, &l);
	if (ret)
		fprintf(stderr, "tapefs mkvlib: label '%s': %s\n", bc,
			strerror(-ret));
	if (tape_close(t) && !ret)
		ret = -EIO;
	if (ret)
		return ret;
out_add:
	ret = vlib_add(v, bc, (int)i + 1, err, sizeof(err));
	if (ret)
		fprintf(stderr, "tapefs mkvlib: %s\n", err);
	return ret;
}

int cmd_mkvlib(int argc, char **argv)
{
	struct mkvlib_opts o;
	struct vlib *v;
	char err[256];
	int ret;

	if (mkvlib_parse(argc, argv, &o)) {
		mkvlib_usage(stderr);
		return 2;
	}
	if (!dir_is_unused(o.dir)) {
		fprintf(stderr, "tapefs mkvlib: '%s' exists and is not empty: "
			"refusing to overwrite it\n", o.dir);
		return 1;
	}
	ret = vlib_create(o.dir, (int)o.drives, (int)(o.slots + o.ie),
			  (int)o.ie);
	if (ret) {
		fprintf(stderr, "tapefs mkvlib: '%s': %s\n", o.dir,
			strerror(-ret));
		return 1;
	}
	ret = vlib_set_robot(o.dir, o.move_seconds, o.time_scale);
	if (!ret && o.no_barcodes)
		ret = vlib_set_barcode_reader(o.dir, 0);
	if (!ret)
		ret = vlib_open(&v, o.dir, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "tapefs mkvlib: '%s': %s\n", o.dir,
			strerror(-ret));
		return 1;
	}
	for (long i = 0; i < o.tapes && !ret; i++)
		ret = mkvlib_tape(v, &o, i);
	vlib_close(v);
	if (ret) {
		fprintf(stderr, "tapefs mkvlib: '%s' is incomplete; remove it "
			"and run mkvlib again\n", o.dir);
		return 1;
	}
	if (o.no_barcodes)
		printf("%s: %ld drives, %ld slots + %ld import/export, %ld "
		       "blank tapes of %llu MiB, no barcode reader\n",
		       o.dir, o.drives, o.slots, o.ie, o.tapes,
		       (unsigned long long)(o.capacity >> 20));
	else
		printf("%s: %ld drives, %ld slots + %ld import/export, %ld "
		       "tapes of %llu MiB in %ld pool%s\n",
		       o.dir, o.drives, o.slots, o.ie, o.tapes,
		       (unsigned long long)(o.capacity >> 20), o.pools,
		       o.pools > 1 ? "s" : "");
	return 0;
}
