/* fs/cmd_vtape.c - `tapefs vtape ...`: create, inspect, model, fault and
 * export virtual tape images (tapeio/vtape.h). No FUSE here. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/cmd.h"
#include "tapeio/tape.h"
#include "tapeio/vtape.h"

static const char usage_text[] =
    "usage: tapefs vtape create IMAGE --barcode B --capacity SIZE "
    "[--early-warning SIZE]\n"
    "       tapefs vtape info IMAGE\n"
    "       tapefs vtape ls IMAGE\n"
    "       tapefs vtape set IMAGE [rate=MBPS] [load=S] [unload=S] [locate=S]\n"
    "                              [locate_per_gb=S] [scale=X]\n"
    "       tapefs vtape inject IMAGE unreadable LBLOCK | flip LBLOCK OFFSET "
    "|\n"
    "                                 write-fail BYTES | protect on|off | "
    "clear\n"
    "       tapefs vtape export IMAGE FILENO OUTFILE   (OUTFILE - = stdout)\n"
    "       tapefs vtape import IMAGE [--block SIZE] INFILE   (appends a "
    "file;\n"
    "                              INFILE - = stdin; block default 256K)\n"
    "SIZE takes a K, M, G or T suffix (powers of 1024).\n";

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "tapefs vtape: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

static int fail(const char *what, const char *path, int err)
{
	fprintf(stderr, "tapefs vtape: %s '%s': %s\n", what, path,
		err == -EINVAL ? "not a vtape image or bad argument"
			       : strerror(-err));
	return 1;
}

/* "123", "64K", "2G", "1.5T"? no: integers only, K/M/G/T (1024-based). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		return -1;
	}
	if (shift && (*end == 'i' || *end == 'I') &&
	    (end[1] == 'B' || end[1] == 'b'))
		end += 2;
	else if (shift && (*end == 'B' || *end == 'b'))
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return errno || *end || *out < 0 ? -1 : 0;
}

static int cmd_create(int argc, char **argv)
{
	const char *image = NULL, *barcode = NULL;
	uint64_t cap = 0, ew = 0;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--barcode") == 0 && i + 1 < argc) {
			barcode = argv[++i];
		} else if (strcmp(argv[i], "--capacity") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &cap) < 0 || cap == 0)
				return usage("bad --capacity");
		} else if (strcmp(argv[i], "--early-warning") == 0 &&
			   i + 1 < argc) {
			if (parse_size(argv[++i], &ew) < 0)
				return usage("bad --early-warning");
		} else if (argv[i][0] != '-' && !image) {
			image = argv[i];
		} else {
			return usage("create: unexpected argument");
		}
	}
	if (!image || !barcode || !cap)
		return usage("create needs IMAGE, --barcode and --capacity");
	if (strlen(barcode) >= VTAPE_BARCODE_MAX)
		return usage("barcode too long");
	if (ew >= cap)
		return usage("--early-warning must be below --capacity");
	ret = vtape_create(image, barcode, cap, ew);
	if (ret < 0)
		return fail("cannot create", image, ret);
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	struct vtape_info vi;
	struct vtape_model m;
	int ret;

	if (argc != 2)
		return usage("info takes one IMAGE");
	ret = vtape_info(argv[1], &vi);
	if (ret == 0)
		ret = vtape_get_model(argv[1], &m);
	if (ret < 0)
		return fail("cannot read", argv[1], ret);
	printf("barcode: %s\n", vi.barcode);
	printf("capacity: %" PRIu64 "\n", vi.capacity);
	printf("early_warning: %" PRIu64 "\n", vi.early_warning);
	printf("used: %" PRIu64 "\n", vi.used);
	printf("records: %" PRIu64 "\n", vi.records);
	printf("filemarks: %" PRIu64 "\n", vi.filemarks);
	printf("protected: %s\n", vi.protected ? "yes" : "no");
	printf("rate_mbps: %g\n", m.rate_mbps);
	printf("load_s: %g\n", m.load_s);
	printf("unload_s: %g\n", m.unload_s);
	printf("locate_s: %g\n", m.locate_base_s);
	printf("locate_per_gb_s: %g\n", m.locate_s_per_gb);
	printf("time_scale: %g\n", m.time_scale);
	return 0;
}

static int cmd_ls(int argc, char **argv)
{
	struct vtape_file *fl;
	uint64_t n;
	int ret;

	if (argc != 2)
		return usage("ls takes one IMAGE");
	ret = vtape_files(argv[1], &fl, &n);
	if (ret < 0)
		return fail("cannot read", argv[1], ret);
	printf("%-6s %10s %14s %12s\n", "file", "records", "bytes", "lblock");
	for (uint64_t i = 0; i < n; i++)
		printf("%-6" PRIu64 " %10" PRIu64 " %14" PRIu64 " %12" PRIu64
		       "%s\n",
		       fl[i].fileno, fl[i].records, fl[i].bytes,
		       fl[i].start_lblock,
		       fl[i].has_filemark ? "" : " (no filemark)");
	free(fl);
	return 0;
}

static int cmd_set(int argc, char **argv)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
	    {"rate", offsetof(struct vtape_model, rate_mbps)},
	    {"load", offsetof(struct vtape_model, load_s)},
	    {"unload", offsetof(struct vtape_model, unload_s)},
	    {"locate", offsetof(struct vtape_model, locate_base_s)},
	    {"locate_per_gb", offsetof(struct vtape_model, locate_s_per_gb)},
	    {"scale", offsetof(struct vtape_model, time_scale)},
	};
	struct vtape_model m;
	int ret;

	if (argc < 3)
		return usage("set takes IMAGE and key=value pairs");
	ret = vtape_get_model(argv[1], &m);
	if (ret < 0)
		return fail("cannot read", argv[1], ret);
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		size_t k, klen = eq ? (size_t)(eq - argv[i]) : 0;
		double v;

		for (k = 0; eq && k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strlen(keys[k].key) == klen &&
			    strncmp(keys[k].key, argv[i], klen) == 0)
				break;
		if (!eq || k == sizeof(keys) / sizeof(keys[0]))
			return usage("set: unknown key (rate, load, unload, "
				     "locate, locate_per_gb, scale)");
		if (parse_double(eq + 1, &v) < 0)
			return usage("set: values are numbers >= 0");
		*(double *)((char *)&m + keys[k].off) = v;
	}
	ret = vtape_set_model(argv[1], &m);
	if (ret < 0)
		return fail("cannot set the model of", argv[1], ret);
	return 0;
}

static int cmd_inject(int argc, char **argv)
{
	enum vtape_fault f;
	uint64_t a1 = 0, a2 = 0;
	const char *what;
	int ret;

	if (argc < 3)
		return usage("inject takes IMAGE and a fault");
	what = argv[2];
	if (strcmp(what, "unreadable") == 0 && argc == 4) {
		f = VTAPE_FAULT_UNREADABLE;
		if (parse_u64(argv[3], &a1) < 0)
			return usage("unreadable takes an LBLOCK");
	} else if (strcmp(what, "flip") == 0 && argc == 5) {
		f = VTAPE_FAULT_FLIP;
		if (parse_u64(argv[3], &a1) < 0 || parse_u64(argv[4], &a2) < 0)
			return usage("flip takes LBLOCK OFFSET");
	} else if (strcmp(what, "write-fail") == 0 && argc == 4) {
		f = VTAPE_FAULT_WRITE_FAIL;
		if (parse_size(argv[3], &a1) < 0)
			return usage("write-fail takes BYTES");
	} else if (strcmp(what, "protect") == 0 && argc == 4) {
		f = VTAPE_FAULT_PROTECT;
		if (strcmp(argv[3], "on") == 0)
			a1 = 1;
		else if (strcmp(argv[3], "off") != 0)
			return usage("protect takes on or off");
	} else if (strcmp(what, "clear") == 0 && argc == 3) {
		f = VTAPE_FAULT_CLEAR;
	} else {
		return usage("unknown fault or wrong arguments");
	}
	ret = vtape_inject(argv[1], f, a1, a2);
	if (ret == -EINVAL &&
	    (f == VTAPE_FAULT_UNREADABLE || f == VTAPE_FAULT_FLIP)) {
		fprintf(stderr,
			"tapefs vtape: '%s': no data record at lblock %" PRIu64
			"%s\n",
			argv[1], a1,
			f == VTAPE_FAULT_FLIP ? " holding that offset" : "");
		return 1;
	}
	if (ret < 0)
		return fail("cannot inject into", argv[1], ret);
	return 0;
}

/* Copy the records of one tape file to out, growing the buffer when a
 * record is longer than it (st answers ENOMEM and passes the record). */
