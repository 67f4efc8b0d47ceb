/* fs/pseudofs.c - pseudo file systems by their statfs(2) magic number
 * (fs/pseudofs.h). tmpfs is not among them: a test's staging may live
 * there, and so may a small site's on purpose. */
#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "fs/pseudofs.h"

#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif
#ifndef FUSECTL_MAGIC
#define FUSECTL_MAGIC 0x65735543
#endif

static const struct {
	unsigned long magic;
	const char *name;
} pseudo[] = {
    {PROC_SUPER_MAGIC, "proc"},
    {SYSFS_MAGIC, "sysfs"},
    {DEVPTS_SUPER_MAGIC, "devpts"},
    {CGROUP_SUPER_MAGIC, "cgroup"},
    {CGROUP2_SUPER_MAGIC, "cgroup2"},
    {DEBUGFS_MAGIC, "debugfs"},
    {TRACEFS_MAGIC, "tracefs"},
    {SECURITYFS_MAGIC, "securityfs"},
    {SELINUX_MAGIC, "selinuxfs"},
    {SMACK_MAGIC, "smackfs"},
    {BPF_FS_MAGIC, "bpf"},
    {PSTOREFS_MAGIC, "pstore"},
    {EFIVARFS_MAGIC, "efivarfs"},
    {BINFMTFS_MAGIC, "binfmt_misc"},
    {CONFIGFS_MAGIC, "configfs"},
    {MQUEUE_MAGIC, "mqueue"},
    {FUSECTL_MAGIC, "fusectl"},
    {NSFS_MAGIC, "nsfs"},
};

const char *pseudofs_of(const char *path)
{
	char *p = strdup(path);
	struct statfs st;
	const char *name = NULL;
	int ret;

	if (!p)
		return NULL;
	/* the nearest existing directory: staging and cache are made at
	 * mount, the catalog at its first open */
	while ((ret = statfs(p, &st)) < 0 && errno == ENOENT) {
		char *slash = strrchr(p, '/');

		if (!slash || slash == p)
			break;
		*slash = 0;
	}
	if (ret == 0)
		for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++)
			if ((unsigned long)st.f_type == pseudo[i].magic)
				name = pseudo[i].name;
	free(p);
	return name;
}
