/* fs/cmd_adopt.c - `tapefs adopt -c CONFIG [--verbose] LABEL [PREFIX]`: a
 * foreign tape of the library adopted read-only (fs/engine/adopt.h,
 * docs/adopt.md) while the library is not mounted; while it is, `echo
 * 'adopt LABEL [PREFIX]' > .library` does the same through the daemon.
 *
 * Exit status: 0 adopted (members not recorded are on stderr), 1 refused
 * or not read to its end, 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "fs/cmd.h"
#include "fs/engine/adopt.h"
#include "fs/engine/tapefs.h"

struct adopt_args {
	const char *config, *label, *prefix;
	int verbose;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tapefs adopt -c CONFIG [--verbose] LABEL "
		   "[PREFIX]\n");
}

static int parse(int argc, char **argv, struct adopt_args *a)
{
	const struct cmd_switch sw[] = {{"verbose", 'v', &a->verbose}};
	int ret, first;

	memset(a, 0, sizeof(*a));
	ret = cmd_parse(argc, argv, sw, 1, usage, &a->config, &first);
	if (ret >= 0)
		return ret;
	if (argc - first < 1 || argc - first > 2) {
		usage(stderr);
		return 2;
	}
	a->label = argv[first];
	a->prefix = argc - first == 2 ? argv[first + 1] : NULL;
	return -1;
}

static void progress(void *arg, const char *line)
{
	fprintf(stderr, "tapefs adopt %s: %s\n", (const char *)arg, line);
}

static int adopt_main(struct tapefs *fs, void *arg)
{
	const struct adopt_args *a = arg;
	struct adopt_opts o = {.label = a->label,
			       .prefix = a->prefix,
			       .progress = a->verbose ? progress : NULL,
			       .arg = (void *)a->label};
	struct adopt_report r;
	char line[768];
	int ret;

	if (cmd_library_up(fs, "tapefs adopt"))
		return 1;
	ret = adopt_run(fs, &o, &r);
	if (ret == 0 || r.layout[0]) {
		adopt_summary(&r, line, sizeof(line));
		printf("%s: %s\n", a->label, line);
	}
	if (r.error[0])
		fprintf(stderr, "tapefs adopt %s: %s%s\n", a->label,
			ret ? "" : "(adopted) ", r.error);
	return ret < 0 ? 1 : 0;
}

int cmd_adopt(int argc, char **argv)
{
	struct adopt_args a;
	int status = parse(argc, argv, &a);

	if (status >= 0)
		return status;
	return cmd_library_run(a.config, "tapefs adopt", adopt_main, &a);
}
