/* tests/lib_fixture.h - what the C tests share, so that none writes it
 * again: a scratch directory, files of seeded bytes and their MD5, vtapes
 * and their label, archives written through the tar writer, virtual
 * libraries (as `tapefs mkvlib` makes them, or cartridge by cartridge), a
 * changer and a scheduler over one, catalogs.
 *
 * Every fixture that makes something checks its own steps with CHECK:
 * they count in the test's totals (tests/lib_check.c) and a failure names
 * the fixture's line. It returns 0 or -errno (or NULL) so that the test
 * can stop where it cannot go on. Fixtures that only read (fx_file_md5,
 * fx_slurp, fx_count_lines, fx_export) check nothing: the test compares
 * what they give with what it expects.
 *
 * Relative paths are relative to the cwd, which tests/run makes a fresh
 * scratch directory for every test (also in $TEST_TMP).
 */
#ifndef TAPEFS_LIB_FIXTURE_H
#define TAPEFS_LIB_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "tapeio/changer.h"
#include "tapeio/label.h"
#include "tapeio/md5.h"
#include "tapeio/sched.h"
#include "tapeio/tape.h"
#include "tapeio/tarw.h"

/* ---- scratch ------------------------------------------------------------ */

/* The test's scratch directory: $TEST_TMP, or "." when run by hand. */
const char *fx_tmp(void);

/* A new empty directory fx_tmp()/NAME.XXXXXX, its path in dir[len]. */
int fx_mkdtemp(char *dir, size_t len, const char *name);

/* ---- files -------------------------------------------------------------- */

/* n bytes for seed: the same seed always gives the same bytes, two seeds
 * give different ones. */
void fx_fill(void *buf, size_t n, unsigned seed);

/* A new regular file (0644) of size fx_fill() bytes for seed. */
int fx_make_file(const char *path, size_t size, unsigned seed);

/* A new file holding the printf text. */
int fx_write_text(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The MD5 of a file into hex; "" and -errno when it cannot be read. */
int fx_file_md5(const char *path, char hex[MD5_HEX_SIZE]);

/* The whole file, NUL-terminated (free() it); NULL when unreadable. */
char *fx_slurp(const char *path);

/* How many lines of the file are exactly line (without the newline);
 * -errno when it cannot be read. */
int fx_count_lines(const char *path, const char *line);

/* ---- tapes -------------------------------------------------------------- */

/* A new vtape image at path (any old one removed first) of cap bytes,
 * early warning ew bytes before the end (0: the default), opened
 * read-write at BOT. barcode NULL: the path is the barcode. NULL on
 * failure. */
struct tape *fx_vtape(const char *path, const char *barcode, uint64_t cap,
		      uint64_t ew);

/* Label t (tape file 0) for barcode and pool, block size bs; the label is
 * also left in *l when l is not NULL. Leaves t at file 1. */
int fx_label(struct tape *t, struct tape_label *l, const char *barcode,
	     const char *pool, uint32_t bs);

/* Copy tape file fileno of t, record by record, into the plain file out. */
int fx_export(struct tape *t, unsigned fileno, const char *out);

/* ---- archives ----------------------------------------------------------- */

/* s: the file at path, archived under the same name, with its lstat()
 * snapshot taken now. */
int fx_source(struct tarw_source *s, const char *path);

/* What fx_write_archive() wrote. */
struct fx_archive {
	uint64_t start[TARW_MAX_COPIES]; /* each copy's first logical block */
	uint64_t bytes;			 /* of the archive, on each copy */
	struct tar_member *members;	 /* the writer's records, copied */
	size_t nmembers;
};

/* One archive of src[0..n) on t[0..ncopies) (each tape positioned where
 * the archive starts) through the tar writer (opts as tarw_new() takes
 * them, may be NULL); every copy must complete. *a (may be NULL) says
 * what was written: free it with fx_archive_free(). */
int fx_write_archive(struct tape *const *t, int ncopies,
		     const struct tarw_source *src, size_t n,
		     const struct tarw_opts *opts, struct fx_archive *a);
void fx_archive_free(struct fx_archive *a);

/* ---- virtual libraries -------------------------------------------------- */

/* One cartridge: its image, label and slot. */
struct fx_cart {
	const char *barcode;
	int slot;
	uint64_t capacity;   /* of its vtape image; 0: an empty file (for a
				library that is never read from) */
	const char *pool;    /* labelled for this pool; NULL: blank */
	uint32_t block_size; /* of the label; 0: 256 KiB, as mkvlib's */
};

/* Put the new cartridge c into its slot of the library at dir. */
int fx_cartridge(const char *dir, const struct fx_cart *c);

/* A library for fx_lib_setup(): with barcode NULL and pools > 0, what
 * `tapefs mkvlib DIR --drives D --slots S --ie I --tapes T --capacity C
 * --pools P` makes. */
struct fx_lib {
	int drives;
	int slots, ie;	     /* storage slots, then import/export slots */
	int tapes;	     /* cartridges, in slots 1..tapes */
	uint64_t capacity;   /* of each image; 0: empty files */
	int pools;	     /* tape i labelled for pool 'A' + i % pools;
				0: blank tapes */
	uint32_t block_size; /* of the labels; 0: 256 KiB */
	const char *barcode; /* printf format of tape i's barcode, given
				i + first; NULL: mkvlib's (A00001L9,
				B00001L9, A00002L9, ... by pool) */
	int first;
};
int fx_lib_setup(const char *dir, const struct fx_lib *o);

/* The "vlib" changer over the library at dir. NULL on failure. */
struct changer *fx_changer(const char *dir);

/* A scheduler of ndrives vtape drives over c. NULL on failure. */
struct sched *fx_sched(struct changer *c, int ndrives);

/* ---- the shims of tests/shim/ ---------------------------------------- */

/* The path of $BUILD/tests/libNAME.so ("stshim", "sgshim") into buf;
 * -ENOENT (with a line on stderr) when it was not built. */
int fx_shim(const char *name, char *buf, size_t len);

/* Run this test binary (self, argv[0]) again as `self arg1 arg2` with the
 * environment entries env[] ("NAME=VALUE", NULL-terminated; LD_PRELOAD
 * among them) added, and add the child's "N passed, N failed" to this
 * process's totals; its other output goes to stdout. A child that dies
 * or prints no totals counts one failure. Returns 0, or -errno when it
 * could not be started (counted too). */
int fx_rerun(const char *self, const char *arg1, const char *arg2,
	     const char *const env[]);

/* ---- catalogs ----------------------------------------------------------- */

/* The catalog fx_tmp()/name, opened (created when new). NULL on failure. */
struct catalog *fx_catalog(const char *name);

/* A tape row of barcode, pool, state and capacity; the rest zero. */
struct catalog_tape fx_tape(const char *barcode, const char *pool,
			    enum catalog_tape_state state, uint64_t capacity);

/* A member row of path (not copied) for the catalog's tests: type and
 * size, its header at byte hdr and its data 1536 bytes on, mode 0750 (a
 * directory) or 0640, owner 1000:100, mtime; a file's md5 the 32 hex
 * digits of the number md5. */
struct catalog_member fx_member(const char *path, enum catalog_type type,
				uint64_t size, uint64_t hdr, int64_t mtime,
				uint64_t md5);

#endif
