/* tests/lib_fixture.c - the shared C test fixtures (tests/lib_fixture.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tapeio/vlib.h"
#include "tapeio/vtape.h"
#include "tests/check.h"
#include "tests/lib_fixture.h"

/* ---- scratch ------------------------------------------------------------ */

const char *fx_tmp(void)
{
	const char *tmp = getenv("TEST_TMP");

	return tmp && *tmp ? tmp : ".";
}

int fx_mkdtemp(char *dir, size_t len, const char *name)
{
	int ret = 0;

	if ((size_t)snprintf(dir, len, "%s/%s.XXXXXX", fx_tmp(), name) >= len)
		ret = -ENAMETOOLONG;
	else if (!mkdtemp(dir))
		ret = -errno;
	CHECK_INT(ret, 0);
	return ret;
}

/* ---- files -------------------------------------------------------------- */

/* splitmix64: byte i of seed's stream is byte i % 8 of word i / 8. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void fx_fill(void *buf, size_t n, unsigned seed)
{
	unsigned char *b = buf;
	uint64_t base = (uint64_t)seed << 40, w = 0;

	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			w = mix(base + i / 8);
		b[i] = (unsigned char)(w >> (8 * (i % 8)));
	}
}

/* Write all of buf[n] to a new file at path (0644). */
static int write_all(const char *path, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != (ssize_t)n)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int fx_make_file(const char *path, size_t size, unsigned seed)
{
	char *buf = malloc(size ? size : 1);
	int ret = -ENOMEM;

	if (buf) {
		fx_fill(buf, size, seed);
		ret = write_all(path, buf, size);
	}
	free(buf);
	CHECK_INT(ret, 0);
	return ret;
}

int fx_write_text(const char *path, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n, ret = -ENOMEM;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n >= 0)
		ret = write_all(path, text, (size_t)n);
	free(text);
	CHECK_INT(ret, 0);
	return ret;
}

int fx_file_md5(const char *path, char hex[MD5_HEX_SIZE])
{
	int fd = open(path, O_RDONLY), ret;

	hex[0] = '\0';
	if (fd < 0)
		return -errno;
	ret = md5_fd(fd, hex, NULL);
	close(fd);
	if (ret)
		hex[0] = '\0';
	return ret;
}

