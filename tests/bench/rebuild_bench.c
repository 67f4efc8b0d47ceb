/* tests/bench/rebuild_bench.c - helper of scripts/bench-rebuild.
 *
 *   rebuild_bench write IMAGE FIRST N MEMBERS SRCDIR BLOCK
 *       appends N archives (numbered FIRST..) to the labelled vtape IMAGE,
 *       at its end of data, each written by the tar writer (tapeio/tarw.h:
 *       pax, MD5s, the version 2 manifest a dump writes, then a filemark)
 *       with MEMBERS members aNNNNN/fMMMMM read from SRCDIR/fMMMMM, in
 *       records of BLOCK bytes: the library a lifetime of dumps leaves,
 *       made without mounting.
 *   rebuild_bench through IMAGE...
 *       reads every record of every tape from its start to end of data,
 *       as a catalog rebuilt by reading the tapes through would: prints
 *       "MODEL_SECONDS BYTES_READ POSITIONINGS" (the vtape speed model of
 *       each image, its load included).
 * Exits 1 on any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tapeio/manifest.h"
#include "tapeio/tape.h"
#include "tapeio/tarw.h"

static int write_one(struct tape *t, long id, long members, const char *dir,
		     uint32_t block)
{
	struct tarw_source *src = calloc((size_t)members, sizeof(*src));
	struct manifest_archive ma;
	struct tarw_opts o = {.block_size = block, .archive = &ma};
	struct tarw *w = NULL;
	char path[4096], name[64];
	int ret = -ENOMEM;

	if (!src)
		return ret;
	memset(&ma, 0, sizeof(ma));
	manifest_uuid_new(ma.uuid);
	ma.dump_id = id;
	ma.dumped = time(NULL);
	snprintf(ma.pools, sizeof(ma.pools), "A");
	for (long i = 0; i < members; i++) {
		snprintf(path, sizeof(path), "%s/f%05ld", dir, i);
		snprintf(name, sizeof(name), "a%05ld/f%05ld", id, i);
		src[i].path = strdup(path);
		src[i].name = strdup(name);
		if (!src[i].path || !src[i].name || lstat(path, &src[i].st))
			goto out;
	}
	ret = tarw_new(&w, &t, 1, &o);
	if (!ret)
		ret = tarw_run(w, src, (size_t)members);
	if (!ret && tarw_copy(w, 0)->state != TARW_COPY_DONE)
		ret = -EIO;
out:
	tarw_free(w);
	for (long i = 0; i < members; i++) {
		free((char *)src[i].path);
		free((char *)src[i].name);
	}
	free(src);
	return ret;
}

static int cmd_write(char **argv)
{
	long first = atol(argv[1]), n = atol(argv[2]), members = atol(argv[3]);
	struct tape *t = NULL;
	int ret;

	ret = tape_open(&t, tape_backend("vtape"), argv[0], TAPE_RDWR);
	if (!ret)
		ret = tape_eom(t);
	for (long i = 0; !ret && i < n; i++)
		ret = write_one(t, first + i, members, argv[4],
				(uint32_t)atol(argv[5]));
	if (t && tape_close(t) && !ret)
		ret = -EIO;
	if (ret)
		fprintf(stderr, "rebuild_bench: %s: %s\n", argv[0],
			strerror(-ret));
	return ret ? 1 : 0;
}

/* Every record of the tape at path, to end of data. */
static int through_one(const char *path, double *secs, uint64_t *bytes,
		       uint64_t *locates)
{
	static char buf[16 << 20];
	struct tape_counters c;
	struct tape_status st;
	struct tape *t = NULL;
	ssize_t n;
	int ret = tape_open(&t, tape_backend("vtape"), path, TAPE_RDONLY);

	if (ret)
		return ret;
	ret = tape_rewind(t);
	while (!ret) {
		n = tape_read(t, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n < 0) {
			ret = (int)n;
			break;
		}
		/* a filemark: the next file, or end of data */
		if (tape_status(t, &st) == 0 && st.eod)
			break;
	}
	if (ret == -ENODATA)
		ret = 0;
	if (!ret && !(ret = tape_counters(t, &c))) {
		*secs += c.model_seconds;
		*bytes += c.bytes_read;
		*locates += c.locates;
	}
	tape_close(t);
	return ret;
}

static int cmd_through(int argc, char **argv)
{
	uint64_t bytes = 0, locates = 0;
	double secs = 0;

	for (int i = 0; i < argc; i++) {
		int ret = through_one(argv[i], &secs, &bytes, &locates);

		if (ret) {
			fprintf(stderr, "rebuild_bench: %s: %s\n", argv[i],
				strerror(-ret));
			return 1;
		}
	}
	printf("%.6f %llu %llu\n", secs, (unsigned long long)bytes,
	       (unsigned long long)locates);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 8 && !strcmp(argv[1], "write"))
		return cmd_write(argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "through"))
		return cmd_through(argc - 2, argv + 2);
	fprintf(stderr, "usage: rebuild_bench write IMAGE FIRST N MEMBERS "
			"SRCDIR BLOCK | through IMAGE...\n");
	return 2;
}
