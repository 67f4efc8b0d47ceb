/* tests/fuzz/replay.c - the main() of a fuzz target in the normal build
 * (build/tests/test_fuzz_NAME, run by `make check`): every file of the
 * target's seed corpus and of its regression inputs is given once to
 * LLVMFuzzerTestOneInput(), so that the normal compiler (and `make asan`)
 * proves that no input that ever crashed a parser crashes it again.
 *
 *   test_fuzz_NAME          tests/fuzz/corpus/NAME and tests/fuzz/regress/NAME
 *                           of $TOP (tests/run sets it; else the source tree)
 *   test_fuzz_NAME PATH...  those files, or every file of those directories
 *
 * One input is one check: it passes when the target returns (a crash or a
 * broken promise aborts the whole binary, which tests/run counts as a
 * failure, and the log names the input). An input that cannot be read,
 * and a seed corpus that is missing or empty, fail.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_TOP
#define FUZZ_TOP "."
#endif

static int passed, failed;

/* The whole file at path into *buf (malloc'd), its length in *len. */
static int slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap), *nb;

	if (!f || !b)
		goto out_fail;
	for (;;) {
		n += fread(b + n, 1, cap - n, f);
		if (n < cap)
			break;
		nb = realloc(b, cap *= 2);
		if (!nb)
			goto out_fail;
		b = nb;
	}
	if (ferror(f))
		goto out_fail;
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
out_fail:
	if (f)
		fclose(f);
	free(b);
	return -1;
}

static void replay_file(const char *path)
{
	uint8_t *buf;
	size_t len;

	if (slurp(path, &buf, &len)) {
		fprintf(stderr, "not ok %s: cannot read: %s\n", path,
			strerror(errno));
		failed++;
		return;
	}
	fprintf(stderr, "# %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	passed++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file of dir, in name order. A missing or empty directory fails
 * when required (a replay of no seed proves nothing); a target that never
 * crashed has no regression inputs. */
static void replay_dir(const char *dir, int required)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names || !(names[n++] = strdup(e->d_name))) {
			fprintf(stderr, "not ok %s: out of memory\n", dir);
			exit(1);
		}
	}
	if (d)
		closedir(d);
	if (n == 0 && required) {
		fprintf(stderr, "not ok %s: no inputs\n", dir);
		failed++;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		replay_file(path);
		free(names[i]);
	}
	free(names);
}

static void replay_path(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		replay_dir(path, 1);
	else
		replay_file(path);
}

int main(int argc, char **argv)
{
	const char *top = getenv("TOP") ? getenv("TOP") : FUZZ_TOP;
	const char *base = strrchr(argv[0], '/'), *name;
	char dir[4096];

	base = base ? base + 1 : argv[0];
	name = strncmp(base, "test_fuzz_", 10) ? base : base + 10;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			replay_path(argv[i]);
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top,
			 name);
		replay_dir(dir, 1);
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", top,
			 name);
		replay_dir(dir, 0);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
