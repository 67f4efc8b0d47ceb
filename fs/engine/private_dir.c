/* fs/engine/private_dir.c - mkdir -p, private (fs/engine/private_dir.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/engine/private_dir.h"

int private_dir_make(const char *path)
{
	char *p = strdup(path);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s && !ret; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			ret = -errno;
		*s = '/';
	}
	if (!ret && mkdir(p, 0700) < 0 && errno != EEXIST)
		ret = -errno;
	free(p);
	return ret;
}