char *fx_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;

	if (!f)
		return NULL;
	do {
		char *b = realloc(buf, len + 65536 + 1);

		if (!b) {
			free(buf);
			fclose(f);
			return NULL;
		}
		buf = b;
		n = fread(buf + len, 1, 65536, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

int fx_count_lines(const char *path, const char *line)
{
	FILE *f = fopen(path, "r");
	char *l = NULL;
	size_t cap = 0;
	ssize_t n;
	int count = 0;

	if (!f)
		return -errno;
	while ((n = getline(&l, &cap, f)) >= 0) {
		if (n > 0 && l[n - 1] == '\n')
			l[n - 1] = '\0';
		count += strcmp(l, line) == 0;
	}
	free(l);
	fclose(f);
	return count;
}

/* ---- tapes -------------------------------------------------------------- */

struct tape *fx_vtape(const char *path, const char *barcode, uint64_t cap,
		      uint64_t ew)
{
	struct tape *t = NULL;
	int ret;

	unlink(path);
	ret = vtape_create(path, barcode ? barcode : path, cap, ew);
	CHECK_INT(ret, 0);
	if (ret)
		return NULL;
	ret = tape_open(&t, tape_backend("vtape"), path, TAPE_RDWR);
	CHECK_INT(ret, 0);
	return ret ? NULL : t;
}

int fx_label(struct tape *t, struct tape_label *l, const char *barcode,
	     const char *pool, uint32_t bs)
{
	struct tape_label lab;
	int ret;

	label_init(&lab, barcode, pool, bs);
	ret = label_write(t, &lab);
	CHECK_INT(ret, 0);
	if (l)
		*l = lab;
	return ret;
}

int fx_export(struct tape *t, unsigned fileno, const char *out)
{
	enum { REC_MAX = 16 << 20 };
	char *buf = malloc(REC_MAX);
	ssize_t n = 0;
	int fd = -1, ret = 0;

	if (!buf)
		return -ENOMEM;
	ret = tape_goto_file(t, fileno);
	if (!ret && (fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		ret = -errno;
	while (!ret && (n = tape_read(t, buf, REC_MAX)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			ret = -EIO;
	if (!ret && n < 0)
		ret = (int)n;
	if (fd >= 0 && close(fd) && !ret)
		ret = -errno;
	free(buf);
	return ret;
}

/* ---- archives ----------------------------------------------------------- */

int fx_source(struct tarw_source *s, const char *path)
{
	int ret = lstat(path, &s->st) ? -errno : 0;

	CHECK_INT(ret, 0);
	s->path = path;
	s->name = path;
	s->no_xattrs = 0; /* listed from the descriptor */
	return ret;
}

/* Copy the writer's members into a. */
static int archive_keep(const struct tarw *w, struct fx_archive *a)
{
	const struct tar_member *m = tarw_members(w, &a->nmembers);

	a->members = calloc(a->nmembers ? a->nmembers : 1, sizeof(*m));
	if (!a->members)
		return -ENOMEM;
	for (size_t i = 0; i < a->nmembers; i++)
		if (tar_member_copy(&a->members[i], &m[i]))
			return -ENOMEM;
	return 0;
}

int fx_write_archive(struct tape *const *t, int ncopies,
		     const struct tarw_source *src, size_t n,
		     const struct tarw_opts *opts, struct fx_archive *a)
{
	struct tarw *w = NULL;
	int ret;

	if (a)
		memset(a, 0, sizeof(*a));
	ret = tarw_new(&w, t, ncopies, opts);
	CHECK_INT(ret, 0);
	if (ret)
		return ret;
	ret = tarw_run(w, src, n);
	CHECK_INT(ret, 0);
	for (int c = 0; !ret && c < ncopies; c++) {
		const struct tarw_copy *cp = tarw_copy(w, c);

		CHECK_INT(cp->state, TARW_COPY_DONE);
		if (cp->state != TARW_COPY_DONE)
			ret = cp->err ? cp->err : -EIO;
		if (a) {
			a->start[c] = cp->start_lblock;
			a->bytes = cp->bytes;
		}
	}
	if (!ret && a)
		ret = archive_keep(w, a);
	tarw_free(w);
	return ret;
}

void fx_archive_free(struct fx_archive *a)
{
	tar_members_free(a->members, a->nmembers);
	a->members = NULL;
	a->nmembers = 0;
}

/* ---- virtual libraries -------------------------------------------------- */

/* The image of c at path: a vtape, labelled when c->pool, or an empty
 * file. */
static int cart_image(const char *path, const struct fx_cart *c)
{
	struct tape *t;
	int ret;

	if (!c->capacity) {
		ret = write_all(path, "", 0);
		CHECK_INT(ret, 0);
		return ret;
	}
	if (!c->pool) {
		ret = vtape_create(path, c->barcode, c->capacity, 0);
		CHECK_INT(ret, 0);
		return ret;
	}
	t = fx_vtape(path, c->barcode, c->capacity, 0);
	if (!t)
		return -EIO;
	ret = fx_label(t, NULL, c->barcode, c->pool,
		       c->block_size ? c->block_size : TARW_BLOCK_SIZE);
	CHECK_INT(tape_close(t), 0);
	return ret;
}

int fx_cartridge(const char *dir, const struct fx_cart *c)
{
	char path[4096], err[256] = "";
	struct vlib *v = NULL;
	int ret;

	ret = vlib_open(&v, dir, err, sizeof(err));
	CHECK_INT(ret, 0);
	if (ret)
		goto out;
	ret = vlib_tape_path(v, c->barcode, path, sizeof(path));
	CHECK_INT(ret, 0);
	if (!ret)
		ret = cart_image(path, c);
	if (ret)
		goto out_close;
	ret = vlib_add(v, c->barcode, c->slot, err, sizeof(err));
	CHECK_INT(ret, 0);
out_close:
	vlib_close(v);
out:
	if (ret)
		fprintf(stderr, "# cartridge %s in %s: %s\n", c->barcode, dir,
			*err ? err : strerror(-ret));
	return ret;
}

int fx_lib_setup(const char *dir, const struct fx_lib *o)
{
	int pools = o->pools > 0 ? o->pools : 1;
	int ret = vlib_create(dir, o->drives, o->slots + o->ie, o->ie);

	CHECK_INT(ret, 0);
	for (int i = 0; !ret && i < o->tapes; i++) {
		char bc[64], pool[2] = {(char)('A' + i % pools), 0};
		struct fx_cart c = {bc, i + 1, o->capacity,
				    o->pools > 0 ? pool : NULL, o->block_size};

		if (o->barcode)
			snprintf(bc, sizeof(bc), o->barcode, i + o->first);
		else
			snprintf(bc, sizeof(bc), "%s%05dL9", pool,
				 i / pools + 1);
		ret = fx_cartridge(dir, &c);
	}
	return ret;
}

struct changer *fx_changer(const char *dir)
{
	struct changer *c = NULL;
	int ret = changer_open(&c, changer_backend("vlib"), dir);

	CHECK_INT(ret, 0);
	return ret ? NULL : c;
}

struct sched *fx_sched(struct changer *c, int ndrives)
{
	struct sched_config cfg;
	struct sched *s = NULL;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.changer = c;
	cfg.tape_ops = tape_backend("vtape");
	cfg.ndrives = ndrives;
	ret = sched_start(&s, &cfg);
	CHECK_INT(ret, 0);
	return ret ? NULL : s;
}

/* ---- the shims of tests/shim/ ---------------------------------------- */

int fx_shim(const char *name, char *buf, size_t len)
{
	const char *build = getenv("BUILD");

	snprintf(buf, len, "%s/tests/lib%s.so", build ? build : "build", name);
	if (access(buf, R_OK) == 0)
		return 0;
	fprintf(stderr, "# no shim at %s\n", buf);
	return -ENOENT;
}

/* In the child: the environment, then self. Never returns. */
static void rerun_exec(const char *self, const char *arg1, const char *arg2,
		       const char *const env[])
{
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[512];

	/* the shims come first in the preload list: ASan must not mind */
	snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0",
		 asan ? asan : "", asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	for (size_t i = 0; env[i]; i++)
		putenv((char *)env[i]);
	execl(self, self, arg1, arg2, (char *)NULL);
	_exit(127);
}

int fx_rerun(const char *self, const char *arg1, const char *arg2,
	     const char *const env[])
{
	int pfd[2], status, p = 0, f = 0, got = 0;
	char line[512];
	pid_t pid;
	FILE *in;

	fflush(NULL);
	if (pipe(pfd) < 0 || (pid = fork()) < 0) {
		CHECK(!"fork");
		return -errno;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		rerun_exec(self, arg1, arg2, env);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		if (sscanf(line, "%d passed, %d failed", &p, &f) == 2)
			got = 1;
		else
			fputs(line, stdout);
	}
	if (in)
		fclose(in);
	waitpid(pid, &status, 0);
	fprintf(stderr, "# %s %s: %d passed, %d failed\n", self, arg1, p, f);
	check_passed += p;
	check_failed += f;
	CHECK(got && WIFEXITED(status) && (WEXITSTATUS(status) == 0 || f > 0));
	return 0;
}

/* ---- catalogs ----------------------------------------------------------- */

struct catalog *fx_catalog(const char *name)
{
	struct catalog *cat = NULL;
	char path[4096];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", fx_tmp(), name);
	ret = catalog_testing_open(&cat, path);
	CHECK_INT(ret, 0);
	return ret ? NULL : cat;
}

struct catalog_tape fx_tape(const char *barcode, const char *pool,
			    enum catalog_tape_state state, uint64_t capacity)
{
	struct catalog_tape t;

	memset(&t, 0, sizeof(t));
	snprintf(t.barcode, sizeof(t.barcode), "%s", barcode);
	snprintf(t.pool, sizeof(t.pool), "%s", pool);
	t.state = state;
	t.capacity = capacity;
	return t;
}

struct catalog_member fx_member(const char *path, enum catalog_type type,
				uint64_t size, uint64_t hdr, int64_t mtime,
				uint64_t md5)
{
	struct catalog_member m;

	memset(&m, 0, sizeof(m));
	m.path = (char *)path;
	m.type = type;
	m.size = size;
	m.mode = (type == CATALOG_DIR ? S_IFDIR | 0750 : S_IFREG | 0640);
	m.uid = 1000;
	m.gid = 100;
	m.mtime = mtime;
	if (type == CATALOG_FILE)
		snprintf(m.md5, sizeof(m.md5), "%032llx",
			 (unsigned long long)md5);
	m.header_offset = hdr;
	m.data_offset = hdr + 1536;
	return m;
}