static int export_file(struct tape *t, int out, uint64_t *bytes)
{
	size_t len = 1 << 20;
	char *buf = NULL;
	int ret = 0;

	if (posix_memalign((void **)&buf, 4096, len) != 0)
		buf = NULL; /* page-aligned: faster copies from the kernel */

	*bytes = 0;
	while (buf) {
		ssize_t n = tape_read(t, buf, len);

		if (n == 0)
			break; /* the filemark */
		if (n == -ENOMEM && len < ((size_t)1 << 30)) {
			char *nb = realloc(buf, len * 4);

			if (!nb)
				break;
			buf = nb;
			len *= 4;
			ret = tape_bsr(t, 1);
			if (ret < 0)
				break;
			continue;
		}
		if (n == -EIO) {
			struct tape_status st;

			if (tape_status(t, &st) == 0 && st.eod)
				break; /* last file, no filemark */
		}
		if (n < 0) {
			ret = (int)n;
			break;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k < 0) {
				free(buf);
				return -errno;
			}
			w += k;
		}
		*bytes += (uint64_t)n;
	}
	if (!buf)
		ret = -ENOMEM;
	free(buf);
	return ret;
}

static int cmd_export(int argc, char **argv)
{
	struct tape *t = NULL;
	uint64_t fileno, bytes = 0;
	int out, ret;

	if (argc != 4)
		return usage("export takes IMAGE FILENO OUTFILE");
	if (parse_u64(argv[2], &fileno) < 0 || fileno > 0x7fffffff)
		return usage("bad FILENO");
	ret = tape_open(&t, tape_backend("vtape"), argv[1], TAPE_RDONLY);
	if (ret < 0)
		return fail("cannot open", argv[1], ret);
	ret = tape_goto_file(t, (unsigned)fileno);
	if (ret < 0) {
		tape_close(t);
		fprintf(stderr, "tapefs vtape: '%s' has no file %" PRIu64 "\n",
			argv[1], fileno);
		return 1;
	}
	if (strcmp(argv[3], "-") == 0)
		out = STDOUT_FILENO;
	else
		out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0644);
	if (out < 0) {
		ret = -errno;
		tape_close(t);
		return fail("cannot create", argv[3], ret);
	}
	ret = export_file(t, out, &bytes);
	tape_close(t);
	if (out != STDOUT_FILENO && close(out) < 0 && ret == 0)
		ret = -errno;
	if (ret < 0)
		return fail("cannot export from", argv[1], ret);
	return 0;
}

