/* fs/cmd_parse.c - the options every offline command shares (fs/cmd.h:
 * cmd_parse()): -c/--config CONFIG, -h/--help, and switches of its own.
 */
#include <getopt.h>
#include <stdio.h>

#include "fs/cmd.h"

int cmd_parse(int argc, char **argv, const struct cmd_switch *sw, size_t n,
	      void (*usage)(FILE *), const char **config, int *first)
{
	struct option opts[CMD_SWITCHES_MAX + 3] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	};
	char letters[2 * CMD_SWITCHES_MAX + 4] = "c:h";
	int opt;

	for (size_t i = 0; i < n && i < CMD_SWITCHES_MAX; i++) {
		opts[i + 2] = (struct option){sw[i].name, no_argument, NULL,
					      sw[i].letter};
		letters[3 + i] = (char)sw[i].letter;
	}
	*config = NULL;
	optind = 1;
	while ((opt = getopt_long(argc, argv, letters, opts, NULL)) != -1) {
		size_t i = 0;

		if (opt == 'c') {
			*config = optarg;
			continue;
		}
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		while (i < n && sw[i].letter != opt)
			i++;
		if (i == n || opt == '?') {
			usage(stderr);
			return 2;
		}
		*sw[i].on = 1;
	}
	if (!*config) {
		usage(stderr);
		return 2;
	}
	*first = optind;
	return -1;
}