/* Fill buf from fd as far as it goes: a short count only at end of input. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int import_file(struct tape *t, int in, size_t block, uint64_t *recs)
{
	char *buf = NULL;
	ssize_t n;
	int ret = 0;

	/* page-aligned: the kernel copies to and from it much faster */
	if (posix_memalign((void **)&buf, 4096, block) != 0)
		return -ENOMEM;
	*recs = 0;
	while ((n = read_full(in, buf, block)) > 0) {
		ssize_t w = tape_write(t, buf, (size_t)n);

		if (w < 0) {
			ret = (int)w;
			break;
		}
		(*recs)++;
	}
	if (n < 0)
		ret = (int)n;
	free(buf);
	return ret;
}

static int cmd_import(int argc, char **argv)
{
	const char *image = NULL, *input = NULL;
	uint64_t block = 256 * 1024, recs = 0;
	struct tape *t = NULL;
	struct tape_status st;
	int in = STDIN_FILENO, ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--block") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &block) < 0 || block == 0 ||
			    block > (1u << 30))
				return usage("bad --block");
		} else if (!image) {
			image = argv[i];
		} else if (!input) {
			input = argv[i];
		} else {
			return usage("import: unexpected argument");
		}
	}
	if (!image || !input)
		return usage("import takes IMAGE and INFILE");
	if (strcmp(input, "-") != 0) {
		in = open(input, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return fail("cannot open", input, -errno);
	}
	ret = tape_open(&t, tape_backend("vtape"), image, TAPE_RDWR);
	if (ret < 0) {
		fail("cannot open", image, ret);
		goto out_in;
	}
	ret = tape_eom(t);
	if (ret == 0)
		ret = tape_status(t, &st);
	if (ret == 0)
		ret = import_file(t, in, (size_t)block, &recs);
	if (ret < 0) {
		tape_close(t);
		fail("cannot write to", image, ret);
		goto out_in;
	}
	ret = tape_close(t); /* the filemark */
	if (ret < 0) {
		fail("cannot write a filemark to", image, ret);
		goto out_in;
	}
	printf("file %ld: %" PRIu64 " records\n", st.file, recs);
out_in:
	if (in != STDIN_FILENO)
		close(in);
	return ret < 0 ? 1 : 0;
}

int cmd_vtape(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} subs[] = {
	    {"create", cmd_create}, {"info", cmd_info},
	    {"ls", cmd_ls},	    {"set", cmd_set},
	    {"inject", cmd_inject}, {"export", cmd_export},
	    {"import", cmd_import},
	};

	if (argc < 2)
		return usage(NULL);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	return usage("unknown command");
}
